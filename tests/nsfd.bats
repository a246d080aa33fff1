#!/usr/bin/env bats
# Namespaces given as fds: --userns, --userns2, --pidns (taken from a first
# sandbox kept running in the background); --disable-userns and
# --assert-userns-disabled; the rules for combining them.  Also the other
# fd-named sources: --bind-fd and --ro-bind-fd.

load helpers

setup() {
    require_unprivileged
    skip_unless_feature userns
    T=$BATS_TEST_TMPDIR
    BG_PIDS=()
}

teardown() {
    reap_background
}

# json_num KEY FILE: the number after "KEY": in FILE.
json_num() {
    sed -n "s/.*\"$1\": \\([0-9][0-9]*\\).*/\\1/p" "$2" | head -n 1
}

# _sleeping_child_of PID: a child of PID runs "sleep 60".
_sleeping_child_of() {
    local c
    for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
        [[ $(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null) == "sleep 60 " ]] && return 0
    done
    return 1
}

# first_sandbox [OPTIONS...]: start a sandbox with a new pid namespace (no
# --dev: bwrap would put its pid 1 in a second-level user namespace) (and
# OPTIONS) running `sleep 60`; set P to its child-pid (its pid 1, in its
# user and pid namespaces) and P_USER / P_PID to those namespaces.
first_sandbox() {
    "$SANDBOX" "${RO[@]}" --proc /proc --unshare-pid --die-with-parent --info-fd 5 "$@" sleep 60 5>"$T/first-info" 3>&- &
    bg
    wait_until 10 grep -q '^}$' "$T/first-info" || fail "the first sandbox did not start"
    P=$(json_num child-pid "$T/first-info")
    # pid 1 forks the command: wait until its child runs sleep
    wait_until 10 _sleeping_child_of "$P" || fail "no sleep under the first sandbox's pid 1"
    P_USER=$(readlink "/proc/$P/ns/user")
    P_PID=$(readlink "/proc/$P/ns/pid")
    [[ $P_USER != "$(host_ns user)" && $P_PID != "$(host_ns pid)" ]] || fail "first sandbox not in new namespaces"
}

# ---------------------------------------------------------------------------
# --userns
# ---------------------------------------------------------------------------

@test "--userns FD: the sandbox joins that user namespace instead of making one" {
    first_sandbox
    run sb "${RO[@]}" --userns 7 sh -c 'readlink /proc/self/ns/user /proc/self/ns/mnt; id -u; cat /proc/self/uid_map' \
        7<"/proc/$P/ns/user"
    assert_status 0
    [[ ${lines[0]} == "$P_USER" ]] || fail "user ns: ${lines[0]}, wanted $P_USER"
    [[ ${lines[1]} != "$(readlink "/proc/$P/ns/mnt")" && ${lines[1]} != "$(host_ns mnt)" ]] ||
        fail "mount namespace not new: ${lines[1]}"
    [[ ${lines[2]} == "$(id -u)" ]] || fail "uid: ${lines[2]}"
    [[ $(awk '{ $1 = $1; print }' <<<"${lines[3]}") == "$(id -u) $(id -u) 1" ]] || fail "uid_map: ${lines[3]}"
}

@test "--userns FD: the namespace is not reported by --info-fd, the mount namespace is" {
    first_sandbox
    run sb "${RO[@]}" --userns 7 --info-fd 8 true 7<"/proc/$P/ns/user" 8>"$T/info"
    assert_status 0
    [[ $(grep -o '"[a-z-]*":' "$T/info" | tr -d '":' | tr '\n' ' ') == "child-pid mnt-namespace " ]] ||
        fail "info: $(<"$T/info")"
}

@test "--userns 0: fd 0 is a valid namespace fd (bwrap 0.11.1)" {
    first_sandbox
    run sb "${RO[@]}" --userns 0 readlink /proc/self/ns/user 0<"/proc/$P/ns/user"
    assert_status 0
    assert_output "$P_USER"
}

