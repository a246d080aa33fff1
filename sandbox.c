/* sandbox.c: the story of one run. Parse the command line into a plan, validate it, then act: a child in new
 * namespaces builds its root, drops its privileges and becomes the command (under a small reaper when it
 * needs one), while we give it its id maps, report on it, forward signals to it and exit with its status. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>

#include "caps.h"
#include "env.h"
#include "label.h"
#include "net.h"
#include "options.h"
#include "pid1.h"
#include "scope.h"
#include "bpf.h"
#include "setup.h"
#include "status.h"
#include "ttyfilter.h"
#include "syscalls.h"
#include "userns.h"
#include "utils.h"

extern char **environ;

/* Everything one run decides before it forks, shared by the parent and the child. */
struct run {
    struct plan plan;
    struct host host;
    unsigned long ns;   /* CLONE_* flags of the namespaces we create */
    uint64_t keep_caps; /* what the command keeps */
    bool skip_capset;   /* real root asked for nothing: keep what it has */
    bool reaper;        /* a process of ours stays as the command's parent inside */
    bool tty_filter;    /* our terminal filter is needed (install_tty_filter) */
    bool init_userns;   /* we run in the initial user namespace (asked only for a plan with --proc) */
    int go[2];          /* parent -> child: the maps are written, go on */
    int ran[2];         /* command -> parent: one byte just before exec, a second if exec failed (only
                         * for --json-status-fd's exit document; -1 without it) */
    int pidsock[2];     /* --pidns with --unshare-pid: the nested pid 1 tells the parent who it is */
    int done[2];        /* reaper -> parent: the command's exit status, as soon as it is known */
};

/* We are built to gain nothing from exec: a setuid, setgid or file-capability binary would hand the caller's
 * choice of mounts to a privileged process. AT_SECURE is the kernel's own word that this exec raised
 * privileges (getauxval(3)). */
static void refuse_elevated(void)
{
    if (getauxval(AT_SECURE) || getuid() != geteuid() || getgid() != getegid())
        die("refusing to run setuid, setgid or with file capabilities: sandbox needs no privileges");
    /* capabilities without root and without AT_SECURE: inherited ambient ones, or an old file-caps setup */
    if (getuid() != 0 && caps_requested(NULL, 0, true) != 0)
        die("Unexpected capabilities but not setuid, old file caps config?");
}

static struct host host_facts(void)
{
    struct host h = {.uid = getuid(), .gid = getgid()};
    /* $PWD when it names the cwd, as the caller's shell shows it, else the physical path */
    h.cwd = get_current_dir_name();
    h.tty = isatty(STDOUT_FILENO) ? ttyname(STDOUT_FILENO) : NULL;
    if (h.tty)
        h.tty = xstrdup(h.tty);
    return h;
}

/* We have a controlling terminal (or cannot tell): /dev/tty is it, and ENXIO when there is none (tty(4)). */
static bool has_ctty(void)
{
    int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno != ENXIO;
    close(fd);
    return true;
}

/* We run in the initial user namespace, where our uid is the kernel's: its inode number is fixed
 * (PROC_USER_INIT_INO, include/linux/proc_ns.h). */
static bool in_init_userns(void)
{
    struct stat st;
    return stat("/proc/self/ns/user", &st) == 0 && st.st_ino == 0xEFFFFFFDu;
}

static bool kernel_has_ns(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", name);
    return access(path, F_OK) == 0;
}

/* bwrap's test for --unshare-user-try: the kernel has user namespaces and they are not switched off. */
static bool userns_available(void)
{
    char buf[8] = "";
    FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
    bool off = f && fgets(buf, sizeof buf, f) && strcmp(buf, "0\n") == 0;
    if (f)
        fclose(f);
    return kernel_has_ns("user") && !off;
}

/* An fd number the caller names but has not opened must stay free of ours: else a pipe or mount fd we open
 * later takes that number, and the option reads, binds or keeps our fd instead of failing as with bwrap (a
 * --bind-fd of our staging tmpfs; a --sync-fd that would keep one of setup's fds in the reaper). The
 * placeholder fails reads with EBADF, as the missing fd would, and leads nowhere (consume_fd). */
static void hold_unopened(int fd)
{
    if (fd >= 0 && fcntl(fd, F_GETFD) < 0 && errno == EBADF)
        consume_fd(fd);
}

