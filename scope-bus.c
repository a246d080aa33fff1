/* scope-bus.c: sandbox-scope, the helper that asks the user's systemd manager for a transient scope.
 *
 *   sandbox-scope [--level-prefix] PID SLICE SET MEMORY_MAX MEMORY_HIGH MEMORY_SWAP_MAX CPU_QUOTA CPU_WEIGHT
 *                 TASKS_MAX IO_WEIGHT
 *
 * sandbox runs it (scope.c) only when a limit is asked for, with the numbers of its struct limits, and it
 * asks over sd-bus, on the session bus, for a new scope "sandbox-PID-<random>.scope" in SLICE holding process
 * PID (sandbox itself), with those limits as unit properties; then it waits for the start job's JobRemoved
 * signal. On success it prints the unit's name and exits 0; else one "sandbox: ..." line and exit status 1.
 * What the kernel then enforces, sandbox checks itself in its cgroup files.
 *
 * A program of its own because sandbox is linked statically (issue 7: no dynamic loader at each start), and
 * libsystemd cannot be dlopen()ed into a static program; this one is linked with it the ordinary way. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "options.h"
#include "utils.h"

#define START_TIMEOUT_USEC (10ull * 1000 * 1000) /* the method call and the job, together */

static char unit_name[80];

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
                                      const struct limits *l, pid_t pid, bool oom_policy)
{
    static const char *const prop[] = {"MemoryMax", "MemoryHigh", "MemorySwapMax", "CPUQuotaPerSecUSec",
                                       "CPUWeight", "TasksMax",   "IOWeight"};
    const unsigned long long value[] = {
        l->memory_max, l->memory_high, l->memory_swap_max, l->cpu_quota * 10000ull,
        l->cpu_weight, l->tasks_max,   l->io_weight};
    sd_bus_message *m = NULL;
    char desc[64];
    int r;
    snprintf(desc, sizeof desc, "sandbox of process %d", (int)pid);
    r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "StartTransientUnit");
    if (r >= 0)
        r = sd_bus_message_append(m, "ss", unit, "fail");
    if (r >= 0)
        r = sd_bus_message_open_container(m, 'a', "(sv)");
    if (r >= 0)
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)", "PIDs", "au", 1, (uint32_t)pid, "Slice", "s", slice,
                                  "CollectMode", "s", "inactive-or-failed", "Description", "s", desc);
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

/* A fresh unique name in unit_name: sandbox-<pid>-<16 random hex digits>.scope */
static void new_unit_name(pid_t pid)
{
    unsigned char rnd[8];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        die_errno("resource limits: getrandom");
    int n = snprintf(unit_name, sizeof unit_name, "sandbox-%d-", (int)pid);
    for (size_t i = 0; i < sizeof rnd; i++)
        n += snprintf(unit_name + n, sizeof unit_name - (size_t)n, "%02x", rnd[i]);
    snprintf(unit_name + n, sizeof unit_name - (size_t)n, ".scope");
}

/* Creates the scope unit_name with process pid in it; returns once its start job is done. */
static void start_scope(const struct limits *l, const char *slice, pid_t pid)
{
    const char *unit = unit_name;
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
        sd_bus_message *m = new_start_call(bus, unit, slice, l, pid, oom_policy);
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
            new_unit_name(pid);
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

static unsigned long long number(const char *s)
{
    unsigned long long v;
    if (parse_ulong(s, ULLONG_MAX, &v) < 0)
        die("sandbox-scope: bad number '%s' (it is run by sandbox, not by hand)", s);
    return v;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--level-prefix") == 0) {
        log_level_prefix = true;
        argv++;
        argc--;
    }
    if (argc != 11)
        die("sandbox-scope: usage: sandbox-scope [--level-prefix] PID SLICE SET MEMORY_MAX MEMORY_HIGH "
            "MEMORY_SWAP_MAX CPU_QUOTA CPU_WEIGHT TASKS_MAX IO_WEIGHT (it is run by sandbox, not by hand)");
    pid_t pid = (pid_t)number(argv[1]);
    struct limits l = {
        .set = (unsigned)number(argv[3]),
        .memory_max = number(argv[4]),
        .memory_high = number(argv[5]),
        .memory_swap_max = number(argv[6]),
        .cpu_quota = number(argv[7]),
        .cpu_weight = number(argv[8]),
        .tasks_max = number(argv[9]),
        .io_weight = number(argv[10]),
    };
    new_unit_name(pid);
    start_scope(&l, argv[2], pid);
    printf("%s\n", unit_name);
    return fflush(stdout) == 0 ? 0 : 1;
}
