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
    bool new_pidns;
    bool root_unmapped;     /* (setup_facts) */
    struct stat newroot_st; /* what r->newroot names, to tell when a mount covered it */
    const struct host *host;
    /* The last destination's parent directory, kept: consecutive ops often share one (/etc/passwd,
     * /etc/group, ...). A mount can cover it only when its target is an entry that already existed (which may
     * be this directory, or one above it): then it is forgotten. */
    char parent_path[PATH_MAX];
    int parent_fd;
    /* ... and it is one we made (or our own empty root): what is in it is what ops put there, so a new name
     * there is tried first and looked up only if it exists (an entry of a host directory is looked up first)
     */
    bool parent_made;
    bool root_ours; /* nothing was mounted on the new root itself */
    bool detached;  /* the base is a detached mount (enter_base) */
};

/* Where an op's destination is: an entry that existed (fd), or one just made by name in a directory (at,
 * name): its new name cannot be the kept parent or above it. */
struct dest {
    int fd;
    int at;
    const char *name;
    char buf[PATH_MAX];
};

static void dest_close(struct dest *d)
{
    close_fd(&d->fd);
}
#define cleanup_dest __attribute__((cleanup(dest_close)))

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
    struct sbx_open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = SBX_RESOLVE_IN_ROOT};
    for (int tries = 0;; tries++) {
        int fd = sbx_openat2(root, rel(path), &how);
        /* EAGAIN: a rename raced with ".." resolution; the kernel asks us to retry */
        if (fd >= 0 || errno != EAGAIN || tries > 32)
            return fd;
    }
}

/* A source on the host: an absolute path from the host's root, a relative one from the caller's directory
 * (as bwrap's realpath(3) of it does), both resolved inside the host's root. */
static int open_source(const struct root *r, const char *src, int flags)
{
    if (src[0] == '/')
        return open_in(r->oldroot, src, flags);
    if (!r->host->cwd) {
        errno = ENOENT;
        return -1;
    }
    cleanup_free char *path = xasprintf("%s/%s", r->host->cwd, src);
    return open_in(r->oldroot, path, flags);
}

/* The entry name in its parent directory, without following it. */
static int open_child_nofollow(int dirfd, const char *name, int flags, mode_t mode)
{
    struct sbx_open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
                               .mode = (flags & O_CREAT) ? mode : 0,
                               .resolve = SBX_RESOLVE_BENEATH | SBX_RESOLVE_NO_SYMLINKS};
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

/* The mode bwrap gives to missing parents of an op's destination: 0755 less the group and other bits that the
 * op's own mode lacks. Ops without a mode count as 0, so their new parents are 0700. */
static mode_t op_mode(const struct op *op)
{
    static const mode_t defaults[] = {
        [OP_TMPFS] = 0755, [OP_DIR] = 0755, [OP_FILE] = 0666, [OP_BIND_DATA] = 0600};
    if (op->flags & OPF_PERMS)
        return op->perms;
    return (size_t)op->type < sizeof defaults / sizeof defaults[0] ? defaults[op->type] : 0;
}

static mode_t parent_mode(const struct op *op)
{
    mode_t perms = op_mode(op), mode = 0755;
    if (!(perms & 070))
        mode &= ~(mode_t)050;
    if (!(perms & 07))
        mode &= ~(mode_t)05;
    return mode;
}

