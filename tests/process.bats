#!/usr/bin/env bats
# The command's process: cwd, environment, argv0, lifetime, session, exit
# status, signals, reaping.

load helpers

setup() {
    TOKEN="sbtest-$$-$BATS_TEST_NUMBER-$RANDOM"
    require_unprivileged
    skip_unless_feature userns
}

teardown() {
    # Kill whatever a failed test left running: our own processes whose
    # command line has this test's unique token.
    local p
    [[ $TOKEN == sbtest-?* ]] || return 0
    for p in $(pgrep -U "$EUID" -f -- "$TOKEN" 2>/dev/null); do
        kill -KILL "$p" 2>/dev/null || :
    done
}

# ------------------------------------------------------------ cwd & PWD ---

@test "--chdir sets the working directory and PWD" {
    run sb "${RO[@]}" --chdir /usr/share sh -c 'pwd -P'
    assert_status 0
    assert_output "/usr/share"
    run sb "${RO[@]}" --chdir /usr/share printenv PWD
    assert_status 0
    assert_output "/usr/share"
}

@test "--chdir to a directory created by an earlier option" {
    run sb "${RO[@]}" --tmpfs /tmp --dir /tmp/made --chdir /tmp/made printenv PWD
    assert_status 0
    assert_output "/tmp/made"
}

@test "--chdir to a missing directory is an error" {
    run sb "${RO[@]}" --chdir /nonexistent/dir true
    assert_error_line "Can't chdir to /nonexistent/dir: No such file or directory$"
}

@test "the last --chdir wins" {
    run sb "${RO[@]}" --chdir /nonexistent --chdir /usr printenv PWD
    [[ ${lines[-1]} == /usr ]] || fail "$output"
    assert_status 0
}

@test "default cwd: the caller's cwd when it exists inside" {
    mkdir "$BATS_TEST_TMPDIR/here"
    cd "$BATS_TEST_TMPDIR/here"
    run sb "${RO[@]}" sh -c 'pwd -P'
    assert_status 0
    assert_output "$(pwd -P)"
    run sb "${RO[@]}" printenv PWD
    assert_status 0
    # the caller's cwd, logical or physical spelling
    [[ $output == "$PWD" || $output == "$(pwd -P)" ]] || fail "PWD=$output, cwd $PWD"
}

@test "default cwd: \$HOME when the caller's cwd does not exist inside" {
    mkdir "$BATS_TEST_TMPDIR/gone"
    cd "$BATS_TEST_TMPDIR/gone"
    HOME=/usr/share run sb "${RO[@]}" --tmpfs "$BATS_TEST_TMPDIR" sh -c 'pwd -P'
    assert_status 0
    assert_output "/usr/share"
    HOME=/usr/share run sb "${RO[@]}" --tmpfs "$BATS_TEST_TMPDIR" printenv PWD
    assert_status 0
    assert_output "/usr/share"
}

@test "default cwd: / when neither the caller's cwd nor \$HOME exists inside" {
    mkdir "$BATS_TEST_TMPDIR/gone"
    cd "$BATS_TEST_TMPDIR/gone"
    HOME=/nonexistent/home run sb "${RO[@]}" --tmpfs "$BATS_TEST_TMPDIR" sh -c 'pwd -P; printenv PWD'
    assert_status 0
    assert_output $'/\n/'
}

@test "default cwd: / when the caller's cwd is missing and HOME is unset" {
    mkdir "$BATS_TEST_TMPDIR/gone"
    cd "$BATS_TEST_TMPDIR/gone"
    run env -u HOME "$SANDBOX" "${RO[@]}" --tmpfs "$BATS_TEST_TMPDIR" sh -c 'pwd -P; printenv PWD'
    assert_status 0
    assert_output $'/\n/'
}

@test "PWD is set to the new cwd even if the caller's PWD says otherwise" {
    PWD=/bogus run sb "${RO[@]}" --chdir /usr printenv PWD
    assert_status 0
    assert_output "/usr"
}

# ---------------------------------------------------------- environment ---

