/* userns.c: writing the id maps of the user namespace we are in. */
#include "userns.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "utils.h"

static void write_proc(int piddir, const char *file, const char *content)
{
    const char *path = file;
    if (write_file_at(piddir, file, content) < 0) {
        /* kernels before 3.19 have no setgroups file and need no deny */
        if (errno == ENOENT && file[0] == 's')
            return;
        die_errno("write %s", path);
    }
}

void userns_write_maps(int piddir, uid_t inside_uid, uid_t outside_uid, gid_t inside_gid, gid_t outside_gid,
                       bool deny_setgroups)
{
    char line[64];
    if (deny_setgroups)
        write_proc(piddir, "setgroups", "deny\n");
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)inside_uid, (unsigned)outside_uid);
    write_proc(piddir, "uid_map", line);
    snprintf(line, sizeof line, "%u %u 1\n", (unsigned)inside_gid, (unsigned)outside_gid);
    write_proc(piddir, "gid_map", line);
}

/* The first line of a small /proc/sys file, or "" */
static void read_sysctl(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (!fgets(buf, (int)size, f))
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

static bool under_seccomp(void)
{
    char line[128];
    bool filtered = false;
    FILE *f = fopen("/proc/self/status", "re");
    while (f && fgets(line, sizeof line, f))
        filtered |= strncmp(line, "Seccomp:\t2", 10) == 0;
    if (f)
        fclose(f);
    return filtered;
}

NORETURN void userns_die_refused(int err)
{
    char v[32];
    if (err == EPERM) {
        read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", v, sizeof v);
        if (strcmp(v, "1") == 0)
            die("No permissions to create a new user namespace: AppArmor restricts unprivileged user "
                "namespaces "
                "(kernel.apparmor_restrict_unprivileged_userns=1, as on Ubuntu 23.10 and later); give "
                "sandbox "
                "an AppArmor profile that allows 'userns', or set that sysctl to 0");
        read_sysctl("/proc/sys/kernel/unprivileged_userns_clone", v, sizeof v);
        if (strcmp(v, "0") == 0 || !under_seccomp())
            die("No permissions to create a new namespace, likely because the kernel does not allow "
                "non-privileged user namespaces. On e.g. debian this can be enabled with "
                "'sysctl kernel.unprivileged_userns_clone=1'.");
        die("No permissions to create a new user namespace: a seccomp filter on this process (a container's "
            "profile?) refuses it; run sandbox where user namespaces are allowed");
    }
    if (err == ENOSPC) {
        read_sysctl("/proc/sys/user/max_user_namespaces", v, sizeof v);
        if (strcmp(v, "0") == 0)
            die("Creating new namespace failed: user namespaces are switched off here "
                "(user.max_user_namespaces=0); set that sysctl above 0");
        die("Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded "
            "(ENOSPC)");
    }
    if (err == EINVAL) /* bwrap's advice here, to install it setuid, is what sandbox exists to avoid */
        die("Creating new namespace failed, likely because the kernel does not support user namespaces "
            "(built without CONFIG_USER_NS, or older than 3.8): sandbox needs a kernel with them");
    errno = err;
    die_errno("Creating new namespace failed");
}
