/* utils.c: the die() family, allocation that cannot fail, bounded parsers, fd helpers. */
#include "utils.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>

bool log_level_prefix;
int log_fd = STDERR_FILENO;
void (*exit_hook)(int code);

void sbx_exit(int code)
{
    if (exit_hook)
        exit_hook(code);
    _exit(code);
}

static void vmessage(const char *level, const char *fmt, va_list ap, int errnum)
{
    /* One write, so that concurrent writers cannot interleave inside our line. */
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%ssandbox: ", log_level_prefix ? level : "");
    n += vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    if (n < (int)sizeof buf && errnum)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ": %s", strerror(errnum));
    if (n >= (int)sizeof buf - 1)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    (void)write_all(log_fd, buf, (size_t)n);
}

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("<3>", fmt, ap, 0);
    va_end(ap);
    sbx_exit(1);
}

void die_errno(const char *fmt, ...)
{
    int errnum = errno;
    va_list ap;
    va_start(ap, fmt);
    vmessage("<3>", fmt, ap, errnum);
    va_end(ap);
    sbx_exit(1);
}

void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("<4>", fmt, ap, 0);
    va_end(ap);
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        die("out of memory");
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die("out of memory");
    return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    p = reallocarray(p, n ? n : 1, size ? size : 1);
    if (!p)
        die("out of memory");
    return p;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        die("out of memory");
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    char *p = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("out of memory");
    return p;
}

int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
    /* strtoull accepts leading space and '-'; a number here is digits only. */
    if (*s < '0' || *s > '9') {
        errno = EINVAL;
        return -1;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0') {
        errno = EINVAL;
        return -1;
    }
    if (errno == ERANGE || v > max) {
        errno = ERANGE;
        return -1;
    }
    *out = v;
    return 0;
}

int parse_octal_mode(const char *s, mode_t *out)
{
    /* strtoul's syntax (leading blanks and a sign), as bwrap parses modes; bounded to 07777 */
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 8);
    if (*s == '\0' || *end != '\0') {
        errno = EINVAL;
        return -1;
    }
    if (errno == ERANGE || v > 07777) {
        errno = ERANGE;
        return -1;
    }
    *out = (mode_t)v;
    return 0;
}

void buf_append(char *buf, size_t size, const char *s)
{
    size_t len = strnlen(buf, size);
    if (len + 1 < size)
        snprintf(buf + len, size - len, "%s", s);
}

void consume_fd(int fd)
{
    /* the write end of a pipe: read(2) on it fails with EBADF, and it leads nowhere on the host */
    static int placeholder = -1;
    int p[2];
    if (placeholder < 0) {
        if (pipe2(p, O_CLOEXEC) < 0)
            die_errno("pipe2");
        close(p[0]);
        placeholder = p[1];
    }
    if (fd != placeholder && dup3(placeholder, fd, O_CLOEXEC) < 0)
        close(fd);
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        left -= (size_t)n;
    }
    return (ssize_t)len;
}

char *read_all(int fd, size_t max, size_t *len_out)
{
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (cap - len < 2) {
            if (cap > max) {
                free(buf);
                errno = E2BIG;
                return NULL;
            }
            cap *= 2;
            buf = xreallocarray(buf, cap, 1);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            free(buf);
            errno = saved;
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > max) {
        free(buf);
        errno = E2BIG;
        return NULL;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

/* Copies in the kernel when it can, with no buffer of ours to fault in: sendfile(2) reads files and memfds,
 * splice(2) pipes; anything else goes through a small buffer. */
int copy_fd(int in, int out)
{
    for (int how = 0; how < 2;) {
        ssize_t n = how == 0 ? sendfile(out, in, NULL, 1u << 30) : splice(in, NULL, out, NULL, 1u << 30, 0);
        if (n == 0)
            return 0;
        if (n < 0 && errno == EINVAL) /* not a file (or not a pipe): the next way */
            how++;
        else if (n < 0 && errno != EINTR)
            return -1;
    }
    char buf[4096];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (int)n;
        if (write_all(out, buf, (size_t)n) < 0)
            return -1;
    }
}

int write_file_at(int dirfd, const char *path, const char *content)
{
    cleanup_fd int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    if (write_all(fd, content, strlen(content)) < 0)
        return -1;
    return 0;
}

/* On ENOEXEC (no #! line, and no format the kernel knows) POSIX has execvp(3) hand the file to the shell, as
 * glibc's does and bwrap's callers may rely on; musl's does not. The vector is mapped rather than allocated:
 * the caller may be a vfork(2) child, borrowing its parent's heap. Returns with errno set. */
static void exec_or_shell(const char *path, char *const argv[], char *const envp[])
{
    execve(path, argv, envp);
    if (errno != ENOEXEC)
        return;
    size_t n = 0;
    while (argv[n])
        n++;
    size_t size = (n + 3) * sizeof(char *);
    char **v = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (v == MAP_FAILED)
        return;
    v[0] = (char *)"/bin/sh";
    v[1] = (char *)path; /* the script in the shell's $0; the caller's argv[0] is not passed on */
    for (size_t i = 1; i < n; i++)
        v[i + 1] = argv[i];
    execve(v[0], v, envp);
    int saved = errno;
    munmap(v, size);
    errno = saved;
}

static const char *path_of(char *const envp[])
{
    for (char *const *e = envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    return "/bin:/usr/bin"; /* glibc's default (confstr _CS_PATH), which bwrap's command gets */
}

void exec_search(const char *file, char *const argv[], char *const envp[])
{
    if (!*file) {
        errno = ENOENT;
        return;
    }
    if (strchr(file, '/')) {
        exec_or_shell(file, argv, envp);
        return;
    }
    size_t len = strlen(file);
    if (len > NAME_MAX) {
        errno = ENAMETOOLONG;
        return;
    }
    char buf[PATH_MAX + NAME_MAX + 2];
    bool eacces = false;
    for (const char *dir = path_of(envp), *end;; dir = end + 1) {
        end = strchrnul(dir, ':');
        size_t n = (size_t)(end - dir);
        if (n < PATH_MAX) { /* an empty entry is the working directory */
            memcpy(buf, dir, n);
            if (n)
                buf[n++] = '/';
            memcpy(buf + n, file, len + 1);
            exec_or_shell(buf, argv, envp);
            /* Those mean "not here": try the next directory. Anything else is the answer. */
            if (errno == EACCES)
                eacces = true;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV &&
                     errno != ETIMEDOUT)
                return;
        }
        if (!*end)
            break;
    }
    if (eacces)
        errno = EACCES;
}
