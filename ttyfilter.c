/* ttyfilter.c: the filter generated at build time by gen-tty-filter (see Makefile.am). */
#include "ttyfilter.h"

#include <stddef.h>

#include "options.h"

#ifdef HAVE_SECCOMP
#include "tty-filter.h"

const struct bpf_prog *tty_filter(void)
{
    static const struct bpf_prog prog = {(void *)tty_filter_bpf, sizeof tty_filter_bpf};
    return &prog;
}
#else
const struct bpf_prog *tty_filter(void)
{
    return NULL;
}
#endif
