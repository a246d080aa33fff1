/* sandbox.c: the story of one run. Parse the command line into a plan, validate it, then act: a child in
 * new namespaces maps its ids, builds its root, drops its privileges and becomes the command, while we wait
 * for it, forward signals to it and exit with its status. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "env.h"
#include "net.h"
#include "options.h"
#include "pid1.h"
#include "setup.h"
#include "syscalls.h"
#include "userns.h"
#include "utils.h"

extern char **environ;

/* We are built to gain nothing from exec: a setuid, setgid or file-capability binary would hand the caller's
 * choice of mounts to a privileged process. AT_SECURE is the kernel's own word that this exec raised
 * privileges (getauxval(3)). */
static void refuse_elevated(void)
{
    if (getauxval(AT_SECURE) || getuid() != geteuid() || getgid() != getegid())
        die("refusing to run setuid, setgid or with file capabilities: sandbox needs no privileges");
    /* capabilities without root and without AT_SECURE: inherited ambient ones, or an old file-caps setup */
    cap_t caps = cap_get_proc();
    bool any = false;
    for (cap_value_t c = 0; caps && getuid() != 0 && c <= CAP_LAST_CAP; c++) {
        cap_flag_value_t v = CAP_CLEAR;
        any |= cap_get_flag(caps, c, CAP_PERMITTED, &v) == 0 && v == CAP_SET;
    }
    cap_free(caps);
    if (any)
        die("Unexpected capabilities but not setuid, old file caps config?");
}

static struct host host_facts(void)
{
    struct host h = {.uid = getuid(), .gid = getgid()};
    h.cwd = getcwd(NULL, 0);
    h.tty = isatty(STDOUT_FILENO) ? ttyname(STDOUT_FILENO) : NULL;
    if (h.tty)
        h.tty = xstrdup(h.tty);
    return h;
}

static bool kernel_has_ns(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", name);
    return access(path, F_OK) == 0;
}

/* The namespaces to create: the required ones, and each "-try" one the kernel offers. */
static unsigned long namespaces_of(const struct plan *plan)
{
    unsigned long flags = plan->unshare;
    if ((plan->unshare_try & CLONE_NEWUSER) && kernel_has_ns("user"))
        flags |= CLONE_NEWUSER;
    if ((plan->unshare_try & CLONE_NEWCGROUP) && kernel_has_ns("cgroup"))
        flags |= CLONE_NEWCGROUP;
    /* without a mount namespace of our own there is nowhere to build the root */
    return flags | CLONE_NEWNS;
}

static pid_t spawn(unsigned long flags)
{
    struct sbx_clone_args args = {.flags = flags, .exit_signal = SIGCHLD};
    long pid = sbx_clone3(&args);
    if (pid < 0 && errno == ENOSYS) /* clone3 filtered, as some container runtimes do: the old call */
        pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) {
        if (errno == EPERM || errno == ENOSPC || errno == EUSERS)
            die_errno("Creating new namespace failed");
        die_errno("Creating new namespace failed");
    }
    return (pid_t)pid;
}

static struct env *command_env(const struct plan *plan)
{
    struct env *env = env_new(plan->clearenv ? NULL : environ);
    for (size_t i = 0; i < plan->n_env; i++) {
        if (plan->env[i].value)
            env_set(env, plan->env[i].name, plan->env[i].value);
        else
            env_unset(env, plan->env[i].name);
    }
    return env;
}

/* bwrap's rule: --chdir, else the caller's directory if it exists in the sandbox, else $HOME, else "/". */
static void enter_cwd(const struct plan *plan, const struct host *host, struct env *env)
{
    const char *cwd = "/";
    const char *home = env_get(env, "HOME");
    if (plan->chdir) {
        if (chdir(plan->chdir) < 0)
            die_errno("Can't chdir to %s", plan->chdir);
        cwd = plan->chdir;
    } else if (host->cwd && chdir(host->cwd) == 0) {
        cwd = host->cwd;
    } else if (home && chdir(home) == 0) {
        cwd = home;
    }
    env_set(env, "PWD", cwd);
}

