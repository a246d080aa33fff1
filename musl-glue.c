/* musl-glue.c: what a glibc-built static libcap (Debian's libcap.a) needs of a libc and musl does not
 * provide, for the sandbox program linked against musl (configure's --enable-musl).
 *
 * Debian compiles libcap with _FORTIFY_SOURCE, so its objects call glibc's checking variants of the printf
 * family. musl has no such entry points (it implements no _FORTIFY_SOURCE); these give the same contract as
 * glibc's: the formatted string must fit the object size the compiler saw, else the program aborts, as
 * glibc's __chk_fail does. Everything else libcap calls (capget, prctl, strtoul, the ctype tables...) musl
 * provides under glibc's names. configure links and runs a test against this file before choosing musl. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int __sprintf_chk(char *s, int flag, size_t slen, const char *format, ...);
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *format, ...);
int __asprintf_chk(char **s, int flag, const char *format, ...);

static _Noreturn void overflow(void)
{
    static const char msg[] = "sandbox: buffer overflow detected in a library: aborting\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    abort();
}

int __sprintf_chk(char *s, int flag, size_t slen, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    /* slen is (size_t)-1 when the compiler did not know the size: no bound to check then. */
    size_t bound = slen > INT_MAX ? (size_t)INT_MAX : slen;
    int n = vsnprintf(s, bound, format, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= bound)
        overflow();
    return n;
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *format, ...)
{
    if (slen < maxlen)
        overflow();
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(s, maxlen, format, ap);
    va_end(ap);
    return n;
}

int __asprintf_chk(char **s, int flag, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vasprintf(s, format, ap);
    va_end(ap);
    return n;
}
