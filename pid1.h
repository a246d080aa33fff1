/* pid1.h: waiting for a child while forwarding signals to it; the reaper inside a pid namespace. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Blocks the forwarded signals and SIGCHLD; call before forking the child to supervise, so none is lost.
 * The previous mask is kept for pid1_restore_signals(). */
void pid1_block_signals(void);
/* In a child about to exec: the caller's signal mask back, as it was before pid1_block_signals(). */
void pid1_restore_signals(void);

/* Waits for child, forwarding SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it; reap_all also
 * reaps every other child (the orphans a pid namespace's init inherits). forward_tty: also forward the
 * signals a terminal sends (si_code SI_KERNEL), which otherwise already reach the child's process group.
 * Returns the exit status to report: the child's own, or 128+N when it died of signal N. status_fd, when not
 * -1, is where a reaper child reports its command's status (an int) before its slow exit: that report ends
 * the wait, and the child is killed. */
int pid1_supervise(pid_t child, bool reap_all, bool forward_tty, int status_fd);
