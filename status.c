/* status.c: the JSON documents for --info-fd and --json-status-fd. */
#include "status.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "utils.h"

/* bwrap's order; the user namespace is never listed, the mount namespace always is */
static const struct {
    const char *name;
    unsigned long flag;
} namespaces[] = {
    {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"mnt", CLONE_NEWNS},
    {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID}, {"uts", CLONE_NEWUTS},
};

/* Appends the namespace members to buf, each as sep "name-namespace": inode. */
static void add_namespaces(char *buf, size_t size, pid_t child, unsigned long ns, const char *sep)
{
    for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
        char path[64];
        struct stat st;
        if (!(ns & namespaces[i].flag))
            continue;
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)child, namespaces[i].name);
        if (stat(path, &st) < 0)
            continue;
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s\"%s-namespace\": %llu", sep, namespaces[i].name,
                 (unsigned long long)st.st_ino);
    }
}

static void write_doc(int fd, const char *doc)
{
    if (write_all(fd, doc, strlen(doc)) < 0)
        die_errno("Write to info_fd");
}

void status_write_info(int fd, pid_t child, unsigned long ns)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{\n    \"child-pid\": %d", (int)child);
    add_namespaces(buf, sizeof buf - 4, child, ns, ",\n    ");
    buf_append(buf, sizeof buf, "\n}\n");
    write_doc(fd, buf);
}

void status_write_start(int fd, pid_t child, unsigned long ns)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{ \"child-pid\": %d", (int)child);
    add_namespaces(buf, sizeof buf - 4, child, ns, ", ");
    buf_append(buf, sizeof buf, " }\n");
    write_doc(fd, buf);
}

void status_write_exit(int fd, int exit_code, bool oom_killed)
{
    char buf[64];
    snprintf(buf, sizeof buf, "{ \"exit-code\": %d%s }\n", exit_code,
             oom_killed ? ", \"oom-killed\": true" : "");
    (void)write_all(fd, buf, strlen(buf)); /* the supervisor may have gone: not our failure */
}
