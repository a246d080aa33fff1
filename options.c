/* options.c: the option table, parsing argv (and --args) into a plan, and the plan's cross-option rules.
 * Only this file knows option spellings. */
#include "options.h"

#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "label.h"
#include "bpf.h"
#include "utils.h"

const char *program_name = "sandbox";

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.0.0"
#endif

struct optdef;
typedef void handler_fn(struct plan *plan, const struct optdef *def, char **args);

enum group {
    G_GENERAL,
    G_NAMESPACES,
    G_PROCESS,
    G_FILESYSTEM,
    G_SECURITY,
    G_LIMITS,
    G_SUPERVISION,
    N_GROUPS
};

enum {
    TAKES_PERMS = 1u << 0, /* --perms may precede it */
    TAKES_SIZE = 1u << 1,  /* --size may precede it */
    MODIFIER = 1u << 2,    /* it is --perms or --size itself */
    SAY_ONE = 1u << 3, /* its missing-value message says "one argument", not "an argument" (bwrap's words) */
    WARN_REPEAT = 1u << 4, /* given twice, only the last counts: say so */
    ONCE = 1u << 5,        /* may not be given twice */
    OVERLAY_SRC = 1u << 6, /* it is --overlay-src: pending layers wait for it too */
};

struct optdef {
    const char *name;
    unsigned char nargs;
    enum group group;
    unsigned flags;
    handler_fn *handle;
    unsigned long value; /* a CLONE_* flag, an op type, op flags or a field offset: the handler's to read */
    const char *metavar;
    const char *help;
    const char *missing; /* bwrap's own words when values are missing, where they are not the usual ones */
};

static handler_fn h_help, h_version, h_args, h_unshare, h_unshare_all, h_share_net, h_uid, h_gid, h_string,
    h_bool, h_clearenv, h_setenv, h_unsetenv, h_bind, h_dest, h_fd_dest, h_symlink, h_chmod, h_perms, h_size,
    h_level_prefix, h_fd, h_lock_file, h_seccomp, h_add_seccomp, h_cap, h_label, h_bind_fd, h_overlay_src,
    h_overlay, h_limit, h_slice;

/* The low byte of clone flags is the exit signal, never a namespace: bit 0 marks the "-try" variants. */
#define TRY_BIT          1ul
#define FIELD(f)         offsetof(struct plan, f)
#define OPV(type, flags) ((unsigned long)(type) | ((unsigned long)(flags) << 8))

