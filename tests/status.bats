#!/usr/bin/env bats
# Status and synchronisation fds: --info-fd, --json-status-fd, --sync-fd,
# --block-fd, --userns-block-fd; --lock-file; the validation rules that tie
# them together; and --level-prefix on messages.
#
# JSON is taken apart with sed/grep/awk only (no jq or python on CI).

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

# json_num KEY TEXT: the number after "KEY": in TEXT (empty if absent).
json_num() {
    sed -n "s/.*\"$1\": \\([0-9][0-9]*\\).*/\\1/p" <<<"$2" | head -n 1
}

# json_keys TEXT: the keys in TEXT, in order, separated by spaces.
json_keys() {
    grep -o '"[a-z-]*":' <<<"$2$1" | tr -d '":' | tr '\n' ' ' | sed 's/ $//'
}

# ns_of NAME...: shell code printing "NAME INODE" for each namespace of the
# running process, read from inside the sandbox.
NS_PROBE='for n in "$@"; do echo "$n $(stat -L -c %i /proc/self/ns/$n)"; done'

# Background sandboxes are started as `"$SANDBOX" ... REDIRECTIONS 3>&- &`
# (fd 3 is bats's own; the redirections must happen in the background
# process, since opening a fifo blocks until the other end is opened), then
# `bg` records the pid in BG and for teardown.
# wait_info FILE: wait until FILE holds a complete --info-fd document.
wait_info() {
    wait_until 10 grep -q '^}$' "$1"
}

# ---------------------------------------------------------------------------
# --info-fd
# ---------------------------------------------------------------------------

@test "--info-fd: the document's exact layout (child-pid and mnt-namespace only)" {
    run sb "${RO[@]}" --info-fd 5 true 5>"$T/info"
    assert_status 0
    local re=$'^\\{\n    "child-pid": [1-9][0-9]*,\n    "mnt-namespace": [1-9][0-9]*\n\\}$'
    [[ $(<"$T/info") =~ $re ]] || fail "info: $(cat -A "$T/info")"
    [[ $(tail -c 1 "$T/info" | od -An -tx1) == " 0a" ]] || fail "no final newline: $(cat -A "$T/info")"
    [[ $(wc -l <"$T/info") == 4 ]] || fail "lines: $(cat -A "$T/info")"
}

@test "--info-fd: child-pid is the command's pid when there is no reaper" {
    run sb "${RO[@]}" --info-fd 5 sh -c 'echo $$' 5>"$T/info"
    assert_status 0
    [[ $(json_num child-pid "$(<"$T/info")") == "$output" ]] || fail "info: $(<"$T/info"), command pid $output"
}

@test "--info-fd: the mnt-namespace value is the inode of the command's /proc/self/ns/mnt" {
    run sb "${RO[@]}" --info-fd 5 sh -c "$NS_PROBE" sh mnt 5>"$T/info"
    assert_status 0
    assert_output "mnt $(json_num mnt-namespace "$(<"$T/info")")"
    [[ $output != "mnt $(stat -L -c %i /proc/self/ns/mnt)" ]] || fail "the host's mount namespace"
}

@test "--info-fd --unshare-all: every namespace made is listed, in order, with the inode seen inside" {
    skip_unless_feature cgroupns
    run sb "${BASE[@]}" --unshare-all --info-fd 5 sh -c "$NS_PROBE" sh cgroup ipc mnt net pid uts 5>"$T/info"
    assert_status 0
    local info n want
    info=$(<"$T/info")
    [[ $(json_keys "$info") == "child-pid cgroup-namespace ipc-namespace mnt-namespace net-namespace pid-namespace uts-namespace" ]] ||
        fail "keys: $(json_keys "$info")" "$info"
    for n in cgroup ipc mnt net pid uts; do
        want=$(json_num "$n-namespace" "$info")
        [[ $output == *"$n $want"* ]] || fail "$n: info says $want; inside: $output"
        [[ $want != "$(stat -L -c %i /proc/self/ns/$n)" ]] || fail "$n: the host's namespace"
    done
}

