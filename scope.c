/* scope.c: resource limits through a transient scope of the user's own systemd manager.
 *
 * scope_enter() has the sandbox-scope helper (scope-bus.c) ask the user manager, over sd-bus on the session
 * bus, for a new transient scope "sandbox-<pid>-<random>.scope" holding this process, with the limits as unit
 * properties, and wait for the start job's JobRemoved signal. systemd accepting a property does not mean the
 * kernel enforces it (on cgroup v1, or without delegated controllers, it silently writes nothing), so we then
 * read the kernel's own files of the cgroup we are now in and fail closed unless every asked-for limit is
 * there.
 *
 * Nothing is left behind on failure: the scope's only process is this one, and a scope whose processes are
 * all gone stops and (CollectMode=inactive-or-failed) is unloaded by the manager. */
#include "scope.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "utils.h"

#ifdef HAVE_SYSTEMD

#define MAX_FILE      65536       /* a cgroup file, /proc/self/cgroup */
#define MAX_MOUNTINFO (16u << 20) /* /proc/self/mountinfo can be long */

static const char *const limit_option[] = {
    [0] = "--memory-max", [1] = "--memory-high", [2] = "--memory-swap-max", [3] = "--cpu-quota",
    [4] = "--cpu-weight", [5] = "--tasks-max",   [6] = "--io-weight",
};

/* What scope_oom_killed() needs: the memory cgroup's counter file, and its value when we entered. */
static struct {
    char unit[80];
    char *oom_file;      /* NULL: no memory limit asked, or no counter */
    const char *oom_key; /* the "key value" line of oom_file */
    unsigned long long oom_base;
} scope;

static unsigned bit_index(unsigned bit)
{
    return (unsigned)__builtin_ctz(bit);
}

/* ----------------------------------------------------------------------------------------------------------
 * The D-Bus part: the sandbox-scope helper (scope-bus.c), linked with libsystemd, which a static program
 * cannot load itself
 * ----------------------------------------------------------------------------------------------------------
 */

/* The helper beside our own executable (a build tree, or a relocated install), else where it is installed. */
static void helper_path(char *path, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            snprintf(path, size, "%.*s/sandbox-scope", (int)(slash - self), self);
            if (access(path, X_OK) == 0)
                return;
        }
    }
    snprintf(path, size, "%s/sandbox-scope", SBX_PKGLIBEXECDIR);
}

static void helper_argv(const struct limits *l, const char *slice, char args[][24], const char **argv)
{
    const unsigned long long v[] = {(unsigned long long)getpid(),
                                    l->set,
                                    l->memory_max,
                                    l->memory_high,
                                    l->memory_swap_max,
                                    l->cpu_quota,
                                    l->cpu_weight,
                                    l->tasks_max,
                                    l->io_weight};
    size_t n = 0;
    argv[n++] = "sandbox-scope";
    if (log_level_prefix)
        argv[n++] = "--level-prefix";
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        snprintf(args[i], 24, "%llu", v[i]);
        argv[n++] = args[i];
        if (i == 0)
            argv[n++] = slice;
    }
    argv[n] = NULL;
}

/* Runs the helper, which moves us into the new scope; its name goes to scope.unit. The helper says why when
 * it fails, and so do we: one line either way. */
static void start_scope(const struct limits *l, const char *slice)
{
    char path[PATH_MAX], args[9][24];
    const char *argv[16];
    int out[2];
    helper_path(path, sizeof path);
    helper_argv(l, slice, args, argv);
    if (pipe2(out, O_CLOEXEC) < 0)
        die_errno("resource limits: pipe2");
    pid_t pid = fork();
    if (pid < 0)
        die_errno("resource limits: fork");
    if (pid == 0) {
        /* the caller's fds (--info-fd, --sync-fd, data) are not the helper's business */
        if (dup2(out[1], STDOUT_FILENO) < 0 || syscall(SYS_close_range, 3, ~0u, 0) < 0)
            _exit(1);
        execv(path, (char **)argv);
        die_errno("resource limits: cannot run %s", path);
    }
    close(out[1]);
    size_t len;
    cleanup_free char *name = read_all(out[0], sizeof scope.unit - 1, &len);
    close(out[0]);
    snprintf(scope.unit, sizeof scope.unit, "%.*s", name ? (int)strcspn(name, "\n") : 0, name ? name : "");
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die_errno("resource limits: waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        sbx_exit(1); /* the helper has said why */
    if (strncmp(scope.unit, "sandbox-", 8) != 0)
        die("resource limits: %s gave no scope name", path);
}

/* ----------------------------------------------------------------------------------------------------------
 * The kernel part: where our cgroups are, and what is in their files
 * ----------------------------------------------------------------------------------------------------------
 */

static char *read_text(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return NULL;
    size_t len;
    char *s = read_all(fd, max, &len);
    int saved = errno;
    close(fd);
    errno = saved;
    return s;
}

/* Whether the comma-separated list has the word. */
static bool list_has(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *e = strchrnul(p, ',');
        if ((size_t)(e - p) == n && strncmp(p, word, n) == 0)
            return true;
        p = *e ? e + 1 : e;
    }
    return false;
}

