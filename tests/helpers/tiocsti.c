/* tiocsti.c: tries to push one character into the terminal on fd 0 with ioctl(TIOCSTI), the way an attacker
 * inside a sandbox would, both with the plain request and with bits set above the low 32 (which the kernel
 * ignores, so a filter that compared all 64 bits would be bypassed). Prints one word per attempt: "ok" when
 * the kernel accepted it, else the errno name; and the same for TIOCLINUX. "tiocsti sctty" tries TIOCSCTTY
 * instead, after setsid(2). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *try(unsigned long request, void *arg)
{
    if (syscall(SYS_ioctl, 0, request, arg) == 0)
        return "ok";
    static char other[32];
    if (errno == EPERM)
        return "EPERM";
    snprintf(other, sizeof other, "errno%d", errno);
    return other;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "sctty") == 0) {
        /* make the terminal on fd 0 our controlling one, from a session of our own */
        (void)setsid();
        printf("sctty=%s\n", try(TIOCSCTTY, NULL));
        return 0;
    }
    char c = '\n';
    char linux_arg[2] = {12, 0}; /* TIOCL_GETFGCONSOLE-style subcode; any value reaches the filter first */
    printf("tiocsti=%s ", try(TIOCSTI, &c));
    printf("tiocsti64=%s ", try(TIOCSTI | (1ul << 32), &c));
    printf("tioclinux=%s\n", try(TIOCLINUX, linux_arg));
    return 0;
}
