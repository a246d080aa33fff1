#!/usr/bin/env bats
# Resource limits (--memory-max, --tasks-max, --cpu-quota, ...) against a REAL systemd user manager: no mocks.
#
# Runs as root (root-*.bats) because starting a manager for another user needs root: setup_file starts one
# with tests/systemd/user-manager for the throwaway test user (SANDBOX_TEST_USER from tests/run, or one made
# here), plus a second one, for a second throwaway user, that is delegated no controllers. Every sandbox then
# runs as the test user, inside the manager's delegated cgroup subtree ("user-manager run"), as it would in a
# login session. teardown_file stops both and checks that no process, cgroup or directory is left.
#
# On a host whose PID 1 is systemd the user's real user@UID.service is used instead, and the tests that need
# a hand-made delegation (no controllers delegated, caller outside the subtree) are skipped.

load helpers

UM="$BATS_TEST_DIRNAME/systemd/user-manager"

# A made-up user: name prefix; prints the name.
_make_user() {
    local name
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        name=$1-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
        getent passwd "$name" >/dev/null || getent group "$name" >/dev/null || break
    done
    useradd -U -M -d /nonexistent -s /usr/sbin/nologin -c "sandbox limits test user" \
        -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$name" >/dev/null 2>&1 || return 1
    echo "$name"
}

_drop_user() {
    userdel "$1" >/dev/null 2>&1
    getent group "$1" >/dev/null && groupdel "$1" >/dev/null 2>&1
    return 0
}

setup_file() {
    # one manager per user, shared: the tests look at all its units, and one measures CPU time
    export BATS_NO_PARALLELIZE_WITHIN_FILE=true
    # A missing precondition skips every test (see setup), with the reason.
    export LIM_SKIP='' LIM_MODE=''
    if [[ $(id -u) != 0 ]]; then
        LIM_SKIP="needs real root (uid 0) to start a systemd user manager"
        return 0
    fi
    if ! LIM_MODE=$(bash "$UM" mode 2>"$BATS_FILE_TMPDIR/mode.err"); then
        LIM_SKIP="no systemd user manager can be started here: $(sed 's/^[^:]*: //' "$BATS_FILE_TMPDIR/mode.err")"
        LIM_MODE=''
        return 0
    fi
    if ! command -v cc >/dev/null; then
        LIM_SKIP="no C compiler (cc) for tests/systemd/limits-helper.c"
        return 0
    fi

    # What the test user runs: a world-readable directory (bats' own are root's, mode 700).
    LIM_PUB=$(mktemp -d "${TMPDIR:-/tmp}/limits.XXXXXX") || return 1
    chmod 755 "$LIM_PUB"
    export LIM_PUB LIM_HELPER=$LIM_PUB/helper
    cc -O1 -o "$LIM_HELPER" "$BATS_TEST_DIRNAME/systemd/limits-helper.c" || return 1

    export LIM_MADE_USER='' LIM_ND_USER=''
    LIM_USER=${SANDBOX_TEST_USER:-}
    if [[ -z $LIM_USER || $LIM_USER == root ]] || ! id -u "$LIM_USER" >/dev/null 2>&1; then
        LIM_USER=$(_make_user sbxlim) || return 1
        LIM_MADE_USER=$LIM_USER
    fi
    export LIM_USER LIM_UID
    LIM_UID=$(id -u "$LIM_USER")
    # a directory the test user may write (strace output)
    mkdir -m 700 "$LIM_PUB/u" && chown "$LIM_USER:" "$LIM_PUB/u" || return 1
    bash "$UM" up "$LIM_USER" >"$BATS_FILE_TMPDIR/up.log" 2>&1 || {
        cat "$BATS_FILE_TMPDIR/up.log" >&2
        return 1
    }

    if [[ $LIM_MODE == private ]]; then
        # A manager that is delegated no controller, as systemd itself does on cgroup v1.
        LIM_ND_USER=$(_make_user sbxnd) || return 1
        SBX_SD_HIER="unified systemd" bash "$UM" up "$LIM_ND_USER" >"$BATS_FILE_TMPDIR/up-nd.log" 2>&1 || {
            cat "$BATS_FILE_TMPDIR/up-nd.log" >&2
            return 1
        }
    fi
}

