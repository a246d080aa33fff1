/* options.c: the option table, parsing argv (and --args) into a plan, and the plan's cross-option rules.
 * Only this file knows option spellings. */
#include "options.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils.h"

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
    N_GROUPS
};

enum {
    TAKES_PERMS = 1u << 0, /* --perms may precede it */
    TAKES_SIZE = 1u << 1,  /* --size may precede it */
    MODIFIER = 1u << 2,    /* it is --perms or --size itself */
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
};

static handler_fn h_help, h_version, h_args, h_unshare, h_unshare_all, h_share_net, h_uid, h_gid, h_string,
    h_bool, h_clearenv, h_setenv, h_unsetenv, h_bind, h_dest, h_fd_dest, h_symlink, h_chmod, h_perms, h_size;

/* The low byte of clone flags is the exit signal, never a namespace: bit 0 marks the "-try" variants. */
#define TRY_BIT          1ul
#define FIELD(f)         offsetof(struct plan, f)
#define OPV(type, flags) ((unsigned long)(type) | ((unsigned long)(flags) << 8))

/* The options, in the order --help shows them. */
static const struct optdef optdefs[] = {
    { "--help", 0, G_GENERAL, 0, h_help, 0, "", "Print this help" },
    { "--version", 0, G_GENERAL, 0, h_version, 0, "", "Print version" },
    { "--args", 1, G_GENERAL, 0, h_args, 0, "FD", "Parse NUL-separated args from FD" },

    { "--unshare-all", 0, G_NAMESPACES, 0, h_unshare_all, 0, "",
      "Unshare every namespace we support by default" },
    { "--share-net", 0, G_NAMESPACES, 0, h_share_net, 0, "",
      "Retain the network namespace (can only combine with --unshare-all)" },
    { "--unshare-user", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWUSER, "",
      "Create new user namespace (may be automatically implied if not setuid)" },
    { "--unshare-user-try", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWUSER | TRY_BIT, "",
      "Create new user namespace if possible else continue by skipping it" },
    { "--unshare-ipc", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWIPC, "", "Create new ipc namespace" },
    { "--unshare-pid", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWPID, "", "Create new pid namespace" },
    { "--unshare-net", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWNET, "", "Create new network namespace" },
    { "--unshare-uts", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWUTS, "", "Create new uts namespace" },
    { "--unshare-cgroup", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWCGROUP, "", "Create new cgroup namespace" },
    { "--unshare-cgroup-try", 0, G_NAMESPACES, 0, h_unshare, CLONE_NEWCGROUP | TRY_BIT, "",
      "Create new cgroup namespace if possible else continue by skipping it" },
    { "--uid", 1, G_NAMESPACES, 0, h_uid, 0, "UID", "Custom uid in the sandbox (requires --unshare-user)" },
    { "--gid", 1, G_NAMESPACES, 0, h_gid, 0, "GID", "Custom gid in the sandbox (requires --unshare-user)" },
    { "--hostname", 1, G_NAMESPACES, 0, h_string, FIELD(hostname), "NAME",
      "Custom hostname in the sandbox (requires --unshare-uts)" },

    { "--chdir", 1, G_PROCESS, 0, h_string, FIELD(chdir), "DIR", "Change directory to DIR" },
    { "--clearenv", 0, G_PROCESS, 0, h_clearenv, 0, "", "Unset all environment variables" },
    { "--setenv", 2, G_PROCESS, 0, h_setenv, 0, "VAR VALUE", "Set an environment variable" },
    { "--unsetenv", 1, G_PROCESS, 0, h_unsetenv, 0, "VAR", "Unset an environment variable" },
    { "--argv0", 1, G_PROCESS, 0, h_string, FIELD(argv0), "VALUE",
      "Set argv[0] to the value VALUE before running the program" },
    { "--die-with-parent", 0, G_PROCESS, 0, h_bool, FIELD(die_with_parent), "",
      "Kills with SIGKILL child process (COMMAND) when sandbox or sandbox's parent dies." },
    { "--new-session", 0, G_PROCESS, 0, h_bool, FIELD(new_session), "", "Create a new terminal session" },
    { "--as-pid-1", 0, G_PROCESS, 0, h_bool, FIELD(as_pid_1), "",
      "Do not install a reaper process with PID=1" },

    { "--bind", 2, G_FILESYSTEM, 0, h_bind, 0, "SRC DEST", "Bind mount the host path SRC on DEST" },
    { "--bind-try", 2, G_FILESYSTEM, 0, h_bind, OPF_TRY, "SRC DEST",
      "Equal to --bind but ignores non-existent SRC" },
    { "--dev-bind", 2, G_FILESYSTEM, 0, h_bind, OPF_DEV, "SRC DEST",
      "Bind mount the host path SRC on DEST, allowing device access" },
    { "--dev-bind-try", 2, G_FILESYSTEM, 0, h_bind, OPF_DEV | OPF_TRY, "SRC DEST",
      "Equal to --dev-bind but ignores non-existent SRC" },
    { "--ro-bind", 2, G_FILESYSTEM, 0, h_bind, OPF_RO, "SRC DEST",
      "Bind mount the host path SRC readonly on DEST" },
    { "--ro-bind-try", 2, G_FILESYSTEM, 0, h_bind, OPF_RO | OPF_TRY, "SRC DEST",
      "Equal to --ro-bind but ignores non-existent SRC" },
    { "--remount-ro", 1, G_FILESYSTEM, 0, h_dest, OP_REMOUNT_RO, "DEST",
      "Remount DEST as readonly; does not recursively remount" },
    { "--proc", 1, G_FILESYSTEM, 0, h_dest, OP_PROC, "DEST", "Mount new procfs on DEST" },
    { "--dev", 1, G_FILESYSTEM, 0, h_dest, OP_DEV, "DEST", "Mount new dev on DEST" },
    { "--tmpfs", 1, G_FILESYSTEM, TAKES_PERMS | TAKES_SIZE, h_dest, OP_TMPFS, "DEST",
      "Mount new tmpfs on DEST" },
    { "--mqueue", 1, G_FILESYSTEM, 0, h_dest, OP_MQUEUE, "DEST", "Mount new mqueue on DEST" },
    { "--dir", 1, G_FILESYSTEM, TAKES_PERMS, h_dest, OP_DIR, "DEST", "Create dir at DEST" },
    { "--file", 2, G_FILESYSTEM, TAKES_PERMS, h_fd_dest, OPV(OP_FILE, 0), "FD DEST",
      "Copy from FD to destination DEST" },
    { "--bind-data", 2, G_FILESYSTEM, TAKES_PERMS, h_fd_dest, OPV(OP_BIND_DATA, 0), "FD DEST",
      "Copy from FD to file which is bind-mounted on DEST" },
    { "--ro-bind-data", 2, G_FILESYSTEM, TAKES_PERMS, h_fd_dest, OPV(OP_BIND_DATA, OPF_RO), "FD DEST",
      "Copy from FD to file which is readonly bind-mounted on DEST" },
    { "--symlink", 2, G_FILESYSTEM, 0, h_symlink, 0, "SRC DEST", "Create symlink at DEST with target SRC" },
    { "--chmod", 2, G_FILESYSTEM, 0, h_chmod, 0, "OCTAL PATH",
      "Change permissions of PATH (must already exist)" },
    { "--perms", 1, G_FILESYSTEM, MODIFIER, h_perms, 0, "OCTAL",
      "Set permissions of next argument (--bind-data, --file, etc.)" },
    { "--size", 1, G_FILESYSTEM, MODIFIER, h_size, 0, "BYTES",
      "Set size of next argument (only for --tmpfs)" },
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
        qsort(sorted, N_OPTDEFS, sizeof sorted[0], cmp_def);
    }
    const struct optdef *const *d = bsearch(name, sorted, N_OPTDEFS, sizeof sorted[0], cmp_key);
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
    *op = (struct op){ .type = type, .fd = -1 };
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
    plan->env[plan->n_env++] = (struct env_op){ name, value };
}

