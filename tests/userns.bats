#!/usr/bin/env bats
# The user namespace an unprivileged caller gets: id mappings, credentials,
# capabilities, no_new_privs.

load helpers

setup() {
    require_unprivileged
    skip_unless_feature userns
    MYUID=$(id -u)
    MYGID=$(id -g)
    OVERFLOWUID=$(cat /proc/sys/kernel/overflowuid)
    OVERFLOWGID=$(cat /proc/sys/kernel/overflowgid)
}

# The three numbers of each line of a uid_map/gid_map in $output, one line
# per mapping, single-spaced.
normalized_map() {
    awk '{ print $1, $2, $3 }' <<<"$output"
}

@test "the caller's uid is mapped to itself: uid_map is '<uid> <uid> 1'" {
    run sb "${RO[@]}" cat /proc/self/uid_map
    assert_status 0
    [[ $(normalized_map) == "$MYUID $MYUID 1" ]] || fail "uid_map: $output"
}

@test "the caller's gid is mapped to itself: gid_map is '<gid> <gid> 1'" {
    run sb "${RO[@]}" cat /proc/self/gid_map
    assert_status 0
    [[ $(normalized_map) == "$MYGID $MYGID 1" ]] || fail "gid_map: $output"
}

@test "--uid 0 --gid 0 maps root inside to the caller outside" {
    run sb "${RO[@]}" --uid 0 --gid 0 cat /proc/self/uid_map
    assert_status 0
    [[ $(normalized_map) == "0 $MYUID 1" ]] || fail "uid_map: $output"
    run sb "${RO[@]}" --uid 0 --gid 0 cat /proc/self/gid_map
    assert_status 0
    [[ $(normalized_map) == "0 $MYGID 1" ]] || fail "gid_map: $output"
}

@test "--uid/--gid set all four ids seen in /proc/self/status" {
    run sb "${RO[@]}" --uid 1234 --gid 5678 cat /proc/self/status
    assert_status 0
    [[ $(proc_field Uid) == "1234 1234 1234 1234" ]] || fail "Uid: $(proc_field Uid)"
    [[ $(proc_field Gid) == "5678 5678 5678 5678" ]] || fail "Gid: $(proc_field Gid)"
}

@test "--uid/--gid: uid_map and gid_map map the chosen ids to the caller" {
    run sb "${RO[@]}" --uid 1234 --gid 5678 sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
    assert_status 0
    [[ $(normalized_map) == "1234 $MYUID 1"$'\n'"5678 $MYGID 1" ]] || fail "maps: $output"
}

@test "id reports the caller's uid and gid by default" {
    run sb "${RO[@]}" sh -c 'id -u; id -g'
    assert_status 0
    assert_output "$MYUID"$'\n'"$MYGID"
}

@test "id reports uid 0 and gid 0 with --uid 0 --gid 0" {
    run sb "${RO[@]}" --uid 0 --gid 0 sh -c 'id -u; id -g; id -un; id -gn'
    assert_status 0
    assert_output $'0\n0\nroot\nroot'
}

@test "supplementary groups: the primary gid first, anything else unmapped (overflow gid)" {
    run sb "${RO[@]}" id -G
    assert_status 0
    local g first=1
    for g in $output; do
        if ((first)); then
            [[ $g == "$MYGID" ]] || fail "first group $g, wanted $MYGID"
            first=0
        else
            [[ $g == "$OVERFLOWGID" || $g == "$MYGID" ]] ||
                fail "group $g is neither $MYGID nor the overflow gid $OVERFLOWGID"
        fi
    done
}

@test "setgroups is denied in the sandbox's user namespace" {
    run sb "${RO[@]}" cat /proc/self/setgroups
    assert_status 0
    assert_output "deny"
}

@test "all capability sets are empty" {
    run sb "${RO[@]}" cat /proc/self/status
    assert_status 0
    local f
    for f in CapInh CapPrm CapEff CapBnd CapAmb; do
        [[ $(proc_field $f) == 0000000000000000 ]] || fail "$f: $(proc_field $f)"
    done
}

@test "all capability sets are empty even as uid 0 inside (--uid 0)" {
    run sb "${RO[@]}" --uid 0 --gid 0 cat /proc/self/status
    assert_status 0
    local f
    for f in CapInh CapPrm CapEff CapBnd CapAmb; do
        [[ $(proc_field $f) == 0000000000000000 ]] || fail "$f: $(proc_field $f)"
    done
}

