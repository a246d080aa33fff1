#!/usr/bin/env bats
# --cap-add and --cap-drop for a real root caller (uid 0, not setuid): the
# rows of the capability table that apply to root.  "Full" is what the
# caller starts with: its effective set (root may run with a reduced set in
# a container), and its bounding set for CapBnd where no user namespace is
# made.  Unprivileged rows are in caps.bats.

load helpers

setup() {
    require_root
    EFF=$(proc_field CapEff /proc/self/status)
    BND=$(proc_field CapBnd /proc/self/status)
    ZERO=0000000000000000
    # The requested set starts as the effective set, so in a new user
    # namespace the bounding set is cut down to it.
    EFF_BND=$(printf '%016x' $((0x$EFF & 0x$BND)))
}

without() { # MASK BIT...
    local m=$((0x$1)) b
    shift
    for b in "$@"; do
        m=$((m & ~(1 << b)))
    done
    printf '%016x' "$m"
}

@test "root, no options (no user namespace): capabilities kept as they were, no ambient" {
    run sb "${RO[@]}" cat /proc/self/status
    assert_status 0
    check_caps 0 $ZERO "$EFF" "$EFF" "$BND" $ZERO
}

@test "root --unshare-user: uid 0 in the new namespace with the starting set" {
    skip_unless_feature userns
    run sb "${RO[@]}" --unshare-user cat /proc/self/status
    assert_status 0
    check_caps 0 $ZERO "$EFF" "$EFF" "$EFF_BND" $ZERO
}

@test "root --cap-drop ALL: nothing effective, the bounding set untouched (no user namespace)" {
    run sb "${RO[@]}" --cap-drop ALL cat /proc/self/status
    assert_status 0
    check_caps 0 $ZERO $ZERO $ZERO "$BND" $ZERO
}

@test "root --cap-drop CAP_SYS_ADMIN: all but bit 21, raised as ambient too" {
    local w
    w=$(without "$EFF" 21)
    run sb "${RO[@]}" --cap-drop CAP_SYS_ADMIN cat /proc/self/status
    assert_status 0
    check_caps 0 "$w" "$w" "$w" "$BND" "$w"
}

@test "root --cap-drop ALL --cap-add CAP_CHOWN: only bit 0" {
    run sb "${RO[@]}" --cap-drop ALL --cap-add CAP_CHOWN cat /proc/self/status
    assert_status 0
    check_caps 0 0000000000000001 0000000000000001 0000000000000001 "$BND" 0000000000000001
}

@test "root --cap-add ALL --cap-drop ALL: nothing effective" {
    run sb "${RO[@]}" --cap-add ALL --cap-drop ALL cat /proc/self/status
    assert_status 0
    check_caps 0 $ZERO $ZERO $ZERO "$BND" $ZERO
}

@test "root --unshare-user --uid 1000: no capability for the non-root uid" {
    skip_unless_feature userns
    run sb "${RO[@]}" --unshare-user --uid 1000 cat /proc/self/status
    assert_status 0
    check_caps 1000 $ZERO $ZERO $ZERO "$EFF_BND" $ZERO
}

@test "root --unshare-user --uid 5 --dev /dev: no capability for the non-root uid" {
    skip_unless_feature userns
    run sb "${RO[@]}" --unshare-user --uid 5 --dev /dev cat /proc/self/status
    assert_status 0
    check_caps 5 $ZERO $ZERO $ZERO "$EFF_BND" $ZERO
}

@test "root --unshare-user --uid 5 --cap-add CAP_CHOWN: the full starting set, kept through exec" {
    skip_unless_feature userns
    run sb "${RO[@]}" --unshare-user --uid 5 --cap-add CAP_CHOWN cat /proc/self/status
    assert_status 0
    check_caps 5 "$EFF" "$EFF" "$EFF" "$EFF_BND" "$EFF"
}

@test "root --unshare-user --cap-drop ALL: every set empty, the bounding set included" {
    skip_unless_feature userns
    run sb "${RO[@]}" --unshare-user --cap-drop ALL cat /proc/self/status
    assert_status 0
    check_caps 0 $ZERO $ZERO $ZERO $ZERO $ZERO
}

@test "root --unshare-user --cap-drop ALL --cap-add CAP_CHOWN: bit 0 everywhere" {
    skip_unless_feature userns
    run sb "${RO[@]}" --unshare-user --cap-drop ALL --cap-add CAP_CHOWN cat /proc/self/status
    assert_status 0
    check_caps 0 0000000000000001 0000000000000001 0000000000000001 0000000000000001 0000000000000001
}

@test "root: the pid 1 reaper drops every capability" {
    run sb "${BASE[@]}" --unshare-pid cat /proc/1/status
    assert_status 0
    [[ $(proc_field CapEff) == "$ZERO" && $(proc_field CapPrm) == "$ZERO" ]] ||
        fail "pid 1: CapEff $(proc_field CapEff) CapPrm $(proc_field CapPrm)"
}

@test "root: --cap-drop really removes the power (CAP_DAC_OVERRIDE)" {
    local f=$BATS_TEST_TMPDIR/f
    printf 'secret\n' >"$f"
    chown 12345:12345 "$f"
    chmod 000 "$f"
    run sb "${RO[@]}" cat "$f"
    assert_status 0
    assert_output secret
    run sb "${RO[@]}" --cap-drop CAP_DAC_OVERRIDE --cap-drop CAP_DAC_READ_SEARCH cat "$f"
    assert_status 1
    assert_output "cat: $f: Permission denied"
}
