/* bench/timer.c: the benchmark's stopwatch, compiled by bench/run with `cc -O2` into a temporary directory.
 *
 *   timer run [-d FD:FILE]... JOB...          JOB is NAME:RUNS:WARMUP:ARGFILE
 *   timer rss [-d FD:FILE]... RUNS ARGFILE
 *   timer hold
 *
 * ARGFILE holds one argument per line, the program (an absolute path) first.
 *
 * `run` runs the jobs round-robin (J1 J2 … J1 J2 …: warm-up rounds first, then timed rounds; a job with fewer
 * runs simply drops out of the later rounds), each run a fork + execve + wait4 with stdin and stdout on
 * /dev/null and stderr inherited; every -d FD:FILE is opened afresh for each run and put on FD. It prints one
 * line per job:
 *     NAME RUNS MEDIAN_US MIN_US MAX_US MAD_US MAXRSS_MEDIAN_KIB MAXRSS_MAX_KIB
 * where the time is the wall time from fork to reaping the child (CLOCK_MONOTONIC) and MAXRSS is wait4's
 * ru_maxrss of that run: the largest peak RSS of any process of the tree (the child and every descendant it
 * reaped). A run that exits non-zero stops everything with exit status 1.
 *
 * `rss` measures the OWN memory of the direct child: the child gets the write end of a pipe on fd 5 and the
 * read end of another on fd 6; the command is expected to write a byte to fd 5 once it is running and then
 * wait for EOF on fd 6 (`sh -c 'echo >&5; read x <&6'` inside the sandbox, or `timer hold`). Once the byte
 * arrives the direct child (the sandbox's parent process, which by then has set everything up and is only
 * waiting) is read from /proc/PID/status. It prints the medians over RUNS runs:
 *     VMHWM_KIB VMRSS_KIB RSSANON_KIB RSSFILE_KIB TREE_MAXRSS_KIB
 *
 * `hold` is the trivial program used as the floor: write a byte to fd 5, wait for EOF on fd 6.
 *
 * The argument vectors live in MAP_SHARED memory, so that the forked child does not inherit page-table
 * entries (and RSS) for the timer's copies of every job's arguments: only the pages of the vector being
 * executed are touched by the child before its execve.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 64
#define MAX_DATA 8

extern char **environ;

struct job {
    const char *name;
    int runs, warmup;
    char **argv;
    double *times; /* microseconds */
    long *rss;     /* KiB */
    int done;
};

static struct {
    int fd;
    const char *file;
} data[MAX_DATA];
static int ndata;

static void die(const char *fmt, const char *arg) {
    fprintf(stderr, "timer: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(2);
}

static void *shared_alloc(size_t n) {
    void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("mmap: %s", strerror(errno));
    return p;
}

/* Reads ARGFILE (one argument per line) into a NULL-terminated vector in shared memory. */
static char **load_argv(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) die("cannot open %s", path);
    size_t size = (size_t)st.st_size, nlines = 0;
    char *buf = malloc(size + 1);
    if (!buf) die("out of memory reading %s", path);
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r <= 0) die("cannot read %s", path);
        got += (size_t)r;
    }
    close(fd);
    if (size && buf[size - 1] != '\n') buf[size++] = '\n';
    for (size_t i = 0; i < size; i++)
        if (buf[i] == '\n') nlines++;
    if (!nlines) die("%s is empty", path);
    char *strings = shared_alloc(size);
    char **argv = shared_alloc((nlines + 1) * sizeof(char *));
    memcpy(strings, buf, size);
    free(buf);
    size_t k = 0;
    char *s = strings;
    for (size_t i = 0; i < size; i++)
        if (strings[i] == '\n') {
            strings[i] = '\0';
            argv[k++] = s;
            s = strings + i + 1;
        }
    argv[k] = NULL;
    return argv;
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void child_setup(void) {
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) _exit(126);
    if (null > 2) close(null);
    for (int i = 0; i < ndata; i++) {
        int fd = open(data[i].file, O_RDONLY);
        if (fd < 0) _exit(126);
        if (fd != data[i].fd) {
            if (dup2(fd, data[i].fd) < 0) _exit(126);
            close(fd);
        }
    }
}

/* Runs argv once; returns the wall time in microseconds, the tree's maxrss in *rss. */
static double run_once(char **argv, long *rss) {
    struct rusage ru;
    int status;
    double t0 = now_us();
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        child_setup();
        execve(argv[0], argv, environ);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) die("wait4: %s", strerror(errno));
    double t1 = now_us();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "timer: %s … (%s) failed: %s %d\n", argv[0], argv[1] ? argv[1] : "",
                WIFEXITED(status) ? "exit status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        exit(1);
    }
    *rss = ru.ru_maxrss;
    return t1 - t0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}