@test "--userns: a closed fd fails to join" {
    run with_only_fds "" "$SANDBOX" "${RO[@]}" --userns 55 true
    assert_error_line "Joining specified user namespace failed: Bad file descriptor$"
}

@test "--userns: an fd that is not a user namespace (EINVAL) gets the descendant hint" {
    run sb "${RO[@]}" --userns 7 true 7</dev/null
    assert_error_line "Joining the specified user namespace failed, it might not be a descendant of the current user namespace\.$"
}

@test "--userns: the caller's own user namespace (EINVAL) gets the descendant hint" {
    run sb "${RO[@]}" --userns 7 true 7</proc/self/ns/user
    assert_error_line "Joining the specified user namespace failed, it might not be a descendant of the current user namespace\.$"
}

@test "--userns is not compatible with --unshare-user, --unshare-user-try or --unshare-all" {
    run sb "${RO[@]}" --userns 7 --unshare-user true 7</proc/self/ns/user
    assert_error_line "--userns not compatible --unshare-user$"
    run sb "${RO[@]}" --unshare-user-try --userns 7 true 7</proc/self/ns/user
    assert_error_line "--userns not compatible --unshare-user-try$"
    run sb "${RO[@]}" --unshare-all --userns 7 true 7</proc/self/ns/user
    assert_error_line "--userns not compatible --unshare-user-try$"
}

@test "--userns, --userns2, --pidns: invalid fd values" {
    local o
    for o in --userns --userns2 --pidns; do
        run sb "${RO[@]}" "$o" x true
        assert_error_line "Invalid fd: x$"
        run sb "${RO[@]}" "$o" -1 true
        assert_error_line "Invalid fd: -1$"
        run sb "${RO[@]}" "$o" "" true
        assert_error_line "Invalid fd: $"
        run sb "$o"
        assert_error_line "$o takes an argument$"
    done
}

@test "--userns repeated: the repetition warning" {
    first_sandbox
    run --separate-stderr sb "${RO[@]}" --userns 7 --userns 7 readlink /proc/self/ns/user 7<"/proc/$P/ns/user"
    assert_status 0
    assert_output "$P_USER"
    [[ $stderr == "$PREFIX: Only the last --userns option will take effect" ]] || fail "stderr: $stderr"
}

# ---------------------------------------------------------------------------
# --pidns
# ---------------------------------------------------------------------------

@test "--userns FD --pidns FD: the command is in the first sandbox's pid namespace" {
    first_sandbox
    run sb "${RO[@]}" --userns 7 --pidns 8 readlink /proc/self/ns/pid 7<"/proc/$P/ns/user" 8<"/proc/$P/ns/pid"
    assert_status 0
    assert_output "$P_PID"
}

@test "--pidns: --proc mounts a procfs of that pid namespace (the first sandbox's processes)" {
    first_sandbox
    run sb "${RO[@]}" --userns 7 --pidns 8 --proc /proc sh -c 'tr "\0" " " </proc/2/cmdline; echo; echo "me $$"' \
        7<"/proc/$P/ns/user" 8<"/proc/$P/ns/pid"
    assert_status 0
    [[ ${lines[0]} == "sleep 60 " ]] || fail "pid 2 in the sandbox's /proc: ${lines[0]}"
    [[ ${lines[1]} =~ ^me\ [0-9]+$ && ${lines[1]} != "me 1" && ${lines[1]} != "me 2" ]] || fail "${lines[1]}"
}

@test "--pidns: child-pid is the real host pid, and pid is not listed without --unshare-pid" {
    first_sandbox
    "$SANDBOX" "${RO[@]}" --die-with-parent --userns 7 --pidns 8 --info-fd 9 sleep 60 \
        7<"/proc/$P/ns/user" 8<"/proc/$P/ns/pid" 9>"$T/info" 3>&- &
    bg
    wait_until 10 grep -q '^}$' "$T/info" || fail "no info"
    local c
    c=$(json_num child-pid "$T/info")
    [[ $(readlink "/proc/$c/ns/pid") == "$P_PID" ]] || fail "child-pid $c is in $(readlink "/proc/$c/ns/pid")"
    [[ $(proc_field NSpid "/proc/$c/status") =~ ^$c\ [0-9]+$ ]] || fail "NSpid: $(proc_field NSpid "/proc/$c/status")"
    ! grep -q pid-namespace "$T/info" || fail "info: $(<"$T/info")"
}

