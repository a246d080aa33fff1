/* userns.h: the user namespace's id maps. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "utils.h"

/* For the process whose /proc directory is open as piddir, usually from the parent user namespace: maps
 * outside_uid/gid (the caller) to inside_uid/gid, one line each. Writing from outside lets real root keep
 * setgroups(2) usable inside: only a writer with CAP_SETGID in the parent namespace may skip the deny
 * (user_namespaces(7), since 3.19). deny_setgroups: required for an unprivileged writer. */
void userns_write_maps(int piddir, uid_t inside_uid, uid_t outside_uid, gid_t inside_gid, gid_t outside_gid,
                       bool deny_setgroups);

/* Creating the user namespace failed with err: dies saying why, naming the host's setting that forbids it
 * (AppArmor's restriction on Ubuntu, Debian's old sysctl, user.max_user_namespaces=0, a seccomp profile, a
 * kernel without user namespaces) and what to do about it. */
NORETURN void userns_die_refused(int err);
