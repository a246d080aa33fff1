#!/usr/bin/env bats
# Command-line parsing: help, version, errors for bad or missing arguments,
# where the option list ends.

load helpers

# Options taking exactly one argument, and the error for a missing one.
ONE_ARG_OPTS=(
    "--args|--args takes an argument"
    "--chdir|--chdir takes one argument"
    "--remount-ro|--remount-ro takes one argument"
    "--exec-label|--exec-label takes an argument"
    "--file-label|--file-label takes an argument"
    "--proc|--proc takes an argument"
    "--dev|--dev takes an argument"
    "--tmpfs|--tmpfs takes an argument"
    "--mqueue|--mqueue takes an argument"
    "--dir|--dir takes an argument"
    "--lock-file|--lock-file takes an argument"
    "--sync-fd|--sync-fd takes an argument"
    "--block-fd|--block-fd takes an argument"
    "--userns-block-fd|--userns-block-fd takes an argument"
    "--info-fd|--info-fd takes an argument"
    "--json-status-fd|--json-status-fd takes an argument"
    "--seccomp|--seccomp takes an argument"
    "--add-seccomp-fd|--add-seccomp-fd takes an argument"
    "--userns|--userns takes an argument"
    "--userns2|--userns2 takes an argument"
    "--pidns|--pidns takes an argument"
    "--unsetenv|--unsetenv takes an argument"
    "--uid|--uid takes an argument"
    "--gid|--gid takes an argument"
    "--hostname|--hostname takes an argument"
    "--cap-add|--cap-add takes an argument"
    "--cap-drop|--cap-drop takes an argument"
    "--perms|--perms takes an argument"
    "--size|--size takes an argument"
)

# Options taking two arguments.  bwrap reports a missing argument of
# --ro-bind-fd as "--bind-fd takes two arguments"; either spelling is fine.
TWO_ARG_OPTS=(
    "--bind|--bind takes two arguments"
    "--bind-try|--bind-try takes two arguments"
    "--ro-bind|--ro-bind takes two arguments"
    "--ro-bind-try|--ro-bind-try takes two arguments"
    "--dev-bind|--dev-bind takes two arguments"
    "--dev-bind-try|--dev-bind-try takes two arguments"
    "--bind-fd|--bind-fd takes two arguments"
    "--ro-bind-fd|--(ro-)?bind-fd takes two arguments"
    "--file|--file takes two arguments"
    "--bind-data|--bind-data takes two arguments"
    "--ro-bind-data|--ro-bind-data takes two arguments"
    "--symlink|--symlink takes two arguments"
    "--setenv|--setenv takes two arguments"
    "--chmod|--chmod takes two arguments"
)

