/* tests/escape/helper.c: small tools for tests/escape.bats, for what the shell cannot do portably
 * (no python3, socat or keyctl needed on the test host).  Built by setup_file with cc.
 *
 *   helper abstract-listen NAME       listen on the abstract unix socket "@NAME"; print "ready" once
 *                                     listening, then answer every connection with "hello" (30 s max)
 *   helper abstract-connect NAME      connect to "@NAME", print what it answers; exit 1 on failure
 *   helper keyring-run DESC DATA CMD...  join a new session keyring, add the "user" key DESC holding
 *                                     DATA to it and exec CMD with SBX_KEY_SERIAL set to the key's serial
 *   helper keyring-id                 print "session ID DESCRIPTION" of the session keyring (without
 *                                     creating one), "session none: ERROR" when there is none
 *   helper keyring-search DESC        search the session keyring for the user key DESC and print its
 *                                     payload; exit 1 (printing the error) when that fails
 *   helper keyring-read SERIAL        print the payload of key SERIAL; exit 1 on failure
 *   helper ptrace PID                 PTRACE_SEIZE PID (then exit, which detaches); exit 1 on failure
 *   helper swap DIR SECONDS A B [A B...]  for SECONDS, keep exchanging each pair of entries A and B of
 *                                     DIR (renameat2 RENAME_EXCHANGE); print the number of swaps
 *   helper chroot-escape DIR          the classic chroot escape (needs CAP_SYS_CHROOT, e.g. in a nested user
 *                                     namespace): chroot into DIR, chdir("..") 64 times, chroot(".");
 *                                     print "root DEV:INO" of the "/" it ends up in
 *   helper types DIR NAME             print the file type of DIR/NAME, lstat-ed every ms for 200 ms, as
 *                                     a sorted set of "d", "l", "f", "-" (a check that swap swaps)
 *
 * Errors are printed as "error: <strerror>" on stdout, so the tests can match them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
/* from <linux/keyctl.h>, which may be missing */
#define KEY_SPEC_SESSION_KEYRING (-3)
#define KEYCTL_GET_KEYRING_ID 0
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_DESCRIBE 6
#define KEYCTL_READ 11
#define KEYCTL_SEARCH 10

static int err(const char *what)
{
    printf("error: %s: %s\n", what, strerror(errno));
    fflush(stdout);
    return 1;
}

static socklen_t abstract_addr(struct sockaddr_un *sa, const char *name)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    size_t len = strlen(name);
    if (len > sizeof sa->sun_path - 2)
        len = sizeof sa->sun_path - 2;
    memcpy(sa->sun_path + 1, name, len); /* sun_path[0] == '\0': the abstract namespace */
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

static int abstract_listen(const char *name)
{
    struct sockaddr_un sa;
    socklen_t len = abstract_addr(&sa, name);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return err("socket");
    if (bind(s, (struct sockaddr *)&sa, len) < 0)
        return err("bind");
    if (listen(s, 16) < 0)
        return err("listen");
    alarm(30); /* never outlive the test by much */
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            return err("accept");
        }
        if (write(c, "hello\n", 6) < 0) {
            /* the client went away: nothing to do */
        }
        close(c);
    }
}

static int abstract_connect(const char *name)
{
    struct sockaddr_un sa;
    socklen_t len = abstract_addr(&sa, name);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return err("socket");
    if (connect(s, (struct sockaddr *)&sa, len) < 0)
        return err("connect");
    char buf[64];
    ssize_t n = read(s, buf, sizeof buf - 1);
    if (n < 0)
        return err("read");
    buf[n] = '\0';
    printf("%s", buf);
    return 0;
}

static long keyctl(int cmd, long a, long b, long c, long d)
{
    return syscall(SYS_keyctl, cmd, a, b, c, d);
}

static int keyring_run(const char *desc, const char *data, char **cmd)
{
    if (keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) < 0)
        return err("join session keyring");
    long key = syscall(SYS_add_key, "user", desc, data, strlen(data), KEY_SPEC_SESSION_KEYRING);
    if (key < 0)
        return err("add_key");
    char serial[32];
    snprintf(serial, sizeof serial, "%ld", key);
    setenv("SBX_KEY_SERIAL", serial, 1);
    execvp(cmd[0], cmd);
    return err("exec");
}

