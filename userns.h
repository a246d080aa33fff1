/* userns.h: the user namespace's id maps. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Called in the new user namespace: maps outside_uid/gid (the caller) to inside_uid/gid, one line each.
 * deny_setgroups: required before gid_map for an unprivileged writer (user_namespaces(7), since 3.19). */
void userns_write_maps(uid_t inside_uid, uid_t outside_uid, gid_t inside_gid, gid_t outside_gid,
                       bool deny_setgroups);
