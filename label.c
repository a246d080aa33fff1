/* label.c: SELinux labels. libselinux is opened only when a label is asked for: loading it (and the pcre2 it
 * pulls in, and its constructor that probes selinuxfs) costs every run a good part of our start-up otherwise.
 * Without libselinux, or on a system where SELinux is off, asking for a label is an error, as with bwrap: a
 * label silently not applied would be a weaker sandbox than the caller asked for. */
#include "label.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef HAVE_SELINUX
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

#else

int label_check(const char *label)
{
    (void)label;
    return LABEL_UNSUPPORTED;
}

int label_exec(const char *label)
{
    errno = ENOTSUP;
    return label ? -1 : 0;
}

int label_create_files(const char *label)
{
    errno = ENOTSUP;
    return label ? -1 : 0;
}

#endif
