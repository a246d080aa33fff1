/* fuzz-options.c: libFuzzer target for the command-line and --args parsers, and the plan's validation.
 *
 * An input is the command line as NUL-separated arguments, optionally followed by a 0x01 byte and data that
 * the parser reads back through --args (fd 100 holds it; every fd that --args names is made 100). Every error
 * path of the parser ends in sbx_exit(), which we turn into a longjmp back here; the parser must never crash,
 * hang or read out of bounds. Run with -detect_leaks=0: what an error path leaves allocated is freed by the
 * exit it stands for. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "options.h"
#include "utils.h"

#define ARGS_FD 100

static jmp_buf back;

static void no_exit(int code)
{
    (void)code;
    longjmp(back, 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    exit_hook = no_exit;
    log_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    stdout = fopen("/dev/null", "we");
    stderr = fopen("/dev/null", "we");
    return 0;
}

/* Splits buf (NUL-terminated pieces, len bytes) into a NULL-terminated argv. */
static char **split(char *buf, size_t len, int *argc)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\0';
    char **v = calloc(n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < len && k < n; k++) {
        v[k] = buf + i;
        i += strlen(buf + i) + 1;
    }
    *argc = (int)k;
    return v;
}

/* The options that read an fd while parsing may read only ours: another fd of this process (libFuzzer's own
 * pipes) could block. A value without any digit stays, to fuzz the fd parser's errors. */
static void confine_fds(int argc, char **argv)
{
    static char ours[] = "100";
    for (int i = 0; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--args") != 0 && strcmp(argv[i], "--add-seccomp-fd") != 0)
            continue;
        if (strpbrk(argv[i + 1], "0123456789")) /* strtol takes " +6" too */
            argv[i + 1] = ours;
    }
}

static bool strpbrk_n(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= '0' && p[i] <= '9')
            return true;
    return false;
}

/* The --args data, written to fd with the same rule applied to its own arguments: they are parsed as the
 * command line's are, so an --add-seccomp-fd in them must not read another fd either. Each piece keeps its
 * NUL, or its lack of one at the end. */
static void write_confined(int fd, const char *data, size_t len)
{
    bool after_fd_option = false;
    for (size_t i = 0; i < len;) {
        const char *end = memchr(data + i, '\0', len - i);
        size_t n = end ? (size_t)(end - (data + i)) : len - i;
        bool digits = strpbrk_n(data + i, n); /* as confine_fds: strtol takes " +6" too */
        if (after_fd_option && digits)
            (void)write(fd, "100", 3);
        else
            (void)write(fd, data + i, n);
        if (end)
            (void)write(fd, "", 1);
        after_fd_option = (n == 6 && memcmp(data + i, "--args", 6) == 0) ||
                          (n == 16 && memcmp(data + i, "--add-seccomp-fd", 16) == 0);
        i += n + (end ? 1 : 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0x01, size);
    size_t argv_len = sep ? (size_t)(sep - data) : size;
    char *buf = malloc(argv_len + 1);
    memcpy(buf, data, argv_len);
    buf[argv_len] = '\0';
    int argc;
    char **argv = split(buf, argv_len + 1, &argc);
    confine_fds(argc, argv);

    int fd = memfd_create("args", MFD_CLOEXEC);
    if (sep && fd >= 0)
        write_confined(fd, (const char *)sep + 1, size - argv_len - 1);
    if (fd >= 0) {
        lseek(fd, 0, SEEK_SET);
        dup2(fd, ARGS_FD);
        close(fd);
    }

    static struct plan plan;
    plan_init(&plan);
    if (setjmp(back) == 0) {
        options_parse(&plan, argc, argv);
        options_validate(&plan, &(struct host_ids){1000, 1000});
    }
    plan_free(&plan);
    close(ARGS_FD);
    free(argv);
    free(buf);
    return 0;
}