/* The path of this process in the hierarchy with the controller ctrl ("memory", "name=systemd"), or in the
 * unified hierarchy for ctrl NULL; NULL if none (a fresh copy). */
static char *self_cgroup(const char *ctrl)
{
    cleanup_free char *text = read_text("/proc/self/cgroup", MAX_FILE);
    if (!text)
        die_errno("resource limits: cannot read /proc/self/cgroup");
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        if (ctrl ? list_has(ctrls, ctrl) : (strncmp(line, "0:", 2) == 0 && *ctrls == '\0'))
            return xstrdup(path);
    }
    return NULL;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
            p[3] <= '7') {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else
            *o++ = *p;
    }
    *o = '\0';
}

/* The directory of cgroup path cg in the mounted hierarchy of ctrl (NULL: the unified one), or NULL. Prefers
 * /sys/fs/cgroup/... mounts; the path is relative to the root of the mount. */
static char *cgroup_dir(const char *ctrl, const char *cg)
{
    cleanup_free char *text = read_text("/proc/self/mountinfo", MAX_MOUNTINFO);
    char *best = NULL;
    if (!text)
        die_errno("resource limits: cannot read /proc/self/mountinfo");
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *f[11] = {0}, *save = NULL;
        int n = 0;
        for (char *t = strtok_r(line, " ", &save); t && n < 11; t = strtok_r(NULL, " ", &save)) {
            if (n >= 6 && strcmp(t, "-") == 0) { /* optional fields end: fstype, source, super options */
                f[6] = strtok_r(NULL, " ", &save);
                strtok_r(NULL, " ", &save);
                f[7] = strtok_r(NULL, " ", &save);
                n = 8;
                break;
            }
            if (n < 6)
                f[n] = t;
            n++;
        }
        if (n != 8 || !f[6] || !f[7])
            continue;
        if (ctrl ? (strcmp(f[6], "cgroup") != 0 || !list_has(f[7], ctrl)) : strcmp(f[6], "cgroup2") != 0)
            continue;
        char *root = f[3], *mp = f[4];
        unescape(root);
        unescape(mp);
        const char *rel = cg;
        if (strcmp(root, "/") != 0) {
            size_t rl = strlen(root);
            if (strncmp(cg, root, rl) != 0 || (cg[rl] != '/' && cg[rl] != '\0'))
                continue;
            rel = cg + rl;
        }
        bool preferred = strncmp(mp, "/sys/fs/cgroup", 14) == 0;
        if (best && !preferred)
            continue;
        free(best);
        best = xasprintf("%s%s%s", mp, *rel == '/' || *rel == '\0' ? "" : "/", strcmp(rel, "/") ? rel : "");
        if (preferred)
            break;
    }
    return best;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Where one controller's files for this process are: the directory, and whether it is cgroup v1. */
struct where {
    char *dir;
    bool v1;
};

