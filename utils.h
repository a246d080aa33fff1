/* utils.h: the die() family, cleanup helpers, bounded number parsing, fd and path helpers. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define NORETURN     __attribute__((noreturn))
#define PRINTF(a, b) __attribute__((format(printf, a, b)))

extern bool log_level_prefix;
extern int log_fd; /* where messages go: stderr, unless a test harness says otherwise */
/* Set only by the fuzzing harness: called instead of exiting, so that it can longjmp back (it must not
 * return). */
extern void (*exit_hook)(int code);
NORETURN void sbx_exit(int code); /* --level-prefix: "<3>" before errors, "<4>" before warnings */

/* strerror(3) in glibc's words, whichever libc the program is linked with (bwrap's messages are glibc's). */
const char *errno_text(int errnum);

/* Each prints one line "sandbox: <message>" on stderr and exits 1; die_errno appends errno's text. */
NORETURN PRINTF(1, 2) void die(const char *fmt, ...);
NORETURN PRINTF(1, 2) void die_errno(const char *fmt, ...);
PRINTF(1, 2) void warn(const char *fmt, ...);

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
PRINTF(1, 2) char *xasprintf(const char *fmt, ...);

static inline void free_ptr(void *p)
{
    free(*(void **)p);
}
static inline void close_fd(const int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
#define cleanup_free __attribute__((cleanup(free_ptr)))
#define cleanup_fd   __attribute__((cleanup(close_fd)))

/* Hand ownership on: the cleanup of the old variable then does nothing. */
static inline void *steal_ptr(void *pp)
{
    void **p = pp;
    void *r = *p;
    *p = NULL;
    return r;
}

/* Bounded parsers: return 0, or -1 with errno EINVAL (not a number) or ERANGE (out of bounds). */
int parse_ulong(const char *s, unsigned long long max, unsigned long long *out);
int parse_octal_mode(const char *s, mode_t *out);

/* Done with an fd the caller passed: its number stays taken by a close-on-exec placeholder that fails every
 * read with EBADF, so that no fd of ours gets that number and is mistaken for the caller's by a later option
 * naming it again (the command still does not get it). */
void consume_fd(int fd);

/* execvpe(3) as POSIX and glibc define it, whatever libc we are linked with: file searched in envp's PATH
 * (glibc's /bin:/usr/bin without one) unless it has a slash, EACCES only when no directory had it, a file
 * the kernel cannot execute (ENOEXEC) run by /bin/sh. Returns only on failure, with errno set. */
void exec_search(const char *file, char *const argv[], char *const envp[]);

ssize_t write_all(int fd, const void *buf, size_t len);
/* Appends s to the string in buf (size bytes in all), truncating: strlcat's contract. */
void buf_append(char *buf, size_t size, const char *s);
/* Reads all of fd into a fresh NUL-terminated buffer, at most max bytes; -1 with errno E2BIG past that. */
char *read_all(int fd, size_t max, size_t *len_out);
/* Copies everything readable from in to out. */
int copy_fd(int in, int out);
int write_file_at(int dirfd, const char *path, const char *content);