/* The options, in the order --help shows them. */
static const struct optdef optdefs[] = {
    {"--help", 0, G_GENERAL, 0, h_help, 0, "", "Show this list of options and exit"},
    {"--version", 0, G_GENERAL, 0, h_version, 0, "", "Show the version and the built-in features, then exit"},
    {"--args", 1, G_GENERAL, 0, h_args, 0, "FD", "Read more arguments, separated by NUL bytes, from FD"},
    {"--level-prefix", 0, G_GENERAL, 0, h_level_prefix, 0, "",
     "Start each message with a syslog level, <3> for errors, <4> for warnings"},

    {"--unshare-all", 0, G_NAMESPACES, 0, h_unshare_all, 0, "",
     "New namespaces of every kind (user and cgroup only where the kernel allows)"},
    {"--share-net", 0, G_NAMESPACES, 0, h_share_net, 0, "",
     "Keep the host network after all (undoes the net part of an earlier --unshare-all)"},
    {"--unshare-user", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWUSER, "",
     "New user namespace (always, for a caller that is not root)"},
    {"--unshare-user-try", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWUSER | TRY_BIT, "",
     "New user namespace where the kernel offers one, else go on without"},
    {"--unshare-ipc", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWIPC, "",
     "New IPC namespace: private System V IPC and POSIX queues"},
    {"--unshare-pid", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWPID, "",
     "New pid namespace, with a reaper as pid 1"},
    {"--unshare-net", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWNET, "",
     "New network namespace holding only lo, brought up"},
    {"--unshare-uts", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWUTS, "",
     "New UTS namespace: a hostname of its own"},
    {"--unshare-cgroup", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWCGROUP, "", "New cgroup namespace"},
    {"--unshare-cgroup-try", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWCGROUP | TRY_BIT, "",
     "New cgroup namespace where the kernel offers one, else go on without"},
    {"--userns", 1, G_NAMESPACES, WARN_REPEAT, h_fd, FIELD(userns_fd), "FD",
     "Enter the user namespace FD instead of creating one"},
    {"--userns2", 1, G_NAMESPACES, WARN_REPEAT, h_fd, FIELD(userns2_fd), "FD",
     "Switch to the user namespace FD once setup is done (with --userns)"},
    {"--disable-userns", 0, G_NAMESPACES, 0, h_bool, FIELD(disable_userns), "",
     "Forbid the command to create user namespaces of its own"},
    {"--assert-userns-disabled", 0, G_NAMESPACES, 0, h_bool, FIELD(assert_userns_disabled), "",
     "Fail unless creating user namespaces is impossible inside"},
    {"--pidns", 1, G_NAMESPACES, WARN_REPEAT, h_fd, FIELD(pidns_fd), "FD",
     "Enter the pid namespace FD (the parent of a new one with --unshare-pid)"},
    {"--uid", 1, G_NAMESPACES, WARN_REPEAT, h_uid, 0, "UID",
     "Run the command as UID inside (needs a user namespace)"},
    {"--gid", 1, G_NAMESPACES, WARN_REPEAT, h_gid, 0, "GID",
     "Run the command as GID inside (needs a user namespace)"},
    {"--hostname", 1, G_NAMESPACES, WARN_REPEAT, h_string, FIELD(hostname), "NAME",
     "Set the hostname inside (needs --unshare-uts)"},

    {"--chdir", 1, G_PROCESS, SAY_ONE | WARN_REPEAT, h_string, FIELD(chdir), "DIR",
     "Start the command in DIR"},
    {"--clearenv", 0, G_PROCESS, 0, h_clearenv, 0, "",
     "Start from an empty environment (PWD and later --setenv still apply)"},
    {"--setenv", 2, G_PROCESS, 0, h_setenv, 0, "VAR VALUE", "Set VAR to VALUE in the command's environment"},
    {"--unsetenv", 1, G_PROCESS, 0, h_unsetenv, 0, "VAR", "Remove VAR from the command's environment"},
    {"--argv0", 1, G_PROCESS, SAY_ONE | ONCE, h_string, FIELD(argv0), "VALUE",
     "Pass VALUE to the command as its argv[0]"},
    {"--die-with-parent", 0, G_PROCESS, 0, h_bool, FIELD(die_with_parent), "",
     "Kill the command (SIGKILL) when sandbox or its parent dies"},
    {"--new-session", 0, G_PROCESS, 0, h_bool, FIELD(new_session), "",
     "Run the command in a new session, detached from the terminal"},
    {"--as-pid-1", 0, G_PROCESS, 0, h_bool, FIELD(as_pid_1), "",
     "Make the command pid 1 itself, without a reaper (needs --unshare-pid)"},

    {"--bind", 2, G_FILESYSTEM, 0, h_bind, 0, "SRC DEST", "Mount the host's SRC at DEST, writable"},
    {"--bind-try", 2, G_FILESYSTEM, 0, h_bind, OPF_TRY, "SRC DEST",
     "As --bind, skipped when SRC does not exist"},
    {"--dev-bind", 2, G_FILESYSTEM, 0, h_bind, OPF_DEV, "SRC DEST", "As --bind, with device nodes usable"},
    {"--dev-bind-try", 2, G_FILESYSTEM, 0, h_bind, OPF_DEV | OPF_TRY, "SRC DEST",
     "As --dev-bind, skipped when SRC does not exist"},
    {"--ro-bind", 2, G_FILESYSTEM, 0, h_bind, OPF_RO, "SRC DEST",
     "Mount the host's SRC at DEST, read-only throughout"},
    {"--ro-bind-try", 2, G_FILESYSTEM, 0, h_bind, OPF_RO | OPF_TRY, "SRC DEST",
     "As --ro-bind, skipped when SRC does not exist"},
    {"--remount-ro", 1, G_FILESYSTEM, SAY_ONE, h_dest, OP_REMOUNT_RO, "DEST",
     "Make the mount holding DEST read-only (that mount only)"},
    {"--proc", 1, G_FILESYSTEM, 0, h_dest, OP_PROC, "DEST", "Mount a procfs at DEST"},
    {"--dev", 1, G_FILESYSTEM, 0, h_dest, OP_DEV, "DEST", "Mount a minimal /dev at DEST"},
    {"--tmpfs", 1, G_FILESYSTEM, TAKES_PERMS | TAKES_SIZE, h_dest, OP_TMPFS, "DEST",
     "Mount an empty tmpfs at DEST"},
    {"--mqueue", 1, G_FILESYSTEM, 0, h_dest, OP_MQUEUE, "DEST",
     "Mount a POSIX message queue filesystem at DEST"},
    {"--dir", 1, G_FILESYSTEM, TAKES_PERMS, h_dest, OP_DIR, "DEST", "Create the directory DEST"},
    {"--file", 2, G_FILESYSTEM, TAKES_PERMS, h_fd_dest, OPV(OP_FILE, 0), "FD DEST",
     "Create the file DEST holding what FD reads"},
    {"--bind-data", 2, G_FILESYSTEM, TAKES_PERMS, h_fd_dest, OPV(OP_BIND_DATA, 0), "FD DEST",
     "Mount at DEST a file holding what FD reads"},
    {"--ro-bind-data", 2, G_FILESYSTEM, TAKES_PERMS, h_fd_dest, OPV(OP_BIND_DATA, OPF_RO), "FD DEST",
     "As --bind-data, read-only"},
    {"--symlink", 2, G_FILESYSTEM, 0, h_symlink, 0, "SRC DEST", "Create DEST as a symlink to SRC"},
    {"--chmod", 2, G_FILESYSTEM, 0, h_chmod, 0, "OCTAL PATH", "Set the mode of the existing PATH"},
    {"--bind-fd", 2, G_FILESYSTEM, 0, h_bind_fd, 0, "FD DEST",
     "Mount the directory open as FD at DEST, writable", "--bind-fd takes two arguments"},
    {"--ro-bind-fd", 2, G_FILESYSTEM, 0, h_bind_fd, OPF_RO, "FD DEST", "As --bind-fd, read-only",
     "--bind-fd takes two arguments"},
    {"--overlay-src", 1, G_FILESYSTEM, OVERLAY_SRC, h_overlay_src, 0, "SRC",
     "Add the host's SRC as a lower layer of the next overlay",
     "--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or "
     "--ro-overlay"},
    {"--overlay", 3, G_FILESYSTEM, 0, h_overlay, 0, "RWSRC WORKDIR DEST",
     "Mount an overlay of the layers at DEST, writes going to the host's RWSRC (WORKDIR: its work dir)"},
    {"--tmp-overlay", 1, G_FILESYSTEM, 0, h_overlay, OPF_TMP, "DEST",
     "Mount an overlay of the layers at DEST, writes going to a private tmpfs"},
    {"--ro-overlay", 1, G_FILESYSTEM, 0, h_overlay, OPF_RO, "DEST",
     "Mount a read-only overlay of the layers at DEST"},
    {"--perms", 1, G_FILESYSTEM, MODIFIER, h_perms, 0, "OCTAL",
     "Mode for the next --dir, --file, --tmpfs, --bind-data or --ro-bind-data"},
    {"--size", 1, G_FILESYSTEM, MODIFIER, h_size, 0, "BYTES", "Size limit for the next --tmpfs"},

    {"--seccomp", 1, G_SECURITY, WARN_REPEAT, h_seccomp, 0, "FD",
     "Load a seccomp program (classic BPF) from FD; not with --add-seccomp-fd"},
    {"--add-seccomp-fd", 1, G_SECURITY, 0, h_add_seccomp, 0, "FD",
     "Add a seccomp program from FD; repeatable, applied in order"},
    {"--cap-add", 1, G_SECURITY, 0, h_cap, 1, "CAP",
     "Keep capability CAP (a name like CAP_NET_ADMIN, or ALL)"},
    {"--cap-drop", 1, G_SECURITY, 0, h_cap, 0, "CAP", "Drop capability CAP (or ALL) from what root keeps"},
    {"--allow-tiocsti", 0, G_SECURITY, 0, h_bool, FIELD(allow_tiocsti), "",
     "Let the command use ioctl TIOCSTI/TIOCLINUX on a shared terminal (to type into it): unsafe"},
    {"--exec-label", 1, G_SECURITY, WARN_REPEAT, h_label, FIELD(exec_label), "LABEL",
     "Run the command with the SELinux label LABEL"},
    {"--file-label", 1, G_SECURITY, WARN_REPEAT, h_label, FIELD(file_label), "LABEL",
     "Give the files setup creates the SELinux label LABEL"},

    {"--info-fd", 1, G_SUPERVISION, WARN_REPEAT, h_fd, FIELD(info_fd), "FD",
     "Write the child's pid and namespaces to FD as JSON"},
    {"--json-status-fd", 1, G_SUPERVISION, WARN_REPEAT, h_fd, FIELD(json_status_fd), "FD",
     "Write JSON status lines to FD: the start, then the exit code"},
    {"--sync-fd", 1, G_SUPERVISION, WARN_REPEAT, h_fd, FIELD(sync_fd), "FD",
     "Keep FD open as long as the sandbox runs"},
    {"--block-fd", 1, G_SUPERVISION, WARN_REPEAT, h_fd, FIELD(block_fd), "FD",
     "Wait for data (or EOF) on FD before running the command"},
    {"--userns-block-fd", 1, G_SUPERVISION, WARN_REPEAT, h_fd, FIELD(userns_block_fd), "FD",
     "Wait on FD while someone else writes the id maps (with --info-fd)"},
    {"--lock-file", 1, G_SUPERVISION, 0, h_lock_file, 0, "DEST",
     "Hold a read lock on DEST while the sandbox runs"},

    {"--memory-max", 1, G_LIMITS, WARN_REPEAT, h_limit, LIM_MEMORY_MAX, "BYTES",
     "Kill the sandbox when its memory use reaches BYTES (K, M, G, T: powers of 1024)"},
    {"--memory-high", 1, G_LIMITS, WARN_REPEAT, h_limit, LIM_MEMORY_HIGH, "BYTES",
     "Throttle and reclaim hard above BYTES of memory"},
    {"--memory-swap-max", 1, G_LIMITS, WARN_REPEAT, h_limit, LIM_MEMORY_SWAP_MAX, "BYTES",
     "Let the sandbox use at most BYTES of swap"},
    {"--cpu-quota", 1, G_LIMITS, WARN_REPEAT, h_limit, LIM_CPU_QUOTA, "PERCENT",
     "CPU time at most PERCENT of one CPU (50%: half a CPU, 200%: two)"},
    {"--cpu-weight", 1, G_LIMITS, WARN_REPEAT, h_limit, LIM_CPU_WEIGHT, "N",
     "Relative CPU share, 1 to 10000 (default 100)"},
    {"--tasks-max", 1, G_LIMITS, WARN_REPEAT, h_limit, LIM_TASKS_MAX, "N",
     "At most N processes and threads at once"},
    {"--io-weight", 1, G_LIMITS, WARN_REPEAT, h_limit, LIM_IO_WEIGHT, "N",
     "Relative block I/O share, 1 to 10000 (default 100)"},
    {"--slice", 1, G_LIMITS, WARN_REPEAT, h_slice, 0, "NAME",
     "The systemd slice of the scope (default sandbox.slice)"},
};