/* Finds the controller's cgroup of this process, which must be the scope's: dies otherwise. */
static struct where locate(unsigned bit, const char *ctrl)
{
    const char *opt = limit_option[bit_index(bit)];
    struct where w = {NULL, false};
    cleanup_free char *cg = self_cgroup(ctrl);
    if (cg)
        w.v1 = true;
    else if (!(cg = self_cgroup(NULL)))
        die("%s: limit not enforced by the kernel (controller not delegated?): this process is in no %s "
            "cgroup hierarchy (/proc/self/cgroup)",
            opt, ctrl);
    if (strcmp(base_name(cg), scope.unit) != 0)
        die("%s: limit not enforced by the kernel (controller not delegated?): this process's %s cgroup is "
            "%s, "
            "not the scope %s: the user manager was not delegated the %s controller",
            opt, w.v1 ? ctrl : "unified", cg, scope.unit, ctrl);
    w.dir = cgroup_dir(w.v1 ? ctrl : NULL, cg);
    if (!w.dir)
        die("%s: limit not enforced by the kernel (controller not delegated?): the %s hierarchy holding %s "
            "is "
            "not mounted here",
            opt, w.v1 ? ctrl : "unified", cg);
    return w;
}

/* Reads dir/file; NULL with errno if it cannot. */
static char *read_attr(const struct where *w, const char *file)
{
    cleanup_free char *path = xasprintf("%s/%s", w->dir, file);
    char *s = read_text(path, MAX_FILE);
    if (s)
        s[strcspn(s, "\n")] = '\0'; /* the first line */
    return s;
}

/* A number, or "max" (as max_value); false if neither. */
static bool parse_value(const char *s, unsigned long long max_value, unsigned long long *out)
{
    if (strcmp(s, "max") == 0) {
        *out = max_value;
        return true;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || (*end && *end != '\n' && *end != ' '))
        return false;
    *out = v < 0 ? max_value : (unsigned long long)v; /* v1 writes -1 for no limit */
    return true;
}

NORETURN PRINTF(3, 4) static void die_unenforced(unsigned bit, const struct where *w, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    die("%s: limit not enforced by the kernel (controller not delegated?): %s (in %s)",
        limit_option[bit_index(bit)], detail, w->dir);
}

/* The file's value: it must exist and be a number or "max". */
static unsigned long long attr_value(unsigned bit, const struct where *w, const char *file,
                                     unsigned long long max_value)
{
    cleanup_free char *s = read_attr(w, file);
    unsigned long long v;
    if (!s)
        die_unenforced(bit, w, "cannot read %s: %s", file, errno_text(errno));
    if (!parse_value(s, max_value, &v))
        die_unenforced(bit, w, "%s holds '%s'", file, s);
    return v;
}

/* A byte limit is in force when the kernel's value is at most the one asked (the kernel rounds down to pages;
 * "max" and v1's biggest value mean no limit). */
static void check_bytes(unsigned bit, const struct where *w, const char *file, unsigned long long want)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long unlimited =
        ((unsigned long long)LLONG_MAX / (unsigned long long)page) * (unsigned long long)page;
    unsigned long long v = attr_value(bit, w, file, unlimited);
    if (v > want)
        die_unenforced(bit, w, "%s is %s, not %llu", file, v >= unlimited ? "unlimited" : "larger", want);
}

static void check_memory(const struct limits *l, unsigned bit)
{
    struct where w = locate(bit, "memory");
    if (!w.v1 && bit == LIM_MEMORY_MAX)
        check_bytes(bit, &w, "memory.max", l->memory_max);
    else if (!w.v1 && bit == LIM_MEMORY_HIGH)
        check_bytes(bit, &w, "memory.high", l->memory_high);
    else if (!w.v1)
        check_bytes(bit, &w, "memory.swap.max", l->memory_swap_max);
    else if (bit == LIM_MEMORY_MAX)
        check_bytes(bit, &w, "memory.limit_in_bytes", l->memory_max);
    else /* systemd applies MemoryHigh= and MemorySwapMax= on the unified hierarchy only */
        die("%s: limit cannot be enforced here: the memory controller is on cgroup v1, where systemd sets no "
            "%s "
            "(only MemoryMax=, as memory.limit_in_bytes); use a host with the unified cgroup hierarchy",
            limit_option[bit_index(bit)], bit == LIM_MEMORY_HIGH ? "MemoryHigh=" : "MemorySwapMax=");
    free(w.dir);
}

static const char *quota_text(unsigned long long quota)
{
    static char buf[32];
    if (quota == ULLONG_MAX)
        return "unlimited";
    snprintf(buf, sizeof buf, "%llu us", quota);
    return buf;
}