@test "--pidns --unshare-pid: a new pid namespace nested in the given one" {
    first_sandbox
    "$SANDBOX" "${BASE[@]}" --die-with-parent --userns 7 --pidns 8 --unshare-pid --info-fd 9 sleep 60 \
        7<"/proc/$P/ns/user" 8<"/proc/$P/ns/pid" 9>"$T/info" 3>&- &
    bg
    wait_until 10 grep -q '^}$' "$T/info" || fail "no info; sandbox status: $(wait "$BG"; echo $?)"
    local c ns
    c=$(json_num child-pid "$T/info")
    ns=$(readlink "/proc/$c/ns/pid")
    [[ $ns != "$P_PID" && $ns != "$(host_ns pid)" ]] || fail "pid ns of $c: $ns"
    # three levels: the host, the first sandbox, the new one (where it is 1)
    [[ $(proc_field NSpid "/proc/$c/status") =~ ^$c\ [0-9]+\ 1$ ]] || fail "NSpid: $(proc_field NSpid "/proc/$c/status")"
    [[ $(json_num pid-namespace "$T/info") == "$(stat -L -c %i "/proc/$c/ns/pid")" ]] || fail "info: $(<"$T/info")"
}

@test "--pidns --unshare-pid: the command runs as pid 2 of the new namespace" {
    first_sandbox
    run sb "${BASE[@]}" --userns 7 --pidns 8 --unshare-pid sh -c 'echo $$; readlink /proc/self/ns/pid' \
        7<"/proc/$P/ns/user" 8<"/proc/$P/ns/pid"
    assert_status 0
    [[ ${lines[0]} == 2 && ${lines[1]} != "$P_PID" ]] || fail "$output"
}

@test "--pidns of a namespace owned by another user namespace: Setting pidns failed (EPERM)" {
    first_sandbox
    run sb "${RO[@]}" --pidns 8 true 8<"/proc/$P/ns/pid"
    assert_status 1
    [[ ${lines[0]} == "$PREFIX: Setting pidns failed: Operation not permitted" ]] || fail "$output"
}

@test "--pidns: a closed fd fails (Setting pidns failed)" {
    first_sandbox
    run with_only_fds "7" "$SANDBOX" "${RO[@]}" --userns 7 --pidns 55 true 7<"/proc/$P/ns/user"
    assert_status 1
    [[ ${lines[0]} == "$PREFIX: Setting pidns failed: Bad file descriptor" ]] || fail "$output"
}

# ---------------------------------------------------------------------------
# --userns2
# ---------------------------------------------------------------------------

@test "--userns FD --userns2 FD2: the command ends up in the second (nested) user namespace" {
    require_cmd unshare
    # A first sandbox whose shell (outer) starts a nested user namespace
    # (inner, mapping root to the shell's uid) with unshare.
    "$SANDBOX" "${RO[@]}" --proc /proc --bind "$T" "$T" --die-with-parent sh -c '
        echo $$ >"$1/outer.tmp" && mv "$1/outer.tmp" "$1/outer"
        unshare --user --map-root-user sh -c "echo \$\$ >\"\$1/inner.tmp\" && mv \"\$1/inner.tmp\" \"\$1/inner\"; exec sleep 60" sh "$1"
        :' sh "$T" 3>&- &
    bg
    wait_until 10 test -s "$T/inner" || fail "the nested namespace did not start"
    local o i
    o=$(<"$T/outer")
    i=$(<"$T/inner")
    [[ $(readlink "/proc/$o/ns/user") != "$(readlink "/proc/$i/ns/user")" ]] || fail "not nested"
    run sb "${RO[@]}" --userns 7 --userns2 8 sh -c 'readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map' \
        7<"/proc/$o/ns/user" 8<"/proc/$i/ns/user"
    assert_status 0
    [[ ${lines[0]} == "$(readlink "/proc/$i/ns/user")" ]] || fail "user ns ${lines[0]}, wanted inner's"
    [[ ${lines[1]} == 0 ]] || fail "uid ${lines[1]}"
    [[ $(awk '{ $1 = $1; print }' <<<"${lines[2]}") == "0 $(id -u) 1" ]] || fail "uid_map: ${lines[2]}"
}