#define N_OPTDEFS (sizeof optdefs / sizeof optdefs[0])

/* ---- lookup: a sorted index built once, so that each argument costs a binary search ---- */

static const struct optdef *sorted[N_OPTDEFS];

static int cmp_def(const void *a, const void *b)
{
    return strcmp((*(const struct optdef *const *)a)->name, (*(const struct optdef *const *)b)->name);
}

static int cmp_key(const void *key, const void *elem)
{
    return strcmp(key, (*(const struct optdef *const *)elem)->name);
}

static const struct optdef *lookup(const char *name)
{
    if (!sorted[0]) {
        for (size_t i = 0; i < N_OPTDEFS; i++)
            sorted[i] = &optdefs[i];
        qsort(sorted, N_OPTDEFS, sizeof(const struct optdef *), cmp_def);
    }
    const struct optdef *const *d = bsearch(name, sorted, N_OPTDEFS, sizeof(const struct optdef *), cmp_key);
    return d ? *d : NULL;
}

/* ---- the plan's growable arrays ---- */

static struct op *add_op(struct plan *plan, enum op_type type)
{
    if (plan->n_ops == plan->cap_ops) {
        plan->cap_ops = plan->cap_ops ? plan->cap_ops * 2 : 16;
        plan->ops = xreallocarray(plan->ops, plan->cap_ops, sizeof plan->ops[0]);
    }
    struct op *op = &plan->ops[plan->n_ops++];
    *op = (struct op){.type = type, .fd = -1};
    if (plan->pending_perms) {
        op->perms = plan->next_perms;
        op->flags |= OPF_PERMS;
    }
    op->size = plan->pending_size ? plan->next_size : 0;
    plan->pending_perms = plan->pending_size = false;
    return op;
}

