/* env.c: an environment as an array plus a hash index on the names, so that N --setenv cost O(N). */
#include "env.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utils.h"

struct env {
    char **vars; /* "NAME=value", or NULL where unset */
    size_t n, cap;
    size_t *index; /* open addressing: slot holds position+1 in vars, 0 when empty */
    size_t index_cap;
};

static size_t name_len(const char *var)
{
    const char *eq = strchr(var, '=');
    return eq ? (size_t)(eq - var) : strlen(var);
}

static size_t hash_name(const char *name, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
    return (size_t)h;
}

/* Returns the index slot for name: the one holding it, or the empty one where it would go. */
static size_t *find_slot(const struct env *env, const char *name, size_t len)
{
    size_t mask = env->index_cap - 1;
    for (size_t i = hash_name(name, len) & mask;; i = (i + 1) & mask) {
        size_t *slot = &env->index[i];
        if (*slot == 0)
            return slot;
        const char *var = env->vars[*slot - 1];
        if (var && name_len(var) == len && memcmp(var, name, len) == 0)
            return slot;
    }
}

static void grow_index(struct env *env)
{
    free(env->index);
    env->index_cap = env->index_cap ? env->index_cap * 2 : 64;
    env->index = xcalloc(env->index_cap, sizeof env->index[0]);
    for (size_t i = 0; i < env->n; i++) {
        if (!env->vars[i])
            continue;
        size_t *slot = find_slot(env, env->vars[i], name_len(env->vars[i]));
        *slot = i + 1;
    }
}

static void put(struct env *env, char *var)
{
    size_t len = name_len(var);
    if ((env->n + 1) * 2 > env->index_cap)
        grow_index(env);
    size_t *slot = find_slot(env, var, len);
    if (*slot) {
        env->vars[*slot - 1] = var;
        return;
    }
    if (env->n == env->cap) {
        env->cap = env->cap ? env->cap * 2 : 64;
        env->vars = xreallocarray(env->vars, env->cap + 1, sizeof env->vars[0]);
    }
    env->vars[env->n++] = var;
    *slot = env->n;
}

struct env *env_new(char **base)
{
    struct env *env = xcalloc(1, sizeof *env);
    grow_index(env);
    for (char **v = base; v && *v; v++)
        put(env, *v);
    return env;
}

void env_set(struct env *env, const char *name, const char *value)
{
    /* Two copies, not a printf: musl's formats each piece with its own small memcpy (1 us a --setenv). */
    size_t n = strlen(name), v = strlen(value);
    char *var = xmalloc(n + v + 2);
    char *end = stpcpy(var, name);
    *end++ = '=';
    memcpy(end, value, v + 1);
    put(env, var);
}

void env_unset(struct env *env, const char *name)
{
    /* Unset entries keep their index slot (vars[i] == NULL) so that probing chains stay intact. */
    size_t *slot = find_slot(env, name, strlen(name));
    if (*slot)
        env->vars[*slot - 1] = NULL;
}

const char *env_get(const struct env *env, const char *name)
{
    size_t len = strlen(name);
    size_t *slot = find_slot(env, name, len);
    if (!*slot)
        return NULL;
    const char *var = env->vars[*slot - 1];
    return var[len] == '=' ? var + len + 1 : "";
}

char **env_finish(struct env *env)
{
    size_t k = 0;
    char **vars = env->vars ? env->vars : xcalloc(1, sizeof *vars);
    for (size_t i = 0; i < env->n; i++)
        if (vars[i])
            vars[k++] = vars[i];
    vars[k] = NULL;
    free(env->index);
    free(env);
    return vars;
}