@test "all capability sets are empty with --unshare-all and a fresh /dev" {
    run sb "${BASE[@]}" --unshare-all cat /proc/self/status
    assert_status 0
    local f
    for f in CapInh CapPrm CapEff CapBnd CapAmb; do
        [[ $(proc_field $f) == 0000000000000000 ]] || fail "$f: $(proc_field $f)"
    done
}

@test "NoNewPrivs is set" {
    run sb "${RO[@]}" cat /proc/self/status
    assert_status 0
    [[ $(proc_field NoNewPrivs) == 1 ]] || fail "NoNewPrivs: $(proc_field NoNewPrivs)"
}

@test "NoNewPrivs is set under --unshare-pid too (the command is not pid 1)" {
    run sb "${BASE[@]}" --unshare-pid cat /proc/self/status
    assert_status 0
    [[ $(proc_field NoNewPrivs) == 1 ]] || fail "NoNewPrivs: $(proc_field NoNewPrivs)"
}

@test "host files owned by root appear owned by the overflow uid/gid" {
    run sb "${RO[@]}" stat -c '%u %g' /etc/passwd
    assert_status 0
    assert_output "$OVERFLOWUID $OVERFLOWGID"
}

@test "the caller's files appear owned by the caller, or by 0 with --uid 0 --gid 0" {
    : >"$BATS_TEST_TMPDIR/mine"
    run sb "${RO[@]}" stat -c '%u %g' "$BATS_TEST_TMPDIR/mine"
    assert_status 0
    assert_output "$MYUID $MYGID"
    run sb "${RO[@]}" --uid 0 --gid 0 stat -c '%u %g' "$BATS_TEST_TMPDIR/mine"
    assert_status 0
    assert_output "0 0"
}

@test "uid 0 inside gains nothing: root-owned host files stay unwritable" {
    run sb "${RO[@]}" --bind /etc /etc --uid 0 --gid 0 sh -c 'touch /etc/sandbox-test-file 2>&1; echo rc=$?'
    assert_status 0
    [[ ${lines[-1]} == rc=1 ]] || fail "touch succeeded? $output"
    assert_output_matches 'Permission denied'
    [[ ! -e /etc/sandbox-test-file ]] || fail "/etc/sandbox-test-file was created on the host"
}

@test "files created inside are owned by the caller on the host, even with --uid 0" {
    mkdir "$BATS_TEST_TMPDIR/w"
    run sb "${RO[@]}" --tmpfs /tmp --bind "$BATS_TEST_TMPDIR/w" /tmp/w --uid 0 --gid 0 touch /tmp/w/f
    assert_status 0
    [[ $(stat -c '%u %g' "$BATS_TEST_TMPDIR/w/f") == "$MYUID $MYGID" ]] ||
        fail "owner on host: $(stat -c '%u %g' "$BATS_TEST_TMPDIR/w/f")"
}

@test "the sandbox runs in a user namespace different from the host's" {
    run sb "${RO[@]}" readlink /proc/self/ns/user
    assert_status 0
    [[ $output == user:\[*\] ]] || fail "not a namespace id: $output"
    [[ $output != "$(host_ns user)" ]] || fail "same user namespace as the host: $output"
}

@test "--unshare-user and --unshare-user-try give the same mapping as the default" {
    run sb "${RO[@]}" --unshare-user cat /proc/self/uid_map
    assert_status 0
    [[ $(normalized_map) == "$MYUID $MYUID 1" ]] || fail "uid_map: $output"
    run sb "${RO[@]}" --unshare-user-try cat /proc/self/uid_map
    assert_status 0
    [[ $(normalized_map) == "$MYUID $MYUID 1" ]] || fail "uid_map: $output"
}

@test "nested user namespaces can be created by default" {
    require_cmd unshare
    run sb "${RO[@]}" unshare --user true
    assert_status 0
}

@test "--unshare-user --disable-userns forbids creating nested user namespaces" {
    require_cmd unshare
    run sb "${RO[@]}" --unshare-user --disable-userns unshare --user true
    [[ $status -ne 0 ]] || fail "unshare --user succeeded inside --disable-userns"
}

@test "--disable-userns without --unshare-user is an error" {
    run sb "${RO[@]}" --disable-userns true
    assert_error_line '--disable-userns requires --unshare-user$'
}
