/* setup.c: the new root. All paths inside it are resolved with openat2(RESOLVE_IN_ROOT) relative to an fd of
 * it, and new entries are created by name in an fd of their parent without following symlinks: a symlink that
 * an earlier sandboxed run planted in a writable bind can never make setup touch the host (CVE-2017-5226 and
 * the class of bugs around it). Mounts use the fd-based API: open_tree, mount_setattr, move_mount, fsmount.
 */
#include "setup.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "syscalls.h"
#include "utils.h"

struct root {
    int base;    /* the private tmpfs that holds both trees; it is discarded at the end */
    int oldroot; /* the host's root, where sources are resolved */
    int newroot; /* the new root, where destinations are resolved */
    unsigned n_data;
    const struct host *host;
};

/* "/a/b" -> "a/b"; "/" -> "." (openat2 needs a non-empty path) */
static const char *rel(const char *path)
{
    while (*path == '/')
        path++;
    return *path ? path : ".";
}

static int open_in(int root, const char *path, int flags)
{
    /* RESOLVE_IN_ROOT: absolute symlinks and ".." stay inside root; it also refuses magic links. */
    struct sbx_open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .resolve = SBX_RESOLVE_IN_ROOT };
    for (int tries = 0;; tries++) {
        int fd = sbx_openat2(root, rel(path), &how);
        /* EAGAIN: a rename raced with ".." resolution; the kernel asks us to retry */
        if (fd >= 0 || errno != EAGAIN || tries > 32)
            return fd;
    }
}

/* The entry name in its parent directory, without following it. */
static int open_child_nofollow(int dirfd, const char *name, int flags, mode_t mode)
{
    struct sbx_open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
                                .mode = (flags & O_CREAT) ? mode : 0,
                                .resolve = SBX_RESOLVE_BENEATH | SBX_RESOLVE_NO_SYMLINKS };
    return sbx_openat2(dirfd, name, &how);
}

/* Splits "a/b/c/" into parent "a/b" and last "c" (written into buf); returns last, or NULL when the path
 * ends in "." or ".." (nothing to create). */
static const char *split_path(const char *path, char *buf, size_t size, const char **parent)
{
    path = rel(path);
    size_t len = strlen(path);
    if (len >= size) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    memcpy(buf, path, len + 1);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0';
    char *slash = strrchr(buf, '/');
    const char *last = slash ? slash + 1 : buf;
    *parent = slash ? buf : ".";
    if (slash)
        *slash = '\0';
    if (strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
        errno = EEXIST;
        return NULL;
    }
    return last;
}

