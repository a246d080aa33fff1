#!/usr/bin/env bats
# Every error leaves the host as it was: the mount table, $TMPDIR, /tmp,
# /dev/shm and the process list are unchanged; exactly one line is printed;
# the exit status is 1.

load helpers

setup() {
    require_unprivileged
    skip_unless_feature userns
    DATA="$BATS_TEST_TMPDIR/data"
    echo data >"$DATA"
}

# check_clean ERE SANDBOX-ARGS...: the sandbox fails with one line
# "PREFIX: ERE..." and exit 1, and leaves the host unchanged (fd 3 is open
# on a data file for options that read one).
check_clean() {
    local re=$1
    shift
    host_snapshot "$BATS_TEST_TMPDIR"
    run sb "$@" 3<"$DATA"
    assert_error_line "$re"
    assert_host_unchanged
}

# ------------------------------------------------------- parse errors ---

@test "unknown option: one line, exit 1, host unchanged" {
    check_clean 'Unknown option --no-such-option$' "${RO[@]}" --no-such-option true
}

@test "missing argument: one line, exit 1, host unchanged" {
    check_clean '--tmpfs takes an argument$' "${RO[@]}" --tmpfs
    check_clean '--bind takes two arguments$' "${RO[@]}" --bind /usr
}

@test "bad number: one line, exit 1, host unchanged" {
    check_clean 'Invalid uid: abc$' "${RO[@]}" --uid abc true
    check_clean 'Invalid fd: x$' "${RO[@]}" --file x /tmp/f true
}

@test "bad octal: one line, exit 1, host unchanged" {
    check_clean '--perms takes an octal argument <= 07777$' "${RO[@]}" --perms 9 --dir /tmp/x true
    check_clean '--chmod takes an octal argument <= 07777$' "${RO[@]}" --chmod 0800 /tmp true
}

@test "--size misuse: one line, exit 1, host unchanged" {
    check_clean '--size must be followed by --tmpfs$' "${RO[@]}" --size 4096 --dir /tmp/x true
    check_clean '--size takes a non-zero number of bytes$' "${RO[@]}" --size 0 --tmpfs /tmp true
}

@test "--perms misuse: one line, exit 1, host unchanged" {
    check_clean '--perms must be followed by an option that creates a file$' --perms 0700 "${RO[@]}" true
}

@test "--hostname without --unshare-uts: one line, exit 1, host unchanged" {
    check_clean 'Specifying --hostname requires --unshare-uts$' "${RO[@]}" --hostname h true
}

@test "--as-pid-1 without --unshare-pid: one line, exit 1, host unchanged" {
    check_clean 'Specifying --as-pid-1 requires --unshare-pid$' "${RO[@]}" --as-pid-1 true
}

@test "an unknown option inside --args data: one line, exit 1, host unchanged" {
    printf -- '--no-such-option\0' >"$BATS_TEST_TMPDIR/args"
    host_snapshot
    run sb --args 4 "${RO[@]}" true 4<"$BATS_TEST_TMPDIR/args"
    assert_error_line 'Unknown option --no-such-option$'
    assert_host_unchanged
}

# ------------------------------------------------------- setup errors ---

@test "nonexistent bind source: one line, exit 1, host unchanged" {
    check_clean "Can't find source path /nonexistent/src: No such file or directory$" \
        "${RO[@]}" --bind /nonexistent/src /tmp/x true
    check_clean "Can't find source path /nonexistent/src: No such file or directory$" \
        "${RO[@]}" --ro-bind /nonexistent/src /tmp/x true
}

@test "--dir under a read-only bind: one line, exit 1, host unchanged" {
    check_clean "Can't mkdir /usr/sandbox-test-dir: Read-only file system$" \
        "${RO[@]}" --dir /usr/sandbox-test-dir true
}

@test "--tmpfs, --dev, --proc under a read-only bind: one line, exit 1, host unchanged" {
    check_clean "Can't mkdir /usr/sandbox-test-dir: Read-only file system$" \
        "${RO[@]}" --tmpfs /usr/sandbox-test-dir true
    check_clean "Can't mkdir /usr/sandbox-test-dir: Read-only file system$" \
        "${RO[@]}" --dev /usr/sandbox-test-dir true
    check_clean "Can't mkdir /usr/sandbox-test-dir: Read-only file system$" \
        "${RO[@]}" --unshare-pid --proc /usr/sandbox-test-dir true
}

@test "--bind to a destination that cannot be created: one line, exit 1, host unchanged" {
    check_clean "Can't mkdir /usr/sandbox-test-dir: Read-only file system$" \
        "${RO[@]}" --bind /etc /usr/sandbox-test-dir true
    check_clean "Can't create file at /usr/sandbox-test-file: Read-only file system$" \
        "${RO[@]}" --bind /etc/hostname /usr/sandbox-test-file true
}

@test "--file onto /proc/x: one line, exit 1, host unchanged" {
    check_clean "Can't create file /proc/x: " "${RO[@]}" --proc /proc --file 3 /proc/x true
}