@test "--userns2: a closed fd fails (Setting userns2 failed)" {
    # (output through a file: bwrap 0.8 leaves its child waiting for ever
    # there, holding whatever stdout it got)
    status=0
    with_only_fds "" "$SANDBOX" "${RO[@]}" --userns2 55 true >"$T/out" 2>&1 || status=$?
    [[ $status == 1 ]] || fail "status $status: $(<"$T/out")"
    [[ $(head -n 1 "$T/out") == "$PREFIX: Setting userns2 failed: Bad file descriptor" ]] || fail "$(<"$T/out")"
}

# ---------------------------------------------------------------------------
# --disable-userns, --assert-userns-disabled
# ---------------------------------------------------------------------------

@test "without --disable-userns the command can make a user namespace (control)" {
    require_cmd unshare
    run sb "${RO[@]}" --unshare-user unshare --user true
    assert_status 0
    assert_output ""
}

@test "--disable-userns: a nested unshare --user fails (ENOSPC)" {
    require_cmd unshare
    run sb "${RO[@]}" --unshare-user --disable-userns unshare --user true
    assert_status 1
    assert_output "unshare: unshare failed: No space left on device"
}

@test "--disable-userns: the command's ids and map are those of a plain sandbox" {
    run sb "${RO[@]}" --unshare-user --disable-userns sh -c 'id -u; id -g; cat /proc/self/uid_map'
    assert_status 0
    [[ ${lines[0]} == "$(id -u)" && ${lines[1]} == "$(id -g)" ]] || fail "$output"
    [[ $(awk '{ $1 = $1; print }' <<<"${lines[2]}") == "$(id -u) $(id -u) 1" ]] || fail "uid_map: ${lines[2]}"
}

@test "--disable-userns: the command cannot lift the limit (it is in a second-level namespace)" {
    require_cmd unshare
    run sb "${RO[@]}" --dev /dev --unshare-user --disable-userns --cap-add ALL --uid 0 --proc /proc sh -c \
        'echo 100 >/proc/sys/user/max_user_namespaces 2>/dev/null; unshare --user true'
    assert_status 1
    assert_output "unshare: unshare failed: No space left on device"
}

@test "--disable-userns requires an explicit --unshare-user" {
    run sb "${RO[@]}" --disable-userns true
    assert_error_line "--disable-userns requires --unshare-user$"
}

@test "--assert-userns-disabled where user namespaces are allowed: fatal" {
    run sb "${RO[@]}" --assert-userns-disabled echo ran
    assert_error_line "creation of new user namespaces was not disabled as requested$"
}

@test "--assert-userns-disabled with --disable-userns: the command runs" {
    run sb "${RO[@]}" --unshare-user --disable-userns --assert-userns-disabled echo ran
    assert_status 0
    assert_output ran
}

@test "--assert-userns-disabled when joining a namespace made with --disable-userns: the command runs" {
    require_cmd unshare
    "$SANDBOX" "${RO[@]}" --unshare-user --disable-userns --die-with-parent --info-fd 5 sleep 60 5>"$T/first-info" 3>&- &
    bg
    wait_until 10 grep -q '^}$' "$T/first-info" || fail "the first sandbox did not start"
    local p
    p=$(json_num child-pid "$T/first-info")
    wait_until 10 grep -q '^sleep' "/proc/$p/cmdline"
    run sb "${RO[@]}" --userns 7 --assert-userns-disabled sh -c 'unshare --user true; echo "rc=$?"' 7<"/proc/$p/ns/user"
    assert_status 0
    assert_output $'unshare: unshare failed: No space left on device\nrc=1'
}