/* mkdir -p inside root; returns an O_PATH fd of the directory. Created directories get mode. */
static int ensure_dir(int root, const char *path, mode_t mode, bool *created)
{
    int fd = open_in(root, path, O_PATH | O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char buf[PATH_MAX];
    const char *parent;
    const char *last = split_path(path, buf, sizeof buf, &parent);
    if (!last)
        return -1;
    cleanup_fd int pfd = ensure_dir(root, parent, 0755, NULL);
    if (pfd < 0)
        return -1;
    if (mkdirat(pfd, last, mode) < 0 && errno != EEXIST)
        return -1;
    if (created)
        *created = true;
    return open_child_nofollow(pfd, last, O_PATH | O_DIRECTORY, 0);
}

/* The parent of path, created if missing; *last gets the entry's name. */
static int ensure_parent(int root, const char *path, char *buf, size_t size, const char **last)
{
    const char *parent;
    *last = split_path(path, buf, size, &parent);
    if (!*last)
        return -1;
    return ensure_dir(root, parent, 0755, NULL);
}

/* An existing entry of any type, or a new empty file: the mount point for a non-directory. */
static int ensure_file(int root, const char *path, mode_t mode)
{
    int fd = open_in(root, path, O_PATH);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char buf[PATH_MAX];
    const char *last;
    cleanup_fd int pfd = ensure_parent(root, path, buf, sizeof buf, &last);
    if (pfd < 0)
        return -1;
    fd = open_child_nofollow(pfd, last, O_CREAT | O_EXCL | O_WRONLY, mode);
    if (fd < 0 && errno == EEXIST)
        fd = open_child_nofollow(pfd, last, O_PATH, 0);
    return fd;
}

static void attach(int tree, int dest_fd, const char *what, const char *dest)
{
    if (sbx_move_mount(tree, "", dest_fd, "", SBX_MOVE_MOUNT_F_EMPTY_PATH | SBX_MOVE_MOUNT_T_EMPTY_PATH) < 0)
        die_errno("Can't mount %s on %s", what, dest);
}

/* A recursive clone of the tree at src_fd with attr set on every mount in it, detached. */
static int clone_tree(int src_fd, unsigned attr)
{
    int tree = sbx_open_tree(
        src_fd, "", SBX_OPEN_TREE_CLONE | SBX_OPEN_TREE_CLOEXEC | SBX_AT_RECURSIVE | SBX_AT_EMPTY_PATH);
    if (tree < 0)
        return -1;
    /* One call for the whole tree: no per-submount remount, no mountinfo parsing. */
    struct sbx_mount_attr ma = { .attr_set = attr };
    if (sbx_mount_setattr(tree, "", SBX_AT_EMPTY_PATH | SBX_AT_RECURSIVE, &ma) < 0) {
        close_fd(&tree);
        return -1;
    }
    return tree;
}

/* A new filesystem instance, detached: type with string options (key, value pairs), mounted with attr. */
static int new_fs(const char *type, const char *const *opts, unsigned attr)
{
    cleanup_fd int fs = sbx_fsopen(type, SBX_FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    /* the name mountinfo shows as the source, as mount(8) would give it */
    if (sbx_fsconfig(fs, SBX_FSCONFIG_SET_STRING, "source", type, 0) < 0)
        return -1;
    for (; opts && opts[0]; opts += 2)
        if (sbx_fsconfig(fs, SBX_FSCONFIG_SET_STRING, opts[0], opts[1], 0) < 0)
            return -1;
    if (sbx_fsconfig(fs, SBX_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -1;
    return sbx_fsmount(fs, SBX_FSMOUNT_CLOEXEC, attr);
}

/* After a mount onto the new root itself, our fd still names the covered directory: take the top one. */
static void refresh_newroot(struct root *r, int dest_fd)
{
    struct stat a, b;
    if (fstat(dest_fd, &a) < 0 || fstat(r->newroot, &b) < 0)
        die_errno("fstat");
    if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return;
    int fd = openat(r->base, "newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        die_errno("Can't open new root");
    close(r->newroot);
    r->newroot = fd;
}

static void mount_fs_at(struct root *r, const char *type, const char *const *opts, unsigned attr,
                        const char *dest)
{
    cleanup_fd int dest_fd = ensure_dir(r->newroot, dest, 0755, NULL);
    if (dest_fd < 0)
        die_errno("Can't mkdir %s", dest);
    cleanup_fd int fs = new_fs(type, opts, attr);
    if (fs < 0)
        die_errno("Can't mount %s on %s", type, dest);
    attach(fs, dest_fd, type, dest);
    refresh_newroot(r, dest_fd);
}

static void bind_fd_at(struct root *r, int src_fd, const struct op *op, const char *what)
{
    struct stat st;
    if (fstat(src_fd, &st) < 0)
        die_errno("Can't stat %s", what);
    cleanup_fd int dest_fd = S_ISDIR(st.st_mode) ? ensure_dir(r->newroot, op->dest, 0755, NULL)
                                                 : ensure_file(r->newroot, op->dest, 0444);
    if (dest_fd < 0)
        die_errno("Can't create %s %s", S_ISDIR(st.st_mode) ? "dir" : "file", op->dest);
    unsigned attr = SBX_MOUNT_ATTR_NOSUID;
    if (!(op->flags & OPF_DEV))
        attr |= SBX_MOUNT_ATTR_NODEV;
    if (op->flags & OPF_RO)
        attr |= SBX_MOUNT_ATTR_RDONLY;
    cleanup_fd int tree = clone_tree(src_fd, attr);
    if (tree < 0)
        die_errno("Can't bind mount %s on %s", what, op->dest);
    attach(tree, dest_fd, what, op->dest);
    refresh_newroot(r, dest_fd);
}

static void op_bind(struct root *r, const struct op *op)
{
    cleanup_fd int src = open_in(r->oldroot, op->src, O_PATH);
    if (src < 0) {
        if ((op->flags & OPF_TRY) && (errno == ENOENT || errno == EACCES))
            return;
        die_errno("Can't find source path %s", op->src);
    }
    bind_fd_at(r, src, op, op->src);
}

static void op_remount_ro(struct root *r, const struct op *op)
{
    cleanup_fd int fd = open_in(r->newroot, op->dest, O_PATH);
    struct sbx_mount_attr ma = { .attr_set = SBX_MOUNT_ATTR_RDONLY };
    if (fd < 0 || sbx_mount_setattr(fd, "", SBX_AT_EMPTY_PATH, &ma) < 0)
        die_errno("Can't remount readonly on %s", op->dest);
}

/* Parts of procfs that write to the whole machine; read-only even where our capabilities would allow more. */
static const char *const proc_covered[] = { "sys", "sysrq-trigger", "irq", "bus" };

static void op_proc(struct root *r, const struct op *op)
{
    mount_fs_at(r, "proc", NULL, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV | SBX_MOUNT_ATTR_NOEXEC,
                op->dest);
    cleanup_fd int proc = open_in(r->newroot, op->dest, O_PATH | O_DIRECTORY);
    if (proc < 0)
        die_errno("Can't open %s", op->dest);
    for (size_t i = 0; i < sizeof proc_covered / sizeof proc_covered[0]; i++) {
        cleanup_fd int fd = openat(proc, proc_covered[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        cleanup_fd int tree = clone_tree(fd, SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID |
                                                 SBX_MOUNT_ATTR_NODEV | SBX_MOUNT_ATTR_NOEXEC);
        if (tree < 0)
            die_errno("Can't remount readonly on %s/%s", op->dest, proc_covered[i]);
        attach(tree, fd, proc_covered[i], op->dest);
    }
}

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
static const char *const dev_links[][2] = {
    { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
    { "fd", "/proc/self/fd" },      { "core", "/proc/kcore" },       { "ptmx", "pts/ptmx" },
};

static void bind_dev_node(struct root *r, int devfd, const char *name, const char *host_path,
                          const char *dest)
{
    cleanup_fd int src = open_in(r->oldroot, host_path, O_PATH);
    if (src < 0)
        die_errno("Can't find source path /%s", rel(host_path));
    cleanup_fd int node = open_child_nofollow(devfd, name, O_CREAT | O_EXCL | O_WRONLY, 0444);
    if (node < 0)
        die_errno("Can't create file at %s/%s", dest, name);
    cleanup_fd int tree = clone_tree(src, SBX_MOUNT_ATTR_NOSUID);
    if (tree < 0)
        die_errno("Can't bind mount /%s on %s/%s", rel(host_path), dest, name);
    attach(tree, node, host_path, dest);
}

static void op_dev(struct root *r, const struct op *op)
{
    const char *dest = op->dest;
    mount_fs_at(r, "tmpfs", (const char *const[]){ "mode", "0755", NULL },
                SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV, dest);
    cleanup_fd int dev = open_in(r->newroot, dest, O_PATH | O_DIRECTORY);
    if (dev < 0)
        die_errno("Can't open %s", dest);
    for (size_t i = 0; i < sizeof dev_nodes / sizeof dev_nodes[0]; i++) {
        char host_path[32];
        snprintf(host_path, sizeof host_path, "dev/%s", dev_nodes[i]);
        bind_dev_node(r, dev, dev_nodes[i], host_path, dest);
    }
    for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
        if (symlinkat(dev_links[i][1], dev, dev_links[i][0]) < 0)
            die_errno("Can't create symlink %s/%s", dest, dev_links[i][0]);
    if (mkdirat(dev, "shm", 01777) < 0 || mkdirat(dev, "pts", 0755) < 0)
        die_errno("Can't create directories in %s", dest);
    cleanup_fd int pts = openat(dev, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* A private devpts instance (newinstance is the default since Linux 4.7); ptmxmode=0666 because our
     * /dev/ptmx is a symlink to it, as devpts(5) suggests for containers. */
    cleanup_fd int fs = new_fs("devpts", (const char *const[]){ "ptmxmode", "0666", "mode", "620", NULL },
                               SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NOEXEC);
    if (pts < 0 || fs < 0)
        die_errno("Can't mount devpts on %s/pts", dest);
    attach(fs, pts, "devpts", dest);
    if (r->host->tty)
        bind_dev_node(r, dev, "console", r->host->tty, dest);
}

static void op_tmpfs(struct root *r, const struct op *op)
{
    char mode[16], size[32];
    snprintf(mode, sizeof mode, "%04o", (op->flags & OPF_PERMS) ? (unsigned)op->perms : 0755u);
    snprintf(size, sizeof size, "%llu", op->size);
    const char *const opts[] = { "mode", mode, op->size ? "size" : NULL, size, NULL };
    mount_fs_at(r, "tmpfs", opts, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV, op->dest);
}

static void op_mqueue(struct root *r, const struct op *op)
{
    mount_fs_at(r, "mqueue", NULL, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV | SBX_MOUNT_ATTR_NOEXEC,
                op->dest);
}

static void op_dir(struct root *r, const struct op *op)
{
    bool created = false;
    mode_t mode = (op->flags & OPF_PERMS) ? op->perms : 0755;
    cleanup_fd int fd = ensure_dir(r->newroot, op->dest, mode, &created);
    if (fd < 0)
        die_errno("Can't mkdir %s", op->dest);
}

/* Writes the data of fd into a new file name in dirfd, with mode; returns the file's fd. */
static int write_data_file(int dirfd, const char *name, mode_t mode, int data_fd, const char *dest)
{
    int fd = open_child_nofollow(dirfd, name, O_CREAT | O_TRUNC | O_WRONLY, mode);
    if (fd < 0)
        die_errno("Can't create file at %s", dest);
    if (copy_fd(data_fd, fd) < 0)
        die_errno("Can't write data to file %s", dest);
    if (fchmod(fd, mode) < 0)
        die_errno("Can't chmod file %s", dest);
    return fd;
}

static void op_file(struct root *r, const struct op *op)
{
    char buf[PATH_MAX];
    const char *last;
    cleanup_fd int pfd = ensure_parent(r->newroot, op->dest, buf, sizeof buf, &last);
    if (pfd < 0)
        die_errno("Can't create file at %s", op->dest);
    cleanup_fd int fd =
        write_data_file(pfd, last, (op->flags & OPF_PERMS) ? op->perms : 0666, op->fd, op->dest);
}

static void op_bind_data(struct root *r, const struct op *op)
{
    char name[32];
    snprintf(name, sizeof name, "data-%u", r->n_data++);
    cleanup_fd int fd =
        write_data_file(r->base, name, (op->flags & OPF_PERMS) ? op->perms : 0600, op->fd, op->dest);
    bind_fd_at(r, fd, op, op->dest);
}

static void op_symlink(struct root *r, const struct op *op)
{
    char buf[PATH_MAX], target[PATH_MAX];
    const char *last;
    cleanup_fd int pfd = ensure_parent(r->newroot, op->dest, buf, sizeof buf, &last);
    if (pfd < 0)
        die_errno("Can't make symlink at %s", op->dest);
    if (symlinkat(op->src, pfd, last) == 0)
        return;
    int saved = errno;
    /* An identical symlink already there is not an error: it is what was asked for. */
    ssize_t n = readlinkat(pfd, last, target, sizeof target - 1);
    if (saved == EEXIST && n >= 0) {
        target[n] = '\0';
        if (strcmp(target, op->src) == 0)
            return;
        die("Can't make symlink at %s: existing destination is %s", op->dest, target);
    }
    errno = saved;
    die_errno("Can't make symlink at %s", op->dest);
}

static void op_chmod(struct root *r, const struct op *op)
{
    cleanup_fd int fd = open_in(r->newroot, op->dest, O_PATH);
    if (fd < 0)
        die_errno("Can't chmod %#o %s", (unsigned)op->perms, op->dest);
    if (sbx_fchmodat2(fd, "", op->perms, SBX_AT_EMPTY_PATH) == 0)
        return;
    /* Before Linux 6.6 an O_PATH fd is chmod-ed through its /proc link, the host's procfs being ours too. */
    char link[64];
    snprintf(link, sizeof link, "proc/self/fd/%d", fd);
    if (fchmodat(r->oldroot, link, op->perms, 0) < 0)
        die_errno("Can't chmod %#o %s", (unsigned)op->perms, op->dest);
}

typedef void op_fn(struct root *r, const struct op *op);

static op_fn *const op_fns[] = {
    [OP_BIND] = op_bind,
    [OP_REMOUNT_RO] = op_remount_ro,
    [OP_PROC] = op_proc,
    [OP_DEV] = op_dev,
    [OP_TMPFS] = op_tmpfs,
    [OP_MQUEUE] = op_mqueue,
    [OP_DIR] = op_dir,
    [OP_FILE] = op_file,
    [OP_BIND_DATA] = op_bind_data,
    [OP_SYMLINK] = op_symlink,
    [OP_CHMOD] = op_chmod,
};

/* A private tmpfs over /tmp (hidden, in our namespace only) becomes the root, with the host's root at
 * /oldroot and the new one at /newroot: sources resolve in the host's tree as the caller sees it (its /tmp
 * included), destinations in a tree that does not contain the host's. */
static void enter_base(struct root *r)
{
    /* MS_SLAVE|MS_REC: our mounts and unmounts must never propagate back to the host (mount_namespaces(7)).
     */
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        die_errno("Failed to make / slave");
    cleanup_fd int base = new_fs("tmpfs", (const char *const[]){ "mode", "0755", NULL },
                                 SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV);
    if (base < 0 || sbx_move_mount(base, "", AT_FDCWD, "/tmp", SBX_MOVE_MOUNT_F_EMPTY_PATH) < 0)
        die_errno("Failed to mount tmpfs on /tmp");
    if (chdir("/tmp") < 0 || mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0)
        die_errno("Failed to prepare the new root");
    cleanup_fd int nr = new_fs("tmpfs", (const char *const[]){ "mode", "0755", NULL },
                               SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV);
    if (nr < 0 || sbx_move_mount(nr, "", AT_FDCWD, "newroot", SBX_MOVE_MOUNT_F_EMPTY_PATH) < 0)
        die_errno("Failed to mount the new root");
    if (syscall(SYS_pivot_root, ".", "oldroot") < 0 || chdir("/") < 0)
        die_errno("pivot_root");
    r->base = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    r->oldroot = open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
    r->newroot = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r->base < 0 || r->oldroot < 0 || r->newroot < 0)
        die_errno("Failed to open the roots");
}

/* pivot_root(".", ".") stacks the old root over the new one; detaching it leaves only the new root, with no
 * directory of ours in it (pivot_root(2), NOTES). */
static void leave_base(struct root *r)
{
    if (fchdir(r->newroot) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
        die_errno("pivot_root");
    if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        die_errno("Failed to detach the old root");
    close(r->base);
    close(r->oldroot);
    close(r->newroot);
}

void setup_new_root(const struct plan *plan, const struct host *host)
{
    struct root r = { .host = host };
    enter_base(&r);
    for (size_t i = 0; i < plan->n_ops; i++)
        op_fns[plan->ops[i].type](&r, &plan->ops[i]);
    leave_base(&r);
}