static NORETURN void exec_command(const struct plan *plan, char **envp)
{
    pid1_restore_signals();
    if (plan->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die_errno("prctl");
    if (plan->new_session && setsid() < 0)
        die_errno("setsid");
    const char *file = plan->argv[0];
    if (plan->argv0)
        plan->argv[0] = (char *)plan->argv0;
    execvpe(file, plan->argv, envp);
    die_errno("execvp %s", file);
}

/* The parent's half of starting the child: its id maps, then the word to go on. */
static void release_child(const struct plan *plan, const struct host *host, unsigned long flags, pid_t child,
                          int go_fd)
{
    if (flags & CLONE_NEWUSER) {
        uid_t uid = plan->uid_set ? plan->uid : host->uid;
        gid_t gid = plan->gid_set ? plan->gid : host->gid;
        userns_write_maps(child, uid, host->uid, gid, host->gid, host->uid != 0);
    }
    if (write_all(go_fd, "", 1) < 0)
        die_errno("Can't start the sandbox");
    close(go_fd);
}

/* The child's half: nothing may run in the new namespaces before the maps exist. */
static void wait_for_parent(int go_fd)
{
    char c;
    ssize_t n;
    while ((n = read(go_fd, &c, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1) /* the parent failed and has said why */
        _exit(1);
    close(go_fd);
}

static NORETURN void run_child(const struct plan *plan, const struct host *host, unsigned long flags)
{
    /* Modes of what setup creates are exactly those asked for; the command gets the caller's umask back. */
    mode_t umask_saved = umask(0);
    setup_new_root(plan, host, flags & CLONE_NEWPID);
    if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0)
        die_errno("Can't set hostname to %s", plan->hostname);
    if (flags & CLONE_NEWNET)
        net_loopback_up();

    struct env *env = command_env(plan);
    enter_cwd(plan, host, env);
    char **envp = env_finish(env);

    /* Real root running a command as uid 0 keeps root's capabilities, as with bwrap. */
    bool uid0 = !(plan->uid_set && plan->uid != 0);
    caps_apply(host->uid == 0 && uid0);
    umask(umask_saved);

    if ((flags & CLONE_NEWPID) && !plan->as_pid_1) {
        pid_t cmd = fork();
        if (cmd < 0)
            die_errno("Can't fork");
        if (cmd == 0)
            exec_command(plan, envp);
        caps_apply(false); /* the reaper needs none, even for root */
        _exit(pid1_supervise(cmd, true, plan->new_session));
    }
    exec_command(plan, envp);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0)
        options_parse(&(struct plan){0}, 1, argv + 1);
    /* A parent that ignores SIGCHLD would make our waits fail (bwrap 0.11.1 does the same). */
    signal(SIGCHLD, SIG_DFL);
    refuse_elevated();
    /* Nothing we or the command exec may gain privileges, from here on. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die_errno("prctl(PR_SET_NO_NEW_PRIVS) failed");
    if (argv[0])
        program_name = argv[0];
    if (argc < 2) {
        options_print_usage(stderr);
        return 1;
    }
    struct plan plan = {0};
    options_parse(&plan, argc - 1, argv + 1);
    struct host host = host_facts();
    options_validate(&plan, &(struct host_ids){host.uid, host.gid});

    unsigned long flags = namespaces_of(&plan);
    if (plan.die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die_errno("prctl");
    pid1_block_signals();
    int go[2];
    if (pipe2(go, O_CLOEXEC) < 0)
        die_errno("pipe");
    pid_t child = spawn(flags);
    if (child == 0) {
        close(go[1]);
        if (plan.die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
            die_errno("prctl");
        wait_for_parent(go[0]);
        run_child(&plan, &host, flags);
    }
    close(go[0]);
    release_child(&plan, &host, flags, child, go[1]);
    return pid1_supervise(child, false, plan.new_session);
}
