/* bpf.c: loading classic BPF seccomp programs given by the caller, as bwrap does. */
#include "bpf.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "options.h"
#include "utils.h"

struct bpf_prog seccomp_read(int fd)
{
    struct bpf_prog prog = {0};
    prog.insns = read_all(fd, MAX_BPF_BYTES, &prog.len);
    if (!prog.insns)
        die_errno("Can't read seccomp data");
    if (prog.len % 8 != 0)
        die("Invalid seccomp data, must be multiple of 8");
    consume_fd(fd);
    return prog;
}

void seccomp_install(const struct bpf_prog *progs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sock_fprog fprog = {.len = (unsigned short)(progs[i].len / 8), .filter = progs[i].insns};
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == 0)
            continue;
        if (errno == EINVAL)
            die("Unable to set up system call filtering as requested: prctl(PR_SET_SECCOMP) reported EINVAL. "
                "(Hint: this requires a kernel configured with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER.)");
        die_errno("prctl(PR_SET_SECCOMP)");
    }
}
