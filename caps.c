/* caps.c: dropping capabilities with libcap. */
#include "caps.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include "utils.h"

static void drop_bounding_set(void)
{
    /* cap_max_bits() is what this kernel knows, which may exceed what our headers name. */
    for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++)
        if (cap_get_bound(cap) == 1 && cap_drop_bound(cap) < 0)
            die_errno("Dropping capability %d from bounds", cap);
}

void caps_apply(bool keep_all)
{
    if (keep_all)
        return;
    drop_bounding_set();
    if (cap_reset_ambient() < 0 && errno != EINVAL)
        die_errno("Resetting ambient capabilities");
    cap_t none = cap_init();
    if (!none)
        die("out of memory");
    if (cap_set_proc(none) < 0)
        die_errno("capset failed");
    cap_free(none);
}