static void add_env(struct plan *plan, const char *name, const char *value)
{
    if (plan->n_env == plan->cap_env) {
        plan->cap_env = plan->cap_env ? plan->cap_env * 2 : 16;
        plan->env = xreallocarray(plan->env, plan->cap_env, sizeof plan->env[0]);
    }
    plan->env[plan->n_env++] = (struct env_op){name, value};
}

/* ---- handlers: one per kind of option ---- */

static void h_help(struct plan *plan, const struct optdef *def, char **args)
{
    (void)plan, (void)def, (void)args;
    options_print_usage(stdout);
    fflush(stdout);
    sbx_exit(0);
}

static const struct {
    const char *name;
    bool on;
} features[] = {
    {"selinux", true}, /* libselinux, or the kernel's files (label.c) */
#ifdef HAVE_SYSTEMD
    {"systemd", true},
#else
    {"systemd", false},
#endif
#ifdef HAVE_SECCOMP
    {"seccomp", true},
#else
    {"seccomp", false},
#endif
};

static void h_version(struct plan *plan, const struct optdef *def, char **args)
{
    (void)plan, (void)def, (void)args;
    /* programs that drive bwrap read the second word of the first line as the version: it stands alone */
    printf("sandbox %s\n", PACKAGE_VERSION);
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++)
        printf("%s%s\n", features[i].on ? "+" : "-", features[i].name);
    fflush(stdout);
    sbx_exit(0);
}

static void h_unshare(struct plan *plan, const struct optdef *def, char **args)
{
    (void)args;
    unsigned long flag = def->value & ~TRY_BIT;
    if (def->value & TRY_BIT)
        plan->unshare_try |= flag;
    else
        plan->unshare |= flag;
}

static void h_unshare_all(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def, (void)args;
    plan->unshare |= CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS;
    plan->unshare_try |= CLONE_NEWUSER | CLONE_NEWCGROUP;
}

