#!/usr/bin/env bats
# --seccomp FD and --add-seccomp-fd FD: classic BPF programs (made by
# tests/helpers/seccomp-gen.c with libseccomp) that really block system
# calls in the command, and in the pid 1 reaper; the rules for combining
# the two options, and the errors for bad program data.

load helpers

setup_file() {
    local src=${SANDBOX_TESTS_DIR:-$BATS_TEST_DIRNAME}/helpers/seccomp-gen.c
    export SG_DIR="$BATS_FILE_TMPDIR/bpf" SG_WHY=
    mkdir -p "$SG_DIR"
    if ! command -v cc >/dev/null 2>&1; then
        SG_WHY="no C compiler (cc) to build tests/helpers/seccomp-gen.c"
    elif ! cc -O2 -o "$SG_DIR/seccomp-gen" "$src" -lseccomp >"$SG_DIR/cc.log" 2>&1; then
        SG_WHY="building tests/helpers/seccomp-gen.c (needs libseccomp-dev) failed: $(head -c 400 "$SG_DIR/cc.log")"
    else
        # mkdir and mkdirat fail with EPERM (1); uname with EACCES (13) or
        # ENOENT (2); "allow" lets everything through.
        "$SG_DIR/seccomp-gen" mkdir=1 mkdirat=1 >"$SG_DIR/no-mkdir.bpf" &&
            "$SG_DIR/seccomp-gen" uname=13 >"$SG_DIR/uname-eacces.bpf" &&
            "$SG_DIR/seccomp-gen" uname=2 >"$SG_DIR/uname-enoent.bpf" &&
            "$SG_DIR/seccomp-gen" >"$SG_DIR/allow.bpf" ||
            SG_WHY="tests/helpers/seccomp-gen could not export the programs"
    fi
}

setup() {
    require_unprivileged
    skip_unless_feature userns
    [[ -z $SG_WHY ]] || skip "$SG_WHY"
    T=$BATS_TEST_TMPDIR
    NO_MKDIR=$SG_DIR/no-mkdir.bpf
    UNAME_EACCES=$SG_DIR/uname-eacces.bpf
    UNAME_ENOENT=$SG_DIR/uname-enoent.bpf
    ALLOW=$SG_DIR/allow.bpf
    # The test process may already run under filters (a container); the
    # sandbox adds its own on top.
    HOST_FILTERS=$(proc_field Seccomp_filters /proc/self/status)
    # ... and sandbox installs one of its own by default when the caller has a controlling terminal: the
    # terminal-injection filter (tests/tty.bats)
    TTY_FILTER=0
    if (exec </dev/tty) 2>/dev/null; then TTY_FILTER=1; fi
    [[ -z $HOST_FILTERS ]] || HOST_FILTERS=$((HOST_FILTERS + TTY_FILTER))
    mkdir -p "$T/w"
    # A host directory the command may write in, at /tmp/w.
    W=(--tmpfs /tmp --bind "$T/w" /tmp/w)
}

# The command used to probe the filters: tries mkdir on a host directory
# bound writable, then uname.
PROBE='mkdir /tmp/w/d && echo mkdir-ok; uname -s'

@test "seccomp-gen programs are non-empty and a multiple of 8 bytes" {
    local f n
    for f in "$NO_MKDIR" "$UNAME_EACCES" "$UNAME_ENOENT" "$ALLOW"; do
        n=$(stat -c %s "$f")
        ((n > 0 && n % 8 == 0)) || fail "$f: $n bytes"
    done
}

@test "without a seccomp option, mkdir and uname work in the command (control)" {
    run sb "${RO[@]}" "${W[@]}" sh -c "$PROBE"
    assert_status 0
    assert_output $'mkdir-ok\nLinux'
    [[ -d $T/w/d ]] || fail "directory not created on the host"
}

@test "--seccomp FD: mkdir fails with EPERM, nothing is created, uname still works" {
    run sb "${RO[@]}" "${W[@]}" --seccomp 5 sh -c "$PROBE" 5<"$NO_MKDIR"
    assert_status 0
    assert_output $'mkdir: cannot create directory \'/tmp/w/d\': Operation not permitted\nLinux'
    [[ ! -e $T/w/d ]] || fail "/tmp/w/d was created despite the filter"
}

