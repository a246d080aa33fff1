/* pid1.c: supervision of one child with signal forwarding; as pid 1 of a namespace, also the reaper. */
#include "pid1.h"

#include <sys/wait.h>

#include "utils.h"

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
static sigset_t saved_mask;

static sigset_t supervised_set(void)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        sigaddset(&set, forwarded[i]);
    sigaddset(&set, SIGCHLD);
    return set;
}

void pid1_block_signals(void)
{
    sigset_t set = supervised_set();
    if (sigprocmask(SIG_BLOCK, &set, &saved_mask) < 0)
        die_errno("sigprocmask");
}

void pid1_restore_signals(void)
{
    if (sigprocmask(SIG_SETMASK, &saved_mask, NULL) < 0)
        die_errno("sigprocmask");
}

static int exit_status_of(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* Reaps what has exited; returns true once child has, with its status in *status. */
static bool reap(pid_t child, bool reap_all, int *status)
{
    bool done = false;
    for (;;) {
        int st;
        pid_t p = waitpid(reap_all ? -1 : child, &st, WNOHANG);
        if (p < 0 && errno == EINTR)
            continue;
        if (p <= 0)
            return done;
        if (p == child) {
            *status = st;
            done = true;
        }
    }
}

int pid1_supervise(pid_t child, bool reap_all, bool forward_tty)
{
    sigset_t set = supervised_set();
    int status = 0;
    for (;;) {
        /* The child may have exited before we got here: check before the first wait. */
        if (reap(child, reap_all, &status))
            return exit_status_of(status);
        siginfo_t info;
        int sig = sigwaitinfo(&set, &info);
        if (sig < 0 || sig == SIGCHLD)
            continue;
        /* A terminal signals the whole foreground process group, the child included: passing it on
         * would deliver it twice. */
        if (info.si_code == SI_KERNEL && !forward_tty)
            continue;
        kill(child, sig);
    }
}
