/* label.c: SELinux labels. Without libselinux, or on a system where SELinux is off, asking for one is an
 * error, as with bwrap: a label silently not applied would be a weaker sandbox than the caller asked for. */
#include "label.h"

#include <errno.h>
#include <stddef.h>

#ifdef HAVE_SELINUX
#include <selinux/selinux.h>

int label_check(const char *label)
{
    if (is_selinux_enabled() <= 0)
        return LABEL_UNSUPPORTED;
    return security_check_context((char *)label) < 0 ? LABEL_INVALID : 0;
}

int label_exec(const char *label)
{
    return label ? setexeccon((char *)label) : 0;
}

int label_create_files(const char *label)
{
    return label ? setfscreatecon((char *)label) : 0;
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
