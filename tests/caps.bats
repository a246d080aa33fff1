#!/usr/bin/env bats
# --cap-add and --cap-drop for an unprivileged caller: the capability sets
# the command ends up with (read from /proc/self/status), how capability
# names are parsed, and that an added capability is really usable.  The
# rows of the table for a root caller are in root-caps.bats.
# Also: --exec-label and --file-label on a system without SELinux.

load helpers

setup() {
    require_unprivileged
    skip_unless_feature userns
    T=$BATS_TEST_TMPDIR
    ME=$(id -u)
    # Every capability the kernel knows: bits 0..cap_last_cap.
    local last
    last=$(cat /proc/sys/kernel/cap_last_cap)
    ALLCAPS=$(printf '%016x' $(((1 << (last + 1)) - 1)))
    ZERO=0000000000000000
}

# hexcaps N...: the 16-digit mask with the bits N... set
hexcaps() {
    local m=0 b
    for b in "$@"; do
        m=$((m | (1 << b)))
    done
    printf '%016x' "$m"
}

@test "no options: uid is the caller's and every capability set is empty" {
    run sb "${RO[@]}" cat /proc/self/status
    assert_status 0
    check_caps "$ME" $ZERO $ZERO $ZERO $ZERO $ZERO
}

@test "--uid 0 --gid 0: uid 0 inside, still no capability at all" {
    run sb "${RO[@]}" --uid 0 --gid 0 cat /proc/self/status
    assert_status 0
    check_caps 0 $ZERO $ZERO $ZERO $ZERO $ZERO
}

@test "--uid 0 --gid 0 --dev /dev: uid 0 inside, still no capability at all" {
    run sb "${RO[@]}" --dev /dev --uid 0 --gid 0 cat /proc/self/status
    assert_status 0
    check_caps 0 $ZERO $ZERO $ZERO $ZERO $ZERO
}

@test "--cap-add CAP_NET_ADMIN: bit 12 in all five sets, for the caller's uid" {
    run sb "${RO[@]}" --cap-add CAP_NET_ADMIN cat /proc/self/status
    assert_status 0
    check_caps "$ME" 0000000000001000 0000000000001000 0000000000001000 0000000000001000 0000000000001000
}

@test "--uid 0 --cap-add ALL: every capability in all five sets" {
    run sb "${RO[@]}" --uid 0 --cap-add ALL cat /proc/self/status
    assert_status 0
    check_caps 0 "$ALLCAPS" "$ALLCAPS" "$ALLCAPS" "$ALLCAPS" "$ALLCAPS"
}

@test "--cap-add ALL --cap-drop cap_sys_admin: everything but bit 21" {
    local want
    want=$(printf '%016x' $((0x$ALLCAPS & ~(1 << 21))))
    run sb "${RO[@]}" --cap-add ALL --cap-drop cap_sys_admin cat /proc/self/status
    assert_status 0
    check_caps "$ME" "$want" "$want" "$want" "$want" "$want"
}

@test "--cap-add ALL for the caller's own uid: all five sets full (kept through exec by ambient caps)" {
    run sb "${RO[@]}" --cap-add ALL cat /proc/self/status
    assert_status 0
    check_caps "$ME" "$ALLCAPS" "$ALLCAPS" "$ALLCAPS" "$ALLCAPS" "$ALLCAPS"
}

@test "options apply left to right: --cap-drop ALL --cap-add CAP_KILL keeps CAP_KILL" {
    local k
    k=$(hexcaps 5)
    run sb "${RO[@]}" --cap-add ALL --cap-drop ALL --cap-add CAP_KILL cat /proc/self/status
    assert_status 0
    check_caps "$ME" "$k" "$k" "$k" "$k" "$k"
}

@test "options apply left to right: --cap-add CAP_KILL --cap-drop ALL keeps nothing" {
    run sb "${RO[@]}" --cap-add CAP_KILL --cap-drop ALL cat /proc/self/status
    assert_status 0
    check_caps "$ME" $ZERO $ZERO $ZERO $ZERO $ZERO
}

@test "--cap-drop of a capability never added changes nothing" {
    run sb "${RO[@]}" --cap-add CAP_CHOWN --cap-drop CAP_KILL cat /proc/self/status
    assert_status 0
    local c
    c=$(hexcaps 0)
    check_caps "$ME" "$c" "$c" "$c" "$c" "$c"
}

@test "several --cap-add accumulate" {
    local want
    want=$(hexcaps 0 5 12 21)
    run sb "${RO[@]}" --cap-add CAP_CHOWN --cap-add CAP_KILL --cap-add CAP_NET_ADMIN --cap-add CAP_SYS_ADMIN \
        cat /proc/self/status
    assert_status 0
    check_caps "$ME" "$want" "$want" "$want" "$want" "$want"
}

