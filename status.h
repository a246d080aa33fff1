/* status.h: what --info-fd and --json-status-fd tell a supervisor, byte for byte as bwrap writes it. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The child's pid and the inode of each namespace we created (ns: CLONE_* flags), pretty-printed. */
void status_write_info(int fd, pid_t child, unsigned long ns);
/* The same facts as one JSON line: the first document of --json-status-fd. */
void status_write_start(int fd, pid_t child, unsigned long ns);
/* The last document: the exit status, written only when the command really ran; oom_killed adds
 * "oom-killed": true (the memory limit of --memory-max was reached). */
void status_write_exit(int fd, int exit_code, bool oom_killed);
