/* scope.h: resource limits through a transient scope of the user's own systemd manager (over sd-bus). */
#pragma once

#include <stdbool.h>

struct limits;

/* Moves this process into a new transient scope "sandbox-<pid>-<random>.scope" of the user manager, in
 * limits->slice, with the asked-for limits, waits for the job to finish, and checks in the kernel's own
 * cgroup files that every asked-for limit is in force. Dies with one line (and leaves no scope behind) on any
 * failure. Call only when limits->set is not 0, before any namespace is created. */
void scope_enter(const struct limits *limits);

/* After the command ended: whether the kernel's OOM killer killed a process of our scope. */
bool scope_oom_killed(const struct limits *limits);