/* mkdir -p inside root; returns an O_PATH fd of the directory. An existing one is kept as it is. */
static int ensure_dir(int root, const char *path, mode_t mode, mode_t parents, bool *made)
{
    *made = false;
    int fd = open_in(root, path, O_PATH | O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char buf[PATH_MAX];
    const char *parent;
    const char *last = split_path(path, buf, sizeof buf, &parent);
    if (!last)
        return -1;
    bool above;
    cleanup_fd int pfd = ensure_dir(root, parent, parents, parents, &above);
    if (pfd < 0)
        return -1;
    if (mkdirat(pfd, last, mode) == 0)
        *made = true;
    else if (errno != EEXIST)
        return -1;
    return open_child_nofollow(pfd, last, O_PATH | O_DIRECTORY, 0);
}

static void forget_parent(struct root *r)
{
    close_fd(&r->parent_fd);
    r->parent_fd = -1;
}

/* Step two of every op that has a destination: its missing parents. Returns an fd of the parent directory
 * (the root's to close, not the caller's) and sets *last to the destination's name in it; -1 with *last NULL
 * when the destination is the root itself. */
static int make_parents(struct root *r, const struct op *op, char *buf, size_t size, const char **last)
{
    const char *parent;
    *last = split_path(op->dest, buf, size, &parent);
    if (!*last && errno == ENAMETOOLONG)
        die_errno("Can't mkdir parents for %s", op->dest);
    if (!*last)
        return -1;
    if (strcmp(parent, ".") == 0) /* the root itself: always at hand */
        return r->newroot;
    if (r->parent_fd >= 0 && strcmp(parent, r->parent_path) == 0)
        return r->parent_fd;
    mode_t mode = parent_mode(op);
    bool made;
    int fd = ensure_dir(r->newroot, parent, mode, mode, &made);
    if (fd < 0)
        die_errno("Can't mkdir parents for %s", op->dest);
    forget_parent(r);
    r->parent_made = made;
    snprintf(r->parent_path, sizeof r->parent_path, "%s", parent); /* parent is shorter than PATH_MAX */
    r->parent_fd = fd;
    return fd;
}

/* Called when looking the destination up just failed (errno says why): when it is merely missing, its parent
 * directory, made as needed (the root's), and *last its name there; else -1, errno kept. */
static int parent_of_missing(struct root *r, const struct op *op, char *buf, size_t size, const char **last)
{
    int err = errno;
    int pfd = make_parents(r, op, buf, size, last);
    errno = err;
    return err == ENOENT ? pfd : -1;
}

/* The directory to make the op's destination in straight away: the kept parent when we made it, the root
 * while nothing is mounted on it; else -1 (d->name is set either way). Making it first saves the lookup;
 * EEXIST sends the caller the usual way, which follows a symlink there in the root. */
static int in_made_parent(struct root *r, const struct op *op, struct dest *d)
{
    const char *parent;
    d->name = split_path(op->dest, d->buf, sizeof d->buf, &parent);
    if (!d->name)
        return -1;
    if (strcmp(parent, ".") == 0)
        return r->root_ours ? r->newroot : -1;
    return r->parent_fd >= 0 && r->parent_made && strcmp(parent, r->parent_path) == 0 ? r->parent_fd : -1;
}

/* A new entry name in dirfd: a directory, or an empty regular file (mknod(2) makes one without opening it);
 * neither call follows a symlink at the name. On success the destination is that name. */
static int make_entry(struct dest *d, int dirfd, bool dir, mode_t mode)
{
    int r = dir ? mkdirat(dirfd, d->name, mode) : mknodat(dirfd, d->name, S_IFREG | mode, 0);
    if (r == 0)
        d->at = dirfd;
    return r;
}

/* The op's destination, a directory for dir, else anything but one: the existing entry (one lookup, the
 * common case), or a new one with mode, its parents made as needed. 0, or -1 with errno. */
static int find_dest(struct root *r, const struct op *op, bool dir, mode_t mode, struct dest *d)
{
    const int type = dir ? O_DIRECTORY : 0;
    d->at = -1;
    d->fd = -1;
    int made = in_made_parent(r, op, d);
    if (made >= 0 && make_entry(d, made, dir, mode) == 0)
        return 0;
    if (made >= 0 && errno != EEXIST)
        return -1;
    d->fd = open_in(r->newroot, op->dest, O_PATH | type);
    if (d->fd >= 0) {
        struct stat st;
        if (dir || (fstat(d->fd, &st) == 0 && !S_ISDIR(st.st_mode)))
            return 0;
        close_fd(&d->fd);
        d->fd = -1;
        errno = EISDIR;
        return -1;
    }
    int pfd = parent_of_missing(r, op, d->buf, sizeof d->buf, &d->name);
    if (pfd < 0)
        return -1;
    if (make_entry(d, pfd, dir, mode) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    d->fd = open_child_nofollow(pfd, d->name, O_PATH | type, 0); /* it appeared meanwhile */
    return d->fd < 0 ? -1 : 0;
}

static int dest_dir(struct root *r, const struct op *op, mode_t mode, struct dest *d)
{
    return find_dest(r, op, true, mode, d);
}

/* bwrap names mount targets by their place in the staging root; so do we, for the same messages. */
static const char *staged(const char *tree, const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "/%s/%s", tree, strcmp(rel(path), ".") ? rel(path) : "");
    return buf;
}

#define NEWROOT_PATH(path) staged("newroot", (path), (char[PATH_MAX + 16]){0}, PATH_MAX + 16)
#define OLDROOT_PATH(path) staged("oldroot", (path), (char[PATH_MAX + 16]){0}, PATH_MAX + 16)

static int attach(int tree, int dest_fd)
{
    return sbx_move_mount(tree, "", dest_fd, "", SBX_MOVE_MOUNT_F_EMPTY_PATH | SBX_MOVE_MOUNT_T_EMPTY_PATH);
}

/* A new entry is named in its directory: without MOVE_MOUNT_T_SYMLINKS the name itself is not followed
 * (move_mount(2)), should it have been swapped for a symlink since we made it. */
static int attach_at(int tree, int dirfd, const char *name)
{
    return sbx_move_mount(tree, "", dirfd, name, SBX_MOVE_MOUNT_F_EMPTY_PATH);
}

static int attach_dest(int tree, const struct dest *d)
{
    return d->fd >= 0 ? attach(tree, d->fd) : attach_at(tree, d->at, d->name);
}

/* A recursive clone of the tree at src_fd with attr set on every mount in it, detached. */
static int clone_tree(int src_fd, unsigned attr)
{
    static bool no_attr_call; /* open_tree_attr(2) is Linux 6.15's: one call where there were two */
    /* One call for the whole tree: flags are only ever added, no per-submount remount, no mountinfo. */
    struct sbx_mount_attr ma = {.attr_set = attr};
    unsigned flags = SBX_OPEN_TREE_CLONE | SBX_OPEN_TREE_CLOEXEC | SBX_AT_RECURSIVE | SBX_AT_EMPTY_PATH;
    if (!no_attr_call) {
        int tree = sbx_open_tree_attr(src_fd, "", flags, &ma);
        if (tree >= 0 || errno != ENOSYS)
            return tree;
        no_attr_call = true;
    }
    int tree = sbx_open_tree(src_fd, "", flags);
    if (tree < 0)
        return -1;
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
    for (; opts && opts[0]; opts += 2) {
        unsigned cmd = opts[1] ? SBX_FSCONFIG_SET_STRING : SBX_FSCONFIG_SET_FLAG;
        if (sbx_fsconfig(fs, cmd, opts[0], opts[1], 0) < 0)
            return -1;
    }
    if (sbx_fsconfig(fs, SBX_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -1;
    return sbx_fsmount(fs, SBX_FSMOUNT_CLOEXEC, attr);
}

/* After a mount onto the new root itself, our fd still names the covered directory: take the top one. */
static void open_newroot(struct root *r)
{
    int fd = openat(r->base, "newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &r->newroot_st) < 0)
        die_errno("can't open /newroot");
    close_fd(&r->newroot);
    r->newroot = fd;
}

/* After a mount on d: if it covered the new root itself, take the top one; an entry that existed may have
 * been the kept parent directory, or above it. */
static void mounted_on(struct root *r, const struct dest *d)
{
    if (d->fd < 0)
        return;
    forget_parent(r);
    struct stat st;
    if (fstat(d->fd, &st) < 0)
        die_errno("fstat");
    if (st.st_dev == r->newroot_st.st_dev && st.st_ino == r->newroot_st.st_ino) {
        open_newroot(r);
        r->root_ours = false;
    }
}

/* A fresh filesystem on the op's destination directory (made if missing). */
static void mount_fs_at(struct root *r, const struct op *op, const char *type, const char *const *opts,
                        unsigned attr)
{
    cleanup_dest struct dest d;
    if (dest_dir(r, op, 0755, &d) < 0)
        die_errno("Can't mkdir %s", op->dest);
    cleanup_fd int fs = new_fs(type, opts, attr);
    if (fs < 0 || attach_dest(fs, &d) < 0)
        die_errno("Can't mount %s on %s", type, NEWROOT_PATH(op->dest));
    mounted_on(r, &d);
}

/* How messages name a source: src_path in the staging tree src_tree, or as it is for src_tree NULL (formatted
 * only when there is a message to give). */
#define SOURCE_NAME(tree, path) \
    ((tree) ? staged((tree), (path), (char[PATH_MAX + 16]){0}, PATH_MAX + 16) : (path))

/* Binds the tree at src_fd on the op's destination, made a directory or a file to match it. */
static void bind_fd_at(struct root *r, int src_fd, const struct op *op, const char *src_tree,
                       const char *src_path)
{
    struct stat st;
    if (fstat(src_fd, &st) < 0)
        die_errno("Can't get type of source %s", SOURCE_NAME(src_tree, src_path));
    bool dir = S_ISDIR(st.st_mode);
    cleanup_dest struct dest d;
    if (find_dest(r, op, dir, dir ? 0755 : 0444, &d) < 0)
        die_errno(dir ? "Can't mkdir %s" : "Can't create file at %s", op->dest);
    unsigned attr = SBX_MOUNT_ATTR_NOSUID;
    if (!(op->flags & OPF_DEV))
        attr |= SBX_MOUNT_ATTR_NODEV;
    if (op->flags & OPF_RO)
        attr |= SBX_MOUNT_ATTR_RDONLY;
    cleanup_fd int tree = clone_tree(src_fd, attr);
    if (tree < 0 || attach_dest(tree, &d) < 0)
        die_errno("Can't bind mount %s on %s: Unable to mount source on destination",
                  SOURCE_NAME(src_tree, src_path), NEWROOT_PATH(op->dest));
    mounted_on(r, &d);
}

static void op_bind(struct root *r, const struct op *op)
{
    if (op->flags & OPF_FD) {
        /* --bind-fd: the tree is cloned from the fd itself, so what is mounted is the fd's by construction */
        char name[32];
        snprintf(name, sizeof name, "/proc/self/fd/%d", op->fd);
        bind_fd_at(r, op->fd, op, NULL, name);
        close(op->fd);
        return;
    }
    cleanup_fd int src = open_source(r, op->src, O_PATH);
    if (src < 0) {
        if ((op->flags & OPF_TRY) && errno == ENOENT)
            return;
        die_errno("Can't find source path %s", op->src);
    }
    bind_fd_at(r, src, op, "oldroot", op->src);
}

static void op_remount_ro(struct root *r, const struct op *op)
{
    char buf[PATH_MAX];
    const char *last;
    (void)make_parents(r, op, buf, sizeof buf, &last);
    cleanup_fd int fd = open_in(r->newroot, op->dest, O_PATH);
    if (fd < 0)
        die_errno("Can't remount readonly on %s: realpath(destination)", NEWROOT_PATH(op->dest));
    struct sbx_mount_attr ma = {.attr_set =
                                    SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV};
    if (fd < 0 || sbx_mount_setattr(fd, "", SBX_AT_EMPTY_PATH, &ma) < 0) {
        if (errno == EINVAL) /* not a mount point: bwrap's words for what its mount table walk finds */
            die("Can't remount readonly on %s: Unable to find \"%s\" in mount table", NEWROOT_PATH(op->dest),
                NEWROOT_PATH(op->dest));
        die_errno("Can't remount readonly on %s", NEWROOT_PATH(op->dest));
    }
}

/* Parts of procfs that act on the whole machine: read-only wherever they would be writable. */
static const char *const proc_covered[] = {"sys", "sysrq-trigger", "irq", "bus"};

static void cover_proc(struct root *r, const struct op *op)
{
    /* They all belong to the initial namespace's root and have no write bit for others: where that root has
     * no uid here, nothing of ours may write them (no CAP_DAC_OVERRIDE over an unmapped owner,
     * capabilities(7)), and the answer of each access(2) is known. */
    if (r->root_unmapped)
        return;
    forget_parent(r); /* (mounts below an entry that existed) */
    cleanup_fd int proc = open_in(r->newroot, op->dest, O_PATH | O_DIRECTORY);
    if (proc < 0)
        die_errno("Can't open %s", NEWROOT_PATH(op->dest));
    for (size_t i = 0; i < sizeof proc_covered / sizeof proc_covered[0]; i++) {
        const char *name = proc_covered[i];
        if (faccessat(proc, name, W_OK, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == EACCES || errno == ENOENT || errno == EROFS)
                continue;
            die_errno("Can't access %s/%s", NEWROOT_PATH(op->dest), name);
        }
        cleanup_fd int fd = openat(proc, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        cleanup_fd int tree =
            fd < 0 ? -1
                   : clone_tree(fd, SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV);
        if (tree < 0 || attach(tree, fd) < 0)
            die_errno("Can't remount readonly on %s/%s", NEWROOT_PATH(op->dest), name);
    }
}

/* A pid namespace of our own gets a procfs of its own; without one, a fresh procfs would show the host's
 * pids, and a user namespace may not mount that (proc(5)): bind the host's /proc instead, as bwrap does. */
static void op_proc(struct root *r, const struct op *op)
{
    if (r->new_pidns) {
        mount_fs_at(r, op, "proc", NULL,
                    SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV | SBX_MOUNT_ATTR_NOEXEC);
    } else {
        cleanup_fd int src = open_in(r->oldroot, "proc", O_PATH | O_DIRECTORY);
        if (src < 0)
            die_errno("Can't find source path /proc");
        bind_fd_at(r, src, op, NULL, "/oldroot/proc");
    }
    cover_proc(r, op);
}

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
static const char *const dev_links[][2] = {
    {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
    {"fd", "/proc/self/fd"},      {"core", "/proc/kcore"},
};

/* An empty file name in devfd with the host's device host_path bound on it, devices allowed. */
static void bind_dev_node(struct root *r, int devfd, const char *name, const char *host_path,
                          const char *dest)
{
    if (mknodat(devfd, name, S_IFREG | 0444, 0) < 0)
        die_errno("Can't create file %s/%s", dest, name);
    cleanup_fd int src = open_in(r->oldroot, host_path, O_PATH);
    cleanup_fd int tree = src < 0 ? -1 : clone_tree(src, SBX_MOUNT_ATTR_NOSUID);
    if (tree < 0 || attach_at(tree, devfd, name) < 0)
        die_errno("Can't bind mount %s on %s/%s", OLDROOT_PATH(host_path), NEWROOT_PATH(dest), name);
}

static void mount_devpts(int dev, const char *dest)
{
    /* A private instance (newinstance is the default since Linux 4.7); ptmxmode=0666 because our /dev/ptmx is
     * a symlink to its ptmx, as devpts(5) describes for containers. */
    if (mkdirat(dev, "pts", 0755) < 0)
        die_errno("Can't create %s/devpts", dest);
    cleanup_fd int fs = new_fs("devpts", (const char *const[]){"ptmxmode", "0666", "mode", "620", NULL},
                               SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NOEXEC);
    if (fs < 0 || attach_at(fs, dev, "pts") < 0)
        die_errno("Can't mount devpts on %s/pts", NEWROOT_PATH(dest));
    if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
        die_errno("Can't make symlink at %s/ptmx", dest);
}

static void op_dev(struct root *r, const struct op *op)
{
    const char *dest = op->dest;
    cleanup_dest struct dest d;
    if (dest_dir(r, op, 0755, &d) < 0)
        die_errno("Can't mkdir %s", dest);
    /* the new tmpfs's own fd, once attached, is its root: where the nodes go */
    cleanup_fd int dev = new_fs("tmpfs", (const char *const[]){"mode", "0755", NULL},
                                SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV);
    if (dev < 0 || attach_dest(dev, &d) < 0)
        die_errno("Can't mount tmpfs on %s", NEWROOT_PATH(dest));
    mounted_on(r, &d);
    for (size_t i = 0; i < sizeof dev_nodes / sizeof dev_nodes[0]; i++) {
        char host_path[32];
        snprintf(host_path, sizeof host_path, "/dev/%s", dev_nodes[i]);
        bind_dev_node(r, dev, dev_nodes[i], host_path, dest);
    }
    for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
        if (symlinkat(dev_links[i][1], dev, dev_links[i][0]) < 0)
            die_errno("Can't create symlink %s/%s", dest, dev_links[i][0]);
    if (mkdirat(dev, "shm", 0755) < 0)
        die_errno("Can't create %s/shm", dest);
    mount_devpts(dev, dest);
    /* the terminal on our stdout, so that the command's /dev/console works as it does on a real system */
    if (r->host->tty)
        bind_dev_node(r, dev, "console", r->host->tty, dest);
}

static void op_tmpfs(struct root *r, const struct op *op)
{
    char mode[16], size[32];
    snprintf(mode, sizeof mode, "%#o", (unsigned)op_mode(op));
    snprintf(size, sizeof size, "%llu", op->size);
    const char *const opts[] = {"mode", mode, op->size ? "size" : NULL, size, NULL};
    mount_fs_at(r, op, "tmpfs", opts, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV);
}

static void op_mqueue(struct root *r, const struct op *op)
{
    mount_fs_at(r, op, "mqueue", NULL, 0);
}

static void op_dir(struct root *r, const struct op *op)
{
    cleanup_dest struct dest d;
    if (dest_dir(r, op, op_mode(op), &d) < 0)
        die_errno("Can't mkdir %s", op->dest);
}

static void op_file(struct root *r, const struct op *op)
{
    char buf[PATH_MAX];
    const char *last;
    int pfd = make_parents(r, op, buf, sizeof buf, &last);
    if (pfd < 0)
        errno = EISDIR;
    /* like creat(2): an existing file is truncated and keeps its mode; never through a symlink */
    /* O_NONBLOCK: a FIFO planted where the file goes must not hang setup; only a regular file is written */
    cleanup_fd int fd =
        pfd < 0 ? -1 : open_child_nofollow(pfd, last, O_CREAT | O_TRUNC | O_WRONLY | O_NONBLOCK, op_mode(op));
    if (fd < 0)
        die_errno("Can't create file %s", op->dest);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        die("Can't create file %s: not a regular file", op->dest);
    if (fcntl(fd, F_SETFL, 0) < 0)
        die_errno("Can't create file %s", op->dest);
    if (copy_fd(op->fd, fd) < 0)
        die_errno("Can't write data to file %s", op->dest);
    consume_fd(op->fd); /* the command does not get it */
}

static void op_bind_data(struct root *r, const struct op *op)
{
    char name[32];
    snprintf(name, sizeof name, "bindfile%u", r->n_data++);
    cleanup_fd int fd = open_child_nofollow(r->base, name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0)
        die_errno("Can't create tmpfile for %s", op->dest);
    if (fchmod(fd, op_mode(op)) < 0)
        die_errno("Can't set mode %#o on file to be used for %s", (unsigned)op_mode(op), op->dest);
    if (copy_fd(op->fd, fd) < 0)
        die_errno("Can't write data to file %s", op->dest);
    consume_fd(op->fd);
    bind_fd_at(r, fd, op, NULL, name);
}

static void op_symlink(struct root *r, const struct op *op)
{
    char buf[PATH_MAX], target[PATH_MAX];
    const char *last;
    int pfd = make_parents(r, op, buf, sizeof buf, &last);
    if (pfd < 0) {
        errno = EEXIST;
        die_errno("Can't make symlink at %s", op->dest);
    }
    if (symlinkat(op->src, pfd, last) == 0)
        return;
    if (errno != EEXIST)
        die_errno("Can't make symlink at %s", op->dest);
    /* An identical symlink already there is what was asked for (bwrap 0.11). */
    ssize_t n = readlinkat(pfd, last, target, sizeof target - 1);
    if (n < 0 && errno == EINVAL)
        die("Can't make symlink at %s: destination exists and is not a symlink", op->dest);
    if (n < 0)
        die_errno("Can't make symlink at %s: destination exists, and cannot read symlink target", op->dest);
    target[n] = '\0';
    if (strcmp(target, op->src) != 0)
        die("Can't make symlink at %s: existing destination is %s", op->dest, target);
}

static void op_chmod(struct root *r, const struct op *op)
{
    cleanup_fd int fd = open_in(r->newroot, op->dest, O_PATH);
    if (fd < 0)
        die_errno("Can't chmod %#o %s", (unsigned)op->perms, op->dest);
    if (sbx_fchmodat2(fd, "", op->perms, SBX_AT_EMPTY_PATH) == 0)
        return;
    /* Before Linux 6.6 an O_PATH fd is chmod-ed through its /proc link; the host's procfs knows our pid. */
    char link[64];
    snprintf(link, sizeof link, "proc/self/fd/%d", fd);
    if (fchmodat(r->oldroot, link, op->perms, 0) < 0)
        die_errno("Can't chmod %#o %s", (unsigned)op->perms, op->dest);
}

/* Appends the host path src, as overlayfs will look it up from our staging root, with its option separators
 * escaped (overlayfs(5): "\", ":" and "," in lowerdir need a backslash). */
static void add_layer_path(struct root *r, const char *src, char *buf, size_t size)
{
    cleanup_fd int fd = open_source(r, src, O_PATH | O_DIRECTORY);
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "proc/self/fd/%d", fd);
    ssize_t n = fd < 0 ? -1 : readlinkat(r->oldroot, link, path, sizeof path - 1);
    if (n < 0)
        die_errno("Can't find source path %s", src);
    path[n] = '\0';
    size_t len = strlen(buf);
    for (const char *p = path; *p && len + 2 < size; p++) {
        if (*p == '\\' || *p == ':' || *p == ',')
            buf[len++] = '\\';
        buf[len++] = *p;
    }
    buf[len] = '\0';
}

static void op_overlay(struct root *r, const struct op *op)
{
    static char lower[16384], upper[PATH_MAX + 32], work[PATH_MAX + 32];
    lower[0] = upper[0] = work[0] = '\0';
    for (size_t i = op->n_layers; i-- > 0;) { /* the last given is the topmost */
        add_layer_path(r, op->layers[i], lower, sizeof lower);
        if (i > 0)
            buf_append(lower, sizeof lower, ":");
    }
    if (op->src) {
        add_layer_path(r, op->src, upper, sizeof upper);
        add_layer_path(r, op->src2, work, sizeof work);
    } else if (op->flags & OPF_TMP) {
        unsigned n = r->n_data++;
        snprintf(upper, sizeof upper, "/tmp-overlay-upper-%u", n);
        snprintf(work, sizeof work, "/tmp-overlay-work-%u", n);
        if (mkdirat(r->base, upper + 1, 0755) < 0)
            die_errno("Creating --tmp-overlay upperdir failed");
        if (mkdirat(r->base, work + 1, 0755) < 0)
            die_errno("Creating --tmp-overlay workdir failed");
    }
    const char *opts[] = {"lowerdir", lower,     "userxattr", NULL, upper[0] ? "upperdir" : NULL,
                          upper,      "workdir", work,        NULL};
    cleanup_dest struct dest d;
    if (dest_dir(r, op, 0755, &d) < 0)
        die_errno("Can't mkdir %s", op->dest);
    cleanup_fd int fs = new_fs("overlay", opts, 0);
    if (fs < 0 || attach_dest(fs, &d) < 0) {
        /* the options as one string, in bwrap's order, for its messages */
        char all[sizeof lower + sizeof upper + sizeof work + 64];
        if (upper[0])
            snprintf(all, sizeof all, "upperdir=%s,workdir=%s,lowerdir=%s,userxattr", upper, work, lower);
        else
            snprintf(all, sizeof all, "lowerdir=%s,userxattr", lower);
        if (errno == ELOOP)
            die("Can't make overlay mount on %s with options %s: Overlay directories may not overlap",
                NEWROOT_PATH(op->dest), all);
        die_errno("Can't make overlay mount on %s with options %s", NEWROOT_PATH(op->dest), all);
    }
    mounted_on(r, &d);
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
    [OP_OVERLAY] = op_overlay,
};

/* The staging tree: a private tmpfs, the base, with the new root (a tmpfs of its own) at base/newroot;
 * sources resolve in the host's tree as the caller sees it, destinations in a tree that does not contain the
 * host's, and what the data ops make (--ro-bind-data's files) stays in the base, outside the new root.
 *
 * Since Linux 6.15 a detached mount may be mounted on (may_copy_tree() and the mount checks accept the
 * caller's own anonymous mount namespaces): the base stays detached, and the host's root, unmoved, is where
 * sources resolve. Before that, the base goes over /tmp and becomes our root with pivot_root(2), the host's
 * root at /oldroot, as bwrap does (its /tmp visible again there). Overlays and --remount-ro always take that
 * second way (needs_pivot). */
static bool stage_detached(struct root *r, int base)
{
    if (mkdirat(base, "newroot", 0755) < 0)
        die_errno("Creating newroot failed");
    /* the new root is base/newroot bound on itself, as bwrap's is (pivot_root wants a mount) */
    cleanup_fd int nr = sbx_open_tree(base, "newroot", SBX_OPEN_TREE_CLONE | SBX_OPEN_TREE_CLOEXEC);
    if (nr < 0 || sbx_move_mount(nr, "", base, "newroot", SBX_MOVE_MOUNT_F_EMPTY_PATH) < 0) {
        if (errno == EINVAL) /* an older kernel: the other way */
            return false;
        die_errno("setting up newroot bind");
    }
    r->detached = true;
    r->base = fcntl(base, F_DUPFD_CLOEXEC, 3);
    r->oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    return true;
}

static void stage_pivoted(struct root *r, int base)
{
    cleanup_fd int nr = new_fs("tmpfs", (const char *const[]){"mode", "0755", NULL},
                               SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV);
    if (nr < 0)
        die_errno("Failed to mount tmpfs");
    if (sbx_move_mount(base, "", AT_FDCWD, "/tmp", SBX_MOVE_MOUNT_F_EMPTY_PATH) < 0)
        die_errno("Failed to mount tmpfs");
    if (chdir("/tmp") < 0)
        die_errno("chdir base_path");
    if (mkdirat(base, "newroot", 0755) < 0 && errno != EEXIST)
        die_errno("Creating newroot failed");
    if (mkdir("oldroot", 0755) < 0)
        die_errno("Creating oldroot failed");
    if (sbx_move_mount(nr, "", AT_FDCWD, "newroot", SBX_MOVE_MOUNT_F_EMPTY_PATH) < 0)
        die_errno("setting up newroot bind");
    if (syscall(SYS_pivot_root, ".", "oldroot") < 0 || chdir("/") < 0)
        die_errno("pivot_root");
    r->base = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    r->oldroot = open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* What only the pivoted way can do: an overlay's --tmp-overlay directories are named by path from our root,
 * and mount_setattr(2) changes no mount inside a detached tree but its top one (--remount-ro). */
static bool needs_pivot(const struct plan *plan)
{
    return plan_has_op(plan, OP_OVERLAY) || plan_has_op(plan, OP_REMOUNT_RO);
}

static int prepared_base = -1;

void setup_prepare(void)
{
    /* MS_SLAVE|MS_REC: our mounts and unmounts must never propagate back to the host (mount_namespaces(7)).
     */
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        die_errno("Failed to make / slave");
    prepared_base = new_fs("tmpfs", (const char *const[]){"mode", "0755", NULL},
                           SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV);
    if (prepared_base < 0)
        die_errno("Failed to mount tmpfs");
}

static void enter_base(struct root *r, const struct plan *plan)
{
    if (prepared_base < 0)
        setup_prepare();
    cleanup_fd int base = prepared_base;
    prepared_base = -1;
    r->newroot = -1;
    if (needs_pivot(plan) || !stage_detached(r, base))
        stage_pivoted(r, base);
    if (r->base < 0 || r->oldroot < 0)
        die_errno("Failed to open the roots");
    open_newroot(r);
}

/* pivot_root(".", ".") stacks the old root over the new one; detaching it leaves only the new root, with no
 * directory of ours in it (pivot_root(2), NOTES). A detached base is first put on /tmp, now that no source is
 * left to resolve: pivot_root wants the new root in our own mount namespace. Not on / itself: stacked on the
 * old root's own root, the base would be what the unmount detaches, and the old root would stay under the new
 * one, where "/.." leads (the escape test of tests/escape.bats). */
static void leave_base(struct root *r)
{
    forget_parent(r);
    if (r->detached && sbx_move_mount(r->base, "", AT_FDCWD, "/tmp", SBX_MOVE_MOUNT_F_EMPTY_PATH) < 0)
        die_errno("Failed to mount tmpfs");
    if (fchdir(r->newroot) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
        die_errno("pivot_root");
    if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        die_errno("Failed to detach the old root");
    close(r->base);
    close(r->oldroot);
    close(r->newroot);
}

/* A --bind-fd fd names a mount of the caller's namespace, which open_tree(2) may not clone from ours: find
 * the same directory in our copy of that namespace, and make sure it is the very same one (no rename raced).
 */
static void take_fd_sources(struct plan *plan)
{
    for (size_t i = 0; i < plan->n_ops; i++) {
        struct op *op = &plan->ops[i];
        if (op->type != OP_BIND || !(op->flags & OPF_FD))
            continue;
        char link[64], path[PATH_MAX];
        struct stat a, b;
        snprintf(link, sizeof link, "/proc/self/fd/%d", op->fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        if (n < 0)
            die_errno("Can't find source path %s", link);
        path[n] = '\0';
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
            die_errno("Can't find source path %s", link);
        if (fstat(op->fd, &a) < 0)
            die_errno("Can't stat fd %d", op->fd);
        if (fstat(fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
            die("Race condition binding dirfd");
        consume_fd(op->fd);
        op->fd = fd;
    }
}

void setup_new_root(struct plan *plan, const struct host *host, struct setup_facts facts)
{
    struct root r = {.host = host,
                     .new_pidns = facts.new_pidns,
                     .root_unmapped = facts.root_unmapped,
                     .parent_fd = -1,
                     .root_ours = true};
    take_fd_sources(plan);
    enter_base(&r, plan);
    for (size_t i = 0; i < plan->n_ops; i++)
        op_fns[plan->ops[i].type](&r, &plan->ops[i]);
    leave_base(&r);
}
