/* scope.c: resource limits through a transient scope of the user's own systemd manager.
 *
 * scope_enter() asks the user manager (over sd-bus, on the session bus) for a new transient scope
 * "sandbox-<pid>-<random>.scope" holding this process, with the limits as unit properties, and waits for the
 * start job's JobRemoved signal. systemd accepting a property does not mean the kernel enforces it (on cgroup
 * v1, or without delegated controllers, it silently writes nothing), so we then read the kernel's own files
 * of the cgroup we are now in and fail closed unless every asked-for limit is there.
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
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "utils.h"

#ifdef HAVE_SYSTEMD
#include <dlfcn.h>
#include <systemd/sd-bus.h>

/* libsystemd is opened only when a limit is asked for: linked in, it and the five libraries it pulls in would
 * be loaded by every run, limits or not, for a good share of our start-up time. The calls below go through
 * this table, filled from the library with the prototypes of its own header. */
#define SDBUS_FUNCTIONS(X)                                                                          \
    X(sd_bus_open_user)                                                                             \
    X(sd_bus_flush_close_unref)                                                                     \
    X(sd_bus_match_signal)                                                                          \
    X(sd_bus_call) X(sd_bus_process) X(sd_bus_wait) X(sd_bus_message_new_method_call)               \
        X(sd_bus_message_append) X(sd_bus_message_open_container) X(sd_bus_message_close_container) \
            X(sd_bus_message_read) X(sd_bus_message_unref) X(sd_bus_error_free) X(sd_bus_error_has_name)

static struct {
#define SDBUS_FIELD(name) __typeof__(name) *name; /* NOLINT(bugprone-macro-parentheses): a declarator */
    SDBUS_FUNCTIONS(SDBUS_FIELD)
} sdbus;

static void load_sdbus(void)
{
    void *lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        die("resource limits: cannot load libsystemd.so.0: %s", dlerror());
#define SDBUS_LOAD(name)                                       \
    if (!(sdbus.name = (__typeof__(name) *)dlsym(lib, #name))) \
        die("resource limits: libsystemd.so.0 has no %s", #name);
    SDBUS_FUNCTIONS(SDBUS_LOAD)
}

#define sd_bus_open_user               sdbus.sd_bus_open_user
#define sd_bus_flush_close_unref       sdbus.sd_bus_flush_close_unref
#define sd_bus_match_signal            sdbus.sd_bus_match_signal
#define sd_bus_call                    sdbus.sd_bus_call
#define sd_bus_process                 sdbus.sd_bus_process
#define sd_bus_wait                    sdbus.sd_bus_wait
#define sd_bus_message_new_method_call sdbus.sd_bus_message_new_method_call
#define sd_bus_message_append          sdbus.sd_bus_message_append
#define sd_bus_message_open_container  sdbus.sd_bus_message_open_container
#define sd_bus_message_close_container sdbus.sd_bus_message_close_container
#define sd_bus_message_read            sdbus.sd_bus_message_read
#define sd_bus_message_unref           sdbus.sd_bus_message_unref
#define sd_bus_error_free              sdbus.sd_bus_error_free
#define sd_bus_error_has_name          sdbus.sd_bus_error_has_name

#define START_TIMEOUT_USEC (10ull * 1000 * 1000) /* the method call and the job, together */
#define MAX_FILE           65536                 /* a cgroup file, /proc/self/cgroup */
#define MAX_MOUNTINFO      (16u << 20)           /* /proc/self/mountinfo can be long */

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
 * The D-Bus part
 * ----------------------------------------------------------------------------------------------------------
 */

struct job_wait {
    const char *unit;
    const char *job; /* NULL until the StartTransientUnit reply gave it */
    bool seen;
    char result[32];
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    struct job_wait *w = userdata;
    uint32_t id;
    const char *path, *unit, *result;
    (void)ret_error;
    if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
        return 0;
    if (strcmp(unit, w->unit) != 0 || (w->job && strcmp(path, w->job) != 0))
        return 0;
    w->seen = true;
    snprintf(w->result, sizeof w->result, "%s", result);
    return 0;
}

static void die_connect(int r)
{
    const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
    const char *rt = getenv("XDG_RUNTIME_DIR");
    char where[512];
    if (addr && *addr)
        snprintf(where, sizeof where, "DBUS_SESSION_BUS_ADDRESS=%s", addr);
    else if (rt && *rt)
        snprintf(where, sizeof where, "%s/bus (from XDG_RUNTIME_DIR)", rt);
    else
        snprintf(where, sizeof where, "neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set");
    die("resource limits: cannot connect to the session bus (%s): %s; limits need a running systemd user "
        "manager on the user's session bus: set XDG_RUNTIME_DIR (or DBUS_SESSION_BUS_ADDRESS) as in a login "
        "session and check 'systemctl --user status'",
        where, strerror(-r));
}

static sd_bus_message *new_start_call(sd_bus *bus, const char *unit, const char *slice,
                                      const struct limits *l, bool oom_policy)
{
    static const char *const prop[] = {"MemoryMax", "MemoryHigh", "MemorySwapMax", "CPUQuotaPerSecUSec",
                                       "CPUWeight", "TasksMax",   "IOWeight"};
    const unsigned long long value[] = {
        l->memory_max, l->memory_high, l->memory_swap_max, l->cpu_quota * 10000ull,
        l->cpu_weight, l->tasks_max,   l->io_weight};
    sd_bus_message *m = NULL;
    char desc[64];
    int r;
    snprintf(desc, sizeof desc, "sandbox of process %d", (int)getpid());
    r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "StartTransientUnit");
    if (r >= 0)
        r = sd_bus_message_append(m, "ss", unit, "fail");
    if (r >= 0)
        r = sd_bus_message_open_container(m, 'a', "(sv)");
    if (r >= 0)
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)", "PIDs", "au", 1, (uint32_t)getpid(), "Slice", "s",
                                  slice, "CollectMode", "s", "inactive-or-failed", "Description", "s", desc);
    /* systemd >= 253 stops a scope on an OOM kill by default (OOMPolicy=, from DefaultOOMPolicy=stop): that
     * would kill the supervisor too, and nobody would report the kill. Older ones do not know the property.
     */
    if (r >= 0 && oom_policy)
        r = sd_bus_message_append(m, "(sv)", "OOMPolicy", "s", "continue");
    for (unsigned i = 0; r >= 0 && i < sizeof prop / sizeof prop[0]; i++)
        if (l->set & (1u << i))
            r = sd_bus_message_append(m, "(sv)", prop[i], "t", (uint64_t)value[i]);
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    if (r >= 0)
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
    if (r < 0)
        die("resource limits: cannot build the D-Bus call: %s", strerror(-r));
    return m;
}

static uint64_t now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The start job failed. The unit's own Result (e.g. "resources": it could not move us into the scope's
 * cgroup) cannot be read back: with CollectMode=inactive-or-failed the failed unit is unloaded at once, and
 * asking for it loads a fresh, empty one. The usual cause is the caller's cgroup, hence the hint. */