static void check_cpu_quota(const struct limits *l)
{
    const unsigned bit = LIM_CPU_QUOTA;
    struct where w = locate(bit, "cpu");
    unsigned long long quota, period;
    if (w.v1) {
        quota = attr_value(bit, &w, "cpu.cfs_quota_us", ULLONG_MAX);
        period = attr_value(bit, &w, "cpu.cfs_period_us", ULLONG_MAX);
    } else {
        cleanup_free char *s = read_attr(&w, "cpu.max");
        char q[32];
        if (!s)
            die_unenforced(bit, &w, "cannot read cpu.max: %s", errno_text(errno));
        if (sscanf(s, "%31s %llu", q, &period) != 2 || !parse_value(q, ULLONG_MAX, &quota))
            die_unenforced(bit, &w, "cpu.max holds '%s'", s);
    }
    /* systemd writes quota = percent% of the period (at least 1 ms) */
    if (quota == ULLONG_MAX || period == 0 || period == ULLONG_MAX || quota > ULLONG_MAX / 100 ||
        quota * 100 > l->cpu_quota * period + period / 100)
        die_unenforced(bit, &w, "the CPU quota is %s per %llu us, not %llu%%", quota_text(quota), period,
                       l->cpu_quota);
    free(w.dir);
}

static void check_cpu_weight(const struct limits *l)
{
    const unsigned bit = LIM_CPU_WEIGHT;
    struct where w = locate(bit, "cpu");
    /* on v1, systemd's CPUWeight= to CPUShares= translation */
    unsigned long long shares = l->cpu_weight * 1024 / 100;
    unsigned long long want = !w.v1 ? l->cpu_weight : shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
    const char *file = w.v1 ? "cpu.shares" : "cpu.weight";
    unsigned long long v = attr_value(bit, &w, file, ULLONG_MAX);
    if (v != want)
        die_unenforced(bit, &w, "%s is %llu, not %llu", file, v, want);
    free(w.dir);
}

static void check_tasks(const struct limits *l)
{
    const unsigned bit = LIM_TASKS_MAX;
    struct where w = locate(bit, "pids");
    /* the kernel takes at most PID_MAX_LIMIT (4194304): systemd's write of more fails, leaving "max", which
     * then is no weaker than the limit asked */
    unsigned long long v = attr_value(bit, &w, "pids.max", 4194304);
    if (v > l->tasks_max)
        die_unenforced(bit, &w, "pids.max is %s, not %llu", v == 4194304 ? "max" : "larger", l->tasks_max);
    free(w.dir);
}

/* systemd's io.weight to BFQ weight mapping: 1..100 stay, 100..10000 become 100..1000 */
static unsigned long long bfq_weight(unsigned long long w)
{
    return w <= 100 ? w : 100 + (w - 100) * 900 / 9900;
}

/* A weight file holds "N" or "default N" on its first line. */
static bool weight_value(const char *s, unsigned long long *out)
{
    if (strncmp(s, "default ", 8) == 0)
        s += 8;
    return parse_value(s, ULLONG_MAX, out) && *out != ULLONG_MAX;
}

static void check_io_weight(const struct limits *l)
{
    const unsigned bit = LIM_IO_WEIGHT;
    unsigned long long want = l->io_weight, blkio = want * 5 < 10 ? 10 : want * 5 > 1000 ? 1000 : want * 5, v;
    cleanup_free char *v1path = self_cgroup("blkio");
    cleanup_free char *s = NULL;
    struct where w = {NULL, false};
    if (v1path && strcmp(base_name(v1path), scope.unit) != 0)
        die("--io-weight: limit cannot be enforced here: block I/O weights are cgroup v1 blkio ones on this "
            "host, "
            "and the user manager was not delegated the blkio controller (this process's blkio cgroup is %s)",
            v1path);
    w = locate(bit, "blkio");
    const char *file = w.v1 ? "blkio.weight" : "io.weight";
    if ((s = read_attr(&w, file))) {
        unsigned long long expect = w.v1 ? blkio : want;
        if (!weight_value(s, &v) || v != expect)
            die_unenforced(bit, &w, "%s holds '%s', not %llu", file, s, expect);
    } else {
        file = w.v1 ? "blkio.bfq.weight" : "io.bfq.weight";
        if (!(s = read_attr(&w, file)))
            die("--io-weight: limit cannot be enforced here: no %s controller weight in %s (neither %s nor "
                "%s: "
                "no proportional I/O scheduler for cgroups in this kernel)",
                w.v1 ? "blkio" : "io", w.dir, w.v1 ? "blkio.weight" : "io.weight", file);
        /* systemd hands BFQ the converted io weight (on v1 the blkio one, converted once more) */
        if (!weight_value(s, &v) || (v != bfq_weight(want) && !(w.v1 && v == bfq_weight(blkio))))
            die_unenforced(bit, &w, "%s holds '%s', not %llu", file, s, bfq_weight(want));
    }
    free(w.dir);
}