static void hold_unopened_fds(const struct plan *plan)
{
    for (size_t i = 0; i < plan->n_ops; i++) {
        const struct op *op = &plan->ops[i];
        if (op->type == OP_FILE || op->type == OP_BIND_DATA || (op->type == OP_BIND && (op->flags & OPF_FD)))
            hold_unopened(op->fd);
    }
    hold_unopened(plan->seccomp_fd);
    hold_unopened(plan->block_fd);
    hold_unopened(plan->sync_fd);
    hold_unopened(plan->userns_block_fd);
}

/* The namespaces to create: the required ones, and each "-try" one the kernel offers. Without probe, every
 * "-try" one: asking /proc about each costs every run a few lookups, and the kernel's answer to the clone
 * tells as much; only then does spawn() probe. */
static unsigned long namespaces_of(const struct plan *plan, bool probe)
{
    unsigned long flags = plan->unshare;
    if ((plan->unshare_try & CLONE_NEWUSER) && plan->userns_fd < 0 && (!probe || userns_available()))
        flags |= CLONE_NEWUSER;
    if ((plan->unshare_try & CLONE_NEWCGROUP) && (!probe || kernel_has_ns("cgroup")))
        flags |= CLONE_NEWCGROUP;
    if (probe && (flags & CLONE_NEWCGROUP) && !kernel_has_ns("cgroup"))
        die("Cannot create new cgroup namespace because the kernel does not support it");
    /* without a mount namespace of our own there is nowhere to build the root */
    return flags | CLONE_NEWNS;
}

static void decide(struct run *run)
{
    const struct plan *plan = &run->plan;
    run->ns = namespaces_of(plan, false);
    run->keep_caps = caps_requested(plan->caps, plan->n_caps, run->host.uid == 0);
    run->skip_capset = run->host.uid == 0 && plan->n_caps == 0;
    run->reaper = !plan->as_pid_1 && ((run->ns & CLONE_NEWPID) || plan->n_lock_files || plan->sync_fd >= 0);
    /* what only some plans need to know, asked of the host only for them */
    run->tty_filter = tty_filter() && !plan->allow_tiocsti && !plan->new_session && has_ctty();
    run->init_userns = plan_has_op(plan, OP_PROC) && in_init_userns();
}

/* Joins the namespaces the caller handed us: the children we clone are born in them. */
static void join_given_namespaces(const struct plan *plan)
{
    if (plan->userns_fd >= 0 && setns(plan->userns_fd, CLONE_NEWUSER) < 0) {
        if (errno == EINVAL)
            die("Joining the specified user namespace failed, it might not be a descendant of the current "
                "user "
                "namespace.");
        die_errno("Joining specified user namespace failed");
    }
    if (plan->pidns_fd >= 0 && setns(plan->pidns_fd, CLONE_NEWPID) < 0)
        die_errno("Setting pidns failed");
}

/* After setns(2) into a pid namespace, a new one cannot be made in the same clone (the kernel's copy_pid_ns
 * wants pid_ns_for_children to be our own): the child, born in the given one, makes it itself (nest_pidns).
 */
static unsigned long clone_flags(const struct run *run)
{
    return run->plan.pidns_fd >= 0 ? run->ns & ~(unsigned long)CLONE_NEWPID : run->ns;
}

static long clone_child(unsigned long flags)
{
    struct sbx_clone_args args = {.flags = flags, .exit_signal = SIGCHLD};
    long pid = sbx_clone3(&args);
    if (pid < 0 && errno == ENOSYS) /* clone3 filtered, as some container runtimes do: the old call */
        pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    return pid;
}

