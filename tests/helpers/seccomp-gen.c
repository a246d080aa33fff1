/*
 * seccomp-gen: write a classic BPF seccomp program to stdout, for the
 * --seccomp and --add-seccomp-fd tests.
 *
 * usage: seccomp-gen [SYSCALL=ERRNO]...
 *
 * The program allows every system call except each SYSCALL named (by its
 * libseccomp name, e.g. mkdir, mkdirat, uname, or by its number), which
 * fails with ERRNO (a number).  Without arguments the program allows everything.  The output
 * is the raw array of struct sock_filter for the native architecture, as
 * bwrap expects it (its size is a multiple of 8).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  scmp_filter_ctx ctx;
  int i, rc;

  ctx = seccomp_init (SCMP_ACT_ALLOW);
  if (ctx == NULL)
    {
      fprintf (stderr, "seccomp-gen: seccomp_init failed\n");
      return 1;
    }
  for (i = 1; i < argc; i++)
    {
      char *eq = strchr (argv[i], '=');
      char *end;
      long e;
      int nr;

      if (eq == NULL)
        {
          fprintf (stderr, "seccomp-gen: expected SYSCALL=ERRNO, got %s\n", argv[i]);
          return 2;
        }
      *eq = '\0';
      e = strtol (eq + 1, &end, 10);
      if (*end != '\0' || e < 0 || e > 4095)
        {
          fprintf (stderr, "seccomp-gen: bad errno %s\n", eq + 1);
          return 2;
        }
      /* a number for a call this libseccomp may not know by name yet (open_tree_attr is 467) */
      nr = argv[i][0] >= '0' && argv[i][0] <= '9' ? atoi (argv[i]) : seccomp_syscall_resolve_name (argv[i]);
      if (nr == __NR_SCMP_ERROR)
        {
          fprintf (stderr, "seccomp-gen: unknown system call %s\n", argv[i]);
          return 2;
        }
      rc = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (e), nr, 0);
      if (rc < 0)
        {
          fprintf (stderr, "seccomp-gen: seccomp_rule_add %s: %s\n", argv[i], strerror (-rc));
          return 1;
        }
    }
  /* No NO_NEW_PRIVS juggling: the program is only exported, never loaded. */
  rc = seccomp_export_bpf (ctx, STDOUT_FILENO);
  if (rc < 0)
    {
      fprintf (stderr, "seccomp-gen: seccomp_export_bpf: %s\n", strerror (-rc));
      return 1;
    }
  seccomp_release (ctx);
  return 0;
}