/* Reads the OOM counter named by scope.oom_file / scope.oom_key. */
static bool scope_read_counter(unsigned long long *v)
{
    cleanup_free char *s = read_text(scope.oom_file, MAX_FILE);
    if (!s)
        return false;
    size_t kl = strlen(scope.oom_key);
    for (char *line = s; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, scope.oom_key, kl) == 0 && line[kl] == ' ')
            return parse_value(line + kl + 1, ULLONG_MAX, v);
        line = next;
    }
    return false;
}

/* The counter of OOM kills of our memory cgroup, for scope_oom_killed(). */
static void remember_oom_counter(void)
{
    struct where w = locate(LIM_MEMORY_MAX, "memory");
    static const struct {
        bool v1;
        const char *file, *key;
    } counters[] = {
        {false, "memory.events", "oom_kill"},
        /* (not memory.failcnt: it counts every time the limit was reached, reclaim included) */
        {true, "memory.oom_control", "oom_kill"}, /* since Linux 4.13 */
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
        if (counters[i].v1 != w.v1)
            continue;
        scope.oom_file = xasprintf("%s/%s", w.dir, counters[i].file);
        scope.oom_key = counters[i].key;
        unsigned long long v;
        if (scope_read_counter(&v)) {
            scope.oom_base = v;
            break;
        }
        free(scope.oom_file);
        scope.oom_file = NULL;
    }
    free(w.dir);
}

void scope_enter(const struct limits *limits)
{
    const char *slice = limits->slice ? limits->slice : "sandbox.slice";
    start_scope(limits, slice);

    /* We must be in the scope now, as seen by the manager's main hierarchy. */
    cleanup_free char *main_cg = self_cgroup("name=systemd");
    if (!main_cg)
        main_cg = self_cgroup(NULL);
    if (!main_cg || strcmp(base_name(main_cg), scope.unit) != 0)
        die("resource limits: the systemd user manager started the scope %s, but this process is in the "
            "cgroup "
            "%s",
            scope.unit, main_cg ? main_cg : "(none)");

    /* Every asked-for limit, as the kernel has it. */
    if (limits->set & LIM_MEMORY_MAX)
        check_memory(limits, LIM_MEMORY_MAX);
    if (limits->set & LIM_MEMORY_HIGH)
        check_memory(limits, LIM_MEMORY_HIGH);
    if (limits->set & LIM_MEMORY_SWAP_MAX)
        check_memory(limits, LIM_MEMORY_SWAP_MAX);
    if (limits->set & LIM_CPU_QUOTA)
        check_cpu_quota(limits);
    if (limits->set & LIM_CPU_WEIGHT)
        check_cpu_weight(limits);
    if (limits->set & LIM_TASKS_MAX)
        check_tasks(limits);
    if (limits->set & LIM_IO_WEIGHT)
        check_io_weight(limits);

    if (limits->set & LIM_MEMORY_MAX)
        remember_oom_counter();
}

bool scope_oom_killed(const struct limits *limits)
{
    unsigned long long v;
    if (!(limits->set & LIM_MEMORY_MAX) || !scope.oom_file)
        return false;
    return scope_read_counter(&v) && v > scope.oom_base;
}

#else /* !HAVE_SYSTEMD */

void scope_enter(const struct limits *limits)
{
    (void)limits;
    die("resource limits: not supported: sandbox was built without libsystemd (configure found no "
        "libsystemd)");
}

bool scope_oom_killed(const struct limits *limits)
{
    (void)limits;
    return false;
}

#endif
