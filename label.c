/* label.c: SELinux labels. Without SELinux on the host, asking for a label is an error, as with bwrap: a
 * label silently not applied would be a weaker sandbox than the caller asked for.
 *
 * A static sandbox (the default build) talks to the kernel itself: the three calls we need are each one write
 * to a kernel file, which is all libselinux does underneath (raw contexts only: no mcstrans translation).
 * A dynamic build with libselinux opens it only when a label is asked for: loading it (and the pcre2 it pulls
 * in, and its constructor that probes selinuxfs) would cost every run a good part of our start-up. */
#include "label.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#if defined(SBX_STATIC) || !defined(HAVE_SELINUX)
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#define SELINUX_MAGIC 0xf97cff8c /* selinuxfs's f_type (linux/magic.h) */
#define SELINUXFS     "/sys/fs/selinux"

/* Writes label, NUL included, to path: the kernel's interface for contexts (Documentation/ABI, procfs attr
 * and selinuxfs "context"); an empty write resets a procattr. */
static int write_label(const char *path, const char *label)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    size_t len = label ? strlen(label) + 1 : 0;
    ssize_t n = write(fd, label ? label : "", len);
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)len ? 0 : -1;
}

int label_check(const char *label)
{
    struct statfs fs;
    if (statfs(SELINUXFS, &fs) < 0 || (unsigned long)fs.f_type != SELINUX_MAGIC)
        return LABEL_UNSUPPORTED;
    /* the policy's own verdict: selinuxfs "context" refuses a context it does not know with EINVAL */
    return write_label(SELINUXFS "/context", label) < 0 ? LABEL_INVALID : 0;
}

/* /proc/thread-self: the attributes are per thread (proc(5)) */
int label_exec(const char *label)
{
    return label ? write_label("/proc/thread-self/attr/exec", label) : 0;
}

int label_create_files(const char *label)
{
    return label ? write_label("/proc/thread-self/attr/fscreate", label) : 0;
}

#else /* a dynamic build with libselinux */
#include <dlfcn.h>

static struct {
    int (*is_enabled)(void);
    int (*check_context)(const char *);
    int (*set_exec)(const char *);
    int (*set_fscreate)(const char *);
} se;

static bool load(void)
{
    if (se.is_enabled)
        return true;
    void *lib = dlopen("libselinux.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return false;
    se.check_context = (int (*)(const char *))dlsym(lib, "security_check_context");
    se.set_exec = (int (*)(const char *))dlsym(lib, "setexeccon");
    se.set_fscreate = (int (*)(const char *))dlsym(lib, "setfscreatecon");
    se.is_enabled = (int (*)(void))dlsym(lib, "is_selinux_enabled");
    return se.is_enabled && se.check_context && se.set_exec && se.set_fscreate;
}

int label_check(const char *label)
{
    if (!load() || se.is_enabled() <= 0)
        return LABEL_UNSUPPORTED;
    return se.check_context(label) < 0 ? LABEL_INVALID : 0;
}

/* Both are reached only after label_check() accepted the label, so libselinux is loaded. */
int label_exec(const char *label)
{
    return label ? se.set_exec(label) : 0;
}

int label_create_files(const char *label)
{
    return label ? se.set_fscreate(label) : 0;
}

#endif
