#!/usr/bin/env bats
# Running as real root (uid 0): no user namespace unless asked for, root's
# capabilities kept (as bwrap does for uid 0), read-only binds still
# read-only, and the host's mount table untouched.

load helpers

setup() {
    require_root
    HOST_CAPEFF=$(proc_field CapEff /proc/self/status)
    HOST_CAPPRM=$(proc_field CapPrm /proc/self/status)
    HOST_CAPBND=$(proc_field CapBnd /proc/self/status)
    D="$BATS_TEST_TMPDIR/d"
    mkdir -p "$D"
    echo root-data >"$D/file"
}

@test "root: runs without a user namespace by default" {
    run sb "${RO[@]}" readlink /proc/self/ns/user
    assert_status 0
    assert_output "$(host_ns user)"
}

@test "root: the mount namespace is still a new one" {
    run sb "${RO[@]}" readlink /proc/self/ns/mnt
    assert_status 0
    [[ $output == mnt:\[*\] && $output != "$(host_ns mnt)" ]] || fail "mnt: $output"
}

@test "root: uid and gid stay 0, no id mapping" {
    run sb "${RO[@]}" sh -c 'id -u; id -g; cat /proc/self/uid_map'
    assert_status 0
    [[ ${lines[0]} == 0 && ${lines[1]} == 0 ]] || fail "$output"
    [[ $(awk 'NR == 3 { print $1, $2, $3 }' <<<"$output") == "0 0 4294967295" ]] || fail "uid_map: ${lines[2]}"
}

@test "root: keeps root's capabilities (effective, permitted, bounding)" {
    run sb "${RO[@]}" cat /proc/self/status
    assert_status 0
    [[ $(proc_field CapEff) == "$HOST_CAPEFF" ]] || fail "CapEff $(proc_field CapEff), host $HOST_CAPEFF"
    [[ $(proc_field CapPrm) == "$HOST_CAPPRM" ]] || fail "CapPrm $(proc_field CapPrm), host $HOST_CAPPRM"
    [[ $(proc_field CapBnd) == "$HOST_CAPBND" ]] || fail "CapBnd $(proc_field CapBnd), host $HOST_CAPBND"
    [[ $(proc_field NoNewPrivs) == 1 ]] || fail "NoNewPrivs $(proc_field NoNewPrivs)"
}

@test "root: --cap-drop ALL leaves no effective or permitted capability" {
    run sb "${RO[@]}" --cap-drop ALL cat /proc/self/status
    assert_status 0
    [[ $(proc_field CapEff) == 0000000000000000 ]] || fail "CapEff $(proc_field CapEff)"
    [[ $(proc_field CapPrm) == 0000000000000000 ]] || fail "CapPrm $(proc_field CapPrm)"
}

@test "root: --cap-drop CAP_SYS_ADMIN drops just that capability" {
    local want
    want=$(printf '%016x' $((0x$HOST_CAPEFF & ~(1 << 21))))
    run sb "${RO[@]}" --cap-drop CAP_SYS_ADMIN cat /proc/self/status
    assert_status 0
    [[ $(proc_field CapEff) == "$want" ]] || fail "CapEff $(proc_field CapEff), wanted $want"
}

@test "root: --unshare-user gives a new user namespace mapping 0 to 0" {
    run sb "${RO[@]}" --unshare-user sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map /proc/self/gid_map; id -u'
    assert_status 0
    [[ ${lines[0]} != "$(host_ns user)" ]] || fail "same user namespace as the host"
    [[ $(awk 'NR == 2 || NR == 3 { print $1, $2, $3 }' <<<"$output") == $'0 0 1\n0 0 1' ]] || fail "maps: $output"
    [[ ${lines[3]} == 0 ]] || fail "uid ${lines[3]}"
}