@test "the caller's environment is passed to the command" {
    SB_TEST_VAR='a value with spaces' run sb "${RO[@]}" printenv SB_TEST_VAR
    assert_status 0
    assert_output "a value with spaces"
}

@test "--setenv sets a variable, overriding an inherited one" {
    SB_TEST_VAR=host run sb "${RO[@]}" --setenv SB_TEST_VAR inside --setenv OTHER 'x=y z' sh -c 'printenv SB_TEST_VAR OTHER'
    assert_status 0
    assert_output $'inside\nx=y z'
}

@test "--unsetenv removes a variable" {
    SB_TEST_VAR=host run sb "${RO[@]}" --unsetenv SB_TEST_VAR sh -c 'echo "${SB_TEST_VAR-unset}"'
    assert_status 0
    assert_output "unset"
}

@test "--clearenv leaves only PWD" {
    SB_TEST_VAR=host run sb "${RO[@]}" --chdir /usr --clearenv /usr/bin/env
    assert_status 0
    assert_output "PWD=/usr"
}

@test "--setenv/--unsetenv/--clearenv apply in command-line order" {
    run sb "${RO[@]}" --chdir /usr --setenv A 1 --clearenv --setenv B 2 --setenv C 3 --unsetenv C /usr/bin/env
    assert_status 0
    [[ $(LC_ALL=C sort <<<"$output") == $'B=2\nPWD=/usr' ]] ||
        fail "environment: $output"
}

@test "--unsetenv then --setenv of one variable sets it" {
    SB_TEST_VAR=host run sb "${RO[@]}" --unsetenv SB_TEST_VAR --setenv SB_TEST_VAR again printenv SB_TEST_VAR
    assert_status 0
    assert_output "again"
}

@test "--setenv then --unsetenv of one variable removes it" {
    run sb "${RO[@]}" --setenv SB_TEST_VAR x --unsetenv SB_TEST_VAR sh -c 'echo "${SB_TEST_VAR-unset}"'
    assert_status 0
    assert_output "unset"
}

@test "--setenv PWD is overridden by the sandbox's own PWD" {
    run sb "${RO[@]}" --chdir /usr --setenv PWD /elsewhere printenv PWD
    assert_status 0
    assert_output "/usr"
}

# ---------------------------------------------------------------- argv0 ---

# Run the sandbox and show its output with NULs turned into spaces.
nul_to_space() {
    set -o pipefail
    "$SANDBOX" "$@" | tr '\0' ' '
}

@test "--argv0 sets argv[0] of the command" {
    run nul_to_space "${RO[@]}" --argv0 custom-name cat /proc/self/cmdline
    assert_status 0
    assert_output "custom-name /proc/self/cmdline "
}

@test "without --argv0, argv[0] is the command as given" {
    run nul_to_space "${RO[@]}" cat /proc/self/cmdline
    assert_status 0
    assert_output "cat /proc/self/cmdline "
}

@test "--argv0 used twice is an error" {
    run sb "${RO[@]}" --argv0 a --argv0 b true
    assert_error_line '--argv0 used multiple times$'
}

# ---------------------------------------------------------- exit status ---

@test "the exit status is the command's own" {
    local n
    for n in 0 1 3 42 255; do
        run sb "${RO[@]}" sh -c "exit $n"
        assert_status "$n"
    done
}

@test "the exit status is the command's own with --unshare-pid (through the reaper)" {
    local n
    for n in 0 7 255; do
        run sb "${BASE[@]}" --unshare-pid sh -c "exit $n"
        assert_status "$n"
    done
}

@test "the exit status is the command's own with --unshare-pid --as-pid-1" {
    run sb "${BASE[@]}" --unshare-pid --as-pid-1 sh -c 'exit 42'
    assert_status 42
}

@test "a command killed by signal N gives exit status 128+N" {
    run sb "${RO[@]}" sh -c 'kill -TERM $$'
    assert_status 143
    run sb "${RO[@]}" sh -c 'kill -KILL $$'
    assert_status 137
    run sb "${RO[@]}" sh -c 'kill -USR1 $$'
    assert_status 138
}

