/* userns.c: writing the id maps of the user namespace we are in. */
#include "userns.h"

#include <fcntl.h>
#include <stdio.h>

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