@test "root: --unshare-user --uid/--gid map the chosen ids to root" {
    run sb "${RO[@]}" --unshare-user --uid 5 --gid 6 sh -c 'id -u; id -g; cat /proc/self/uid_map'
    assert_status 0
    [[ ${lines[0]} == 5 && ${lines[1]} == 6 ]] || fail "$output"
    [[ $(awk 'NR == 3 { print $1, $2, $3 }' <<<"$output") == "5 0 1" ]] || fail "uid_map: ${lines[2]}"
}

@test "root: --uid without --unshare-user is an error" {
    run sb "${RO[@]}" --uid 5 true
    assert_error_line 'Specifying --uid requires --unshare-user or --userns$'
}

@test "root: --gid without --unshare-user is an error" {
    run sb "${RO[@]}" --gid 6 true
    assert_error_line 'Specifying --gid requires --unshare-user or --userns$'
}

@test "root: --ro-bind is really read-only, even for root" {
    run sb "${RO[@]}" --ro-bind "$D" "$D" sh -c "echo x > '$D/new'" 2>&1
    [[ $status -ne 0 ]] || fail "root wrote into a --ro-bind"
    assert_output_matches 'Read-only file system'
    [[ ! -e $D/new ]] || fail "file created on the host"
}

@test "root: --ro-bind / / keeps the whole host read-only for root" {
    run sb "${RO[@]}" sh -c ': > /etc/sandbox-root-test; : > /usr/sandbox-root-test' 2>&1
    [[ $status -ne 0 ]] || fail "root wrote into the read-only /"
    assert_output_matches 'Read-only file system'
    [[ ! -e /etc/sandbox-root-test && ! -e /usr/sandbox-root-test ]] || fail "file created on the host"
}

@test "root: --remount-ro makes a writable bind read-only for root" {
    run sb "${RO[@]}" --bind "$D" "$D" --remount-ro "$D" sh -c "echo x > '$D/new'" 2>&1
    [[ $status -ne 0 ]] || fail "root wrote after --remount-ro"
    assert_output_matches 'Read-only file system'
    [[ ! -e $D/new ]] || fail "file created on the host"
}

@test "root: files created in a --bind are owned by root on the host" {
    run sb "${RO[@]}" --bind "$D" "$D" touch "$D/made"
    assert_status 0
    [[ $(stat -c '%u %g' "$D/made") == "0 0" ]] || fail "owner: $(stat -c '%u %g' "$D/made")"
}

@test "root: the host mount table is unchanged after a run with many mounts" {
    host_snapshot "$D"
    run sb "${BASE[@]}" --unshare-pid --unshare-ipc --unshare-net --unshare-uts \
        --tmpfs /tmp --bind "$D" /tmp/d --ro-bind "$D" /tmp/ro --dir /tmp/x --remount-ro /tmp/d \
        --mqueue /tmp/mq --ro-bind-data 3 /tmp/data --symlink d /tmp/l --hostname rooted \
        cat /tmp/data 3<"$D/file"
    assert_status 0
    assert_output "root-data"
    assert_host_unchanged
}

@test "root: mounts made inside the sandbox do not propagate to the host" {
    mkdir "$D/m"
    host_snapshot "$D"
    # Without --unshare-pid, /proc/1/mountinfo is the host init's view.
    run sb --bind / / --proc /proc sh -c "mount -t tmpfs sandbox-probe '$D/m' && grep -c sandbox-probe /proc/self/mountinfo; grep -c sandbox-probe /proc/1/mountinfo"
    assert_output $'1\n0'
    assert_host_unchanged
}

@test "root: setup errors leave the host mount table unchanged" {
    host_snapshot "$D"
    run sb "${BASE[@]}" --tmpfs /tmp --bind "$D" /tmp/d --ro-bind /nonexistent/src /tmp/x true
    assert_error_line "Can't find source path /nonexistent/src: No such file or directory$"
    assert_host_unchanged
    host_snapshot "$D"
    run sb "${BASE[@]}" --tmpfs /tmp --bind "$D" /tmp/d --dir /usr/sandbox-root-test true
    assert_error_line "Can't mkdir /usr/sandbox-root-test: Read-only file system$"
    assert_host_unchanged
    [[ ! -e /usr/sandbox-root-test ]]
}