static void h_share_net(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def, (void)args;
    plan->unshare &= ~(unsigned long)CLONE_NEWNET;
}

/* Ids and fds are ints to bwrap, so its bounds are INT_MAX; strtol's leading blanks and '+' are accepted too.
 */
static int parse_int_arg(const char *what, const char *s)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || v < 0 || v > INT_MAX)
        die("Invalid %s: %s", what, s);
    return (int)v;
}

static void h_uid(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    plan->uid = (uid_t)parse_int_arg("uid", args[0]);
    plan->uid_set = true;
}

static void h_gid(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    plan->gid = (gid_t)parse_int_arg("gid", args[0]);
    plan->gid_set = true;
}

static void h_string(struct plan *plan, const struct optdef *def, char **args)
{
    *(const char **)((char *)plan + def->value) = args[0];
}

static void h_bool(struct plan *plan, const struct optdef *def, char **args)
{
    (void)args;
    *(bool *)((char *)plan + def->value) = true;
}

static void h_clearenv(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def, (void)args;
    /* Edits before the last --clearenv have no effect: drop them now. */
    plan->n_env = 0;
    plan->clearenv = true;
}

static void h_setenv(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    if (args[0][0] == '\0' || strchr(args[0], '='))
        die("setenv failed");
    add_env(plan, args[0], args[1]);
}

static void h_unsetenv(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    if (args[0][0] == '\0' || strchr(args[0], '='))
        die("unsetenv failed");
    add_env(plan, args[0], NULL);
}

static void h_bind(struct plan *plan, const struct optdef *def, char **args)
{
    struct op *op = add_op(plan, OP_BIND);
    op->flags |= (unsigned)def->value;
    op->src = args[0];
    op->dest = args[1];
}

static void h_dest(struct plan *plan, const struct optdef *def, char **args)
{
    struct op *op = add_op(plan, (enum op_type)def->value);
    op->dest = args[0];
}

static int parse_fd_arg(const char *s)
{
    return parse_int_arg("fd", s);
}

static void h_fd_dest(struct plan *plan, const struct optdef *def, char **args)
{
    int fd = parse_fd_arg(args[0]);
    struct op *op = add_op(plan, (enum op_type)(def->value & 0xff));
    op->flags |= (unsigned)(def->value >> 8);
    op->fd = fd;
    op->dest = args[1];
}

static void h_symlink(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    struct op *op = add_op(plan, OP_SYMLINK);
    op->src = args[0];
    op->dest = args[1];
}

static mode_t parse_mode_arg(const char *opt, const char *s)
{
    mode_t mode;
    if (parse_octal_mode(s, &mode) < 0)
        die("%s takes an octal argument <= 07777", opt);
    return mode;
}

static void h_chmod(struct plan *plan, const struct optdef *def, char **args)
{
    mode_t mode = parse_mode_arg(def->name, args[0]);
    struct op *op = add_op(plan, OP_CHMOD);
    op->perms = mode;
    op->flags |= OPF_PERMS;
    op->dest = args[1];
}

static void h_perms(struct plan *plan, const struct optdef *def, char **args)
{
    if (plan->pending_perms)
        die("--perms given twice for the same action");
    plan->next_perms = parse_mode_arg(def->name, args[0]);
    plan->pending_perms = true;
}

static void h_size(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    if (plan->pending_size)
        die("--size given twice for the same action");
    /* bwrap's number: decimal, 0x hex or 0 octal, starting with a digit, non-zero */
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(args[0], &end, 0);
    if (errno == ERANGE || args[0][0] < '0' || args[0][0] > '9' || *end != '\0' || v == 0)
        die("--size takes a non-zero number of bytes");
    if (v > SIZE_MAX >> 1)
        die("--size (for tmpfs) is limited to %zu", SIZE_MAX >> 1);
    plan->next_size = v;
    plan->pending_size = true;
}

static void h_level_prefix(struct plan *plan, const struct optdef *def, char **args)
{
    (void)plan, (void)def, (void)args;
    log_level_prefix = true;
}

static void h_fd(struct plan *plan, const struct optdef *def, char **args)
{
    *(int *)((char *)plan + def->value) = parse_fd_arg(args[0]);
}

/* Appends item to a growable array; item is evaluated first, as it may not return (a parse error). The
 * capacity is n rounded up to a power of two, so the array doubles when n reaches one: a realloc by one
 * element each time would copy the whole array whenever the allocator cannot grow it in place. */
#define PUSH(array, n, item)                                                      \
    do {                                                                          \
        __typeof__(item) item_ = (item);                                          \
        if (((n) & ((n)-1)) == 0)                                                 \
            (array) = xreallocarray((array), (n) ? 2 * (n) : 1, sizeof *(array)); \
        (array)[(n)++] = item_;                                                   \
    } while (0)

static void h_lock_file(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    PUSH(plan->lock_files, plan->n_lock_files, args[0]);
}