# ---------------------------------------------------------------------------
# --bind-fd, --ro-bind-fd
# ---------------------------------------------------------------------------

@test "--bind-fd FD DEST: the directory open as FD (opened read-only by the shell) is at DEST" {
    mkdir "$T/d"
    echo content >"$T/d/f"
    run sb "${RO[@]}" --bind-fd 5 /mnt sh -c 'ls /mnt; cat /mnt/f' 5<"$T/d"
    assert_status 0
    assert_output $'f\ncontent'
}

@test "--bind-fd: writable, the writes land in the host directory" {
    mkdir "$T/d"
    run sb "${RO[@]}" --bind-fd 5 /mnt sh -c 'echo written >/mnt/new' 5<"$T/d"
    assert_status 0
    [[ $(<"$T/d/new") == written ]] || fail "host file: $(cat "$T/d/new" 2>&1)"
}

@test "--ro-bind-fd: readable, but really read-only" {
    mkdir "$T/d"
    echo content >"$T/d/f"
    run sb "${RO[@]}" --ro-bind-fd 5 /mnt sh -c 'cat /mnt/f; echo x >/mnt/new' 5<"$T/d"
    assert_status 2
    [[ ${lines[0]} == content && ${lines[1]} == *"/mnt/new: Read-only file system" ]] || fail "$output"
    [[ ! -e $T/d/new ]] || fail "the write reached the host"
}

@test "--bind-fd and --ro-bind-fd: mount flags rw/ro, always nosuid and nodev" {
    mkdir "$T/d"
    run sb "${RO[@]}" --bind-fd 5 /mnt --ro-bind-fd 6 /opt cat /proc/self/mountinfo 5<"$T/d" 6<"$T/d"
    assert_status 0
    local o
    o=$(mount_opts /mnt)
    has_opt "$o" rw && has_opt "$o" nosuid && has_opt "$o" nodev || fail "/mnt: $o"
    o=$(mount_opts /opt)
    has_opt "$o" ro && has_opt "$o" nosuid && has_opt "$o" nodev || fail "/opt: $o"
}

@test "--bind-fd: new parents of DEST are made with mode 0700" {
    mkdir "$T/d"
    run sb "${RO[@]}" --tmpfs /tmp --bind-fd 5 /tmp/a/b/c sh -c 'stat -c "%a %n" /tmp/a /tmp/a/b' 5<"$T/d"
    assert_status 0
    assert_output $'700 /tmp/a\n700 /tmp/a/b'
}

@test "--bind-fd: the fd is consumed, the command does not get it" {
    mkdir "$T/d"
    run with_only_fds "5 6" "$SANDBOX" "${RO[@]}" --bind-fd 5 /mnt --ro-bind-fd 6 /opt ls -l /proc/self/fd 5<"$T/d" 6<"$T/d"
    assert_status 0
    [[ $(fd_list_of_ls) == "0 1 2" ]] || fail "fds in the command: $(fd_list_of_ls)"
}

@test "--bind-fd and --ro-bind-fd: a missing argument says '--bind-fd takes two arguments' for both" {
    run sb --bind-fd 5
    assert_error_line "--bind-fd takes two arguments$"
    run sb --ro-bind-fd 5
    assert_error_line "--bind-fd takes two arguments$"
    run sb --ro-bind-fd
    assert_error_line "--bind-fd takes two arguments$"
}

@test "--bind-fd: invalid and closed fds" {
    run sb "${RO[@]}" --bind-fd x /mnt true
    assert_error_line "Invalid fd: x$"
    run sb "${RO[@]}" --ro-bind-fd "" /mnt true
    assert_error_line "Invalid fd: $"
    run with_only_fds "" "$SANDBOX" "${RO[@]}" --bind-fd 55 /mnt true
    assert_error_line "Can't find source path /proc/self/fd/55: No such file or directory$"
}