@test "--seccomp FD: uname fails with the errno the program chose (EACCES)" {
    run sb "${RO[@]}" --seccomp 5 sh -c 'uname -s; echo "rc=$?"' 5<"$UNAME_EACCES"
    assert_status 0
    assert_output $'uname: cannot get system name: Permission denied\nrc=1'
}

@test "--seccomp FD: the command runs in filter mode with exactly one filter more" {
    run sb "${RO[@]}" --seccomp 5 cat /proc/self/status 5<"$ALLOW"
    assert_status 0
    [[ $(proc_field Seccomp) == 2 ]] || fail "Seccomp: $(proc_field Seccomp)"
    if [[ -n $HOST_FILTERS ]]; then
        [[ $(proc_field Seccomp_filters) == $((HOST_FILTERS + 1)) ]] ||
            fail "Seccomp_filters: $(proc_field Seccomp_filters), host has $HOST_FILTERS"
    fi
}

@test "without a seccomp option the command has only the built-in terminal filter (if any); none with --allow-tiocsti" {
    run sb "${RO[@]}" cat /proc/self/status
    assert_status 0
    if ((TTY_FILTER)); then
        [[ $(proc_field Seccomp) == 2 ]] || fail "Seccomp: $(proc_field Seccomp)"
    fi
    if [[ -n $HOST_FILTERS ]]; then
        [[ $(proc_field Seccomp_filters) == "$HOST_FILTERS" ]] ||
            fail "Seccomp_filters: $(proc_field Seccomp_filters), expected $HOST_FILTERS"
    fi
    run sb "${RO[@]}" --allow-tiocsti cat /proc/self/status
    assert_status 0
    [[ $(proc_field Seccomp) == "$(proc_field Seccomp /proc/self/status)" ]] ||
        fail "--allow-tiocsti: Seccomp: $(proc_field Seccomp)"
}

@test "--seccomp: the filter is inherited by the command's children" {
    run sb "${RO[@]}" "${W[@]}" --seccomp 5 sh -c 'sh -c "mkdir /tmp/w/d" 2>&1; echo "rc=$?"' 5<"$NO_MKDIR"
    assert_status 0
    assert_output $'mkdir: cannot create directory \'/tmp/w/d\': Operation not permitted\nrc=1'
    [[ ! -e $T/w/d ]]
}

@test "--add-seccomp-fd FD: a single program blocks mkdir as --seccomp does" {
    run sb "${RO[@]}" "${W[@]}" --add-seccomp-fd 5 sh -c "$PROBE" 5<"$NO_MKDIR"
    assert_status 0
    assert_output $'mkdir: cannot create directory \'/tmp/w/d\': Operation not permitted\nLinux'
    [[ ! -e $T/w/d ]]
}

@test "--add-seccomp-fd twice: both programs are installed and both block" {
    run sb "${RO[@]}" "${W[@]}" --add-seccomp-fd 5 --add-seccomp-fd 6 \
        sh -c "$PROBE; grep '^Seccomp' /proc/self/status" 5<"$NO_MKDIR" 6<"$UNAME_EACCES"
    assert_status 0
    [[ ${lines[0]} == "mkdir: cannot create directory '/tmp/w/d': Operation not permitted" ]] ||
        fail "line 1: ${lines[0]}"
    [[ ${lines[1]} == "uname: cannot get system name: Permission denied" ]] || fail "line 2: ${lines[1]}"
    [[ $(proc_field Seccomp) == 2 ]] || fail "Seccomp: $(proc_field Seccomp)"
    if [[ -n $HOST_FILTERS ]]; then
        [[ $(proc_field Seccomp_filters) == $((HOST_FILTERS + 2)) ]] ||
            fail "Seccomp_filters: $(proc_field Seccomp_filters), host has $HOST_FILTERS"
    fi
}