# Run "$SANDBOX ARGS..." and check it fails with one line "PREFIX: ERE";
# collects failures in $bad instead of stopping at the first one.
check_error() {
    local re=$1
    shift
    local out rc=0
    out=$("$SANDBOX" "$@" 2>&1) || rc=$?
    if [[ $rc -ne 1 || $out == *$'\n'* || $out != "$PREFIX: "* ]] ||
        ! [[ ${out#"$PREFIX: "} =~ ^$re ]]; then
        bad+="  $* -> status $rc, output: $out (wanted: $PREFIX: $re)"$'\n'
    fi
}

report_bad() {
    if [[ -n $bad ]]; then
        printf 'failures:\n%s' "$bad" >&2
        return 1
    fi
}

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr sb --help
    assert_status 0
    [[ -z $stderr ]] || fail "stderr not empty: $stderr"
    [[ ${lines[0]} =~ ^usage:\ .*\[OPTIONS\.\.\.\]\ \[--\]\ COMMAND\ \[ARGS\.\.\.\]$ ]] ||
        fail "first line: ${lines[0]}"
    assert_output_matches $'\n    --help +[A-Z]'
    assert_output_matches $'\n    --bind SRC DEST +[A-Z]'
}

@test "--help lists every bubblewrap 0.8 option" {
    run --separate-stderr sb --help
    assert_status 0
    local o missing=
    for o in --help --version --args --unshare-all --share-net --unshare-user \
        --unshare-user-try --unshare-ipc --unshare-pid --unshare-net --unshare-uts \
        --unshare-cgroup --unshare-cgroup-try --userns --userns2 --disable-userns \
        --assert-userns-disabled --pidns --uid --gid --hostname --chdir --clearenv \
        --setenv --unsetenv --lock-file --sync-fd --bind --bind-try --dev-bind \
        --dev-bind-try --ro-bind --ro-bind-try --bind-fd --ro-bind-fd --remount-ro \
        --exec-label --file-label --proc --dev --tmpfs --mqueue --dir --file \
        --bind-data --ro-bind-data --symlink --seccomp --add-seccomp-fd --block-fd \
        --userns-block-fd --info-fd --json-status-fd --new-session --die-with-parent \
        --as-pid-1 --cap-add --cap-drop --perms --size --chmod; do
        grep -q -- "^    $o " <<<"$output" || missing+=" $o"
    done
    [[ -z $missing ]] || fail "not in --help:$missing"
}

@test "--help lists the options added in bubblewrap 0.9-0.11" {
    run --separate-stderr sb --help
    assert_status 0
    local o missing=
    for o in --argv0 --level-prefix --overlay-src --overlay --tmp-overlay --ro-overlay; do
        grep -q -- "^    $o " <<<"$output" || missing+=" $o"
    done
    [[ -z $missing ]] || fail "not in --help:$missing"
}

@test "--help after other options still prints the usage and exits 0" {
    run --separate-stderr sb --unshare-pid --ro-bind / / --help --bogus-option
    assert_status 0
    [[ -z $stderr ]] || fail "stderr not empty: $stderr"
    [[ ${lines[0]} == usage:* ]] || fail "first line: ${lines[0]}"
}

@test "--version prints the name and version number on stdout and exits 0" {
    run --separate-stderr sb --version
    assert_status 0
    [[ -z $stderr ]] || fail "stderr not empty: $stderr"
    [[ ${lines[0]} =~ ^[A-Za-z][A-Za-z0-9_-]*\ [0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || fail "first line: ${lines[0]}"
}

@test "--version after other options prints the version and exits 0" {
    run --separate-stderr sb --ro-bind / / --version
    assert_status 0
    assert_output_matches '^[A-Za-z][A-Za-z0-9_-]* [0-9]+\.[0-9]+'
}

@test "no arguments at all: usage on stderr, nothing on stdout, exit 1" {
    run --separate-stderr sb
    assert_status 1
    [[ -z $output ]] || fail "stdout not empty: $output"
    [[ ${stderr_lines[0]} == usage:* ]] || fail "stderr: $stderr"
}

@test "options but no command: usage on stderr, exit 1" {
    run --separate-stderr sb "${RO[@]}" --unshare-pid
    assert_status 1
    [[ -z $output ]] || fail "stdout not empty: $output"
    [[ ${stderr_lines[0]} == usage:* ]] || fail "stderr: $stderr"
}

@test "'--' with nothing after it: usage on stderr, exit 1" {
    run --separate-stderr sb "${RO[@]}" --
    assert_status 1
    [[ -z $output ]] || fail "stdout not empty: $output"
    [[ ${stderr_lines[0]} == usage:* ]] || fail "stderr: $stderr"
}

@test "an unknown long option is an error" {
    run sb --bogus-option true
    assert_error_line 'Unknown option --bogus-option$'
}

@test "an unknown short option is an error" {
    run sb -x true
    assert_error_line 'Unknown option -x$'
}

@test "an unknown option after valid ones is an error" {
    run sb "${RO[@]}" --unshare-pid --frobnicate true
    assert_error_line 'Unknown option --frobnicate$'
}

@test "every one-argument option reports a missing argument" {
    local e opt msg bad=
    for e in "${ONE_ARG_OPTS[@]}"; do
        opt=${e%%|*} msg=${e#*|}
        check_error "$msg\$" "$opt"
    done
    report_bad
}

@test "--argv0 without its argument is an error" {
    run sb --argv0
    assert_error_line '--argv0 takes one argument$'
}

@test "every two-argument option reports a missing argument (none given)" {
    local e opt msg bad=
    for e in "${TWO_ARG_OPTS[@]}"; do
        opt=${e%%|*} msg=${e#*|}
        check_error "$msg\$" "$opt"
    done
    report_bad
}

@test "every two-argument option reports a missing argument (one given)" {
    local e opt msg bad=
    for e in "${TWO_ARG_OPTS[@]}"; do
        opt=${e%%|*} msg=${e#*|}
        check_error "$msg\$" "$opt" 3
    done
    report_bad
}

@test "--uid and --gid reject values that are not non-negative decimal numbers" {
    local v bad=
    for v in abc -1 '' 12x 0x10 1.5; do
        check_error "Invalid uid: $v\$" --uid "$v" true
        check_error "Invalid gid: $v\$" --gid "$v" true
    done
    report_bad
}

@test "fd options reject values that are not non-negative decimal numbers" {
    local v o bad=
    for v in abc -3 '' 4x; do
        for o in --args --sync-fd --block-fd --userns-block-fd --info-fd \
            --json-status-fd --seccomp --add-seccomp-fd --userns --userns2 --pidns; do
            check_error "Invalid fd: $v\$" "$o" "$v" true
        done
        for o in --file --bind-data --ro-bind-data --bind-fd --ro-bind-fd; do
            check_error "Invalid fd: $v\$" "$o" "$v" /dest true
        done
    done
    report_bad
}

@test "--perms rejects values that are not octal numbers <= 07777" {
    local v bad=
    for v in 8 9 0800 10000 17777 '' abc 7a -1; do
        check_error '--perms takes an octal argument <= 07777$' --perms "$v" --dir /tmp/x true
    done
    report_bad
}

@test "--chmod rejects modes that are not octal numbers <= 07777" {
    local v bad=
    for v in 8 0800 10000 '' abc; do
        check_error '--chmod takes an octal argument <= 07777$' --chmod "$v" /tmp true
    done
    report_bad
}

@test "--perms accepts octal values up to 07777" {
    run sb "${RO[@]}" --perms 07777 --tmpfs /tmp --perms 0 --dir /tmp/d true
    assert_status 0
    assert_output ""
}

@test "--perms not followed by an option that creates a file is an error" {
    run sb --perms 0700 --ro-bind / / true
    assert_error_line '--perms must be followed by an option that creates a file$'
}

@test "--perms given twice for one action is an error" {
    run sb --perms 0700 --perms 0755 --dir /tmp/x true
    assert_error_line '--perms given twice for the same action$'
}

@test "--size not followed by --tmpfs is an error" {
    local bad=
    check_error '--size must be followed by --tmpfs$' --size 1024 --dir /tmp/x true
    check_error '--size must be followed by --tmpfs$' --size 1024 --ro-bind / / --tmpfs /tmp true
    check_error '--size must be followed by --tmpfs$' --size 1024 --unshare-pid --tmpfs /tmp true
    report_bad
}

@test "--size rejects zero, negative, non-numeric and out-of-range values" {
    local v bad=
    for v in 0 -1 '' 1M 1k abc ' 10' 99999999999999999999999; do
        check_error '--size takes a non-zero number of bytes$' --size "$v" --tmpfs /tmp true
    done
    report_bad
}

@test "--size larger than half the address space is an error" {
    run sb --size 18446744073709551615 --tmpfs /tmp true
    assert_error_line '--size \(for tmpfs\) is limited to 9223372036854775807$'
}

@test "--size given twice for one action is an error" {
    run sb --size 1024 --size 2048 --tmpfs /tmp true
    assert_error_line '--size given twice for the same action$'
}

@test "--size and --perms may both precede one --tmpfs, in either order" {
    run sb "${RO[@]}" --size 1048576 --perms 0700 --tmpfs /tmp \
        --perms 0750 --size 2097152 --tmpfs /var/tmp stat -c %a /tmp /var/tmp
    assert_status 0
    assert_output $'700\n750'
}

@test "--hostname without --unshare-uts is an error" {
    run sb "${RO[@]}" --hostname foo true
    assert_error_line 'Specifying --hostname requires --unshare-uts$'
}

@test "--as-pid-1 without --unshare-pid is an error" {
    run sb "${RO[@]}" --as-pid-1 true
    assert_error_line 'Specifying --as-pid-1 requires --unshare-pid$'
}

@test "--overlay-src without a following overlay option is an error" {
    run sb "${RO[@]}" --overlay-src /usr true
    assert_error_line '--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay$'
}

@test "--tmp-overlay without --overlay-src is an error" {
    run sb "${RO[@]}" --tmp-overlay /usr true
    assert_error_line '--tmp-overlay requires at least one --overlay-src$'
}

@test "'--' ends the options: a following word that looks like an option is the command" {
    run sb "${RO[@]}" -- --not-an-option
    assert_error_line 'execvp --not-an-option: '
}

@test "'--' ends the options: the command gets the rest verbatim" {
    run sb "${RO[@]}" -- echo --bind a b -- --help
    assert_status 0
    assert_output "--bind a b -- --help"
}

@test "the first non-option argument ends the options" {
    run sb "${RO[@]}" echo --bogus-option --ro-bind / / --help
    assert_status 0
    assert_output "--bogus-option --ro-bind / / --help"
}

@test "options after the command are passed to the command, not parsed" {
    run sb "${RO[@]}" sh -c 'printf "[%s]\n" "$@"' sh --chdir /nonexistent --setenv A B --version
    assert_status 0
    assert_output $'[--chdir]\n[/nonexistent]\n[--setenv]\n[A]\n[B]\n[--version]'
}

@test "a command that cannot be executed is an error with exit status 1" {
    run sb "${RO[@]}" /nonexistent/command arg
    assert_error_line 'execvp /nonexistent/command: No such file or directory$'
}

@test "--args reads NUL-separated options from a file descriptor" {
    printf -- '--setenv\0FROM_ARGS\0yes it works\0--chdir\0/usr\0' >"$BATS_TEST_TMPDIR/args"
    run sb --args 3 "${RO[@]}" sh -c 'echo "$FROM_ARGS"; pwd' 3<"$BATS_TEST_TMPDIR/args"
    assert_status 0
    assert_output $'yes it works\n/usr'
}

@test "--args contents are parsed in place, in order with the other options" {
    printf -- '--setenv\0V\0from-args\0' >"$BATS_TEST_TMPDIR/args"
    run sb "${RO[@]}" --setenv V before --args 3 printenv V 3<"$BATS_TEST_TMPDIR/args"
    assert_status 0
    assert_output "from-args"
    run sb "${RO[@]}" --args 3 --setenv V after printenv V 3<"$BATS_TEST_TMPDIR/args"
    assert_status 0
    assert_output "after"
}

@test "an unknown option inside --args data is an error" {
    printf -- '--no-such-option\0' >"$BATS_TEST_TMPDIR/args"
    run sb --args 3 "${RO[@]}" true 3<"$BATS_TEST_TMPDIR/args"
    assert_error_line 'Unknown option --no-such-option$'
}

@test "an option missing its argument at the end of --args data is an error" {
    printf -- '--chdir\0' >"$BATS_TEST_TMPDIR/args"
    run sb --args 3 "${RO[@]}" true 3<"$BATS_TEST_TMPDIR/args"
    assert_error_line '--chdir takes one argument$'
}

@test "a limit without the sandbox-scope helper: one line naming where it was looked for, nothing run" {
    [[ -x $(dirname "$SANDBOX")/sandbox-scope ]] || skip "built without libsystemd: no helper to take away"
    local installed
    installed=$(strings "$SANDBOX" | grep -m1 '/libexec/.*sandbox$\|/libexec/sandbox$') || true
    [[ -z $installed || ! -e $installed/sandbox-scope ]] || skip "an installed helper ($installed) would be found"
    mkdir "$BATS_TEST_TMPDIR/bin"
    cp "$SANDBOX" "$BATS_TEST_TMPDIR/bin/sandbox"
    run "$BATS_TEST_TMPDIR/bin/sandbox" "${RO[@]}" --memory-max 64M echo RAN
    assert_error_line "resource limits: cannot run .*/sandbox-scope: No such file or directory$"
}