static double median_d(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
static long median_l(long *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_long);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int parse_data(int argc, char **argv, int i) {
    while (i < argc && strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
        char *colon = strchr(argv[i + 1], ':');
        if (!colon || ndata == MAX_DATA) die("bad -d %s", argv[i + 1]);
        data[ndata].fd = atoi(argv[i + 1]);
        data[ndata].file = colon + 1;
        ndata++;
        i += 2;
    }
    return i;
}

static int cmd_run(int argc, char **argv) {
    struct job jobs[MAX_JOBS];
    int njobs = 0, maxwarm = 0, maxruns = 0;
    int i = parse_data(argc, argv, 2);
    for (; i < argc; i++) {
        if (njobs == MAX_JOBS) die("too many jobs%s", "");
        char *spec = strdup(argv[i]);
        char *name = strtok(spec, ":"), *runs = strtok(NULL, ":"), *warm = strtok(NULL, ":"),
             *file = strtok(NULL, "");
        if (!name || !runs || !warm || !file) die("bad job %s (NAME:RUNS:WARMUP:ARGFILE)", argv[i]);
        struct job *j = &jobs[njobs++];
        j->name = name;
        j->runs = atoi(runs);
        j->warmup = atoi(warm);
        j->argv = load_argv(file);
        j->times = calloc((size_t)j->runs + 1, sizeof(double));
        j->rss = calloc((size_t)j->runs + 1, sizeof(long));
        j->done = 0;
        if (j->warmup > maxwarm) maxwarm = j->warmup;
        if (j->runs > maxruns) maxruns = j->runs;
    }
    long rss;
    for (int r = 0; r < maxwarm; r++)
        for (int k = 0; k < njobs; k++)
            if (r < jobs[k].warmup) run_once(jobs[k].argv, &rss);
    for (int r = 0; r < maxruns; r++)
        for (int k = 0; k < njobs; k++)
            if (r < jobs[k].runs) {
                struct job *j = &jobs[k];
                j->times[j->done] = run_once(j->argv, &j->rss[j->done]);
                j->done++;
            }
    for (int k = 0; k < njobs; k++) {
        struct job *j = &jobs[k];
        int n = j->done;
        if (!n) {
            printf("%s 0 - - - - - -\n", j->name);
            continue;
        }
        double med = median_d(j->times, n), lo = j->times[0], hi = j->times[n - 1];
        double *dev = calloc((size_t)n, sizeof(double));
        for (int x = 0; x < n; x++) dev[x] = j->times[x] > med ? j->times[x] - med : med - j->times[x];
        double mad = median_d(dev, n);
        long rmed = median_l(j->rss, n), rmax = j->rss[n - 1];
        printf("%s %d %.1f %.1f %.1f %.1f %ld %ld\n", j->name, n, med, lo, hi, mad, rmed, rmax);
        free(dev);
    }
    return 0;
}

static long status_field(const char *text, const char *key) {
    const char *p = strstr(text, key);
    return p ? atol(p + strlen(key)) : -1;
}

static int cmd_rss(int argc, char **argv) {
    int i = parse_data(argc, argv, 2);
    if (argc - i != 2) die("usage: timer rss [-d FD:FILE]... RUNS ARGFILE%s", "");
    int runs = atoi(argv[i]);
    if (runs < 1) runs = 1;
    char **cargv = load_argv(argv[i + 1]);
    long *v[5];
    for (int k = 0; k < 5; k++) v[k] = calloc((size_t)runs, sizeof(long));
    for (int r = 0; r < runs; r++) {
        int ready[2], go[2];
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
        /* Out of the way of fds 3-6, so that the dup2s below cannot clobber one another. */
        int *ends[4] = {&ready[0], &ready[1], &go[0], &go[1]};
        for (int k = 0; k < 4; k++) {
            int high = fcntl(*ends[k], F_DUPFD_CLOEXEC, 100);
            if (high < 0) die("fcntl: %s", strerror(errno));
            close(*ends[k]);
            *ends[k] = high;
        }
        pid_t pid = fork();
        if (pid < 0) die("fork: %s", strerror(errno));
        if (pid == 0) {
            child_setup();
            if (dup2(ready[1], 5) < 0 || dup2(go[0], 6) < 0) _exit(126);
            execve(cargv[0], cargv, environ);
            _exit(127);
        }
        close(ready[1]);
        close(go[0]);
        char c;
        if (read(ready[0], &c, 1) != 1) die("the command never signalled on fd 5%s", "");
        char path[64], text[8192];
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        int fd = open(path, O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
        if (n < 0) die("cannot read %s", path);
        text[n] = '\0';
        close(fd);
        v[0][r] = status_field(text, "VmHWM:");
        v[1][r] = status_field(text, "VmRSS:");
        v[2][r] = status_field(text, "RssAnon:");
        v[3][r] = status_field(text, "RssFile:");
        close(go[1]);
        close(ready[0]);
        struct rusage ru;
        int status;
        if (wait4(pid, &status, 0, &ru) < 0) die("wait4: %s", strerror(errno));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("the measured command failed (%s)", cargv[0]);
        v[4][r] = ru.ru_maxrss;
    }
    printf("%ld %ld %ld %ld %ld\n", median_l(v[0], runs), median_l(v[1], runs), median_l(v[2], runs),
           median_l(v[3], runs), median_l(v[4], runs));
    return 0;
}

static int cmd_hold(void) {
    char c = 'x';
    if (write(5, &c, 1) != 1) return 1;
    while (read(6, &c, 1) > 0) {
    }
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "run") == 0) return cmd_run(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "rss") == 0) return cmd_rss(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "hold") == 0) return cmd_hold();
    fprintf(stderr, "usage: timer run [-d FD:FILE]... NAME:RUNS:WARMUP:ARGFILE...\n"
                    "       timer rss [-d FD:FILE]... RUNS ARGFILE\n"
                    "       timer hold\n");
    return 2;
}
