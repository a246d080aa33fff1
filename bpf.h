/* bpf.h: installing seccomp programs (the caller's, and our built-in one). */
#pragma once

#include <stddef.h>

struct bpf_prog;

/* Reads one classic BPF program from fd (--seccomp), to EOF, and closes fd. */
struct bpf_prog seccomp_read(int fd);
/* Installs the programs in order; the kernel runs them all, the most restrictive result winning. */
void seccomp_install(const struct bpf_prog *progs, size_t n);
