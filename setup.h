/* setup.h: building the new root from the plan's ordered filesystem ops, and pivoting into it. */
#pragma once

#include <stdbool.h>

#include "options.h"

/* Facts about the host taken before any namespace exists. */
struct host {
    uid_t uid;
    gid_t gid;
    const char *cwd; /* NULL when unknown */
    const char *tty; /* the terminal on stdout, bound to /dev/console by --dev; NULL if none */
};

/* The first steps, which need no id map yet (the child takes them while the parent writes its maps): our
 * mounts made slaves of the host's, and the staging tmpfs. setup_new_root() takes them itself if not done. */
void setup_prepare(void);

/* Called in the new mount namespace, with the capabilities to mount. On return the process's root is the new
 * root and the host's is unreachable. Every error dies with one line. */
struct setup_facts {
    bool new_pidns;     /* the sandbox has a pid namespace of its own: a procfs of its own too */
    bool root_unmapped; /* the initial namespace's root has no uid in the sandbox's user namespace */
};
void setup_new_root(struct plan *plan, const struct host *host, struct setup_facts facts);
