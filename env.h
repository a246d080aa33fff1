/* env.h: the command's environment, built once from the caller's and the plan's edits, in linear time. */
#pragma once

struct env;

struct env *env_new(char **base); /* base: a NULL-terminated "NAME=value" array, or NULL for empty */
void env_set(struct env *env, const char *name, const char *value);
void env_unset(struct env *env, const char *name);
const char *env_get(const struct env *env, const char *name);
char **env_finish(struct env *env); /* the NULL-terminated array for execve; env is consumed */
