/* label.h: SELinux labels, when built with libselinux. */
#pragma once

enum {
    LABEL_UNSUPPORTED = 1,
    LABEL_INVALID = 2
};
/* 0 when label can be used here, else why not (errno set for LABEL_INVALID). */
int label_check(const char *label);
/* Labels what the next execve(2) runs as (setexeccon(3)); 0 or -1 with errno. */
int label_exec(const char *label);
/* Labels files this process creates (setfscreatecon(3)); 0 or -1 with errno. */
int label_create_files(const char *label);