# Two filters returning ERRNO for the same call: the kernel runs the most
# recently installed filter first and keeps its result on a tie, so the
# program given last decides.  That makes the installation order visible.
@test "--add-seccomp-fd: programs are installed in the order given (the last one decides)" {
    run sb "${RO[@]}" --add-seccomp-fd 5 --add-seccomp-fd 6 uname -s 5<"$UNAME_EACCES" 6<"$UNAME_ENOENT"
    assert_status 1
    assert_output "uname: cannot get system name: No such file or directory"
    run sb "${RO[@]}" --add-seccomp-fd 6 --add-seccomp-fd 5 uname -s 5<"$UNAME_EACCES" 6<"$UNAME_ENOENT"
    assert_status 1
    assert_output "uname: cannot get system name: Permission denied"
}

@test "--add-seccomp-fd after --seccomp: cannot be combined" {
    run sb "${RO[@]}" --seccomp 5 --add-seccomp-fd 6 true 5<"$ALLOW" 6<"$ALLOW"
    assert_error_line "--add-seccomp-fd cannot be combined with --seccomp$"
}

@test "--seccomp after --add-seccomp-fd: cannot be combined" {
    run sb "${RO[@]}" --add-seccomp-fd 6 --seccomp 5 true 5<"$ALLOW" 6<"$ALLOW"
    assert_error_line "--seccomp cannot be combined with --add-seccomp-fd$"
}

@test "the combination check comes before the fd is read (closed fds)" {
    run with_only_fds "" "$SANDBOX" "${RO[@]}" --seccomp 55 --add-seccomp-fd 56 true
    assert_error_line "--add-seccomp-fd cannot be combined with --seccomp$"
}

@test "--seccomp: data whose size is not a multiple of 8 is rejected" {
    run sb "${RO[@]}" --seccomp 5 true 5< <(printf abc)
    assert_error_line "Invalid seccomp data, must be multiple of 8$"
    run sb "${RO[@]}" --seccomp 5 true 5< <(head -c 12 "$ALLOW")
    assert_error_line "Invalid seccomp data, must be multiple of 8$"
}

@test "--add-seccomp-fd: data whose size is not a multiple of 8 is rejected" {
    run sb "${RO[@]}" --add-seccomp-fd 5 true 5< <(printf 'abcdefghi')
    assert_error_line "Invalid seccomp data, must be multiple of 8$"
}

@test "--add-seccomp-fd: bad data is refused even when a later option fails too (read at parse time)" {
    run sb "${RO[@]}" --add-seccomp-fd 5 --frobnicate true 5< <(printf abc)
    assert_error_line "Invalid seccomp data, must be multiple of 8$"
}

@test "--seccomp: an empty program is refused by the kernel (EINVAL hint)" {
    run sb "${RO[@]}" --seccomp 5 true 5</dev/null
    assert_error_line "Unable to set up system call filtering as requested: prctl\(PR_SET_SECCOMP\) reported EINVAL\. \(Hint: this requires a kernel configured with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER\.\)$"
}

@test "--seccomp: a closed fd gives 'Can't read seccomp data: Bad file descriptor'" {
    run with_only_fds "" "$SANDBOX" "${RO[@]}" --seccomp 55 true
    assert_error_line "Can't read seccomp data: Bad file descriptor$"
}

@test "--add-seccomp-fd: a closed fd gives 'Can't read seccomp data: Bad file descriptor'" {
    run with_only_fds "" "$SANDBOX" "${RO[@]}" --add-seccomp-fd 55 true
    assert_error_line "Can't read seccomp data: Bad file descriptor$"
}

@test "--seccomp and --add-seccomp-fd: invalid fd values" {
    run sb "${RO[@]}" --seccomp x true
    assert_error_line "Invalid fd: x$"
    run sb "${RO[@]}" --add-seccomp-fd -1 true
    assert_error_line "Invalid fd: -1$"
}

@test "--seccomp repeated: warning, and only the last program is loaded" {
    run --separate-stderr sb "${RO[@]}" --seccomp 5 --seccomp 6 sh -c 'uname -s 2>&1; echo "rc=$?"' \
        5<"$UNAME_ENOENT" 6<"$UNAME_EACCES"
    assert_status 0
    [[ $stderr == "$PREFIX: Only the last --seccomp option will take effect" ]] || fail "stderr: $stderr"
    assert_output $'uname: cannot get system name: Permission denied\nrc=1'
}