static void h_seccomp(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    if (plan->n_seccomp)
        die("--seccomp cannot be combined with --add-seccomp-fd");
    plan->seccomp_fd = parse_fd_arg(args[0]);
}

static void h_add_seccomp(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    if (plan->seccomp_fd >= 0)
        die("--add-seccomp-fd cannot be combined with --seccomp");
    PUSH(plan->seccomp, plan->n_seccomp, seccomp_read(parse_fd_arg(args[0])));
}

static void h_cap(struct plan *plan, const struct optdef *def, char **args)
{
    struct cap_op op = {.add = def->value != 0, .cap = -1};
    if (strcasecmp(args[0], "ALL") != 0 && (op.cap = caps_from_name(args[0])) < 0)
        die("unknown cap: %s", args[0]);
    PUSH(plan->caps, plan->n_caps, op);
}

static void h_label(struct plan *plan, const struct optdef *def, char **args)
{
    int why = label_check(args[0]);
    if (why == LABEL_UNSUPPORTED)
        die("labeling not supported on this system");
    if (why == LABEL_INVALID)
        die_errno("invalid label %s", args[0]);
    h_string(plan, def, args);
}

static void h_bind_fd(struct plan *plan, const struct optdef *def, char **args)
{
    int fd = parse_fd_arg(args[0]);
    struct op *op = add_op(plan, OP_BIND);
    op->flags |= OPF_FD | (unsigned)def->value;
    op->fd = fd;
    op->dest = args[1];
}

static void h_overlay_src(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    PUSH(plan->pending_layers, plan->n_pending_layers, args[0]);
}

static void h_overlay(struct plan *plan, const struct optdef *def, char **args)
{
    size_t need = (def->value & OPF_RO) ? 2 : 1;
    if (plan->n_pending_layers < need)
        die("%s requires at least %s --overlay-src", def->name, need == 2 ? "two" : "one");
    struct op *op = add_op(plan, OP_OVERLAY);
    op->flags |= (unsigned)def->value;
    op->layers = steal_ptr(&plan->pending_layers);
    op->n_layers = plan->n_pending_layers;
    plan->n_pending_layers = 0;
    if (def->nargs == 3) {
        op->src = args[0];
        op->src2 = args[1];
    }
    op->dest = args[def->nargs - 1];
}

/* "512M", "2G", "1048576": powers of 1024 as systemd's sizes; bounded so that no multiplication overflows. */
static int parse_size(const char *s, unsigned long long *out)
{
    static const char units[] = "KMGT";
    char *end = NULL;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -1;
    const char *u = *end ? strchr(units, *end) : NULL;
    if (*end && (!u || end[1] != '\0'))
        return -1;
    for (int shift = u ? (int)(u - units + 1) * 10 : 0; shift > 0; shift -= 10) {
        if (v > (UINT64_MAX >> 10))
            return -1;
        v <<= 10;
    }
    *out = v;
    return 0;
}

struct limit_kind {
    unsigned bit;
    size_t field;
    unsigned long long min, max;
    bool size, percent;
};

static const struct limit_kind limit_kinds[] = {
    {LIM_MEMORY_MAX, offsetof(struct limits, memory_max), 1, UINT64_MAX - 1, true, false},
    {LIM_MEMORY_HIGH, offsetof(struct limits, memory_high), 1, UINT64_MAX - 1, true, false},
    {LIM_MEMORY_SWAP_MAX, offsetof(struct limits, memory_swap_max), 0, UINT64_MAX - 1, true, false},
    /* systemd takes CPUQuota up to what fits in its usec-per-second property */
    {LIM_CPU_QUOTA, offsetof(struct limits, cpu_quota), 1, 100000000ull, false, true},
    {LIM_CPU_WEIGHT, offsetof(struct limits, cpu_weight), 1, 10000, false, false},
    {LIM_TASKS_MAX, offsetof(struct limits, tasks_max), 1, 1ull << 62, false, false},
    {LIM_IO_WEIGHT, offsetof(struct limits, io_weight), 1, 10000, false, false},
};

static void h_limit(struct plan *plan, const struct optdef *def, char **args)
{
    const struct limit_kind *k = limit_kinds;
    while (k->bit != def->value)
        k++;
    unsigned long long v;
    char buf[32];
    const char *s = args[0];
    size_t len = strlen(s);
    if (k->percent) { /* "50%"; the sign is required, as in systemd's CPUQuota= */
        if (len < 2 || len >= sizeof buf || s[len - 1] != '%')
            die("%s: invalid value '%s': expected a percentage such as 50%%", def->name, s);
        memcpy(buf, s, len - 1);
        buf[len - 1] = '\0';
        s = buf;
    }
    int r = k->size ? parse_size(s, &v) : parse_ulong(s, UINT64_MAX, &v);
    if (r < 0 || v < k->min || v > k->max)
        die("%s: invalid value '%s': expected %s from %llu to %llu", def->name, args[0],
            k->size ? "a size in bytes (K, M, G, T suffixes)" : "a whole number", k->min, k->max);
    *(unsigned long long *)((char *)&plan->limits + k->field) = v;
    plan->limits.set |= k->bit;
}