@test "a command killed by signal N gives 128+N with --unshare-pid too" {
    run sb "${BASE[@]}" --unshare-pid sh -c 'kill -TERM $$'
    assert_status 143
    run sb "${BASE[@]}" --unshare-pid sh -c 'kill -KILL $$'
    assert_status 137
}

@test "a setup error gives exit status 1" {
    run sb "${RO[@]}" --bind /nonexistent/source /mnt true
    assert_status 1
    run sb "${RO[@]}" /nonexistent/command
    assert_status 1
}

# -------------------------------------------------------------- session ---

# Session id of the process reading /proc/self/stat (field 6).
SID_CMD='awk "{ print \$6 }" /proc/self/stat'

@test "without --new-session the command stays in the caller's session" {
    local host_sid
    host_sid=$(awk '{ print $6 }' /proc/self/stat)
    run sb "${RO[@]}" sh -c "$SID_CMD"
    assert_status 0
    assert_output "$host_sid"
}

@test "--new-session: the command leads a new session (setsid)" {
    local host_sid
    host_sid=$(awk '{ print $6 }' /proc/self/stat)
    run sb "${RO[@]}" --new-session sh -c "echo \$\$; $SID_CMD"
    assert_status 0
    [[ ${lines[1]} != "$host_sid" ]] || fail "same session as the caller: $host_sid"
    [[ ${lines[1]} == "${lines[0]}" ]] || fail "session ${lines[1]} is not led by the command (${lines[0]})"
}

# ------------------------------------------------------ die-with-parent ---

is_running() { pgrep -U "$EUID" -f -- "$1" >/dev/null; }
is_gone() { ! pgrep -U "$EUID" -f -- "$1" >/dev/null; }

# start_under_parent OPTIONS...: start "bash -c 'sandbox ... & wait'" in the
# background, the sandbox running `sleep <unique duration>`; sets PARENT
# (the bash) and PATTERN (matches just the sleep).
start_under_parent() {
    local dur="$((300 + RANDOM % 100)).$$$RANDOM"
    PATTERN="^sleep $dur\$"
    bash -c '"$@" & wait' "$TOKEN" "$SANDBOX" "$@" sleep "$dur" >/dev/null 2>&1 3>&- &
    PARENT=$!
    wait_until 5 is_running "$PATTERN" || fail "the command did not start"
}

@test "--die-with-parent: killing the sandbox's parent kills the command" {
    start_under_parent "${RO[@]}" --die-with-parent
    kill -KILL "$PARENT"
    wait "$PARENT" || :
    wait_until 5 is_gone "$PATTERN" || fail "the command survived its parent"
}

@test "--die-with-parent with --unshare-pid: killing the parent kills the command" {
    start_under_parent "${BASE[@]}" --unshare-pid --die-with-parent
    kill -KILL "$PARENT"
    wait "$PARENT" || :
    wait_until 5 is_gone "$PATTERN" || fail "the command survived its parent"
}

@test "without --die-with-parent the command outlives the sandbox's parent" {
    start_under_parent "${RO[@]}"
    kill -KILL "$PARENT"
    wait "$PARENT" || :
    sleep 0.3
    is_running "$PATTERN" || fail "the command died with its parent"
    kill -KILL $(pgrep -U "$EUID" -f -- "$PATTERN")
    wait_until 5 is_gone "$PATTERN"
}

# -------------------------------------------------------------- signals ---

# start_trapping OPTIONS...: start the sandbox in the background running a
# shell that traps $SIG (exits 42 after printing "caught SIG") and loops for
# at most 10 s; waits until the trap is installed.  Sets SB_PID and OUT.
start_trapping() {
    local ready="$BATS_TEST_TMPDIR/ready"
    OUT="$BATS_TEST_TMPDIR/out"
    # env --default-signal: undo the SIG_IGN of SIGINT/SIGQUIT that bash
    # gives background jobs, which the command would otherwise inherit.
    env --default-signal "$SANDBOX" "${RO[@]}" --bind "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" "$@" \
        sh -c 'trap "echo caught $2; exit 42" "$2"; : > "$1"
               i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; echo timeout' \
        "$TOKEN" "$ready" "$SIG" >"$OUT" 2>&1 3>&- &
    SB_PID=$!
    wait_until 5 test -e "$ready" || fail "the command did not start: $(cat "$OUT")"
}