/* ---- handlers: one per kind of option ---- */

static void h_help(struct plan *plan, const struct optdef *def, char **args)
{
    (void)plan, (void)def, (void)args;
    options_print_help();
    exit(0);
}

static void h_version(struct plan *plan, const struct optdef *def, char **args)
{
    (void)plan, (void)def, (void)args;
    printf("sandbox %s\n", PACKAGE_VERSION);
    exit(0);
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

static unsigned long long parse_id(const char *what, const char *s)
{
    unsigned long long v;
    /* (uid_t)-1 means "no change" to the kernel and cannot be mapped */
    if (parse_ulong(s, (uid_t)-2, &v) < 0)
        die("Invalid %s: %s", what, s);
    return v;
}

static void h_uid(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    plan->uid = (uid_t)parse_id("uid", args[0]);
    plan->uid_set = true;
}

static void h_gid(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    plan->gid = (gid_t)parse_id("gid", args[0]);
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
        die("setenv failed: Invalid argument");
    add_env(plan, args[0], args[1]);
}

static void h_unsetenv(struct plan *plan, const struct optdef *def, char **args)
{
    (void)def;
    if (args[0][0] == '\0' || strchr(args[0], '='))
        die("unsetenv failed: Invalid argument");
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
    int fd;
    if (parse_fd(s, &fd) < 0)
        die("Invalid fd: %s", s);
    return fd;
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
        die("%s takes an octal argument", opt);
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
    unsigned long long v;
    if (plan->pending_size)
        die("--size given twice for the same action");
    /* tmpfs rejects sizes it cannot represent in pages; keep well inside */
    if (parse_ulong(args[0], (1ull << 62), &v) < 0 || v == 0)
        die("Invalid size: %s", args[0]);
    plan->next_size = v;
    plan->pending_size = true;
}

/* ---- the parser ---- */

static const char *const arg_words[] = { "no", "one", "two", "three" };

static void parse_list(struct plan *plan, int argc, char **argv, bool top);

static void check_modifiers(const struct plan *plan, const struct optdef *def)
{
    if (def->flags & MODIFIER)
        return;
    if (plan->pending_perms && !(def->flags & TAKES_PERMS))
        die("--perms must be followed by an operation that creates a file");
    if (plan->pending_size && !(def->flags & TAKES_SIZE))
        die("--size must be followed by --tmpfs");
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
    /* split on NUL; a final piece without its NUL still counts as an argument */
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += data[i] == '\0';
    if (len > 0 && data[len - 1] != '\0')
        n++;
    if (n > MAX_ARGS || plan->n_args + n > MAX_ARGS)
        die("Exceeded maximum number of arguments %u", MAX_ARGS);
    char **v = xcalloc(n + 1, sizeof *v);
    for (size_t i = 0, k = 0; k < n; k++) {
        v[k] = data + i;
        i += strlen(data + i) + 1;
    }
    plan->args_depth++;
    parse_list(plan, (int)n, v, false);
    plan->args_depth--;
    /* data and v stay alive: the plan points into them */
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
            die("%s takes %s argument%s", def->name, arg_words[def->nargs], def->nargs > 1 ? "s" : "");
        check_modifiers(plan, def);
        def->handle(plan, def, argv + i + 1);
        i += 1 + def->nargs;
    }
    if (i < argc) {
        if (!top)
            die("--args data may not contain a command");
        plan->argv = argv + i;
    }
}