@test "the seccomp fds are consumed: the command does not get them" {
    run with_only_fds "5 6" "$SANDBOX" "${RO[@]}" --add-seccomp-fd 5 --add-seccomp-fd 6 ls -l /proc/self/fd \
        5<"$ALLOW" 6<"$ALLOW"
    assert_status 0
    [[ $(fd_list_of_ls) == "0 1 2" ]] || fail "fds in the command: $(fd_list_of_ls)"
    run with_only_fds "5" "$SANDBOX" "${RO[@]}" --seccomp 5 ls -l /proc/self/fd 5<"$ALLOW"
    assert_status 0
    [[ $(fd_list_of_ls) == "0 1 2" ]] || fail "fds in the command (--seccomp): $(fd_list_of_ls)"
}

@test "--seccomp with --unshare-pid: the reaper (pid 1) is filtered too" {
    run sb "${BASE[@]}" --unshare-pid --seccomp 5 sh -c 'cat /proc/1/status; echo "me $$"' 5<"$ALLOW"
    assert_status 0
    [[ ${lines[-1]} == "me 2" ]] || fail "the command is not pid 2: ${lines[-1]}"
    [[ $(proc_field Seccomp) == 2 ]] || fail "pid 1 Seccomp: $(proc_field Seccomp)"
    if [[ -n $HOST_FILTERS ]]; then
        [[ $(proc_field Seccomp_filters) == $((HOST_FILTERS + 1)) ]] ||
            fail "pid 1 Seccomp_filters: $(proc_field Seccomp_filters)"
    fi
}

@test "--add-seccomp-fd with --unshare-pid: the reaper (pid 1) has every filter" {
    run sb "${BASE[@]}" --unshare-pid --add-seccomp-fd 5 --add-seccomp-fd 6 cat /proc/1/status \
        5<"$ALLOW" 6<"$UNAME_EACCES"
    assert_status 0
    [[ $(proc_field Seccomp) == 2 ]] || fail "pid 1 Seccomp: $(proc_field Seccomp)"
    if [[ -n $HOST_FILTERS ]]; then
        [[ $(proc_field Seccomp_filters) == $((HOST_FILTERS + 2)) ]] ||
            fail "pid 1 Seccomp_filters: $(proc_field Seccomp_filters)"
    fi
}

@test "with --unshare-pid, --allow-tiocsti and no seccomp option, the reaper has no filter (control)" {
    run sb "${BASE[@]}" --unshare-pid --allow-tiocsti cat /proc/1/status
    assert_status 0
    [[ $(proc_field Seccomp) == "$(proc_field Seccomp /proc/self/status)" ]] ||
        fail "pid 1 Seccomp: $(proc_field Seccomp)"
}

@test "--seccomp with --as-pid-1: the command is pid 1 and filtered" {
    run sb "${BASE[@]}" --unshare-pid --as-pid-1 "${W[@]}" --seccomp 5 \
        sh -c 'echo "pid $$"; mkdir /tmp/w/d' 5<"$NO_MKDIR"
    assert_status 1
    assert_output $'pid 1\nmkdir: cannot create directory \'/tmp/w/d\': Operation not permitted'
}

@test "without open_tree_attr (before Linux 6.15: ENOSYS) binds are still read-only: the two-call way" {
    # the sandbox under test runs inside another one whose filter makes open_tree_attr (467) fail ENOSYS
    "$SG_DIR/seccomp-gen" 467=38 >"$T/no-ota.bpf"
    run sb --ro-bind / / --dev /dev --unshare-pid --proc /proc --seccomp 3 "$SANDBOX" --ro-bind / / --tmpfs /tmp \
        --ro-bind /usr /tmp/usr --ro-bind-data 4 /tmp/data \
        sh -c 'touch /tmp/usr/x 2>&1; touch /tmp/ok && cat /tmp/data' 3<"$T/no-ota.bpf" 4<<<made
    assert_status 0
    assert_output_matches 'Read-only file system'
    assert_output_matches 'made'
}