@test "--file under a read-only bind: one line, exit 1, host unchanged" {
    check_clean "Can't create file /usr/sandbox-test-file: Read-only file system$" \
        "${RO[@]}" --file 3 /usr/sandbox-test-file true
}

@test "--bind-data / --ro-bind-data under a read-only bind: one line, exit 1, host unchanged" {
    check_clean "Can't create file at /usr/sandbox-test-file: Read-only file system$" \
        "${RO[@]}" --bind-data 3 /usr/sandbox-test-file true
    check_clean "Can't create file at /usr/sandbox-test-file: Read-only file system$" \
        "${RO[@]}" --ro-bind-data 3 /usr/sandbox-test-file true
}

@test "--symlink under a read-only bind: one line, exit 1, host unchanged" {
    check_clean "Can't make symlink at /usr/sandbox-test-link: Read-only file system$" \
        "${RO[@]}" --symlink x /usr/sandbox-test-link true
}

@test "--symlink onto a different existing symlink: one line, exit 1, host unchanged" {
    check_clean "Can't make symlink at /tmp/l: " "${RO[@]}" --tmpfs /tmp --symlink a /tmp/l --symlink b /tmp/l true
}

@test "a parent that is a file: one line, exit 1, host unchanged" {
    check_clean "Can't mkdir parents for /tmp/f/sub: Not a directory$" \
        "${RO[@]}" --tmpfs /tmp --file 3 /tmp/f --dir /tmp/f/sub true
}

@test "--chmod of a missing path: one line, exit 1, host unchanged" {
    check_clean "Can't chmod 0755 /tmp/missing: No such file or directory$" \
        "${RO[@]}" --tmpfs /tmp --chmod 0755 /tmp/missing true
}

@test "--remount-ro of a missing path: one line, exit 1, host unchanged" {
    check_clean "Can't remount readonly on (/newroot)?/nonexistent: " "${RO[@]}" --remount-ro /nonexistent true
}

@test "--mqueue without --unshare-ipc: one line, exit 1, host unchanged" {
    skip_unless_feature mqueue
    check_clean "Can't mount mqueue on (/newroot)?/tmp/mq: Operation not permitted$" \
        "${RO[@]}" --tmpfs /tmp --mqueue /tmp/mq true
}

@test "--chdir to a missing directory: one line, exit 1, host unchanged" {
    check_clean "Can't chdir to /nonexistent: No such file or directory$" "${RO[@]}" --chdir /nonexistent true
}

@test "a command that does not exist: one line, exit 1, host unchanged" {
    check_clean 'execvp /nonexistent/cmd: No such file or directory$' "${RO[@]}" /nonexistent/cmd
}

@test "--disable-userns without --unshare-user: one line, exit 1, host unchanged" {
    check_clean '--disable-userns requires --unshare-user$' "${RO[@]}" --disable-userns true
}

# ------------------------------------- setup errors in every code path ---

@test "a setup error with --unshare-pid (reaper) leaves nothing behind" {
    check_clean "Can't mkdir /usr/sandbox-test-dir: Read-only file system$" \
        "${RO[@]}" --unshare-pid --dir /usr/sandbox-test-dir true
    check_clean 'execvp /nonexistent/cmd: No such file or directory$' "${BASE[@]}" --unshare-pid /nonexistent/cmd
}

@test "a setup error with --unshare-pid --as-pid-1 leaves nothing behind" {
    check_clean 'execvp /nonexistent/cmd: No such file or directory$' "${BASE[@]}" --unshare-pid --as-pid-1 /nonexistent/cmd
}

@test "a setup error with --unshare-all, --dev, --proc leaves nothing behind" {
    check_clean "Can't mkdir /usr/sandbox-test-dir: Read-only file system$" \
        "${BASE[@]}" --unshare-all --die-with-parent --dir /usr/sandbox-test-dir true
}

@test "a setup error after many successful operations leaves nothing behind" {
    check_clean "Can't find source path /nonexistent/src: No such file or directory$" \
        "${BASE[@]}" --unshare-all --tmpfs /tmp --dir /tmp/a/b --file 3 /tmp/a/f --bind "$BATS_TEST_TMPDIR" /tmp/t \
        --symlink x /tmp/l --ro-bind /nonexistent/src /tmp/x true
}

@test "a setup error with --sync-fd and --lock-file leaves nothing behind" {
    check_clean "Can't mkdir /usr/sandbox-test-dir: Read-only file system$" \
        "${RO[@]}" --sync-fd 3 --lock-file "$DATA" --dir /usr/sandbox-test-dir true
}

@test "a successful run also leaves the host unchanged" {
    host_snapshot "$BATS_TEST_TMPDIR"
    run sb "${BASE[@]}" --unshare-all --tmpfs /tmp --dir /tmp/a --file 3 /tmp/a/f --chdir /tmp/a cat f 3<"$DATA"
    assert_status 0
    assert_output "data"
    assert_host_unchanged
}
