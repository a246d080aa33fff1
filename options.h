/* options.h: the plan (what one run will do, as plain data) and the parser that fills it from argv. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Filesystem operations, executed in command-line order inside the new root. */
enum op_type {
    OP_BIND,       /* src -> dest, flags OPF_RO / OPF_DEV / OPF_TRY */
    OP_REMOUNT_RO, /* dest */
    OP_PROC,       /* dest */
    OP_DEV,        /* dest */
    OP_TMPFS,      /* dest, perms, size */
    OP_MQUEUE,     /* dest */
    OP_DIR,        /* dest, perms */
    OP_FILE,       /* fd -> dest, perms */
    OP_BIND_DATA,  /* fd -> dest, perms, OPF_RO */
    OP_SYMLINK,    /* src is the link's target, dest the link */
    OP_CHMOD,      /* dest, perms */
    OP_OVERLAY,    /* overlay of srcs (the first given is the lowest) on dest; src: upper dir, src2: work dir;
                    * no upper: OPF_TMP gives a tmpfs one, else read-only */
};

enum {
    OPF_RO = 1u << 0,
    OPF_DEV = 1u << 1,
    OPF_TRY = 1u << 2,
    OPF_PERMS = 1u << 3, /* perms was given with --perms (or by --chmod) */
    OPF_FD = 1u << 4,    /* OP_BIND: the source is the fd, not a path */
    OPF_TMP = 1u << 5,   /* OP_OVERLAY: a private tmpfs upper layer */
};

struct op {
    enum op_type type;
    unsigned flags;
    const char *src, *src2;
    const char *dest;
    int fd;
    mode_t perms;
    unsigned long long size; /* 0: none given */
    const char **layers;     /* OP_OVERLAY: the lower layers, bottom first */
    size_t n_layers;
};

/* --cap-add / --cap-drop, in order; cap < 0 means ALL */
struct cap_op {
    bool add;
    int cap;
};

/* a seccomp program read at parse time (--add-seccomp-fd) */
struct bpf_prog {
    void *insns;
    size_t len; /* in bytes, a multiple of 8 */
};

/* Environment edits, applied in order to the caller's environment (or an empty one after --clearenv). */
struct env_op {
    const char *name;
    const char *value; /* NULL: unset */
};

/* Resource limits, enforced by a transient systemd scope (scope.c); a field is used when its bit is in set.
 */
enum {
    LIM_MEMORY_MAX = 1u << 0,
    LIM_MEMORY_HIGH = 1u << 1,
    LIM_MEMORY_SWAP_MAX = 1u << 2,
    LIM_CPU_QUOTA = 1u << 3,
    LIM_CPU_WEIGHT = 1u << 4,
    LIM_TASKS_MAX = 1u << 5,
    LIM_IO_WEIGHT = 1u << 6,
};

struct limits {
    unsigned set;                       /* LIM_* bits: which limits were asked for; 0 means no D-Bus at all */
    unsigned long long memory_max;      /* bytes */
    unsigned long long memory_high;     /* bytes */
    unsigned long long memory_swap_max; /* bytes */
    unsigned long long cpu_quota;       /* percent of one CPU: 50 is half a CPU, 200 two CPUs */
    unsigned long long cpu_weight;      /* 1..10000 */
    unsigned long long tasks_max;       /* 1..(2^63) */
    unsigned long long io_weight;       /* 1..10000 */
    const char *slice;                  /* default "sandbox.slice" */
};

struct plan {
    struct op *ops;
    size_t n_ops, cap_ops;
    struct env_op *env;
    size_t n_env, cap_env;
    bool clearenv; /* the edits start from an empty environment */

    /* namespaces: CLONE_* flags required, and those asked with "-try", dropped where the kernel lacks them */
    unsigned long unshare, unshare_try;

    bool uid_set, gid_set;
    uid_t uid;
    gid_t gid;
    const char *hostname;
    const char *chdir;
    const char *argv0;
    bool die_with_parent, new_session, as_pid_1;

    /* fds given by the caller; -1 when not given */
    int info_fd, json_status_fd, sync_fd, block_fd, userns_block_fd, userns_fd, userns2_fd, pidns_fd;
    int seccomp_fd;           /* --seccomp: read in the child, just before exec */
    struct bpf_prog *seccomp; /* --add-seccomp-fd, in order */
    size_t n_seccomp;
    const char **lock_files;
    size_t n_lock_files;
    struct cap_op *caps;
    size_t n_caps;
    bool disable_userns, assert_userns_disabled;
    bool allow_tiocsti; /* no built-in terminal-injection filter */
    const char *exec_label, *file_label;
    struct limits limits;

    char **argv; /* the command and its arguments, NULL-terminated */

    /* parse state: modifiers waiting for the op they apply to */
    bool pending_perms, pending_size;
    mode_t next_perms;
    unsigned long long next_size;
    const char **pending_layers; /* --overlay-src given, waiting for their overlay */
    size_t n_pending_layers;
    char **args_data; /* what --args read, owned by the plan */
    size_t n_args_data;
    size_t n_args;       /* arguments seen so far, from argv and --args together */
    unsigned args_depth; /* --args nesting */
};

/* Arguments at most, counting those read with --args; keeps memory bounded (see README). */
#define MAX_ARGS 200000
/* A seccomp program holds at most BPF_MAXINSNS (4096) instructions of 8 bytes. */
#define MAX_BPF_BYTES ((size_t)4096 * 8)

struct host_ids {
    uid_t uid;
    gid_t gid;
};

extern const char *program_name; /* for the usage line: argv[0] as invoked */

void plan_init(struct plan *plan);
void plan_free(struct plan *plan);
/* Whether some op of the plan is of that type. */
bool plan_has_op(const struct plan *plan, enum op_type type);
void options_parse(struct plan *plan, int argc, char **argv);
/* Cross-option rules, checked once over the whole plan, given the caller's real ids. */
void options_validate(struct plan *plan, const struct host_ids *ids);
void options_print_usage(FILE *out);

/* The option table as documentation: for the man page and shell completions generated from it. */
struct option_doc {
    const char *name;    /* "--bind" */
    const char *metavar; /* "SRC DEST", or "" */
    const char *help;
    const char *group; /* the title it is listed under in --help */
    int nargs;
};
/* The i-th option in --help order, or NULL past the last. */
const struct option_doc *options_doc(size_t i, struct option_doc *buf);