@test "root: --unshare-net gives only lo, and the host keeps its interfaces" {
    require_cmd ip
    local before
    before=$(ip -o link show | awk -F': ' '{ print $2 }')
    run sb "${RO[@]}" --unshare-net ip -o link show
    assert_status 0
    [[ ${#lines[@]} -eq 1 && ${lines[0]} == "1: lo: "* ]] || fail "$output"
    [[ $(ip -o link show | awk -F': ' '{ print $2 }') == "$before" ]] || fail "host interfaces changed"
}

@test "root: --hostname still requires --unshare-uts" {
    run sb "${RO[@]}" --hostname rooted true
    assert_error_line 'Specifying --hostname requires --unshare-uts$'
}

@test "root: --unshare-uts --hostname does not change the host's hostname" {
    local before
    before=$(uname -n)
    run sb "${RO[@]}" --unshare-uts --hostname rooted-sandbox uname -n
    assert_status 0
    assert_output "rooted-sandbox"
    [[ $(uname -n) == "$before" ]] || fail "host hostname is now $(uname -n)"
}

# A copy of the binary made setuid root, or given file capabilities, run by an unprivileged user: refused.
elevated_copy() {
    local d
    d=$(mktemp -d /tmp/sbx-elevated.XXXXXX)
    chmod 755 "$d"
    cp "$SANDBOX" "$d/sandbox"
    ELEVATED_DIR=$d
    ELEVATED=$d/sandbox
    [[ $(findmnt -no OPTIONS -T "$d") != *nosuid* ]] || skip "$d is on a nosuid mount: no setuid to refuse there"
}

as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

@test "a setuid copy refuses to run, in one line, before doing anything" {
    elevated_copy
    chmod 4755 "$ELEVATED"
    run as_nobody "$ELEVATED" --ro-bind / / true
    rm -rf "$ELEVATED_DIR"
    assert_error_line 'refusing to run setuid, setgid or with file capabilities: sandbox needs no privileges$'
}

@test "a copy with file capabilities refuses to run (and the same copy without them runs: control)" {
    command -v setcap >/dev/null || skip "setcap (libcap2-bin) is needed to give a file capabilities"
    elevated_copy
    run as_nobody "$ELEVATED" --ro-bind / / true
    assert_status 0
    setcap cap_net_admin+p "$ELEVATED"
    run as_nobody "$ELEVATED" --ro-bind / / true
    rm -rf "$ELEVATED_DIR"
    assert_error_line 'refusing to run setuid, setgid or with file capabilities: sandbox needs no privileges$'
}

@test "root: the machine-wide parts of a new procfs are read-only mounts (irq, bus, sysrq-trigger)" {
    # as with bwrap, each that root may write (access(2)) gets a read-only bind of itself; /proc/sys never
    # passes that test (procfs refuses write access to its top directory), its files are root's to guard
    local v name want=""
    for name in sysrq-trigger irq bus; do # (in the order they are covered)
        [[ -e /proc/$name ]] && want+="/proc/$name ro "
    done
    [[ -n $want ]] || skip "this kernel's procfs has none of irq, bus, sysrq-trigger"
    for v in "" "--unshare-user"; do
        # shellcheck disable=SC2086 # $v is an option or nothing
        run sb "${RO[@]}" $v --unshare-pid --proc /proc sh -c '
            awk "\$5 ~ /^\/proc\/(sys|sysrq-trigger|irq|bus)\$/ { split(\$6, o, \",\"); printf \"%s %s \", \$5, o[1] }" \
                /proc/self/mountinfo'
        assert_status 0
        [[ $output == "$want" ]] || fail "[$v] expected read-only binds: '$want'" "$output"
    done
}
