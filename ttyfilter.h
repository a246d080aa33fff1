/* ttyfilter.h: the built-in seccomp filter against terminal injection. */
#pragma once

struct bpf_prog;

/* The classic BPF program that makes ioctl(TIOCSTI) and ioctl(TIOCLINUX) fail with EPERM on every ABI, so
 * that a command sharing the caller's terminal cannot type into it (CVE-2017-5226), while job control keeps
 * working (unlike --new-session). NULL when built without libseccomp. */
const struct bpf_prog *tty_filter(void);