@test "--info-fd lists only the namespaces made (user never)" {
    local spec opts want
    for spec in "|mnt" "--unshare-pid|mnt pid" "--unshare-net|mnt net" "--unshare-ipc --unshare-uts|ipc mnt uts" \
        "--unshare-user|mnt" "--unshare-pid --unshare-net|mnt net pid"; do
        opts=${spec%|*}
        want="child-pid"
        for n in ${spec#*|}; do want+=" $n-namespace"; done
        # shellcheck disable=SC2086
        run sb "${BASE[@]}" $opts --info-fd 5 true 5>"$T/info"
        assert_status 0
        [[ $(json_keys "$(<"$T/info")") == "$want" ]] || fail "[$opts]: keys $(json_keys "$(<"$T/info")"), wanted $want"
    done
}

@test "--info-fd --unshare-pid: child-pid is the host pid of the sandbox's pid 1, in the listed namespaces" {
    "$SANDBOX" "${BASE[@]}" --unshare-pid --die-with-parent --info-fd 5 sleep 30 5>"$T/info" 3>&- &
    bg
    wait_info "$T/info"
    local info pid
    info=$(<"$T/info")
    pid=$(json_num child-pid "$info")
    [[ -n $pid ]] || fail "no child-pid: $info"
    [[ $(proc_field NSpid "/proc/$pid/status") == "$pid 1" ]] ||
        fail "NSpid of $pid: $(proc_field NSpid "/proc/$pid/status")"
    [[ $(stat -L -c %i "/proc/$pid/ns/pid") == "$(json_num pid-namespace "$info")" ]] || fail "pid ns of $pid"
    [[ $(stat -L -c %i "/proc/$pid/ns/mnt") == "$(json_num mnt-namespace "$info")" ]] || fail "mnt ns of $pid"
}

@test "--info-fd is complete before the command starts" {
    run sb "${RO[@]}" --info-fd 5 cat "$T/info" 5>"$T/info"
    assert_status 0
    [[ -n $output && $output == "$(<"$T/info")" ]] || fail "the command read: $output" "file: $(<"$T/info")"
}

@test "--info-fd is closed before the command ends (a pipe reader sees EOF while it runs)" {
    mkfifo "$T/fifo"
    "$SANDBOX" "${RO[@]}" --info-fd 5 sh -c 'sleep 3; echo late >"$1"' sh "$T/marker" 5>"$T/fifo" 3>&- &
    bg
    run timeout 10 cat "$T/fifo"
    assert_status 0
    [[ ! -e $T/marker ]] || fail "EOF came only after the command ended"
    [[ $output == *'"child-pid": '* ]] || fail "info: $output"
}

@test "--info-fd is not passed to the command" {
    run with_only_fds "5" "$SANDBOX" "${RO[@]}" --info-fd 5 ls -l /proc/self/fd 5>"$T/info"
    assert_status 0
    [[ $(fd_list_of_ls) == "0 1 2" ]] || fail "fds in the command: $(fd_list_of_ls)"
}

@test "--info-fd: a closed fd is fatal (Write to info_fd)" {
    # (output through a file: bwrap 0.8 leaves its child waiting for ever
    # there, holding whatever stdout it got)
    status=0
    with_only_fds "" "$SANDBOX" "${RO[@]}" --info-fd 55 echo ran >"$T/out" 2>&1 || status=$?
    output=$(<"$T/out")
    assert_error_line "Write to info_fd: Bad file descriptor$"
}

@test "--info-fd: invalid values" {
    run sb "${RO[@]}" --info-fd x true
    assert_error_line "Invalid fd: x$"
    run sb "${RO[@]}" --info-fd -2 true
    assert_error_line "Invalid fd: -2$"
}

# ---------------------------------------------------------------------------
# --json-status-fd
# ---------------------------------------------------------------------------

@test "--json-status-fd: the start line, then { \"exit-code\": 0 }" {
    run sb "${RO[@]}" --json-status-fd 5 true 5>"$T/json"
    assert_status 0
    local l1 l2 n
    n=$(wc -l <"$T/json")
    [[ $n == 2 ]] || fail "lines: $n" "$(cat -A "$T/json")"
    l1=$(sed -n 1p "$T/json")
    l2=$(sed -n 2p "$T/json")
    [[ $l1 =~ ^\{\ \"child-pid\":\ [1-9][0-9]*,\ \"mnt-namespace\":\ [1-9][0-9]*\ \}$ ]] || fail "line 1: $l1"
    [[ $l2 == '{ "exit-code": 0 }' ]] || fail "line 2: $l2"
}

@test "--json-status-fd: exit-code is the command's status (exit 7)" {
    run sb "${RO[@]}" --json-status-fd 5 sh -c 'exit 7' 5>"$T/json"
    assert_status 7
    [[ $(sed -n 2p "$T/json") == '{ "exit-code": 7 }' ]] || fail "$(cat "$T/json")"
    [[ $(wc -l <"$T/json") == 2 ]] || fail "$(cat "$T/json")"
}

@test "--json-status-fd: a command killed by SIGTERM gives 143, by SIGKILL 137" {
    run sb "${RO[@]}" --json-status-fd 5 sh -c 'kill -TERM $$' 5>"$T/json"
    assert_status 143
    [[ $(sed -n 2p "$T/json") == '{ "exit-code": 143 }' ]] || fail "$(cat "$T/json")"
    run sb "${RO[@]}" --json-status-fd 5 sh -c 'kill -KILL $$' 5>"$T/json"
    assert_status 137
    [[ $(sed -n 2p "$T/json") == '{ "exit-code": 137 }' ]] || fail "$(cat "$T/json")"
}

@test "--json-status-fd --unshare-pid: exit status and signals are reported the same way" {
    run sb "${BASE[@]}" --unshare-pid --json-status-fd 5 sh -c 'exit 9' 5>"$T/json"
    assert_status 9
    [[ $(sed -n 2p "$T/json") == '{ "exit-code": 9 }' ]] || fail "$(cat "$T/json")"
    run sb "${BASE[@]}" --unshare-pid --json-status-fd 5 sh -c 'kill -TERM $$' 5>"$T/json"
    assert_status 143
    [[ $(sed -n 2p "$T/json") == '{ "exit-code": 143 }' ]] || fail "$(cat "$T/json")"
}

@test "--json-status-fd: the start line lists the namespaces as --info-fd does" {
    skip_unless_feature cgroupns
    run sb "${BASE[@]}" --unshare-all --info-fd 4 --json-status-fd 5 sh -c "$NS_PROBE" sh cgroup ipc mnt net pid uts \
        4>"$T/info" 5>"$T/json"
    assert_status 0
    local l1 info n
    l1=$(sed -n 1p "$T/json")
    info=$(<"$T/info")
    [[ $(json_keys "$l1") == "$(json_keys "$info")" ]] || fail "keys: $l1 / $info"
    [[ $(json_num child-pid "$l1") == "$(json_num child-pid "$info")" ]] || fail "child-pid: $l1 / $info"
    for n in cgroup ipc mnt net pid uts; do
        [[ $(json_num "$n-namespace" "$l1") == "$(json_num "$n-namespace" "$info")" ]] || fail "$n: $l1 / $info"
        [[ $output == *"$n $(json_num "$n-namespace" "$l1")"* ]] || fail "$n: $l1; inside: $output"
    done
    local want="{ \"child-pid\": $(json_num child-pid "$info")"
    for n in cgroup ipc mnt net pid uts; do
        want+=", \"$n-namespace\": $(json_num "$n-namespace" "$info")"
    done
    [[ $l1 == "$want }" ]] || fail "line 1: $l1" "wanted: $want }"
}

@test "--json-status-fd: the start line is written before the command runs, the exit line after" {
    run sb "${RO[@]}" --json-status-fd 5 cat "$T/json" 5>"$T/json"
    assert_status 0
    [[ $output == '{ "child-pid": '* && $output != *exit-code* ]] || fail "the command saw: $output"
    [[ $(sed -n 2p "$T/json") == '{ "exit-code": 0 }' ]] || fail "$(cat "$T/json")"
}

@test "--json-status-fd: no exit line when setup fails (missing bind source)" {
    run sb "${RO[@]}" --bind "$T/nonexistent" /mnt --json-status-fd 5 true 5>"$T/json"
    assert_error_line "Can't find source path $T/nonexistent: No such file or directory$"
    [[ $(wc -l <"$T/json") == 1 ]] || fail "$(cat "$T/json")"
    [[ $(<"$T/json") == '{ "child-pid": '* ]] || fail "$(cat "$T/json")"
    ! grep -q exit-code "$T/json" || fail "$(cat "$T/json")"
}

@test "--json-status-fd: no exit line when the command cannot be executed" {
    run sb "${RO[@]}" --json-status-fd 5 /nonexistent/command 5>"$T/json"
    assert_error_line "execvp /nonexistent/command: No such file or directory$"
    [[ $(wc -l <"$T/json") == 1 ]] || fail "$(cat "$T/json")"
    ! grep -q exit-code "$T/json" || fail "$(cat "$T/json")"
}

@test "--json-status-fd: no exit line when exec fails with --unshare-pid (reaper)" {
    run sb "${BASE[@]}" --unshare-pid --json-status-fd 5 /nonexistent/command 5>"$T/json"
    assert_error_line "execvp /nonexistent/command: No such file or directory$"
    [[ $(wc -l <"$T/json") == 1 ]] || fail "$(cat "$T/json")"
}

@test "--json-status-fd: nothing at all when the command line is bad" {
    run sb "${RO[@]}" --json-status-fd 5 --frobnicate true 5>"$T/json"
    assert_error_line "Unknown option --frobnicate$"
    [[ ! -s $T/json ]] || fail "$(cat "$T/json")"
}

@test "--json-status-fd: an exit status of 1 from the command is reported (unlike a setup failure)" {
    run sb "${RO[@]}" --json-status-fd 5 false 5>"$T/json"
    assert_status 1
    [[ $(sed -n 2p "$T/json") == '{ "exit-code": 1 }' ]] || fail "$(cat "$T/json")"
}

@test "--json-status-fd is not passed to the command" {
    run with_only_fds "5" "$SANDBOX" "${RO[@]}" --json-status-fd 5 ls -l /proc/self/fd 5>"$T/json"
    assert_status 0
    [[ $(fd_list_of_ls) == "0 1 2" ]] || fail "fds in the command: $(fd_list_of_ls)"
}

@test "--json-status-fd and --info-fd through pipes: the start line arrives while the command runs" {
    mkfifo "$T/fifo"
    "$SANDBOX" "${RO[@]}" --json-status-fd 5 sh -c 'sleep 1; exit 4' 5>"$T/fifo" 3>&- &
    bg
    exec 6<"$T/fifo"
    local first second
    read -r -t 10 first <&6 || fail "no start line"
    [[ $first == '{ "child-pid": '* ]] || fail "start: $first"
    kill -0 "$BG" || fail "the sandbox already ended"
    read -r -t 10 second <&6 || fail "no exit line"
    exec 6<&-
    [[ $second == '{ "exit-code": 4 }' ]] || fail "exit: $second"
    wait "$BG" && fail "status 0" || [[ $? == 4 ]]
}

# ---------------------------------------------------------------------------
# --sync-fd
# ---------------------------------------------------------------------------

@test "--sync-fd: the reading end sees EOF only after the sandbox has ended" {
    mkfifo "$T/fifo"
    "$SANDBOX" "${RO[@]}" --bind "$T" "$T" --sync-fd 5 sh -c 'sleep 1; echo done >"$1"' sh "$T/marker" 5>"$T/fifo" 3>&- &
    bg
    run timeout 15 cat "$T/fifo"
    assert_status 0
    assert_output ""
    [[ -e $T/marker ]] || fail "EOF before the command finished"
    wait "$BG" || fail "sandbox status $?"
}

@test "--sync-fd with --unshare-pid: EOF only after the command has finished" {
    mkfifo "$T/fifo"
    "$SANDBOX" "${BASE[@]}" --bind "$T" "$T" --unshare-pid --sync-fd 5 sh -c 'sleep 1; echo done >"$1"' sh "$T/marker" 5>"$T/fifo" 3>&- &
    bg
    run timeout 15 cat "$T/fifo"
    assert_status 0
    [[ -e $T/marker ]] || fail "EOF before the command finished"
}

@test "--sync-fd is kept by the reaper, not passed to the command" {
    run with_only_fds "5" "$SANDBOX" "${RO[@]}" --sync-fd 5 ls -l /proc/self/fd 5>/dev/null
    assert_status 0
    [[ $(fd_list_of_ls) == "0 1 2" ]] || fail "fds in the command: $(fd_list_of_ls)"
}

@test "--sync-fd naming stdin: the reaper keeps its stdio all the same (stdout and stderr included)" {
    # the reaper closes its fds but stdio and the ones it keeps; a kept fd below 3 must not shift that range
    run with_only_fds "" "$SANDBOX" "${RO[@]}" --unshare-pid --proc /proc --sync-fd 0 \
        sh -c 'sleep 0.3; ls /proc/1/fd | sort -n | head -n 3 | tr "\n" " "'
    assert_status 0
    assert_output "0 1 2 "
}

@test "--sync-fd with --as-pid-1: no reaper, the fd leaks into the command" {
    run with_only_fds "5" "$SANDBOX" "${BASE[@]}" --unshare-pid --as-pid-1 --sync-fd 5 ls -l /proc/self/fd 5>/dev/null
    assert_status 0
    [[ $(fd_list_of_ls) == "0 1 2 5" ]] || fail "fds in the command: $(fd_list_of_ls)"
}

@test "--sync-fd forces a reaper: the command's parent is the cloned child" {
    run sb "${RO[@]}" --sync-fd 5 --info-fd 4 sh -c 'echo "$$ $PPID"' 4>"$T/info" 5>/dev/null
    assert_status 0
    local pid
    pid=$(json_num child-pid "$(<"$T/info")")
    [[ $output == *" $pid" && $output != "$pid "* ]] || fail "command: $output, child-pid $pid"
}

# ---------------------------------------------------------------------------
# --block-fd
# ---------------------------------------------------------------------------

@test "--block-fd: the command does not start before a byte is written" {
    mkfifo "$T/fifo"
    "$SANDBOX" "${RO[@]}" --bind "$T" "$T" --block-fd 5 --info-fd 4 sh -c 'echo started >"$1"' sh "$T/marker" \
        5<"$T/fifo" 4>"$T/info" 3>&- &
    bg
    exec 6>"$T/fifo"
    wait_info "$T/info"
    sleep 0.5
    [[ ! -e $T/marker ]] || fail "the command ran before the block was released"
    kill -0 "$BG" || fail "the sandbox ended"
    printf x >&6
    wait "$BG" || fail "sandbox status $?"
    exec 6>&-
    [[ $(<"$T/marker") == started ]] || fail "the command did not run"
}

@test "--block-fd: EOF releases the command too" {
    mkfifo "$T/fifo"
    "$SANDBOX" "${RO[@]}" --bind "$T" "$T" --block-fd 5 sh -c 'echo started >"$1"' sh "$T/marker" 5<"$T/fifo" 3>&- &
    bg
    exec 6>"$T/fifo"
    sleep 0.3
    [[ ! -e $T/marker ]] || fail "the command ran before the block was released"
    exec 6>&-
    wait "$BG" || fail "sandbox status $?"
    [[ $(<"$T/marker") == started ]]
}

@test "--block-fd is closed after the read: not passed to the command" {
    run with_only_fds "5" "$SANDBOX" "${RO[@]}" --block-fd 5 ls -l /proc/self/fd 5< <(printf x)
    assert_status 0
    [[ $(fd_list_of_ls) == "0 1 2" ]] || fail "fds in the command: $(fd_list_of_ls)"
}

@test "--block-fd: the sandbox is already set up while it waits" {
    mkfifo "$T/fifo"
    "$SANDBOX" "${RO[@]}" --tmpfs /tmp --dir /tmp/made-before-the-block --block-fd 5 --info-fd 4 true \
        5<"$T/fifo" 4>"$T/info" 3>&- &
    bg
    exec 6>"$T/fifo"
    wait_info "$T/info"
    local pid
    pid=$(json_num child-pid "$(<"$T/info")")
    # the blocked process already lives in the new root
    wait_until 5 test -d "/proc/$pid/root/tmp/made-before-the-block" ||
        fail "no /tmp/made-before-the-block in the root of $pid"
    exec 6>&-
    wait "$BG" || fail "sandbox status $?"
}

# ---------------------------------------------------------------------------
# --userns-block-fd
# ---------------------------------------------------------------------------

@test "--userns-block-fd: the sandbox waits while the caller writes the id maps itself" {
    mkfifo "$T/fifo"
    "$SANDBOX" "${BASE[@]}" --unshare-user --info-fd 4 --userns-block-fd 5 \
        sh -c 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; id -g' \
        4>"$T/info" 5<"$T/fifo" >"$T/out" 2>&1 3>&- &
    bg
    exec 6>"$T/fifo"
    wait_info "$T/info"
    local pid
    pid=$(json_num child-pid "$(<"$T/info")")
    [[ -n $pid ]] || fail "info: $(<"$T/info")"
    # nothing has been mapped yet, and the command has not run
    [[ -z $(cat "/proc/$pid/uid_map") ]] || fail "uid_map already written: $(cat "/proc/$pid/uid_map")"
    [[ ! -s $T/out ]] || fail "the command ran: $(<"$T/out")"
    echo deny >"/proc/$pid/setgroups"
    echo "0 $(id -u) 1" >"/proc/$pid/uid_map"
    echo "0 $(id -g) 1" >"/proc/$pid/gid_map"
    printf x >&6
    exec 6>&-
    wait "$BG" || fail "sandbox status $?: $(<"$T/out")"
    local got
    got=$(awk '{ $1 = $1; print }' "$T/out")
    [[ $got == "0 $(id -u) 1"$'\n'"0 $(id -g) 1"$'\n'"deny"$'\n'"0"$'\n'"0" ]] || fail "inside: $(<"$T/out")"
}

@test "--userns-block-fd requires --unshare-user (not implied)" {
    run sb "${RO[@]}" --info-fd 4 --userns-block-fd 5 true 4>/dev/null 5</dev/null
    assert_error_line "--userns-block-fd requires --unshare-user$"
}

@test "--userns-block-fd requires --unshare-user, even without a command" {
    run sb --userns-block-fd 3
    assert_error_line "--userns-block-fd requires --unshare-user$"
}

@test "--userns-block-fd requires --info-fd" {
    run sb "${RO[@]}" --unshare-user --userns-block-fd 5 true 5</dev/null
    assert_error_line "--userns-block-fd requires --info-fd$"
}

@test "--userns-block-fd is not compatible with --disable-userns (two spaces in the message)" {
    run sb "${RO[@]}" --unshare-user --disable-userns --info-fd 4 --userns-block-fd 5 true 4>/dev/null 5</dev/null
    assert_error_line "--disable-userns is not compatible with  --userns-block-fd$"
}

# ---------------------------------------------------------------------------
# --lock-file
# ---------------------------------------------------------------------------

# locks_on INODE: the /proc/locks lines for that inode, as
# "TYPE MODE ACCESS PID" (e.g. "POSIX ADVISORY READ 1234").
locks_on() {
    awk -v ino="$1" '{ n = split($6, d, ":") } n == 3 && d[3] == ino { print $2, $3, $4, $5 }' /proc/locks
}

@test "--lock-file: /proc/locks shows a POSIX READ lock held by the sandbox's pid 1 while it runs" {
    : >"$T/lock"
    local ino pid
    ino=$(stat -c %i "$T/lock")
    [[ -z $(locks_on "$ino") ]] || fail "already locked"
    "$SANDBOX" "${RO[@]}" --lock-file "$T/lock" --die-with-parent --info-fd 4 sleep 30 4>"$T/info" 3>&- &
    bg
    wait_info "$T/info"
    pid=$(json_num child-pid "$(<"$T/info")")
    wait_until 10 test -n "$(locks_on "$ino")" || fail "no lock on $T/lock"
    [[ $(locks_on "$ino") == "POSIX ADVISORY READ $pid" ]] || fail "locks: $(locks_on "$ino") (child-pid $pid)"
    kill -KILL "$BG"
    wait "$BG" || :
    # (--die-with-parent: pid 1 goes with the monitor; kill it anyway)
    kill -KILL "$pid" 2>/dev/null || :
    wait_until 10 test -z "$(locks_on "$ino")" || fail "lock still there: $(locks_on "$ino")"
}

@test "--lock-file: the lock is released when the sandbox ends" {
    : >"$T/lock"
    local ino
    ino=$(stat -c %i "$T/lock")
    run sb "${RO[@]}" --lock-file "$T/lock" sh -c 'cat /proc/locks'
    assert_status 0
    [[ $output == *" READ "*":$ino 0 EOF"* ]] || fail "no READ lock seen from inside: $output"
    [[ -z $(locks_on "$ino") ]] || fail "lock left: $(locks_on "$ino")"
}

@test "--lock-file: several files, each read-locked" {
    : >"$T/a"
    : >"$T/b"
    local a b
    a=$(stat -c %i "$T/a")
    b=$(stat -c %i "$T/b")
    run sb "${RO[@]}" --lock-file "$T/a" --lock-file "$T/b" cat /proc/locks
    assert_status 0
    [[ $output == *"ADVISORY  READ "*":$a 0 EOF"* ]] || fail "a not locked: $output"
    [[ $output == *"ADVISORY  READ "*":$b 0 EOF"* ]] || fail "b not locked: $output"
}

@test "--lock-file: a relative path is opened relative to the sandbox's working directory" {
    mkdir "$T/d"
    : >"$T/d/lock"
    local ino
    ino=$(stat -c %i "$T/d/lock")
    run sb "${RO[@]}" --chdir "$T/d" --lock-file lock cat /proc/locks
    assert_status 0
    [[ $output == *"ADVISORY  READ "*":$ino 0 EOF"* ]] || fail "not locked: $output"
}

@test "--lock-file: the path is opened inside the sandbox (a file only there)" {
    local ino
    run sb "${RO[@]}" --tmpfs /tmp --file 5 /tmp/inner-lock --lock-file /tmp/inner-lock \
        sh -c 'stat -c %i /tmp/inner-lock; cat /proc/locks' 5</dev/null
    assert_status 0
    ino=${lines[0]}
    [[ $output == *"ADVISORY  READ "*":$ino 0 EOF"* ]] || fail "not locked: $output"
}

@test "--lock-file with --unshare-pid: held by the sandbox's pid 1" {
    : >"$T/lock"
    local ino
    ino=$(stat -c %i "$T/lock")
    run sb "${BASE[@]}" --unshare-pid --lock-file "$T/lock" cat /proc/locks
    assert_status 0
    [[ $output == *"POSIX  ADVISORY  READ 1 "*":$ino 0 EOF"* ]] || fail "not locked by pid 1: $output"
}

@test "--lock-file: a missing file is fatal (Unable to open lock file)" {
    # (bwrap takes the locks in pid 1 once the command is forked)
    run sb "${RO[@]}" --lock-file "$T/nonexistent" true
    assert_error_line "Unable to open lock file $T/nonexistent: No such file or directory$"
}

@test "--lock-file forces a reaper: the command's parent is the cloned child" {
    : >"$T/lock"
    run sb "${RO[@]}" --lock-file "$T/lock" --info-fd 4 sh -c 'echo "$$ $PPID"' 4>"$T/info"
    assert_status 0
    local pid
    pid=$(json_num child-pid "$(<"$T/info")")
    [[ $output == *" $pid" && $output != "$pid "* ]] || fail "command: $output, child-pid $pid"
}

@test "--as-pid-1 and --lock-file cannot be combined" {
    run sb "${BASE[@]}" --unshare-pid --as-pid-1 --lock-file /etc/hostname true
    assert_error_line "Specifying --as-pid-1 and --lock-file is not permitted$"
}

@test "--as-pid-1 without --unshare-pid is checked first" {
    run sb "${RO[@]}" --as-pid-1 --lock-file /etc/hostname true
    assert_error_line "Specifying --as-pid-1 requires --unshare-pid$"
}

# ---------------------------------------------------------------------------
# --level-prefix
# ---------------------------------------------------------------------------

@test "--level-prefix: errors start with <3>" {
    run sb --level-prefix "${RO[@]}" --bind "$T/nonexistent" /mnt true
    assert_status 1
    assert_output "<3>$PREFIX: Can't find source path $T/nonexistent: No such file or directory"
}

@test "--level-prefix: parse errors after it start with <3>, before it they do not" {
    run sb --level-prefix --frobnicate true
    assert_status 1
    assert_output "<3>$PREFIX: Unknown option --frobnicate"
    run sb --frobnicate --level-prefix true
    assert_status 1
    assert_output "$PREFIX: Unknown option --frobnicate"
}

@test "--level-prefix: warnings start with <4>, only once the option is parsed" {
    run --separate-stderr sb --level-prefix "${RO[@]}" --chdir / --chdir / echo ran
    assert_status 0
    assert_output ran
    [[ $stderr == "<4>$PREFIX: Only the last --chdir option will take effect" ]] || fail "stderr: $stderr"
    run --separate-stderr sb "${RO[@]}" --chdir / --chdir / --level-prefix echo ran
    assert_status 0
    [[ $stderr == "$PREFIX: Only the last --chdir option will take effect" ]] || fail "stderr: $stderr"
}

@test "--level-prefix: errors inside the sandbox (exec, lock file) carry <3> too" {
    run sb --level-prefix "${RO[@]}" /nonexistent/command
    assert_status 1
    assert_output "<3>$PREFIX: execvp /nonexistent/command: No such file or directory"
    run sb --level-prefix "${RO[@]}" --lock-file "$T/nonexistent" true
    assert_status 1
    assert_output "<3>$PREFIX: Unable to open lock file $T/nonexistent: No such file or directory"
}

@test "--level-prefix: validation errors carry <3>" {
    run sb --level-prefix "${RO[@]}" --hostname x true
    assert_status 1
    assert_output "<3>$PREFIX: Specifying --hostname requires --unshare-uts"
}

@test "--level-prefix: the usage text is never prefixed" {
    run --separate-stderr sb --level-prefix
    assert_status 1
    [[ $stderr == usage:* ]] || fail "stderr: ${stderr:0:200}"
    ! grep -q '^<[34]>' <<<"$stderr" || fail "prefixed usage: $(grep '^<[34]>' <<<"$stderr")"
}

@test "--level-prefix: the command's own output is untouched" {
    run sb --level-prefix "${RO[@]}" sh -c 'echo out; echo err >&2'
    assert_status 0
    assert_output $'out\nerr'
}
