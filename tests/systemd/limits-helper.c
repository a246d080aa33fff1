/* limits-helper.c: what tests/root-limits.bats runs inside a limited sandbox.
 *
 *   limits-helper alloc MIB     allocates MIB MiB and touches every page; prints "allocated MIB MiB"
 *   limits-helper forks N       forks N children (that wait), counts those the kernel allowed; prints
 *                               "forked K of N" (and the error that stopped it on stderr)
 *   limits-helper spin MS       busy-loops for MS ms of wall time; prints the CPU time it got, in percent of
 *                               that wall time
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double secs(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s alloc MIB | forks N | spin MS\n", argv[0]);
        return 2;
    }
    long n = strtol(argv[2], NULL, 10);
    if (strcmp(argv[1], "alloc") == 0) {
        size_t size = (size_t)n << 20;
        long page = sysconf(_SC_PAGESIZE);
        char *p = malloc(size);
        if (!p) {
            perror("malloc");
            return 1;
        }
        for (size_t i = 0; i < size; i += (size_t)page)
            p[i] = 1;
        printf("allocated %ld MiB\n", n);
        return 0;
    }
    if (strcmp(argv[1], "forks") == 0) {
        pid_t *kids = calloc((size_t)n, sizeof *kids);
        long k = 0;
        for (; k < n; k++) {
            kids[k] = fork();
            if (kids[k] < 0) {
                fprintf(stderr, "fork: %s\n", strerror(errno));
                break;
            }
            if (kids[k] == 0) {
                pause();
                _exit(0);
            }
        }
        for (long i = 0; i < k; i++)
            kill(kids[i], SIGKILL);
        while (wait(NULL) > 0)
            ;
        printf("forked %ld of %ld\n", k, n);
        return 0;
    }
    if (strcmp(argv[1], "spin") == 0) {
        double t0 = secs(CLOCK_MONOTONIC), c0 = secs(CLOCK_PROCESS_CPUTIME_ID), t;
        volatile unsigned long x = 0;
        while ((t = secs(CLOCK_MONOTONIC)) - t0 < (double)n / 1000)
            for (int i = 0; i < 10000; i++)
                x++;
        printf("%d\n", (int)((secs(CLOCK_PROCESS_CPUTIME_ID) - c0) / (t - t0) * 100 + 0.5));
        return 0;
    }
    fprintf(stderr, "%s: unknown command %s\n", argv[0], argv[1]);
    return 2;
}