static pid_t spawn(struct run *run)
{
    long pid = clone_child(clone_flags(run));
    /* EINVAL: a namespace this kernel lacks; ENOSPC: user namespaces switched off (max_user_namespaces 0).
     * Without the "-try" ones it does not offer, once more (and bwrap's message for a required one). */
    if (pid < 0 && (errno == EINVAL || errno == ENOSPC)) {
        int err = errno;
        unsigned long offered = namespaces_of(&run->plan, true);
        errno = err;
        if (offered != run->ns) {
            run->ns = offered;
            pid = clone_child(clone_flags(run));
        }
    }
    if (pid >= 0)
        return (pid_t)pid;
    if (run->ns & CLONE_NEWUSER)
        userns_die_refused(errno);
    if (errno == ENOSPC)
        die("Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded "
            "(ENOSPC)");
    die_errno("Creating new namespace failed");
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

static void wait_fd(int fd)
{
    char c;
    while (read(fd, &c, 1) < 0 && errno == EINTR)
        ;
    close(fd);
}

/* --pidns with --unshare-pid: the new pid namespace, nested in the given one; we stay outside it only to wait
 * for its pid 1 and pass its status on. */
static bool nests_pidns(const struct run *run)
{
    return run->plan.pidns_fd >= 0 && (run->ns & CLONE_NEWPID);
}

static void nest_pidns(struct run *run)
{
    if (!nests_pidns(run))
        return;
    if (unshare(CLONE_NEWPID) < 0)
        die_errno("unshare pid ns");
    pid1_block_signals();
    pid_t pid = fork();
    if (pid < 0)
        die_errno("Can't fork for --pidns");
    if (pid > 0) {
        close(run->go[0]); /* the word to go on is for the new pid 1, not for us */
        _exit(pid1_supervise(pid, false, true, -1));
    }
    pid1_restore_signals();
    /* SCM_CREDENTIALS: the kernel gives the parent our pid as its own namespace numbers it */
    char c = 0;
    struct iovec iov = {&c, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (sendmsg(run->pidsock[1], &msg, 0) < 0)
        die_errno("Can't send pid");
    close(run->pidsock[1]);
}

/* The parent's side: the pid of the nested pid 1, in our numbering. */
static pid_t nested_pid(struct run *run)
{
    char c, ctrl[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {&c, 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
    if (recvmsg(run->pidsock[0], &msg, 0) != 1)
        die_errno("Can't read pid from socket");
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_CREDENTIALS)
        die("No pid returned on socket");
    struct ucred cred;
    memcpy(&cred, CMSG_DATA(cmsg), sizeof cred);
    close(run->pidsock[0]);
    return cred.pid;
}

/* ---- the parent ---- */

/* Our half of starting the child: tell the supervisor about it, give it its id maps, then the word to go on.
 */
static void release_child(struct run *run, pid_t child)
{
    const struct plan *plan = &run->plan;
    pid_t shown = nests_pidns(run) ? nested_pid(run) : child; /* the sandbox's pid 1, for the supervisor */
    if (plan->info_fd >= 0) {
        status_write_info(plan->info_fd, shown, run->ns);
        close(plan->info_fd);
    }
    if (plan->json_status_fd >= 0)
        status_write_start(plan->json_status_fd, shown, run->ns);
    if (plan->userns_block_fd >= 0) /* someone else (newuidmap) writes the maps meanwhile */
        wait_fd(plan->userns_block_fd);
    else if (run->ns & CLONE_NEWUSER) {
        uid_t uid = plan->uid_set ? plan->uid : run->host.uid;
        gid_t gid = plan->gid_set ? plan->gid : run->host.gid;
        char path[32];
        snprintf(path, sizeof path, "/proc/%d", (int)child);
        cleanup_fd int piddir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (piddir < 0)
            die_errno("open %s failed", path);
        userns_write_maps(piddir, uid, run->host.uid, gid, run->host.gid, run->host.uid != 0);
    }
    if (write_all(run->go[1], "", 1) < 0)
        die_errno("Can't start the sandbox");
    close(run->go[1]);
}

/* The exit-code document exists only for a command that really ran: exactly one byte came before exec. */
static void report_exit(struct run *run, int status, bool oom)
{
    if (run->plan.json_status_fd < 0)
        return;
    char buf[2];
    ssize_t n, total = 0;
    while ((n = read(run->ran[0], buf + total, (size_t)(2 - total))) > 0 && (total += n) < 2)
        ;
    if (total == 1)
        status_write_exit(run->plan.json_status_fd, status, oom);
    close(run->plan.json_status_fd);
}

/* ---- the child ---- */

/* The child's half: nothing may run in the new namespaces before the maps exist. */
static void wait_for_parent(struct run *run)
{
    char c;
    ssize_t n;
    close(run->go[1]);
    close_fd(&run->ran[0]);
    close_fd(&run->done[0]);
    while ((n = read(run->go[0], &c, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1) /* the parent failed and has said why */
        _exit(1);
    close(run->go[0]);
    /* the supervisor's fds are the parent's business only */
    if (run->plan.info_fd >= 0)
        close(run->plan.info_fd);
    if (run->plan.json_status_fd >= 0)
        close(run->plan.json_status_fd);
}

/* With --userns the ids come from the namespace given: become the asked-for ones, as bwrap does. */
static void switch_ids(const struct run *run)
{
    const struct plan *plan = &run->plan;
    if (plan->userns_fd < 0)
        return;
    if (plan->uid_set && plan->uid != run->host.uid && setuid(plan->uid) < 0)
        die_errno("unable to switch to uid %d", (int)plan->uid);
    if (plan->gid_set && plan->gid != run->host.gid && setgid(plan->gid) < 0)
        die_errno("unable to switch to gid %d", (int)plan->gid);
}

/* --disable-userns: a limit of 1 in our user namespace, then a nested one of which we hold no capability over
 * that limit, so the command can neither create a user namespace nor raise the limit again. */
static void disable_userns(int proc, const struct run *run)
{
    uid_t uid = run->plan.uid_set ? run->plan.uid : run->host.uid;
    gid_t gid = run->plan.gid_set ? run->plan.gid : run->host.gid;
    cleanup_fd int fd = openat(proc, "sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die_errno("cannot open /proc/sys/user/max_user_namespaces");
    if (write_all(fd, "1", 1) < 0)
        die_errno("sysctl user.max_user_namespaces = 1");
    if (unshare(CLONE_NEWUSER) < 0)
        die_errno("unshare user ns");
    cleanup_fd int self = openat(proc, "self", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (self < 0)
        die_errno("open /proc/self failed");
    userns_write_maps(self, uid, uid, gid, gid, true);
}

static void assert_userns_disabled(void)
{
    if (unshare(CLONE_NEWUSER) == 0)
        die("creation of new user namespaces was not disabled as requested");
}

/* Our terminal filter, once, before the reaper forks: both it and the command inherit it (seccomp(2): filters
 * pass to children), and each install costs the kernel a BPF translation and a per-syscall cache build.
 * TIOCSTI and TIOCLINUX on a terminal that is not the caller's controlling one fail with EPERM for anyone
 * without CAP_SYS_ADMIN in the initial user namespace (tiocsti() and tioclinux() in the kernel); TIOCSCTTY
 * takes a terminal that is some session's controlling one only with that same capability. So there is nothing
 * to filter when the command has no controlling terminal: with --new-session (setsid(2)), or when the caller
 * has none either (a launcher, a build, a service). */
static void install_tty_filter(const struct run *run)
{
    if (run->tty_filter)
        seccomp_install(tty_filter(), 1);
}

/* The last steps of the process that becomes the command. */
static NORETURN void exec_command(struct run *run, char **envp)
{
    struct plan *plan = &run->plan;
    pid1_restore_signals();
    if (plan->sync_fd >= 0 && run->reaper)
        close(plan->sync_fd);
    if (plan->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die_errno("prctl");
    caps_raise_ambient(run->keep_caps);
    if (label_exec(plan->exec_label) < 0)
        die_errno("label_exec %s", plan->argv[0]);
    /* the caller's after ours: the kernel runs them all and the most restrictive answer wins */
    seccomp_install(plan->seccomp, plan->n_seccomp);
    if (run->ran[1] >= 0)
        (void)write_all(run->ran[1], "", 1);
    const char *file = plan->argv[0];
    if (plan->argv0)
        plan->argv[0] = (char *)plan->argv0;
    /* the command's own PATH, not the caller's, as with bwrap */
    exec_search(file, plan->argv, envp);
    int saved = errno;
    if (run->ran[1] >= 0)
        (void)write_all(run->ran[1], "", 1);
    errno = saved;
    die_errno("execvp %s", file);
}

static void close_range_from(unsigned first, unsigned last)
{
    if (first > last)
        return;
    if (syscall(SYS_close_range, first, last, 0) == 0)
        return;
    /* before Linux 5.9: one by one, up to the limit of open files */
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd <= (long)last && fd < max; fd++)
        close((int)fd);
}

/* Closes every fd from 3 up but the two to keep (-1 or below 3: nothing to keep there). */
static void close_fds_but(int keep1, int keep2)
{
    const int keep[2] = {keep1 < keep2 ? keep1 : keep2, keep1 < keep2 ? keep2 : keep1};
    unsigned from = 3;
    for (size_t i = 0; i < 2; i++) {
        if (keep[i] < (int)from)
            continue;
        close_range_from(from, (unsigned)keep[i] - 1);
        from = (unsigned)keep[i] + 1;
    }
    close_range_from(from, ~0u);
}

/* The reaper takes the lock files (opened inside the sandbox, read-locked for as long as it lives). */
static void take_locks(const struct plan *plan)
{
    for (size_t i = 0; i < plan->n_lock_files; i++) {
        int fd = open(plan->lock_files[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            die_errno("Unable to open lock file %s", plan->lock_files[i]);
        struct flock lock = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_SETLK, &lock) < 0)
            die_errno("Unable to lock file %s", plan->lock_files[i]);
    }
}

/* The caller's session keyring would be readable inside (keyrings(7): a process holding the keyring may read
 * its keys); a new anonymous one of our own leaves the command nothing to find. */
static void leave_session_keyring(void)
{
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0 && errno != ENOSYS)
        die_errno("Can't join a new session keyring");
}

static NORETURN void run_child(struct run *run)
{
    struct plan *plan = &run->plan;
    /* Signals were blocked for the clone; during setup a SIGTERM must still end us (a planted FIFO or a
     * stuck NFS mount would otherwise make setup unkillable but for SIGKILL). */
    pid1_restore_signals();
    nest_pidns(run);
    /* What needs no id map is done while the parent writes ours: ids only matter to what makes files. */
    leave_session_keyring();
    /* the host's /proc, needed after the pivot by --disable-userns; closed before anything else runs here
     * (run_child never returns, so no cleanup attribute would) */
    int proc = plan->disable_userns ? open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (plan->disable_userns && proc < 0)
        die_errno("Can't open /proc");
    if (run->ns & CLONE_NEWNET)
        net_loopback_up();
    if (run->ns & CLONE_NEWNS)
        setup_prepare();
    wait_for_parent(run);
    switch_ids(run);
    if (label_create_files(plan->file_label) < 0)
        die_errno("--file-label setup failed");
    /* Modes of what setup creates are exactly those asked for; the command gets the caller's umask back. */
    mode_t umask_saved = umask(0);
    /* a procfs of its own where the sandbox has a pid namespace, made or given; else the host's is bound */
    /* our own user namespace maps the caller's uid alone (userns_write_maps): the initial root has no uid
     * there unless that is it (the caller is root, or not in the initial namespace, where its uid may be
     * anyone's), or someone else writes the maps, or the namespace is given */
    struct setup_facts facts = {
        .new_pidns = (run->ns & CLONE_NEWPID) || plan->pidns_fd >= 0,
        .root_unmapped = (run->ns & CLONE_NEWUSER) && plan->userns_fd < 0 && plan->userns_block_fd < 0 &&
                         run->init_userns && run->host.uid != 0,
    };
    setup_new_root(plan, &run->host, facts);
    if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0)
        die_errno("Can't set hostname to %s", plan->hostname);
    if (plan->userns2_fd >= 0 && setns(plan->userns2_fd, CLONE_NEWUSER) < 0)
        die_errno("Setting userns2 failed");
    if (plan->disable_userns)
        disable_userns(proc, run);
    close_fd(&proc);
    if (plan->disable_userns || plan->assert_userns_disabled)
        assert_userns_disabled();
    caps_apply(run->keep_caps, run->ns & CLONE_NEWUSER || plan->userns_fd >= 0, run->skip_capset);
    if (plan->block_fd >= 0)
        wait_fd(plan->block_fd);
    struct bpf_prog given; /* lives as long as this function, which never returns */
    if (plan->seccomp_fd >= 0) {
        given = seccomp_read(plan->seccomp_fd);
        plan->seccomp = &given;
        plan->n_seccomp = 1;
    }
    umask(umask_saved);

    struct env *env = command_env(plan);
    enter_cwd(plan, &run->host, env);
    char **envp = env_finish(env);
    if (plan->new_session && setsid() < 0)
        die_errno("setsid");
    install_tty_filter(run);
    if (!run->reaper)
        exec_command(run, envp);
    pid1_block_signals(); /* none may be lost between the fork and the reaper's wait */
    /* vfork(2): the command's half only makes system calls on its way to execve, so it can borrow our memory
     * while we wait, instead of a copy of our page tables and a page fault for each page it writes; we have
     * nothing to do meanwhile (posix_spawn could not make those calls: caps, filters, the report byte). */
    pid_t cmd = vfork(); // NOLINT(clang-analyzer-security.insecureAPI.vfork)
    if (cmd < 0)
        die_errno("Can't fork");
    if (cmd == 0)
        exec_command(run, envp);
    /* The command's execve woke us on its way, often on its CPU: the command first, our own preparations
     * (below) can wait. */
    sched_yield();
    close_fd(&run->ran[1]);
    caps_drop_all(); /* the reaper needs none, even for root */
    /* The command may read the reaper's /proc/1/fd: nothing there but stdio, the sync fd, the report pipe
     * (a forged report only ends the sandbox sooner: the parent then kills us) and the locks. */
    close_fds_but(plan->sync_fd, run->done[1]);
    take_locks(plan);
    if (plan->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die_errno("prctl");
    seccomp_install(plan->seccomp, plan->n_seccomp);
    int status = pid1_supervise(cmd, true, plan->new_session, -1);
    /* The command's status now, before our exit tears the namespaces down (the kernel unmounts the tree and
     * kills what is left in the pid namespace on the way out): the parent need not wait for that. */
    (void)write_all(run->done[1], &status, sizeof status);
    /* The parent, just woken by that, often waits for this very CPU: let it run before our slow exit. */
    sched_yield();
    _exit(status);
}

int main(int argc, char **argv)
{
    struct run run = {0};
    if (argc == 2 && strcmp(argv[1], "--version") == 0)
        options_parse(&run.plan, 1, argv + 1);
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

    plan_init(&run.plan);
    options_parse(&run.plan, argc - 1, argv + 1);
    run.host = host_facts();
    options_validate(&run.plan, &(struct host_ids){run.host.uid, run.host.gid});
    hold_unopened_fds(&run.plan);
    decide(&run);

    if (run.plan.limits.set) /* limits are the user manager's to enforce; none asked, no D-Bus at all */
        scope_enter(&run.plan.limits);
    if (run.plan.die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die_errno("prctl");
    pid1_block_signals();
    run.done[0] = run.done[1] = run.ran[0] = run.ran[1] = -1;
    if (pipe2(run.go, O_CLOEXEC) < 0 || (run.plan.json_status_fd >= 0 && pipe2(run.ran, O_CLOEXEC) < 0) ||
        (run.reaper && pipe2(run.done, O_CLOEXEC) < 0))
        die_errno("pipe2()");
    if (nests_pidns(&run) &&
        (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, run.pidsock) < 0 ||
         setsockopt(run.pidsock[0], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)) < 0))
        die_errno("Can't create intermediate pids socket");
    join_given_namespaces(&run.plan);
    pid_t child = spawn(&run);
    if (child == 0)
        run_child(&run);
    close(run.go[0]);
    close_fd(&run.ran[1]);
    close_fd(&run.done[1]);
    release_child(&run, child);
    /* With a reaper, its report ends the wait as bwrap's does; its own exit (or death) is the fallback. */
    int status = pid1_supervise(child, false, run.plan.new_session, run.done[0]);
    bool oom = run.plan.limits.set && scope_oom_killed(&run.plan.limits);
    if (oom) {
        warn("command killed: memory limit (%llu bytes) reached", run.plan.limits.memory_max);
        status = 128 + SIGKILL;
    }
    report_exit(&run, status, oom);
#ifndef __SANITIZE_ADDRESS__
    /* What is left goes with the process: freeing it only serves a sanitizer build's leak check. */
    _exit(status);
#endif
    bool joined_pidns = run.plan.pidns_fd >= 0;
    plan_free(&run.plan);
    free((char *)run.host.cwd);
    free((char *)run.host.tty);
    /* After setns(CLONE_NEWPID) anything we fork is born in the sandbox's pid namespace, LeakSanitizer's
     * exit-time helper included, which then cannot stop us and spins: leave without exit handlers. */
    if (joined_pidns)
        _exit(status);
    return status;
}