static void h_slice(struct plan *plan, const struct optdef *def, char **args)
{
    size_t len = strlen(args[0]);
    /* a unit name: [a-zA-Z0-9:_.\-]+ ending in .slice, within systemd's 255 bytes */
    bool ok = len > 6 && len <= 255 && strcmp(args[0] + len - 6, ".slice") == 0 &&
              strspn(args[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.-\\") == len;
    if (!ok)
        die("%s: invalid slice name '%s': expected a systemd slice unit name ending in .slice", def->name,
            args[0]);
    plan->limits.slice = args[0];
}

/* ---- the parser ---- */

static const char *const arg_words[] = {"no", "one", "two", "three"};

static NORETURN void die_missing_values(const struct optdef *def)
{
    if (def->missing)
        die("%s", def->missing);
    if (def->nargs == 1 && !(def->flags & SAY_ONE))
        die("%s takes an argument", def->name);
    die("%s takes %s argument%s", def->name, arg_words[def->nargs], def->nargs > 1 ? "s" : "");
}

static bool seen[N_OPTDEFS];

static void note_repeat(const struct optdef *def)
{
    size_t i = (size_t)(def - optdefs);
    if (seen[i] && (def->flags & ONCE))
        die("%s used multiple times", def->name);
    if (seen[i] && (def->flags & WARN_REPEAT))
        warn("Only the last %s option will take effect", def->name);
    seen[i] = true;
}

static void parse_list(struct plan *plan, int argc, char **argv, bool top);

static void check_modifiers(const struct plan *plan, const struct optdef *def)
{
    if (def->flags & MODIFIER)
        return;
    if (plan->pending_perms && !(def->flags & TAKES_PERMS))
        die("--perms must be followed by an option that creates a file");
    if (plan->pending_size && !(def->flags & TAKES_SIZE))
        die("--size must be followed by --tmpfs");
}

static void check_layers(const struct plan *plan, const struct optdef *def)
{
    if (plan->n_pending_layers && !(def->flags & OVERLAY_SRC) && def->handle != h_overlay)
        die("%s", lookup("--overlay-src")->missing);
}

static void h_args(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    int fd = parse_fd_arg(args[0]);
    if (plan->args_depth >= 1)
        die("--args not supported in arguments file");
    size_t len = 0;
    char *data = read_all(fd, 64u << 20, &len);
    if (!data)
        die_errno("Can't read --args data");
    consume_fd(fd);
    /* owned by the plan from now on, which will point into it (and frees it even after an error below) */
    PUSH(plan->args_data, plan->n_args_data, data);
    /* split on NUL; a final piece without its NUL still counts as an argument */
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += data[i] == '\0';
    if (len > 0 && data[len - 1] != '\0')
        n++;
    if (n > MAX_ARGS || plan->n_args + n > MAX_ARGS)
        die("Exceeded maximum number of arguments %u", MAX_ARGS);
    char **v = xcalloc(n + 1, sizeof *v);
    PUSH(plan->args_data, plan->n_args_data, (char *)v);
    for (size_t i = 0, k = 0; k < n; k++) {
        v[k] = data + i;
        i += strlen(data + i) + 1;
    }
    plan->args_depth++;
    parse_list(plan, (int)n, v, false);
    plan->args_depth--;
}

static void parse_list(struct plan *plan, int argc, char **argv, bool top)
{
    int i = 0;
    plan->n_args += (size_t)argc;
    if (plan->n_args > MAX_ARGS)
        die("Exceeded maximum number of arguments %u", MAX_ARGS);
    while (i < argc) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        const struct optdef *def = lookup(arg);
        if (!def) {
            if (arg[0] == '-')
                die("Unknown option %s", arg);
            break;
        }
        if (argc - i - 1 < def->nargs)
            die_missing_values(def);
        note_repeat(def);
        check_modifiers(plan, def);
        def->handle(plan, def, argv + i + 1);
        check_layers(plan, def);
        if (def->handle == h_args) /* a modifier left waiting at the end of the data: bwrap's check */
            check_modifiers(plan, def);
        i += 1 + def->nargs;
    }
    /* As with bwrap, the command always comes from the command line: in --args data, "--" or the first
     * non-option ends that data, and the rest of it is ignored. */
    if (i < argc && top)
        plan->argv = argv + i;
}

void plan_init(struct plan *plan)
{
    *plan = (struct plan){0};
    plan->info_fd = plan->json_status_fd = plan->sync_fd = plan->block_fd = plan->userns_block_fd = -1;
    plan->userns_fd = plan->userns2_fd = plan->pidns_fd = plan->seccomp_fd = -1;
}

bool plan_has_op(const struct plan *plan, enum op_type type)
{
    for (size_t i = 0; i < plan->n_ops; i++)
        if (plan->ops[i].type == type)
            return true;
    return false;
}

void plan_free(struct plan *plan)
{
    for (size_t i = 0; i < plan->n_ops; i++)
        free(plan->ops[i].layers);
    for (size_t i = 0; i < plan->n_seccomp; i++)
        free(plan->seccomp[i].insns);
    for (size_t i = 0; i < plan->n_args_data; i++)
        free(plan->args_data[i]);
    free(plan->ops);
    free(plan->env);
    free(plan->seccomp);
    free(plan->lock_files);
    free(plan->caps);
    free(plan->pending_layers);
    free(plan->args_data);
    plan_init(plan);
}

void options_parse(struct plan *plan, int argc, char **argv)
{
    memset(seen, 0, sizeof seen);
    parse_list(plan, argc, argv, true);
    if (plan->n_pending_layers)
        die("%s", lookup("--overlay-src")->missing);
}

/* ---- cross-option rules ---- */

/* The checks run in bwrap's order, so that a command line with several faults gets bwrap's message. */
void options_validate(struct plan *plan, const struct host_ids *ids)
{
    /* These look at --unshare-user as given, before it is implied (bwrap's order). */
    bool asked_user = plan->unshare & CLONE_NEWUSER;
    if (plan->userns_block_fd >= 0 && !asked_user)
        die("--userns-block-fd requires --unshare-user");
    if (plan->userns_block_fd >= 0 && plan->info_fd < 0)
        die("--userns-block-fd requires --info-fd");
    if (plan->userns_fd >= 0 && asked_user)
        die("--userns not compatible --unshare-user");
    if (plan->userns_fd >= 0 && (plan->unshare_try & CLONE_NEWUSER))
        die("--userns not compatible --unshare-user-try");
    if (plan->disable_userns && !asked_user)
        die("--disable-userns requires --unshare-user");
    if (plan->disable_userns && plan->userns_block_fd >= 0)
        die("--disable-userns is not compatible with  --userns-block-fd");
    /* Without privileges nothing else works, so a user namespace is implied (as bwrap does when not setuid).
     */
    if (ids->uid != 0 && plan->userns_fd < 0)
        plan->unshare |= CLONE_NEWUSER;
    if (!plan->argv || !plan->argv[0]) {
        options_print_usage(stderr);
        sbx_exit(1);
    }
    bool userns = ((plan->unshare | plan->unshare_try) & CLONE_NEWUSER) || plan->userns_fd >= 0;
    if (plan->uid_set && plan->uid != ids->uid && !userns)
        die("Specifying --uid requires --unshare-user or --userns");
    if (plan->gid_set && plan->gid != ids->gid && !userns)
        die("Specifying --gid requires --unshare-user or --userns");
    if (plan->hostname && !(plan->unshare & CLONE_NEWUTS))
        die("Specifying --hostname requires --unshare-uts");
    if (plan->as_pid_1 && !(plan->unshare & CLONE_NEWPID))
        die("Specifying --as-pid-1 requires --unshare-pid");
    if (plan->as_pid_1 && plan->n_lock_files)
        die("Specifying --as-pid-1 and --lock-file is not permitted");
}

/* ---- --help: the same table, grouped ---- */

static const char *const group_titles[N_GROUPS] = {
    [G_GENERAL] = "General",
    [G_NAMESPACES] = "Namespaces",
    [G_PROCESS] = "Process",
    [G_FILESYSTEM] = "Filesystem",
    [G_SECURITY] = "Security",
    [G_LIMITS] = "Resource limits (a transient scope of the user's systemd)",
    [G_SUPERVISION] = "Status and synchronisation",
};

const struct option_doc *options_doc(size_t i, struct option_doc *buf)
{
    static const struct optdef *order[N_OPTDEFS];
    if (!order[0]) {
        size_t k = 0;
        for (int g = 0; g < N_GROUPS; g++)
            for (size_t j = 0; j < N_OPTDEFS; j++)
                if ((int)optdefs[j].group == g)
                    order[k++] = &optdefs[j];
    }
    if (i >= N_OPTDEFS)
        return NULL;
    const struct optdef *d = order[i];
    *buf = (struct option_doc){d->name, d->metavar, d->help, group_titles[d->group], d->nargs};
    return buf;
}

void options_print_usage(FILE *out)
{
    fprintf(out, "usage: %s [OPTIONS...] [--] COMMAND [ARGS...]\n", program_name);
    const char *group = NULL;
    struct option_doc doc;
    for (size_t i = 0; options_doc(i, &doc); i++) {
        if (doc.group != group)
            fprintf(out, "\n%s:\n", group = doc.group);
        char head[64];
        snprintf(head, sizeof head, "%s%s%s", doc.name, doc.metavar[0] ? " " : "", doc.metavar);
        fprintf(out, "    %-28s %s\n", head, doc.help);
    }
}
