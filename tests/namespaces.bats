#!/usr/bin/env bats
# Which namespaces the sandbox gets, compared by /proc/self/ns/* against the
# host's; hostname; the network namespace; the pid namespace.

load helpers

setup() {
    require_unprivileged
    skip_unless_feature userns
}

ALL_NS=(cgroup ipc mnt net pid user uts)

# check_ns "NS..." OPTIONS...: run the sandbox with OPTIONS and check that
# exactly the namespaces listed in the first argument differ from the
# host's, and all others are the host's own.
check_ns() {
    local want_new=" $1 " n inside host bad=
    shift
    run sb "${BASE[@]}" "$@" sh -c '
        for n in cgroup ipc mnt net pid user uts; do
            echo "$n $(readlink /proc/self/ns/$n)"
        done'
    assert_status 0
    for n in "${ALL_NS[@]}"; do
        [[ $n == cgroup && ! -e /proc/self/ns/cgroup ]] && continue
        inside=$(awk -v n="$n" '$1 == n { print $2 }' <<<"$output")
        host=$(host_ns "$n")
        [[ $inside == "$n:["*"]" ]] || { bad+=" $n: no id inside ($inside);"; continue; }
        if [[ $want_new == *" $n "* ]]; then
            [[ $inside != "$host" ]] || bad+=" $n: same as host ($host), wanted a new one;"
        else
            [[ $inside == "$host" ]] || bad+=" $n: $inside, wanted the host's $host;"
        fi
    done
    [[ -z $bad ]] || fail "namespaces:$bad" "output: $output"
}

@test "without --unshare-* options only the user and mount namespaces are new" {
    check_ns "user mnt"
}

@test "--unshare-user gives a new user namespace (and nothing else besides mnt)" {
    check_ns "user mnt" --unshare-user
}

@test "--unshare-user-try gives a new user namespace when possible" {
    check_ns "user mnt" --unshare-user-try
}

@test "--unshare-ipc gives a new ipc namespace" {
    check_ns "user mnt ipc" --unshare-ipc
}

@test "--unshare-pid gives a new pid namespace" {
    check_ns "user mnt pid" --unshare-pid
}

@test "--unshare-net gives a new network namespace" {
    check_ns "user mnt net" --unshare-net
}

@test "--unshare-uts gives a new uts namespace" {
    check_ns "user mnt uts" --unshare-uts
}

@test "--unshare-cgroup gives a new cgroup namespace" {
    skip_unless_feature cgroupns
    check_ns "user mnt cgroup" --unshare-cgroup
}

@test "--unshare-cgroup-try gives a new cgroup namespace when supported" {
    skip_unless_feature cgroupns
    check_ns "user mnt cgroup" --unshare-cgroup-try
}

@test "--unshare-all unshares user, ipc, pid, net, uts and cgroup" {
    skip_unless_feature cgroupns
    check_ns "user mnt ipc pid net uts cgroup" --unshare-all
}

@test "--unshare-all --share-net keeps the host's network namespace" {
    skip_unless_feature cgroupns
    check_ns "user mnt ipc pid uts cgroup" --unshare-all --share-net
}

@test "--share-net before --unshare-all has no effect (options apply in order)" {
    skip_unless_feature cgroupns
    check_ns "user mnt ipc pid net uts cgroup" --share-net --unshare-all
}

@test "several --unshare-* options combine" {
    check_ns "user mnt ipc net uts" --unshare-ipc --unshare-net --unshare-uts
}

@test "--unshare-uts --hostname sets the hostname inside" {
    run sb "${RO[@]}" --unshare-uts --hostname sandbox-test-host sh -c 'uname -n; cat /proc/sys/kernel/hostname'
    assert_status 0
    assert_output $'sandbox-test-host\nsandbox-test-host'
}

@test "--unshare-uts without --hostname keeps the host's hostname" {
    run sb "${RO[@]}" --unshare-uts uname -n
    assert_status 0
    assert_output "$(uname -n)"
}

@test "--unshare-net: the only interface is lo" {
    require_cmd ip
    run sb "${RO[@]}" --unshare-net ip -o link show
    assert_status 0
    [[ ${#lines[@]} -eq 1 ]] || fail "more than one interface: $output"
    assert_output_matches '^1: lo: '
}

@test "--unshare-net: lo is up and has 127.0.0.1/8" {
    require_cmd ip
    run sb "${RO[@]}" --unshare-net ip -o link show lo
    assert_status 0
    assert_output_matches '^1: lo: <([A-Z_]+,)*UP(,[A-Z_]+)*>'
    run sb "${RO[@]}" --unshare-net ip -o -4 addr show dev lo
    assert_status 0
    assert_output_matches 'inet 127\.0\.0\.1/8 '
}

@test "--unshare-net: 127.0.0.1 is reachable (connecting to a closed port is refused, not unreachable)" {
    run sb "${RO[@]}" --unshare-net bash -c 'exec 3<>/dev/tcp/127.0.0.1/9' 2>&1
    assert_status 1
    assert_output_matches 'Connection refused'
    refute_output_matches 'unreachable'
}

@test "--unshare-pid: the command is pid 2, its parent pid 1 is the reaper" {
    run sb "${BASE[@]}" --unshare-pid sh -c 'echo $$; awk "\$1 == \"PPid:\" { print \$2 }" /proc/$$/status'
    assert_status 0
    assert_output $'2\n1'
}

@test "--unshare-pid --as-pid-1: the command is pid 1" {
    run sb "${BASE[@]}" --unshare-pid --as-pid-1 sh -c 'echo $$; awk "\$1 == \"PPid:\" { print \$2 }" /proc/$$/status'
    assert_status 0
    assert_output $'1\n0'
}

@test "--unshare-pid: only the reaper and the command exist; host pids are invisible" {
    run sb "${BASE[@]}" --unshare-pid sh -c 'cd /proc && for p in [0-9]*; do echo "$p"; done'
    assert_status 0
    assert_output $'1\n2'
}

@test "--unshare-pid --as-pid-1: the command is the only process" {
    run sb "${BASE[@]}" --unshare-pid --as-pid-1 sh -c 'cd /proc && for p in [0-9]*; do echo "$p"; done'
    assert_status 0
    assert_output "1"
}

@test "--unshare-pid: the test's own pid does not exist inside" {
    run sb "${BASE[@]}" --unshare-pid sh -c "test -e /proc/$$/status && echo visible || echo invisible"
    assert_status 0
    assert_output "invisible"
}

@test "without --unshare-pid the host's processes are visible" {
    run sb "${BASE[@]}" sh -c "test -e /proc/$$/status && echo visible || echo invisible"
    assert_status 0
    assert_output "visible"
}

@test "--unshare-ipc: the host's SysV message queues are invisible" {
    require_cmd ipcmk ipcs ipcrm
    local id inside shared
    id=$(ipcmk -Q | awk '{ print $NF }')
    [[ $id =~ ^[0-9]+$ ]] || fail "ipcmk gave no queue id: $id"
    inside=$(sb "${RO[@]}" --unshare-ipc ipcs -q | awk '$1 ~ /^0x/ { print $2 }')
    shared=$(sb "${RO[@]}" ipcs -q | awk '$1 ~ /^0x/ { print $2 }')
    ipcrm -q "$id"
    ! grep -qx "$id" <<<"$inside" || fail "queue $id visible with --unshare-ipc: $inside"
    grep -qx "$id" <<<"$shared" || fail "queue $id not visible without --unshare-ipc: $shared"
}
