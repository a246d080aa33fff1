#!/usr/bin/env bats
# File descriptors: what the caller passes stays open and usable in the
# command; nothing else leaks into it.

load helpers

setup() {
    F="$BATS_TEST_TMPDIR/in"
    printf 'line one\nline two\n' >"$F"
}

# Run `ls -l /proc/self/fd` in the sandbox with only fds 0-2 and the listed
# ones open in the caller, and set FDS to the fd numbers open in the
# command (ls's own directory fd left out).
# usage: open_fds "KEPT FDS" SANDBOX-OPTIONS...   (redirections on the call)
open_fds() {
    local keep=$1
    shift
    run with_only_fds "$keep" "$SANDBOX" "$@" ls -l /proc/self/fd
    assert_status 0
    FDS=$(fd_list_of_ls)
}

@test "stdin of the caller is the command's stdin" {
    run bash -c 'printf "via stdin\n" | "$SANDBOX" --ro-bind / / cat'
    assert_status 0
    assert_output "via stdin"
}

@test "stdout and stderr of the caller are the command's stdout and stderr" {
    run --separate-stderr sb "${RO[@]}" sh -c 'echo to-stdout; echo to-stderr >&2'
    assert_status 0
    assert_output "to-stdout"
    [[ $stderr == to-stderr ]] || fail "stderr: $stderr"
}

@test "an fd the caller opened for reading (3<file) is readable in the command" {
    run sb "${RO[@]}" sh -c 'cat <&3' 3<"$F"
    assert_status 0
    assert_output $'line one\nline two'
}

@test "an fd the caller opened for writing (5>file) is writable in the command" {
    run sb "${RO[@]}" sh -c 'echo from-inside >&5' 5>"$BATS_TEST_TMPDIR/out"
    assert_status 0
    [[ $(cat "$BATS_TEST_TMPDIR/out") == from-inside ]] || fail "file: $(cat "$BATS_TEST_TMPDIR/out")"
}

@test "a passed fd keeps its open file: offset and mode are shared with the caller" {
    exec 6<"$F"
    read -r first <&6
    run sb "${RO[@]}" sh -c 'cat <&6' 6<&6
    exec 6<&-
    assert_status 0
    [[ $first == "line one" ]]
    assert_output "line two"
}

@test "a read-write fd (4<>file) works both ways in the command" {
    run sb "${RO[@]}" sh -c 'read -r l <&4; echo "$l"; echo appended >&4' 4<>"$F"
    assert_status 0
    assert_output "line one"
    [[ $(tail -n 1 "$F") == appended ]] || fail "file: $(cat "$F")"
}

@test "several fds at once (3, 7, 9 and 200) are all usable" {
    run sb "${RO[@]}" sh -c 'cat <&3; echo seven >&7; cat <&9; cat /proc/self/fd/200' \
        3< <(echo three) 7>"$BATS_TEST_TMPDIR/seven" 9< <(echo nine) 200<"$F"
    assert_status 0
    assert_output $'three\nnine\nline one\nline two'
    [[ $(cat "$BATS_TEST_TMPDIR/seven") == seven ]]
}

@test "a pipe passed as an fd is usable and reaches EOF" {
    run sb "${RO[@]}" sh -c 'cat <&8; echo eof' 8< <(printf 'through a pipe\n')
    assert_status 0
    assert_output $'through a pipe\neof'
}

@test "passed fds are usable with --unshare-pid and with --as-pid-1" {
    run sb "${BASE[@]}" --unshare-pid sh -c 'cat <&3' 3<"$F"
    assert_status 0
    assert_output $'line one\nline two'
    run sb "${BASE[@]}" --unshare-pid --as-pid-1 sh -c 'cat <&3' 3<"$F"
    assert_status 0
    assert_output $'line one\nline two'
}

@test "no fd besides 0, 1 and 2 is open in the command when none is passed" {
    open_fds "" "${RO[@]}"
    [[ $FDS == "0 1 2" ]] || fail "open fds: $FDS" "$output"
}

@test "only 0, 1, 2 and the passed fds are open in the command" {
    open_fds "3 5" "${RO[@]}" 3<"$F" 5>"$BATS_TEST_TMPDIR/out"
    [[ $FDS == "0 1 2 3 5" ]] || fail "open fds: $FDS" "$output"
}

@test "no fd leaks with a full setup (--unshare-all, --dev, --proc, --tmpfs)" {
    open_fds "4" "${BASE[@]}" --unshare-all --tmpfs /tmp --dir /tmp/d 4<"$F"
    [[ $FDS == "0 1 2 4" ]] || fail "open fds: $FDS" "$output"
}

@test "no fd leaks with --unshare-pid --as-pid-1" {
    open_fds "" "${BASE[@]}" --unshare-pid --as-pid-1
    [[ $FDS == "0 1 2" ]] || fail "open fds: $FDS" "$output"
}

@test "the fds of --file, --bind-data and --ro-bind-data are consumed, not passed on" {
    open_fds "3 4 5 6" "${RO[@]}" --tmpfs /tmp --file 3 /tmp/a --bind-data 4 /tmp/b --ro-bind-data 5 /tmp/c \
        3<"$F" 4<"$F" 5<"$F" 6<"$F"
    [[ $FDS == "0 1 2 6" ]] || fail "open fds: $FDS" "$output"
}

@test "the fd of --args is consumed, not passed on" {
    printf -- '--setenv\0X\0y\0' >"$BATS_TEST_TMPDIR/args"
    open_fds "3" --args 3 "${RO[@]}" 3<"$BATS_TEST_TMPDIR/args"
    [[ $FDS == "0 1 2" ]] || fail "open fds: $FDS" "$output"
}

@test "--info-fd receives the child pid as JSON and is not passed on" {
    open_fds "8" "${RO[@]}" --info-fd 8 8>"$BATS_TEST_TMPDIR/info"
    [[ $FDS == "0 1 2" ]] || fail "open fds: $FDS" "$output"
    grep -Eq '"child-pid": [0-9]+' "$BATS_TEST_TMPDIR/info" || fail "info: $(cat "$BATS_TEST_TMPDIR/info")"
}

@test "--sync-fd is held by the sandbox, not passed to the command" {
    open_fds "3" "${RO[@]}" --sync-fd 3 3>"$BATS_TEST_TMPDIR/sync"
    [[ $FDS == "0 1 2" ]] || fail "open fds: $FDS" "$output"
}

@test "an fd number the caller has not opened never names one of ours (--bind-fd, --sync-fd, --file, --seccomp)" {
    # without the caller's fd there, the number must fail as with bwrap, whatever fd sandbox opens itself
    local n
    for n in 3 4 5 6 7 8 9 10 11 12 13 14; do
        run with_only_fds "" "$SANDBOX" "${RO[@]}" --tmpfs /tmp --bind-fd "$n" /tmp/x true
        assert_error_line "Can't find source path /proc/self/fd/$n: No such file or directory$"
        run with_only_fds "" "$SANDBOX" "${RO[@]}" --tmpfs /tmp --file "$n" /tmp/x true
        assert_error_line "Can't write data to file /tmp/x: Bad file descriptor$"
        run with_only_fds "" "$SANDBOX" "${RO[@]}" --seccomp "$n" true
        assert_error_line "Can't read seccomp data: Bad file descriptor$"
        run with_only_fds "" "$SANDBOX" "${RO[@]}" --unshare-pid --proc /proc --sync-fd "$n" \
            sh -c "readlink /proc/1/fd/$n || echo none"
        assert_status 0
        [[ $output == none || $output == pipe:* ]] || fail "--sync-fd $n kept one of our fds in the reaper: $output"
    done
}