static NORETURN void die_job(const char *unit, const char *result)
{
    die("resource limits: the systemd user manager could not start the scope %s (job result '%s'): is this "
        "process outside the manager's delegated cgroup subtree? The manager can only move processes out of "
        "cgroups it may write to (its log says why)",
        unit, result);
}

/* A fresh unique name in scope.unit: sandbox-<pid>-<16 random hex digits>.scope */
static void new_unit_name(void)
{
    unsigned char rnd[8];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        die_errno("resource limits: getrandom");
    int n = snprintf(scope.unit, sizeof scope.unit, "sandbox-%d-", (int)getpid());
    for (size_t i = 0; i < sizeof rnd; i++)
        n += snprintf(scope.unit + n, sizeof scope.unit - (size_t)n, "%02x", rnd[i]);
    snprintf(scope.unit + n, sizeof scope.unit - (size_t)n, ".scope");
}

/* Creates the scope scope.unit with this process in it; returns once its start job is done. */
static void start_scope(const struct limits *l, const char *slice)
{
    const char *unit = scope.unit;
    sd_bus *bus = NULL;
    sd_bus_message *reply = NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    struct job_wait w = {.unit = unit};
    uint64_t deadline = now_usec() + START_TIMEOUT_USEC;
    int r;

    r = sd_bus_open_user(&bus);
    if (r < 0)
        die_connect(r);
    /* Subscribed before the call, so that the job's end cannot pass unseen. */
    r = sd_bus_match_signal(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                            "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &w);
    if (r < 0)
        die("resource limits: cannot subscribe to the user manager's signals on the session bus: %s",
            strerror(-r));

    for (bool oom_policy = true;; oom_policy = false) {
        sd_bus_message *m = new_start_call(bus, unit, slice, l, oom_policy);
        uint64_t now = now_usec();
        r = now < deadline ? sd_bus_call(bus, m, deadline - now, &error, &reply) : -ETIMEDOUT;
        sd_bus_message_unref(m);
        if (r >= 0)
            break;
        if (oom_policy && sd_bus_error_has_name(&error, SD_BUS_ERROR_PROPERTY_READ_ONLY) && error.message &&
            strstr(error.message, "OOMPolicy")) {
            /* systemd < 253: no OOMPolicy= for scopes (and no stop on OOM either). The refused unit may
             * linger a moment as a stub: ask again under a new name. */
            sd_bus_error_free(&error);
            new_unit_name();
            continue;
        }
        if (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
            sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
            die("resource limits: no systemd user manager on the session bus (%s): limits need one (is "
                "'systemd --user' running for this user? check 'systemctl --user status')",
                error.message ? error.message : strerror(-r));
        if (r == -ETIMEDOUT)
            die("resource limits: the systemd user manager did not answer within %llu s",
                START_TIMEOUT_USEC / 1000000);
        die("resource limits: the systemd user manager refused the scope %s: %s", unit,
            error.message ? error.message : strerror(-r));
    }
    r = sd_bus_message_read(reply, "o", &w.job);
    if (r < 0)
        die("resource limits: unexpected answer from the systemd user manager: %s", strerror(-r));

    while (!w.seen) {
        r = sd_bus_process(bus, NULL);
        if (r < 0)
            die("resource limits: lost the connection to the systemd user manager while starting %s: %s",
                unit, strerror(-r));
        if (r > 0)
            continue;
        uint64_t now = now_usec();
        if (now >= deadline)
            die("resource limits: the systemd user manager did not start the scope %s within %llu s", unit,
                START_TIMEOUT_USEC / 1000000);
        r = sd_bus_wait(bus, deadline - now);
        if (r < 0 && r != -EINTR)
            die("resource limits: waiting for the systemd user manager: %s", strerror(-r));
    }
    if (strcmp(w.result, "done") != 0)
        die_job(unit, w.result);

    sd_bus_message_unref(reply);
    sd_bus_flush_close_unref(bus); /* no bus connection goes on into the sandbox */
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
        die_unenforced(bit, w, "cannot read %s: %s", file, strerror(errno));
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
            die_unenforced(bit, &w, "cannot read cpu.max: %s", strerror(errno));
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
    load_sdbus();
    new_unit_name();
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