static int keyring_id(void)
{
    long id = keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0, 0);
    if (id < 0) {
        printf("session none: %s\n", strerror(errno));
        return 0;
    }
    char desc[256] = "";
    long n = keyctl(KEYCTL_DESCRIBE, id, (long)desc, sizeof desc - 1, 0);
    if (n < 0)
        snprintf(desc, sizeof desc, "(describe: %s)", strerror(errno));
    printf("session %ld %s\n", id, desc);
    return 0;
}

static int key_print(long key)
{
    char buf[256];
    long n = keyctl(KEYCTL_READ, key, (long)buf, sizeof buf - 1, 0);
    if (n < 0)
        return err("read key");
    if (n > (long)sizeof buf - 1)
        n = sizeof buf - 1;
    buf[n] = '\0';
    printf("payload %s\n", buf);
    return 0;
}

static int keyring_search(const char *desc)
{
    long key = keyctl(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (long)"user", (long)desc, 0);
    if (key < 0)
        return err("search");
    return key_print(key);
}

static int do_ptrace(const char *pid)
{
    if (ptrace(PTRACE_SEIZE, (pid_t)atoi(pid), 0, 0) < 0)
        return err("ptrace");
    printf("attached\n");
    return 0;
}

static int chroot_escape(const char *dir)
{
    if (chroot(dir) < 0)
        return err("chroot");
    for (int i = 0; i < 64; i++)
        if (chdir("..") < 0)
            return err("chdir");
    if (chroot(".") < 0)
        return err("chroot .");
    struct stat st;
    if (stat("/", &st) < 0)
        return err("stat");
    printf("root %lu:%lu\n", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int swap(const char *dir, const char *seconds, int npairs, char **pairs)
{
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return err("open");
    double end = now() + atof(seconds);
    unsigned long count = 0;
    while (now() < end) {
        for (int i = 0; i < npairs; i++) {
            const char *a = pairs[2 * i], *b = pairs[2 * i + 1];
            if (syscall(SYS_renameat2, dfd, a, dfd, b, RENAME_EXCHANGE) == 0) {
                count++;
                continue;
            }
            if (errno != EINVAL && errno != ENOSYS)
                return err("renameat2");
            /* no RENAME_EXCHANGE here: three renames, not atomic but a race all the same */
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s.swap-tmp", a);
            if (renameat(dfd, a, dfd, tmp) < 0 || renameat(dfd, b, dfd, a) < 0 ||
                renameat(dfd, tmp, dfd, b) < 0)
                return err("rename");
            count++;
        }
    }
    printf("%lu\n", count);
    return 0;
}

static int types(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int seen[4] = {0};
    for (int i = 0; i < 200; i++) {
        struct stat st;
        if (lstat(path, &st) < 0)
            seen[3] = 1;
        else if (S_ISDIR(st.st_mode))
            seen[0] = 1;
        else if (S_ISLNK(st.st_mode))
            seen[1] = 1;
        else
            seen[2] = 1;
        usleep(1000);
    }
    printf("%s%s%s%s\n", seen[3] ? "-" : "", seen[0] ? "d" : "", seen[2] ? "f" : "", seen[1] ? "l" : "");
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(cmd, "abstract-listen") == 0 && argc == 3)
        return abstract_listen(argv[2]);
    if (strcmp(cmd, "abstract-connect") == 0 && argc == 3)
        return abstract_connect(argv[2]);
    if (strcmp(cmd, "keyring-run") == 0 && argc >= 5)
        return keyring_run(argv[2], argv[3], argv + 4);
    if (strcmp(cmd, "keyring-id") == 0 && argc == 2)
        return keyring_id();
    if (strcmp(cmd, "keyring-search") == 0 && argc == 3)
        return keyring_search(argv[2]);
    if (strcmp(cmd, "keyring-read") == 0 && argc == 3)
        return key_print(atol(argv[2]));
    if (strcmp(cmd, "ptrace") == 0 && argc == 3)
        return do_ptrace(argv[2]);
    if (strcmp(cmd, "swap") == 0 && argc >= 6 && argc % 2 == 0)
        return swap(argv[2], argv[3], (argc - 4) / 2, argv + 4);
    if (strcmp(cmd, "chroot-escape") == 0 && argc == 3)
        return chroot_escape(argv[2]);
    if (strcmp(cmd, "types") == 0 && argc == 4)
        return types(argv[2], argv[3]);
    fprintf(stderr, "usage: see the comment at the top of helper.c\n");
    return 2;
}