# name -> expected mask (CapEff), as libcap's cap_from_name parses it
@test "capability names: case-insensitive with the cap_ prefix, numbers below 64, ALL in any case" {
    local spec name want bad=
    for spec in \
        "CAP_CHOWN $(hexcaps 0)" "cap_chown $(hexcaps 0)" "Cap_Chown $(hexcaps 0)" \
        "CAP_DAC_OVERRIDE $(hexcaps 1)" "cap_net_raw $(hexcaps 13)" \
        "12 $(hexcaps 12)" "0x1 $(hexcaps 1)" "0 $(hexcaps 0)" \
        "all $ALLCAPS" "All $ALLCAPS" "ALL $ALLCAPS" \
        "12x $(hexcaps 12)" "CAP_CHOWN,CAP_KILL $(hexcaps 0)" \
        "63 $ZERO"; do
        name=${spec% *}
        want=${spec##* }
        run sb "${RO[@]}" --cap-add "$name" cat /proc/self/status
        if [[ $status -ne 0 ]]; then
            bad+=" [$name]: status $status ($output);"
            continue
        fi
        [[ $(proc_field CapEff) == "$want" ]] || bad+=" [$name]: CapEff $(proc_field CapEff), wanted $want;"
    done
    [[ -z $bad ]] || fail "$bad"
}

@test "unknown capability names: 'unknown cap: NAME'" {
    local name bad=
    for name in chown CAP_NOPE 64 -1 "" " CAP_CHOWN" foo; do
        run sb "${RO[@]}" --cap-add "$name" true
        if [[ $status -ne 1 || $output != "$PREFIX: unknown cap: $name" ]]; then
            bad+=" --cap-add [$name]: status $status, output [$output];"
        fi
        run sb "${RO[@]}" --cap-drop "$name" true
        if [[ $status -ne 1 || $output != "$PREFIX: unknown cap: $name" ]]; then
            bad+=" --cap-drop [$name]: status $status, output [$output];"
        fi
    done
    [[ -z $bad ]] || fail "$bad"
}

@test "an unknown capability is reported at parse time, before a later bad option" {
    run sb "${RO[@]}" --cap-add CAP_NOPE --frobnicate true
    assert_error_line "unknown cap: CAP_NOPE$"
}

@test "--cap-add and --cap-drop need a value" {
    run sb --cap-add
    assert_error_line "--cap-add takes an argument$"
    run sb --cap-drop
    assert_error_line "--cap-drop takes an argument$"
}

@test "an added capability is usable: CAP_DAC_OVERRIDE reads a mode-000 file" {
    printf 'secret\n' >"$T/f"
    chmod 000 "$T/f"
    run sb "${RO[@]}" cat "$T/f"
    assert_status 1
    assert_output "cat: $T/f: Permission denied"
    run sb "${RO[@]}" --cap-add CAP_DAC_OVERRIDE cat "$T/f"
    assert_status 0
    assert_output "secret"
    chmod 600 "$T/f"
}

@test "an added capability is usable: CAP_NET_ADMIN can take lo down in a new network namespace" {
    require_cmd ip
    run sb "${RO[@]}" --unshare-net sh -c 'ip link set lo down; echo "rc=$?"; ip -o link show lo'
    assert_status 0
    [[ ${lines[0]} == "RTNETLINK answers: Operation not permitted" ]] || fail "without the capability: $output"
    [[ ${lines[1]} == rc=2 && ${lines[2]} == *"<LOOPBACK,UP,LOWER_UP>"* ]] || fail "without the capability: $output"
    run sb "${RO[@]}" --unshare-net --cap-add CAP_NET_ADMIN sh -c 'ip link set lo down && ip -o link show lo'
    assert_status 0
    [[ $output == *": lo: <LOOPBACK> "* ]] || fail "lo still up: $output"
}

@test "no_new_privs is always set in the command" {
    run sb "${RO[@]}" --cap-add ALL cat /proc/self/status
    assert_status 0
    [[ $(proc_field NoNewPrivs) == 1 ]] || fail "NoNewPrivs: $(proc_field NoNewPrivs)"
}

@test "the pid 1 reaper keeps no capability, even with --cap-add ALL" {
    run sb "${BASE[@]}" --unshare-pid --cap-add ALL sh -c 'cat /proc/1/status; echo "me $$"; grep ^CapEff /proc/self/status'
    assert_status 0
    [[ ${lines[-2]} == "me 2" ]] || fail "the command is not pid 2: ${lines[-2]}"
    [[ ${lines[-1]} == "CapEff:	$ALLCAPS" ]] || fail "command: ${lines[-1]}"
    local f
    for f in CapInh CapPrm CapEff CapAmb; do
        [[ $(proc_field "$f") == "$ZERO" ]] || fail "pid 1 $f: $(proc_field "$f")"
    done
}

@test "--exec-label: labeling not supported on this system (no SELinux)" {
    [[ ! -d /sys/fs/selinux ]] || skip "SELinux is available on this host"
    run sb "${RO[@]}" --exec-label system_u:system_r:container_t:s0 true
    assert_error_line "labeling not supported on this system$"
}

@test "--file-label: labeling not supported on this system (no SELinux)" {
    [[ ! -d /sys/fs/selinux ]] || skip "SELinux is available on this host"
    run sb "${RO[@]}" --file-label system_u:object_r:container_file_t:s0 true
    assert_error_line "labeling not supported on this system$"
}

@test "--exec-label is checked at parse time, before a later bad option" {
    [[ ! -d /sys/fs/selinux ]] || skip "SELinux is available on this host"
    run sb "${RO[@]}" --exec-label x --frobnicate true
    assert_error_line "labeling not supported on this system$"
}
