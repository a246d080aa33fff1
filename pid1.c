/* pid1.c: supervision of one child with signal forwarding; as pid 1 of a namespace, also the reaper. */
#include "pid1.h"

#include <poll.h>
#include <sys/signalfd.h>
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

/* The next supervised signal, as sigwaitinfo(2) gives it; or, with *status_fd >= 0, 0 once the reaper's
 * report has come (into *reported). -1: nothing yet, look again. A signalfd(2) lets one poll(2) wait for
 * both; without a report to wait for, sigwaitinfo alone does. */
static int next_event(const sigset_t *set, siginfo_t *info, int *status_fd, int *reported)
{
    static int sfd = -1;
    if (*status_fd < 0)
        return sigwaitinfo(set, info);
    if (sfd < 0 && (sfd = signalfd(-1, set, SFD_CLOEXEC)) < 0)
        die_errno("signalfd");
    struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = *status_fd, .events = POLLIN}};
    if (poll(pfd, 2, -1) < 0)
        return -1;
    if (pfd[1].revents) {
        /* 4 bytes: a pipe write of at most PIPE_BUF bytes arrives whole (pipe(7)) */
        if (read(*status_fd, reported, sizeof *reported) == (ssize_t)sizeof *reported)
            return 0;
        *status_fd = -1; /* gone without a word: the reaper's own exit will tell */
    }
    struct signalfd_siginfo si;
    if (!pfd[0].revents || read(sfd, &si, sizeof si) != (ssize_t)sizeof si)
        return -1;
    *info = (siginfo_t){.si_signo = (int)si.ssi_signo, .si_code = si.ssi_code};
    return (int)si.ssi_signo;
}

int pid1_supervise(pid_t child, bool reap_all, bool forward_tty, int status_fd)
{
    sigset_t set = supervised_set();
    int status = 0;
    for (;;) {
        /* The child may have exited before we got here: check before the first wait. */
        if (reap(child, reap_all, &status))
            return exit_status_of(status);
        siginfo_t info;
        int reported = 0;
        int sig = next_event(&set, &info, &status_fd, &reported);
        if (sig == 0) {
            /* The reaper reported and is on its way out; whatever wrote the report, nothing of the sandbox
             * outlives us: the kernel kills the rest of its pid namespace with it (pid_namespaces(7)). */
            kill(child, SIGKILL);
            return reported;
        }
        if (sig < 0 || sig == SIGCHLD)
            continue;
        /* A terminal signals the whole foreground process group, the child included: passing it on
         * would deliver it twice. */
        if (info.si_code == SI_KERNEL && !forward_tty)
            continue;
        kill(child, sig);
    }
}
