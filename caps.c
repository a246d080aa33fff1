/* caps.c: capabilities, with libcap. */
#include "caps.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include "options.h"
#include "utils.h"

#define CAP_BIT(c) (UINT64_C(1) << (c))

int caps_from_name(const char *name)
{
    cap_value_t v;
    if (cap_from_name(name, &v) < 0 || v < 0 || v >= 64)
        return -1;
    return v;
}

static uint64_t effective_set(void)
{
    cap_t now = cap_get_proc();
    uint64_t set = 0;
    for (cap_value_t c = 0; now && c < 64; c++) {
        cap_flag_value_t v = CAP_CLEAR;
        if (cap_get_flag(now, c, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
            set |= CAP_BIT(c);
    }
    cap_free(now);
    return set;
}

uint64_t caps_requested(const struct cap_op *ops, size_t n, bool real_root)
{
    uint64_t set = real_root ? effective_set() : 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = ops[i].cap < 0 ? ~UINT64_C(0) : CAP_BIT(ops[i].cap);
        set = ops[i].add ? set | bits : set & ~bits;
    }
    return set;
}

static void reduce_bounding_set(uint64_t keep)
{
    /* cap_max_bits() is what this kernel knows, which may exceed what our headers name. */
    for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
        if (!(keep & CAP_BIT(c)) && prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0 && errno != EINVAL)
            die_errno("Dropping capability %d from bounds", c);
}

/* One prctl for the whole ambient set (libcap's reset walks every capability). EINVAL: before Linux 4.3. */
static void clear_ambient(void)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        die_errno("Resetting ambient capabilities");
}

static void set_sets(uint64_t keep, bool tolerate_eperm)
{
    cap_t caps = cap_init();
    if (!caps)
        die("out of memory");
    for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits() && c < 64; c++) {
        if (!(keep & CAP_BIT(c)))
            continue;
        cap_value_t one[1] = {c};
        cap_set_flag(caps, CAP_EFFECTIVE, 1, one, CAP_SET);
        cap_set_flag(caps, CAP_PERMITTED, 1, one, CAP_SET);
        cap_set_flag(caps, CAP_INHERITABLE, 1, one, CAP_SET);
    }
    if (cap_set_proc(caps) < 0 && !(tolerate_eperm && errno == EPERM))
        die_errno("capset failed");
    cap_free(caps);
}

void caps_apply(uint64_t keep, bool own_userns, bool skip_capset)
{
    if (own_userns)
        reduce_bounding_set(keep);
    clear_ambient();
    if (!skip_capset)
        set_sets(keep, getuid() == 0);
}

void caps_raise_ambient(uint64_t keep)
{
    for (cap_value_t c = 0; c < 64; c++)
        if ((keep & CAP_BIT(c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0 &&
            errno != EINVAL && errno != EPERM)
            die_errno("Adding ambient capability %d", c);
}

void caps_drop_all(void)
{
    clear_ambient();
    set_sets(0, true);
}