void options_parse(struct plan *plan, int argc, char **argv)
{
    parse_list(plan, argc, argv, true);
}

/* ---- cross-option rules ---- */

void options_validate(struct plan *plan, bool is_root)
{
    if (plan->pending_perms)
        die("--perms must be followed by an operation that creates a file");
    if (plan->pending_size)
        die("--size must be followed by --tmpfs");
    /* Without privileges nothing else works, so a user namespace is implied (as bwrap does when not setuid).
     */
    if (!is_root)
        plan->unshare |= CLONE_NEWUSER;
    if ((plan->uid_set || plan->gid_set) && !((plan->unshare | plan->unshare_try) & CLONE_NEWUSER))
        die("Specifying --%s requires --unshare-user", plan->uid_set ? "uid" : "gid");
    if (plan->hostname && !(plan->unshare & CLONE_NEWUTS))
        die("Specifying --hostname requires --unshare-uts");
    if (plan->as_pid_1 && !(plan->unshare & CLONE_NEWPID))
        die("Specifying --as-pid-1 requires --unshare-pid");
    if (!plan->argv || !plan->argv[0])
        die("No command specified (see --help)");
}

/* ---- --help: the same table, grouped ---- */

static const char *const group_titles[N_GROUPS] = {
    [G_GENERAL] = "General",
    [G_NAMESPACES] = "Namespaces",
    [G_PROCESS] = "Process",
    [G_FILESYSTEM] = "Filesystem",
};

void options_print_help(void)
{
    printf("usage: sandbox [OPTIONS...] [--] COMMAND [ARGS...]\n");
    for (int g = 0; g < N_GROUPS; g++) {
        printf("\n%s:\n", group_titles[g]);
        for (size_t i = 0; i < N_OPTDEFS; i++) {
            const struct optdef *d = &optdefs[i];
            if ((int)d->group != g)
                continue;
            char head[64];
            snprintf(head, sizeof head, "%s%s%s", d->name, d->metavar[0] ? " " : "", d->metavar);
            printf("    %-28s %s\n", head, d->help);
        }
    }
}
