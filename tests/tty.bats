#!/usr/bin/env bats
# Terminal injection: by default the command cannot push input into the caller's terminal with ioctl TIOCSTI
# or TIOCLINUX (a built-in seccomp filter), yet keeps job control (unlike --new-session). Run under a real pty.

load helpers

setup_file() {
    command -v script >/dev/null || skip "script(1) from util-linux is needed for a pty"
    command -v cc >/dev/null || skip "a C compiler is needed for the tiocsti helper"
    cc -O2 -o "$BATS_FILE_TMPDIR/tiocsti" "$SANDBOX_TESTS_DIR/helpers/tiocsti.c"
}

# in_pty CMD...: runs CMD with a fresh pty as its controlling terminal and stdin/stdout
in_pty() {
    local cmd
    printf -v cmd '%q ' "$@"
    run script -qec "$cmd" /dev/null
    output=${output//$'\r'/}
}

require_legacy_tiocsti() {
    local v
    v=$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null) || return 0
    [[ $v == 1 ]] || skip "this kernel refuses TIOCSTI to everyone (dev.tty.legacy_tiocsti=0)"
}

@test "outside any sandbox TIOCSTI works on this terminal (control)" {
    require_legacy_tiocsti
    in_pty "$BATS_FILE_TMPDIR/tiocsti"
    assert_output_matches 'tiocsti=ok tiocsti64=ok'
}

@test "TIOCSTI and TIOCLINUX fail with EPERM inside by default, also with high bits set in the request" {
    in_pty "$SANDBOX" "${RO[@]}" "$BATS_FILE_TMPDIR/tiocsti"
    assert_status 0
    assert_output_matches 'tiocsti=EPERM tiocsti64=EPERM tioclinux=EPERM'
}

@test "the filter holds with --unshare-pid, for the command under the reaper" {
    in_pty "$SANDBOX" "${RO[@]}" --unshare-pid "$BATS_FILE_TMPDIR/tiocsti"
    assert_output_matches 'tiocsti=EPERM tiocsti64=EPERM tioclinux=EPERM'
}

@test "the filter composes with a caller's --add-seccomp-fd program (both apply)" {
    # an allow-everything program: 'ret ALLOW' is the single instruction 06 00 00 00 00 00 ff 7f
    printf '\x06\x00\x00\x00\x00\x00\xff\x7f' >"$BATS_TEST_TMPDIR/allow.bpf"
    in_pty bash -c "exec \"\$@\" 5<'$BATS_TEST_TMPDIR/allow.bpf'" _ "$SANDBOX" "${RO[@]}" --add-seccomp-fd 5 \
        sh -c "grep Seccomp_filters /proc/self/status; '$BATS_FILE_TMPDIR/tiocsti'"
    assert_output_matches 'Seccomp_filters:[[:space:]]+2'
    assert_output_matches 'tiocsti=EPERM'
}

@test "--new-session needs no filter: the kernel refuses TIOCSTI on a terminal that is not the controlling one" {
    require_legacy_tiocsti
    in_pty "$SANDBOX" "${RO[@]}" --new-session sh -c "grep Seccomp_filters /proc/self/status; '$BATS_FILE_TMPDIR/tiocsti'"
    assert_output_matches 'Seccomp_filters:[[:space:]]+0'
    assert_output_matches 'tiocsti=EPERM tiocsti64=EPERM'
}

@test "a caller without a controlling terminal needs no filter: the kernel refuses TIOCSTI on the terminal it holds" {
    require_legacy_tiocsti
    # setsid: the sandbox runs in a new session with the pty on its stdio, but not as its controlling terminal
    in_pty setsid -w "$SANDBOX" "${RO[@]}" sh -c "grep Seccomp_filters /proc/self/status; '$BATS_FILE_TMPDIR/tiocsti'"
    assert_output_matches 'Seccomp_filters:[[:space:]]+0'
    assert_output_matches 'tiocsti=EPERM tiocsti64=EPERM'
    # nor can the command make that terminal its own: it is the controlling terminal of the script's session
    in_pty setsid -w "$SANDBOX" "${RO[@]}" "$BATS_FILE_TMPDIR/tiocsti" sctty
    assert_output_matches 'sctty=EPERM'
}

@test "the filter is there whenever the caller has a controlling terminal, whatever the command's stdio" {
    in_pty "$SANDBOX" "${RO[@]}" sh -c 'grep Seccomp_filters /proc/self/status' </dev/null
    assert_output_matches 'Seccomp_filters:[[:space:]]+1'
}

@test "with --unshare-pid both the reaper and the command run under the filter, once each" {
    in_pty "$SANDBOX" "${RO[@]}" --unshare-pid --proc /proc sh -c "grep Seccomp_filters /proc/1/status /proc/self/status"
    assert_output_matches '/proc/1/status:Seccomp_filters:[[:space:]]+1'
    assert_output_matches '/proc/self/status:Seccomp_filters:[[:space:]]+1'
}

@test "--allow-tiocsti turns the filter off" {
    require_legacy_tiocsti
    in_pty "$SANDBOX" "${RO[@]}" --allow-tiocsti "$BATS_FILE_TMPDIR/tiocsti"
    assert_output_matches 'tiocsti=ok tiocsti64=ok'
}

@test "an interactive shell inside keeps job control (it owns the terminal's foreground group)" {
    in_pty "$SANDBOX" "${BASE[@]}" bash --norc -ic 'sleep 0.1 & wait; echo "fg=$(ps -o tpgid= -p $$) pg=$(ps -o pgid= -p $$)"'
    refute_output_matches 'no job control'
    [[ $output =~ fg=\ *([0-9]+)\ pg=\ *([0-9]+) ]] || fail "no fg/pg line in: $output"
    [[ ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] || fail "shell is not in the foreground group: $output"
}

@test "--new-session, by contrast, loses job control (control for the test above)" {
    in_pty "$SANDBOX" "${BASE[@]}" --new-session bash --norc -ic 'echo hi'
    assert_output_matches 'no job control'
}
