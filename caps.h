/* caps.h: the capabilities the command keeps. */
#pragma once

#include <stdbool.h>

/* Drops every capability from all five sets (bounding, ambient, inheritable, permitted, effective),
 * unless keep_all: bwrap leaves root's full set to a command run as uid 0 by real root. */
void caps_apply(bool keep_all);