_check_gone() { # USER UID: nothing of the harness left
    local bad=0 d
    for d in /sys/fs/cgroup/*/"sbx-$1"; do
        [[ -e $d ]] && {
            echo "left behind: $d" >&2
            bad=1
        }
    done
    if [[ $LIM_MODE == private ]]; then
        [[ -e /run/user/$2 ]] && {
            echo "left behind: /run/user/$2" >&2
            bad=1
        }
        pgrep -u "$2" >/dev/null && {
            echo "processes of $1 left: $(pgrep -u "$2" | tr '\n' ' ')" >&2
            bad=1
        }
    fi
    return $bad
}

teardown_file() {
    if [[ -n ${LIM_SKIP:-} || -z ${LIM_MODE:-} ]]; then
        return 0
    fi
    local bad=0 uid
    if [[ -n ${LIM_ND_USER:-} ]]; then
        uid=$(id -u "$LIM_ND_USER")
        bash "$UM" down "$LIM_ND_USER" >/dev/null || bad=1
        _check_gone "$LIM_ND_USER" "$uid" || bad=1
        _drop_user "$LIM_ND_USER"
    fi
    if [[ -n ${LIM_USER:-} ]]; then
        bash "$UM" down "$LIM_USER" >/dev/null || bad=1
        _check_gone "$LIM_USER" "$LIM_UID" || bad=1
        [[ -n $LIM_MADE_USER ]] && _drop_user "$LIM_MADE_USER"
    fi
    [[ -n ${LIM_PUB:-} ]] && rm -rf "$LIM_PUB"
    return $bad
}

setup() {
    if [[ -n $LIM_SKIP ]]; then
        skip "$LIM_SKIP"
    fi
    B=(--ro-bind / / --dev /dev --proc /proc)
}

teardown() {
    if [[ -n ${BATS_TEST_COMPLETED:-} || -n $LIM_SKIP || -z ${LIM_USER:-} ]]; then
        return 0
    fi
    echo "# the user manager's log (last lines):" >&2
    bash "$UM" log "$LIM_USER" 2>/dev/null | tail -n 15 >&2
}

# lim ARGS...: the sandbox, as the test user, in the delegated subtree of its manager
lim() {
    bash "$UM" run "$LIM_USER" "$SANDBOX" "$@"
}

# as_user CMD...: any command, the same way
as_user() {
    bash "$UM" run "$LIM_USER" "$@"
}

# The cgroup path of the manager's main hierarchy (name=systemd on v1 and hybrid, else the unified one) in
# /proc/self/cgroup text in $output.
main_cgroup() {
    local p
    p=$(sed -n 's/^[0-9]*:name=systemd://p' <<<"$output")
    [[ -n $p ]] || p=$(sed -n 's/^0:://p' <<<"$output")
    echo "$p"
}

# A shell script for inside the sandbox: prints the memory limit of its own cgroup as the kernel has it.
MEMLIMIT='p=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup)
if [ -n "$p" ]; then cat "/sys/fs/cgroup/memory$p/memory.limit_in_bytes"
else p=$(sed -n "s/^0:://p" /proc/self/cgroup); cat "/sys/fs/cgroup$p/memory.max"; fi'

# v1 (or hybrid) memory controller, as seen from here
memory_is_v1() {
    grep -qE '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup
}

# unit_gone USER UNIT: the manager no longer has the unit, and no cgroup of that name exists
unit_gone() {
    local out
    out=$(bash "$UM" run "$1" systemctl --user list-units --all --no-legend --plain "$2" 2>&1) || return 1
    [[ -z $out ]] || return 1
    [[ -z $(find /sys/fs/cgroup -maxdepth 8 -type d -name "$2" 2>/dev/null) ]]
}

# ---------------------------------------------------------------------------------------------------------------

@test "limits: the sandbox runs in a new scope sandbox-PID-RANDOM.scope in sandbox.slice, or in --slice" {
    run --separate-stderr lim "${B[@]}" --memory-max 256M cat /proc/self/cgroup
    assert_status 0
    [[ $(main_cgroup) =~ /sandbox\.slice/sandbox-[0-9]+-[0-9a-f]{16}\.scope$ ]] || fail "cgroup: $(main_cgroup)"
    local first=${output##*/}
    run --separate-stderr lim "${B[@]}" --tasks-max 100 --slice sbxtest.slice cat /proc/self/cgroup
    assert_status 0
    [[ $(main_cgroup) =~ /sbxtest\.slice/sandbox-[0-9]+-[0-9a-f]{16}\.scope$ ]] || fail "cgroup: $(main_cgroup)"
    [[ ${output##*/} != "$first" ]] || fail "the same scope twice"
    [[ -z $stderr ]] || fail "stderr: $stderr"
}

@test "--memory-max: an allocation above it is OOM-killed: exit 137, the message, oom-killed in the JSON status" {
    local js=$LIM_PUB/json.$BATS_TEST_NUMBER
    run --separate-stderr lim "${B[@]}" --memory-max 64M --json-status-fd 5 "$LIM_HELPER" alloc 256 5>"$js"
    assert_status 137
    [[ $stderr == "$PREFIX: command killed: memory limit (67108864 bytes) reached" ]] || fail "stderr: $stderr"
    [[ -z $output ]] || fail "output: $output"
    grep -q '"exit-code": 137' "$js" || fail "json: $(cat "$js")"
    grep -q '"oom-killed": true' "$js" || fail "json: $(cat "$js")"
}

@test "--memory-max: an allocation below it is spared, and the kernel's file holds the limit" {
    local js=$LIM_PUB/json.$BATS_TEST_NUMBER
    run --separate-stderr lim "${B[@]}" --memory-max 64M --json-status-fd 5 "$LIM_HELPER" alloc 16 5>"$js"
    assert_status 0
    assert_output "allocated 16 MiB"
    [[ -z $stderr ]] || fail "stderr: $stderr"
    grep -q '"exit-code": 0' "$js" || fail "json: $(cat "$js")"
    ! grep -q oom "$js" || fail "json: $(cat "$js")"
    run --separate-stderr lim "${B[@]}" --memory-max 64M sh -c "$MEMLIMIT"
    assert_status 0
    assert_output 67108864
}

@test "--memory-max: a sandbox nested in a limited one is still limited (same limit, OOM-killed above it)" {
    run --separate-stderr lim "${B[@]}" --memory-max 64M "$SANDBOX" "${B[@]}" sh -c "$MEMLIMIT"
    assert_status 0
    assert_output 67108864
    run --separate-stderr lim "${B[@]}" --memory-max 64M "$SANDBOX" "${B[@]}" "$LIM_HELPER" alloc 256
    assert_status 137
    [[ $stderr == "$PREFIX: command killed: memory limit (67108864 bytes) reached" ]] || fail "stderr: $stderr"
    run --separate-stderr lim "${B[@]}" --memory-max 64M "$SANDBOX" "${B[@]}" "$LIM_HELPER" alloc 16
    assert_status 0
    assert_output "allocated 16 MiB"
}

@test "--tasks-max: forks beyond it are refused, forks within it are not" {
    run --separate-stderr lim "${B[@]}" --tasks-max 10 "$LIM_HELPER" forks 30
    assert_status 0
    [[ $output =~ ^forked\ ([0-9]+)\ of\ 30$ ]] || fail "output: $output"
    ((BASH_REMATCH[1] >= 1 && BASH_REMATCH[1] < 10)) || fail "forked ${BASH_REMATCH[1]} with --tasks-max 10"
    [[ $stderr == *"Resource temporarily unavailable"* ]] || fail "stderr: $stderr"
    run --separate-stderr lim "${B[@]}" --tasks-max 100 "$LIM_HELPER" forks 30
    assert_status 0
    assert_output "forked 30 of 30"
}

@test "--cpu-quota 50%: a busy loop gets about half a CPU" {
    run --separate-stderr lim "${B[@]}" --cpu-quota 50% "$LIM_HELPER" spin 1000
    assert_status 0
    [[ $output =~ ^[0-9]+$ ]] || fail "output: $output"
    ((output >= 25 && output <= 75)) || fail "got $output% of a CPU with --cpu-quota 50%"
}

@test "--cpu-weight, --tasks-max, --cpu-quota: the kernel's files of the sandbox's cgroup hold them" {
    local script='for c in cpu pids; do
        p=$(sed -n "s/^[0-9]*:\([^:]*,\)\{0,1\}$c\(,[^:]*\)\{0,1\}://p" /proc/self/cgroup)
        if [ -n "$p" ]; then d=/sys/fs/cgroup/$c$p; else d=/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup); fi
        for f in cpu.shares cpu.weight cpu.cfs_quota_us cpu.cfs_period_us cpu.max pids.max; do
            [ -f "$d/$f" ] && echo "$f $(cat "$d/$f")"
        done
    done'
    run --separate-stderr lim "${B[@]}" --cpu-weight 50 --tasks-max 77 --cpu-quota 30% sh -c "$script"
    assert_status 0
    [[ $output == *"pids.max 77"* ]] || fail "output: $output"
    if [[ $output == *cpu.shares* ]]; then # v1: CPUWeight=50 is CPUShares=512
        [[ $output == *"cpu.shares 512"* && $output == *"cpu.cfs_quota_us 30000"* &&
            $output == *"cpu.cfs_period_us 100000"* ]] || fail "output: $output"
    else
        [[ $output == *"cpu.weight 50"* && $output == *"cpu.max 30000 100000"* ]] || fail "output: $output"
    fi
}

@test "limits: the scope and its cgroups are gone after the run (also after an OOM kill)" {
    run --separate-stderr lim "${B[@]}" --memory-max 64M --tasks-max 50 cat /proc/self/cgroup
    assert_status 0
    local unit
    unit=$(main_cgroup)
    unit=${unit##*/}
    [[ $unit == sandbox-*.scope ]] || fail "output: $output"
    wait_until 5 unit_gone "$LIM_USER" "$unit"

    run --separate-stderr lim "${B[@]}" --memory-max 64M sh -c "cat /proc/self/cgroup; exec $LIM_HELPER alloc 256"
    assert_status 137
    unit=$(main_cgroup)
    unit=${unit##*/}
    [[ $unit == sandbox-*.scope ]] || fail "output: $output"
    wait_until 5 unit_gone "$LIM_USER" "$unit"
    run as_user systemctl --user list-units --all --no-legend --plain 'sandbox-*'
    assert_status 0
    assert_output ""
}

@test "errors: no session bus reachable: one line that says what is needed" {
    run as_user env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS "$SANDBOX" "${B[@]}" --memory-max 64M echo RAN
    assert_error_line 'resource limits: cannot connect to the session bus \(neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set\): No medium found; .*systemd user manager.*XDG_RUNTIME_DIR'
    run as_user env DBUS_SESSION_BUS_ADDRESS="unix:path=$LIM_PUB/no-bus" "$SANDBOX" "${B[@]}" --tasks-max 50 echo RAN
    assert_error_line "resource limits: cannot connect to the session bus \(DBUS_SESSION_BUS_ADDRESS=unix:path=$LIM_PUB/no-bus\): No such file or directory; "
    run as_user env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$LIM_PUB" "$SANDBOX" "${B[@]}" --cpu-quota 50% echo RAN
    assert_error_line "resource limits: cannot connect to the session bus \($LIM_PUB/bus \(from XDG_RUNTIME_DIR\)\): No such file or directory; "
}

@test "errors: a manager without delegated controllers: the limits are refused, fail closed, nothing left" {
    [[ -n ${LIM_ND_USER:-} ]] || skip "needs a hand-made delegation (PID 1 is systemd here)"
    local opt
    for opt in "--memory-max 64M" "--tasks-max 10" "--cpu-quota 50%" "--cpu-weight 50"; do
        # shellcheck disable=SC2086 # the option and its value
        run bash "$UM" run "$LIM_ND_USER" "$SANDBOX" "${B[@]}" $opt echo RAN
        assert_error_line "${opt%% *}: limit not enforced by the kernel \(controller not delegated\?\): .*sandbox-[0-9]+-[0-9a-f]{16}\.scope"
    done
    # the scopes went away with their only process
    wait_until 5 bash -c "[[ -z \$(bash '$UM' run '$LIM_ND_USER' systemctl --user list-units --all --no-legend --plain 'sandbox-*') ]]"
    [[ -z $(find /sys/fs/cgroup -maxdepth 8 -type d -path "*/sbx-$LIM_ND_USER/*" -name 'sandbox-*') ]] ||
        fail "cgroups left: $(find /sys/fs/cgroup -maxdepth 8 -type d -path "*/sbx-$LIM_ND_USER/*" -name 'sandbox-*')"
}

@test "errors: a caller outside the manager's delegated subtree: the job fails, one line with the hint" {
    [[ $LIM_MODE == private ]] || skip "with systemd as PID 1 the system manager moves the process for the user manager"
    run bash "$UM" run --outside "$LIM_USER" "$SANDBOX" "${B[@]}" --memory-max 64M echo RAN
    assert_error_line "resource limits: the systemd user manager could not start the scope sandbox-[0-9]+-[0-9a-f]{16}\.scope \(job result 'failed'\): is this process outside the manager's delegated cgroup subtree\?"
    run as_user systemctl --user list-units --all --no-legend --plain 'sandbox-*'
    assert_output ""
}

@test "errors: the manager refuses the scope (a slice it cannot load): one line with systemd's reason" {
    run as_user "$SANDBOX" "${B[@]}" --tasks-max 10 --slice bad-.slice echo RAN
    assert_error_line "resource limits: the systemd user manager refused the scope sandbox-[0-9]+-[0-9a-f]{16}\.scope: .*bad-\.slice"
}

@test "--memory-high, --memory-swap-max, --io-weight: in the kernel's files, or refused where they cannot be" {
    if memory_is_v1; then # systemd sets only memory.limit_in_bytes there
        run lim "${B[@]}" --memory-high 64M echo RAN
        assert_error_line '--memory-high: limit cannot be enforced here: the memory controller is on cgroup v1'
        run lim "${B[@]}" --memory-swap-max 0 echo RAN
        assert_error_line '--memory-swap-max: limit cannot be enforced here: the memory controller is on cgroup v1'
    else
        local d='$(sed -n "s/^0:://p" /proc/self/cgroup)'
        run --separate-stderr lim "${B[@]}" --memory-high 64M --memory-swap-max 16M sh -c "cat /sys/fs/cgroup$d/memory.high /sys/fs/cgroup$d/memory.swap.max"
        if [[ $status == 1 ]]; then # no swap accounting in this kernel: refused, not ignored
            [[ $stderr == "$PREFIX: --memory-swap-max: limit not enforced by the kernel"* ]] || fail "stderr: $stderr"
        else
            assert_status 0
            assert_output $'67108864\n16777216'
        fi
    fi
    run --separate-stderr lim "${B[@]}" --io-weight 50 echo RAN
    if [[ $status == 1 ]]; then # no blkio/io weight for cgroups (e.g. not delegated, or no BFQ/iocost)
        [[ $stderr == "$PREFIX: --io-weight: limit cannot be enforced here: "* ]] || fail "stderr: $stderr"
        [[ -z $output ]] || fail "output: $output"
    else
        assert_status 0
        assert_output RAN
    fi
}

@test "no D-Bus traffic without limit options (strace: no connect to the bus), and some with them" {
    require_cmd strace
    local t=$LIM_PUB/u/trace.$BATS_TEST_NUMBER bus=/run/user/$LIM_UID/bus
    # LeakSanitizer cannot run under ptrace: a sanitizer build must not check leaks here
    local nolsan=(env ASAN_OPTIONS=detect_leaks=0)
    run as_user strace -f -qq -e trace=connect -o "$t" "${nolsan[@]}" "$SANDBOX" "${B[@]}" echo hello
    assert_status 0
    assert_output hello
    ! grep -F "$bus" "$t" || fail "connected to the bus without limits"
    ! grep -q 'sun_path=' "$t" || fail "connected to a unix socket without limits: $(grep sun_path= "$t")"
    # the control: the same trace does see the connection when a limit is asked for
    run as_user strace -f -qq -e trace=connect -o "$t" "${nolsan[@]}" "$SANDBOX" "${B[@]}" --tasks-max 50 echo hello
    assert_status 0
    assert_output hello
    grep -qF "sun_path=\"$bus\"" "$t" || fail "no connect to $bus in: $(cat "$t")"
}
