/* caps.h: the capabilities the command keeps. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cap_op;

/* A capability's number from its name as libcap spells it (CAP_NET_ADMIN, cap_net_admin, or a number), or -1.
 */
int caps_from_name(const char *name);

/* What the command keeps, as bwrap decides: real root starts from its effective set, anyone else from none;
 * then --cap-add and --cap-drop apply in order. */
uint64_t caps_requested(const struct cap_op *ops, size_t n, bool real_root);

/* Reduces the bounding set to keep (only in a user namespace of our own: outside it belongs to the host),
 * then sets the effective, permitted and inheritable sets to keep unless skip_capset (real root that asked
 * for nothing keeps what it has, so that container policies denying capset(2) still let it run). */
void caps_apply(uint64_t keep, bool own_userns, bool skip_capset);

/* Just before exec: the kept capabilities survive execve of a non-root uid only as ambient ones. */
void caps_raise_ambient(uint64_t keep);

/* Every capability gone, all five sets: for the reaper. */
void caps_drop_all(void);
