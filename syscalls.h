/* syscalls.h: wrappers for the kernel's fd-based mount and path API (open_tree, move_mount, mount_setattr,
 * fsopen/fsconfig/fsmount, openat2, clone3), with our own names so that no libc or kernel header is needed
 * for them and none can clash. The numbers are the same on every architecture since Linux 5.2 (asm-generic).
 */
#pragma once

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SBX_NR_open_tree      428
#define SBX_NR_move_mount     429
#define SBX_NR_fsopen         430
#define SBX_NR_fsconfig       431
#define SBX_NR_fsmount        432
#define SBX_NR_clone3         435
#define SBX_NR_openat2        437
#define SBX_NR_mount_setattr  442
#define SBX_NR_fchmodat2      452
#define SBX_NR_open_tree_attr 467 /* Linux 6.15 */

#define SBX_OPEN_TREE_CLONE   1u
#define SBX_OPEN_TREE_CLOEXEC 02000000u
#define SBX_AT_RECURSIVE      0x8000u
#define SBX_AT_EMPTY_PATH     0x1000u

#define SBX_MOVE_MOUNT_F_EMPTY_PATH 0x04u
#define SBX_MOVE_MOUNT_T_EMPTY_PATH 0x40u

#define SBX_FSOPEN_CLOEXEC      1u
#define SBX_FSMOUNT_CLOEXEC     1u
#define SBX_FSCONFIG_SET_FLAG   0u
#define SBX_FSCONFIG_SET_STRING 1u
#define SBX_FSCONFIG_CMD_CREATE 6u

#define SBX_MOUNT_ATTR_RDONLY 0x01u
#define SBX_MOUNT_ATTR_NOSUID 0x02u
#define SBX_MOUNT_ATTR_NODEV  0x04u
#define SBX_MOUNT_ATTR_NOEXEC 0x08u

#define SBX_RESOLVE_NO_XDEV       0x01u
#define SBX_RESOLVE_NO_MAGICLINKS 0x02u
#define SBX_RESOLVE_NO_SYMLINKS   0x04u
#define SBX_RESOLVE_BENEATH       0x08u
#define SBX_RESOLVE_IN_ROOT       0x10u

struct sbx_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct sbx_open_how {
    uint64_t flags, mode, resolve;
};

struct sbx_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
        cgroup;
};

static inline int sbx_open_tree(int dfd, const char *path, unsigned flags)
{
    return (int)syscall(SBX_NR_open_tree, dfd, path, flags);
}
static inline int sbx_open_tree_attr(int dfd, const char *path, unsigned flags, struct sbx_mount_attr *attr)
{
    return (int)syscall(SBX_NR_open_tree_attr, dfd, path, flags, attr, sizeof(*attr));
}
static inline int sbx_move_mount(int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags)
{
    return (int)syscall(SBX_NR_move_mount, from_dfd, from, to_dfd, to, flags);
}
static inline int sbx_mount_setattr(int dfd, const char *path, unsigned flags, struct sbx_mount_attr *attr)
{
    return (int)syscall(SBX_NR_mount_setattr, dfd, path, flags, attr, sizeof(*attr));
}
static inline int sbx_fsopen(const char *fsname, unsigned flags)
{
    return (int)syscall(SBX_NR_fsopen, fsname, flags);
}
static inline int sbx_fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux)
{
    return (int)syscall(SBX_NR_fsconfig, fd, cmd, key, value, aux);
}
static inline int sbx_fsmount(int fd, unsigned flags, unsigned attr)
{
    return (int)syscall(SBX_NR_fsmount, fd, flags, attr);
}
static inline int sbx_openat2(int dfd, const char *path, struct sbx_open_how *how)
{
    return (int)syscall(SBX_NR_openat2, dfd, path, how, sizeof(*how));
}
static inline long sbx_clone3(struct sbx_clone_args *args)
{
    return syscall(SBX_NR_clone3, args, sizeof(*args));
}
static inline int sbx_fchmodat2(int dfd, const char *path, unsigned mode, unsigned flags)
{
    return (int)syscall(SBX_NR_fchmodat2, dfd, path, mode, flags);
}