check_forwarded() {
    SIG=$1
    shift
    start_trapping "$@"
    kill -s "$SIG" "$SB_PID"
    local rc=0
    wait "$SB_PID" || rc=$?
    [[ $rc -eq 42 ]] || fail "sandbox exited $rc, wanted the command's 42; output: $(cat "$OUT")"
    [[ $(cat "$OUT") == "caught $SIG" ]] || fail "output: $(cat "$OUT")"
}

@test "SIGTERM to the sandbox is forwarded to the command; its exit status is returned" {
    check_forwarded TERM
}

@test "SIGINT to the sandbox is forwarded to the command" {
    check_forwarded INT
}

@test "SIGHUP to the sandbox is forwarded to the command" {
    check_forwarded HUP
}

@test "SIGQUIT to the sandbox is forwarded to the command" {
    check_forwarded QUIT
}

@test "SIGUSR1 to the sandbox is forwarded to the command" {
    check_forwarded USR1
}

@test "SIGUSR2 to the sandbox is forwarded to the command" {
    check_forwarded USR2
}

@test "SIGTERM is forwarded to the command with --unshare-pid" {
    check_forwarded TERM --unshare-pid
}

@test "SIGINT is forwarded to the command with --unshare-pid" {
    check_forwarded INT --unshare-pid
}

@test "SIGTERM is forwarded to the command with --unshare-pid --as-pid-1" {
    check_forwarded TERM --unshare-pid --as-pid-1
}

@test "an untrapped SIGTERM kills the command: exit 143 and nothing left running" {
    env --default-signal "$SANDBOX" "${RO[@]}" --bind "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" \
        sh -c ': > "$1"; i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done' \
        "$TOKEN" "$BATS_TEST_TMPDIR/ready" >/dev/null 2>&1 3>&- &
    local pid=$! rc=0
    wait_until 5 test -e "$BATS_TEST_TMPDIR/ready"
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    [[ $rc -eq 143 ]] || fail "exit status $rc"
    wait_until 2 is_gone "^sh -c .* $TOKEN " || fail "the command is still running"
}

# -------------------------------------------------------------- reaping ---

@test "--unshare-pid: orphaned processes are reaped, no zombies remain" {
    run sb "${BASE[@]}" --unshare-pid sh -c '
        (sleep 0.05 &)          # orphan: re-parented to pid 1, exits soon
        (true &)
        sleep 0.4
        cd /proc && for p in [0-9]*; do
            read -r line < "$p/stat" && echo "$line"
        done' 
    assert_status 0
    local zombies
    zombies=$(awk '{ sub(/^.*\) /, ""); if ($1 == "Z") print }' <<<"$output")
    [[ -z $zombies ]] || fail "zombies: $output"
    [[ ${#lines[@]} -eq 2 ]] || fail "expected only pid 1 and the command: $output"
}

@test "--unshare-pid: the sandbox exits when the command does" {
    local start end
    start=$(date +%s%N)
    run sb "${BASE[@]}" --unshare-pid sh -c 'exit 3'
    end=$(date +%s%N)
    assert_status 3
    (((end - start) < 2000000000)) || fail "took $(((end - start) / 1000000)) ms"
}

@test "the command is looked up in its own PATH, as changed by --setenv (not the caller's)" {
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    printf '#!/bin/sh\necho from-private-path\n' >"$BATS_TEST_TMPDIR/bin/only-here"
    chmod 755 "$BATS_TEST_TMPDIR/bin/only-here"
    run sb "${RO[@]}" --setenv PATH "$BATS_TEST_TMPDIR/bin" only-here
    assert_status 0
    assert_output from-private-path
    run sb "${RO[@]}" --setenv PATH /nonexistent true
    assert_status 1
    assert_error_line 'execvp true: No such file or directory'
}

@test "after --clearenv (no PATH at all) the C library's default search path is used" {
    run sb "${RO[@]}" --clearenv env
    assert_status 0
    assert_output "PWD=$PWD"
}
