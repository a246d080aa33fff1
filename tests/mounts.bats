#!/usr/bin/env bats
# Filesystem setup operations: binds, remount, proc, dev, tmpfs, mqueue,
# dir, file, bind-data, symlink, chmod, and their order.

load helpers

setup() {
    require_unprivileged
    skip_unless_feature userns
    S="$BATS_TEST_TMPDIR/src"
    mkdir -p "$S/sub"
    echo hello >"$S/file"
    # Most tests put their destinations under a fresh /tmp, with a /dev
    # (the host's /dev bound by --ro-bind / / is nodev: /dev/null unusable).
    T=(--ro-bind / / --dev /dev --tmpfs /tmp)
}

# ---------------------------------------------------------------- binds ---

@test "--bind: files written inside appear on the host" {
    run sb "${T[@]}" --bind "$S" /tmp/s sh -c 'echo written > /tmp/s/new && cat /tmp/s/file'
    assert_status 0
    assert_output "hello"
    [[ $(cat "$S/new") == written ]] || fail "host file: $(cat "$S/new" 2>&1)"
}

@test "--bind: host changes are visible inside" {
    run sb "${T[@]}" --bind "$S" /tmp/s cat /tmp/s/sub/../file
    assert_status 0
    assert_output "hello"
}

@test "--bind: the mount is rw, nosuid and nodev" {
    run sb "${T[@]}" --bind "$S" /tmp/s cat /proc/self/mountinfo
    assert_status 0
    local o
    o=$(mount_opts /tmp/s) || fail "no mount at /tmp/s: $output"
    has_opt "$o" rw || fail "not rw: $o"
    has_opt "$o" nosuid || fail "not nosuid: $o"
    has_opt "$o" nodev || fail "not nodev: $o"
}

@test "--bind of a single file binds just that file" {
    run sb "${T[@]}" --bind "$S/file" /tmp/f sh -c 'echo more >> /tmp/f; cat /tmp/f'
    assert_status 0
    assert_output $'hello\nmore'
    [[ $(cat "$S/file") == $'hello\nmore' ]] || fail "host file: $(cat "$S/file")"
}

@test "--ro-bind: writes are refused (read-only file system) and nothing reaches the host" {
    run sb "${T[@]}" --ro-bind "$S" /tmp/s sh -c 'cat /tmp/s/file; touch /tmp/s/new 2>&1; echo rc=$?'
    assert_status 0
    assert_output_matches '^hello'$'\n''.*Read-only file system'
    [[ ${lines[-1]} == rc=1 ]] || fail "touch did not fail: $output"
    [[ ! -e $S/new ]] || fail "file created on the host"
}

@test "--ro-bind: the mount is ro, nosuid and nodev" {
    run sb "${T[@]}" --ro-bind "$S" /tmp/s cat /proc/self/mountinfo
    assert_status 0
    local o
    o=$(mount_opts /tmp/s) || fail "no mount at /tmp/s: $output"
    has_opt "$o" ro || fail "not ro: $o"
    has_opt "$o" nosuid || fail "not nosuid: $o"
    has_opt "$o" nodev || fail "not nodev: $o"
}

@test "--ro-bind / / makes every visible submount read-only, nosuid and nodev" {
    run sb --ro-bind / / cat /proc/self/mountinfo
    assert_status 0
    local mp o fs n=0 bad=
    while read -r mp o fs; do
        n=$((n + 1))
        has_opt "$o" ro || bad+=" $mp($o):not-ro"
        has_opt "$o" nosuid || bad+=" $mp($o):not-nosuid"
        has_opt "$o" nodev || bad+=" $mp($o):not-nodev"
    done < <(visible_mounts)
    ((n > 1)) || fail "expected / and its submounts, found $n mount(s): $output"
    [[ -z $bad ]] || fail "mounts:$bad"
}

@test "--ro-bind of a tree with submounts makes the submounts read-only too" {
    run sb "${T[@]}" --ro-bind / /tmp/root cat /proc/self/mountinfo
    assert_status 0
    local mp o fs n=0 bad=
    while read -r mp o fs; do
        [[ $mp == /tmp/root || $mp == /tmp/root/* ]] || continue
        n=$((n + 1))
        has_opt "$o" ro || bad+=" $mp($o)"
    done < <(visible_mounts)
    ((n > 1)) || fail "expected /tmp/root and submounts (e.g. /tmp/root/proc), found $n"
    [[ -z $bad ]] || fail "not read-only:$bad"
    [[ $(mount_count /tmp/root/dev/shm) -ge 1 ]] || skip "the host has no /dev/shm mount"
    run sb "${T[@]}" --ro-bind / /tmp/root sh -c ': > /tmp/root/dev/shm/sandbox-test'
    [[ $status -ne 0 ]] || fail "wrote into the submount /tmp/root/dev/shm"
    assert_output_matches 'Read-only file system'
}

@test "--bind / / keeps nosuid and nodev on every visible submount" {
    run sb --bind / / cat /proc/self/mountinfo
    assert_status 0
    local mp o fs n=0 bad=
    while read -r mp o fs; do
        n=$((n + 1))
        has_opt "$o" nosuid || bad+=" $mp($o):not-nosuid"
        has_opt "$o" nodev || bad+=" $mp($o):not-nodev"
    done < <(visible_mounts)
    ((n > 1)) || fail "expected / and its submounts, found $n mount(s)"
    [[ -z $bad ]] || fail "mounts:$bad"
}

host_dev_allows_devices() {
    # The host's /dev mount must not be nodev itself (flags set on the host
    # are locked and cannot be cleared from a user namespace).
    local o
    o=$(output=$(cat /proc/self/mountinfo) mount_opts /dev) || return 1
    ! has_opt "$o" nodev
}

@test "--dev-bind: device nodes work and the mount is not nodev (still nosuid)" {
    host_dev_allows_devices || skip "the host's /dev is mounted nodev"
    run sb "${T[@]}" --dev-bind /dev /tmp/dev sh -c 'echo x > /tmp/dev/null && echo written; cat /proc/self/mountinfo'
    assert_status 0
    [[ ${lines[0]} == written ]] || fail "could not write /tmp/dev/null: $output"
    local o
    o=$(mount_opts /tmp/dev)
    ! has_opt "$o" nodev || fail "nodev on --dev-bind: $o"
    has_opt "$o" nosuid || fail "not nosuid: $o"
}

@test "--bind of /dev: device nodes cannot be opened (nodev)" {
    run sb "${T[@]}" --bind /dev /tmp/dev sh -c 'echo x > /tmp/dev/null; echo rc=$?' 2>&1
    assert_status 0
    [[ ${lines[-1]} != rc=0 ]] || fail "wrote to a device through a plain --bind"
    assert_output_matches 'Permission denied'
}

@test "--bind-try, --ro-bind-try, --dev-bind-try with a missing source are silently skipped" {
    local o
    for o in --bind-try --ro-bind-try --dev-bind-try; do
        run sb "${T[@]}" "$o" /nonexistent/source /tmp/x sh -c 'test -e /tmp/x && echo exists || echo absent'
        assert_status 0
        [[ $output == absent ]] || fail "$o: $output"
    done
}

@test "--bind-try with a missing source does not stop later operations" {
    run sb "${T[@]}" --bind-try /nonexistent/source /tmp/x --dir /tmp/after \
        --ro-bind-try /nonexistent/source /tmp/y ls /tmp
    assert_status 0
    assert_output "after"
}

@test "--bind-try / --ro-bind-try with an existing source behave like --bind / --ro-bind" {
    run sb "${T[@]}" --bind-try "$S" /tmp/rw --ro-bind-try "$S" /tmp/ro sh -c '
        echo x > /tmp/rw/via-try; echo x > /tmp/ro/via-ro-try 2>/dev/null; cat /proc/self/mountinfo'
    assert_status 0
    [[ -e $S/via-try ]] || fail "--bind-try mount not writable"
    [[ ! -e $S/via-ro-try ]] || fail "--ro-bind-try mount writable"
    has_opt "$(mount_opts /tmp/ro)" ro || fail "not ro: $(mount_opts /tmp/ro)"
}

@test "--dev-bind-try with an existing source behaves like --dev-bind" {
    host_dev_allows_devices || skip "the host's /dev is mounted nodev"
    run sb "${T[@]}" --dev-bind-try /dev /tmp/dev sh -c 'echo x > /tmp/dev/null && echo written'
    assert_status 0
    assert_output "written"
}

@test "a missing source without -try is an error, for every bind option" {
    local o
    for o in --bind --ro-bind --dev-bind; do
        run sb "${T[@]}" "$o" /nonexistent/source /tmp/x true
        assert_error_line "Can't find source path /nonexistent/source: No such file or directory$"
    done
}

@test "--remount-ro makes a writable bind read-only" {
    run sb "${T[@]}" --bind "$S" /tmp/s --remount-ro /tmp/s sh -c '
        touch /tmp/s/new 2>&1; echo rc=$?; cat /proc/self/mountinfo'
    assert_status 0
    [[ ${lines[1]} == rc=1 ]] || fail "write succeeded: $output"
    [[ ${lines[0]} == *"Read-only file system" ]] || fail "$output"
    has_opt "$(mount_opts /tmp/s)" ro || fail "not ro: $(mount_opts /tmp/s)"
    [[ ! -e $S/new ]] || fail "file created on the host"
}

@test "--remount-ro is not recursive: a submount stays writable" {
    run sb "${T[@]}" --bind "$S" /tmp/s --tmpfs /tmp/s/sub --remount-ro /tmp/s sh -c '
        touch /tmp/s/sub/ok && echo sub-writable; touch /tmp/s/no 2>/dev/null || echo top-ro'
    assert_status 0
    assert_output $'sub-writable\ntop-ro'
}

# ----------------------------------------------------------------- proc ---

@test "--proc with --unshare-pid mounts a new procfs, nosuid,nodev,noexec" {
    run sb "${RO[@]}" --unshare-pid --proc /proc cat /proc/self/mountinfo
    assert_status 0
    [[ $(mount_fstype /proc) == proc ]] || fail "fstype: $(mount_fstype /proc)"
    local o
    o=$(mount_opts /proc)
    has_opt "$o" nosuid || fail "$o"
    has_opt "$o" nodev || fail "$o"
    has_opt "$o" noexec || fail "$o"
}

@test "--proc shows the sandbox's own pid namespace" {
    run sb "${RO[@]}" --unshare-pid --proc /proc readlink /proc/self
    assert_status 0
    assert_output "2"
    run sb "${RO[@]}" --unshare-pid --proc /proc cat /proc/1/status
    assert_status 0
    [[ $(proc_field PPid) == 0 ]] || fail "pid 1 has parent $(proc_field PPid)"
}

@test "--proc at another path" {
    run sb "${T[@]}" --unshare-pid --proc /tmp/p readlink /tmp/p/self
    assert_status 0
    assert_output "2"
    run sb "${T[@]}" --unshare-pid --proc /tmp/p cat /proc/self/mountinfo
    [[ $(mount_fstype /tmp/p) == proc ]] || fail "fstype: $(mount_fstype /tmp/p)"
}

# ------------------------------------------------------------------ dev ---

@test "--dev: exactly the standard entries, nothing else of the host's /dev" {
    run sb "${RO[@]}" --dev /dev ls -A /dev
    assert_status 0
    assert_output "$(printf '%s\n' core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero)"
}

@test "--dev: null, zero, full, random, urandom, tty are the real character devices" {
    run sb "${RO[@]}" --dev /dev stat -c '%n %F %t:%T' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
    assert_status 0
    assert_output "/dev/null character special file 1:3
/dev/zero character special file 1:5
/dev/full character special file 1:7
/dev/random character special file 1:8
/dev/urandom character special file 1:9
/dev/tty character special file 5:0"
}

@test "--dev: stdin, stdout, stderr, fd, core and ptmx are the standard symlinks" {
    run sb "${RO[@]}" --dev /dev sh -c 'for l in stdin stdout stderr fd core ptmx; do echo "$l -> $(readlink /dev/$l)"; done'
    assert_status 0
    assert_output "stdin -> /proc/self/fd/0
stdout -> /proc/self/fd/1
stderr -> /proc/self/fd/2
fd -> /proc/self/fd
core -> /proc/kcore
ptmx -> pts/ptmx"
}

@test "--dev: the device nodes work (read zero, write null, full is full)" {
    run sb "${RO[@]}" --dev /dev sh -c '
        head -c 4 /dev/zero | od -An -tx1
        echo discard > /dev/null && echo null-ok
        head -c 8 /dev/urandom | wc -c
        head -c 1 /dev/zero > /dev/full || echo full-failed' 2>&1
    assert_status 0
    [[ ${lines[0]} == " 00 00 00 00" ]] || fail "zero: ${lines[0]}"
    [[ ${lines[1]} == null-ok ]] || fail "$output"
    [[ ${lines[2]} == 8 ]] || fail "$output"
    assert_output_matches 'No space left on device'
    [[ ${lines[-1]} == full-failed ]] || fail "$output"
}

@test "--dev: /dev is a nosuid tmpfs, /dev/shm an empty writable directory" {
    run sb "${RO[@]}" --dev /dev sh -c 'cat /proc/self/mountinfo; ls -A /dev/shm; touch /dev/shm/x && echo shm-ok'
    assert_status 0
    [[ $(mount_fstype /dev) == tmpfs ]] || fail "fstype: $(mount_fstype /dev)"
    has_opt "$(mount_opts /dev)" nosuid || fail "$(mount_opts /dev)"
    [[ ${lines[-1]} == shm-ok ]] || fail "$output"
}

@test "--dev: /dev/pts is a new devpts instance and /dev/ptmx allocates in it" {
    run sb "${RO[@]}" --dev /dev sh -c 'exec 3<>/dev/ptmx; ls /dev/pts; cat /proc/self/mountinfo'
    assert_status 0
    [[ ${lines[0]} == 0 && ${lines[1]} == ptmx ]] || fail "pts: $output"
    [[ $(mount_fstype /dev/pts) == devpts ]] || fail "fstype: $(mount_fstype /dev/pts)"
    has_opt "$(mount_superopts /dev/pts)" ptmxmode=666 || fail "$(mount_superopts /dev/pts)"
}

@test "--dev at another path" {
    run sb "${T[@]}" --dev /tmp/dev ls -A /tmp/dev
    assert_status 0
    assert_output "$(printf '%s\n' core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero)"
}

# ---------------------------------------------------------------- tmpfs ---

@test "--tmpfs: an empty tmpfs, mode 755, owned by the caller, rw,nosuid,nodev" {
    run sb "${RO[@]}" --tmpfs /tmp sh -c 'ls -A /tmp; stat -c "%a %u %g" /tmp; cat /proc/self/mountinfo'
    assert_status 0
    [[ ${lines[0]} == "755 $(id -u) $(id -g)" ]] || fail "first line: ${lines[0]}"
    [[ $(mount_fstype /tmp) == tmpfs ]] || fail "fstype: $(mount_fstype /tmp)"
    local o
    o=$(mount_opts /tmp)
    has_opt "$o" rw && has_opt "$o" nosuid && has_opt "$o" nodev || fail "options: $o"
    has_opt "$(mount_superopts /tmp)" mode=755 || fail "super options: $(mount_superopts /tmp)"
}

@test "--tmpfs: writes stay in the sandbox" {
    run sb "${RO[@]}" --tmpfs "$BATS_TEST_TMPDIR" sh -c "echo x > '$BATS_TEST_TMPDIR/inside' && ls '$BATS_TEST_TMPDIR'"
    assert_status 0
    assert_output "inside"
    [[ ! -e $BATS_TEST_TMPDIR/inside ]] || fail "file reached the host"
}

@test "--perms sets the mode of a --tmpfs" {
    run sb "${RO[@]}" --perms 1777 --tmpfs /tmp --perms 0700 --tmpfs /var/tmp sh -c 'stat -c %a /tmp /var/tmp; cat /proc/self/mountinfo'
    assert_status 0
    [[ ${lines[0]} == 1777 && ${lines[1]} == 700 ]] || fail "modes: ${lines[0]} ${lines[1]}"
    has_opt "$(mount_superopts /var/tmp)" mode=700 || fail "$(mount_superopts /var/tmp)"
}

@test "--size limits a --tmpfs: size= in mountinfo, writes beyond it fail" {
    run sb "${BASE[@]}" --size 1048576 --tmpfs /tmp sh -c '
        cat /proc/self/mountinfo
        head -c 524288 /dev/zero > /tmp/half && echo half-ok
        head -c 2097152 /dev/zero > /tmp/big 2>/dev/null || echo big-failed'
    assert_status 0
    has_opt "$(mount_superopts /tmp)" size=1024k || fail "super options: $(mount_superopts /tmp)"
    [[ ${lines[-2]} == half-ok && ${lines[-1]} == big-failed ]] || fail "$output"
}

@test "--size applies only to the --tmpfs right after it" {
    run sb "${RO[@]}" --size 2097152 --tmpfs /tmp --tmpfs /var/tmp cat /proc/self/mountinfo
    assert_status 0
    has_opt "$(mount_superopts /tmp)" size=2048k || fail "$(mount_superopts /tmp)"
    ! has_opt "$(mount_superopts /var/tmp)" size=2048k || fail "$(mount_superopts /var/tmp)"
}

# --------------------------------------------------------------- mqueue ---

@test "--mqueue with --unshare-ipc mounts an mqueue filesystem" {
    skip_unless_feature mqueue
    run sb "${T[@]}" --unshare-ipc --mqueue /tmp/mq cat /proc/self/mountinfo
    assert_status 0
    [[ $(mount_fstype /tmp/mq) == mqueue ]] || fail "fstype: $(mount_fstype /tmp/mq) $output"
}

# ------------------------------------------------------------------ dir ---

@test "--dir creates a directory, mode 755, owned by the caller" {
    run sb "${T[@]}" --dir /tmp/d stat -c '%F %a %u' /tmp/d
    assert_status 0
    assert_output "directory 755 $(id -u)"
}

@test "--dir creates missing parents, mode 755" {
    run sb "${T[@]}" --dir /tmp/a/b/c stat -c '%n %a' /tmp/a /tmp/a/b /tmp/a/b/c
    assert_status 0
    assert_output $'/tmp/a 755\n/tmp/a/b 755\n/tmp/a/b/c 755'
}

@test "--perms sets the mode of a --dir" {
    run sb "${T[@]}" --perms 0700 --dir /tmp/d --perms 1777 --dir /tmp/e stat -c %a /tmp/d /tmp/e
    assert_status 0
    assert_output $'700\n1777'
}

@test "--perms without group/other access also withholds it from new parents" {
    run sb "${T[@]}" --perms 0700 --dir /tmp/p/q --perms 0750 --dir /tmp/r/s stat -c '%n %a' /tmp/p /tmp/p/q /tmp/r /tmp/r/s
    assert_status 0
    assert_output $'/tmp/p 700\n/tmp/p/q 700\n/tmp/r 750\n/tmp/r/s 750'
}

@test "--dir on an existing directory keeps it and its mode" {
    run sb "${T[@]}" --perms 0700 --dir /tmp/d --dir /tmp/d --dir /tmp stat -c %a /tmp/d /tmp
    assert_status 0
    assert_output $'700\n755'
}

# ------------------------------------------------------ file / bind-data ---

@test "--file copies the fd's contents to a new file, mode 666" {
    run sb "${T[@]}" --file 3 /tmp/f sh -c 'cat /tmp/f; stat -c "%F %a" /tmp/f' 3<"$S/file"
    assert_status 0
    assert_output $'hello\nregular file 666'
}

@test "--file with --perms, from a pipe, creating parents" {
    run sb "${T[@]}" --perms 0640 --file 3 /tmp/x/y/f sh -c 'cat /tmp/x/y/f; stat -c %a /tmp/x/y/f' 3< <(printf 'line1\nline2\n')
    assert_status 0
    assert_output $'line1\nline2\n640'
}

@test "--file makes a plain file in the sandbox, not a mount" {
    run sb "${T[@]}" --file 3 /tmp/f cat /proc/self/mountinfo 3<"$S/file"
    assert_status 0
    [[ $(mount_count /tmp/f) == 0 ]] || fail "/tmp/f is a mount point"
}

@test "--bind-data: contents, mode 600, a writable bind mount" {
    run sb "${T[@]}" --bind-data 3 /tmp/bd sh -c 'cat /tmp/bd; stat -c %a /tmp/bd; echo more >> /tmp/bd && cat /tmp/bd; cat /proc/self/mountinfo' 3<"$S/file"
    assert_status 0
    [[ ${lines[0]} == hello && ${lines[1]} == 600 && ${lines[2]} == hello && ${lines[3]} == more ]] ||
        fail "$output"
    [[ $(mount_count /tmp/bd) -ge 1 ]] || fail "/tmp/bd is not a mount point"
    has_opt "$(mount_opts /tmp/bd)" rw || fail "$(mount_opts /tmp/bd)"
    [[ $(cat "$S/file") == hello ]] || fail "source changed on the host"
}

@test "--ro-bind-data: contents, mode 600, a read-only bind mount" {
    run sb "${T[@]}" --ro-bind-data 3 /tmp/rbd sh -c 'cat /tmp/rbd; stat -c %a /tmp/rbd; echo more >> /tmp/rbd; cat /proc/self/mountinfo' 3<"$S/file" 2>&1
    assert_status 0
    [[ ${lines[0]} == hello && ${lines[1]} == 600 ]] || fail "$output"
    assert_output_matches 'Read-only file system'
    has_opt "$(mount_opts /tmp/rbd)" ro || fail "$(mount_opts /tmp/rbd)"
}

@test "--perms sets the mode of --bind-data and --ro-bind-data" {
    run sb "${T[@]}" --perms 0644 --bind-data 3 /tmp/a --perms 0444 --ro-bind-data 4 /tmp/b stat -c %a /tmp/a /tmp/b 3<"$S/file" 4<"$S/file"
    assert_status 0
    assert_output $'644\n444'
}

@test "--ro-bind-data onto an existing file in a read-only tree replaces its view" {
    run sb "${RO[@]}" --ro-bind-data 3 /etc/hostname cat /etc/hostname 3< <(echo sandboxed-name)
    assert_status 0
    assert_output "sandboxed-name"
}

# -------------------------------------------------------------- symlink ---

@test "--symlink creates a symlink with the given target (which need not exist)" {
    run sb "${T[@]}" --symlink /etc/hostname /tmp/abs --symlink ../nowhere/x /tmp/d/rel sh -c 'readlink /tmp/abs /tmp/d/rel; cat /tmp/abs'
    assert_status 0
    assert_output "/etc/hostname"$'\n'"../nowhere/x"$'\n'"$(cat /etc/hostname)"
}

@test "--symlink over an identical existing symlink succeeds" {
    run sb "${T[@]}" --symlink target /tmp/l --symlink target /tmp/l readlink /tmp/l
    assert_status 0
    assert_output "target"
}

@test "--symlink usr/bin /bin succeeds when the host's /bin already is that symlink" {
    skip_unless_feature merged-usr
    run sb "${RO[@]}" --symlink usr/bin /bin readlink /bin
    assert_status 0
    assert_output "usr/bin"
}

@test "--symlink over a symlink with another target is an error" {
    run sb "${T[@]}" --symlink one /tmp/l --symlink two /tmp/l true
    assert_error_line "Can't make symlink at /tmp/l: existing destination is one$"
}

@test "--symlink over an existing non-symlink is an error" {
    run sb "${T[@]}" --dir /tmp/d --symlink x /tmp/d true
    assert_error_line "Can't make symlink at /tmp/d: destination exists and is not a symlink$"
}

# ---------------------------------------------------------------- chmod ---

@test "--chmod changes the mode of an existing file and directory" {
    run sb "${T[@]}" --dir /tmp/d --file 3 /tmp/f --chmod 0700 /tmp/d --chmod 0604 /tmp/f stat -c %a /tmp/d /tmp/f 3<"$S/file"
    assert_status 0
    assert_output $'700\n604'
}

@test "--chmod can set setgid/sticky bits" {
    run sb "${T[@]}" --dir /tmp/d --chmod 1777 /tmp/d --chmod 1755 /tmp stat -c %a /tmp/d /tmp
    assert_status 0
    assert_output $'1777\n1755'
}

@test "--chmod of a missing path is an error" {
    run sb "${T[@]}" --chmod 0700 /tmp/nope true
    assert_error_line "Can't chmod 0700 /tmp/nope: No such file or directory$"
}

# ---------------------------------------------------------------- order ---

@test "operations apply in order: a later --tmpfs hides an earlier file" {
    run sb "${T[@]}" --file 3 /tmp/a/f --tmpfs /tmp/a ls -A /tmp/a 3<"$S/file"
    assert_status 0
    assert_output ""
}

@test "operations apply in order: a file created after a --tmpfs is inside it" {
    run sb "${T[@]}" --tmpfs /tmp/a --file 3 /tmp/a/f ls -A /tmp/a 3<"$S/file"
    assert_status 0
    assert_output "f"
}

@test "operations apply in order: the later of two binds on one path wins" {
    mkdir "$BATS_TEST_TMPDIR/other"
    echo other >"$BATS_TEST_TMPDIR/other/file"
    run sb "${T[@]}" --bind "$S" /tmp/x --bind "$BATS_TEST_TMPDIR/other" /tmp/x cat /tmp/x/file
    assert_status 0
    assert_output "other"
    run sb "${T[@]}" --bind "$BATS_TEST_TMPDIR/other" /tmp/x --bind "$S" /tmp/x cat /tmp/x/file
    assert_status 0
    assert_output "hello"
}

@test "operations apply in order: --ro-bind then --bind of one path is writable, the reverse is not" {
    run sb "${T[@]}" --ro-bind "$S" /tmp/x --bind "$S" /tmp/x sh -c 'touch /tmp/x/a 2>/dev/null && echo writable || echo ro'
    assert_status 0
    assert_output "writable"
    run sb "${T[@]}" --bind "$S" /tmp/x --ro-bind "$S" /tmp/x sh -c 'touch /tmp/x/b 2>/dev/null && echo writable || echo ro'
    assert_status 0
    assert_output "ro"
}

@test "operations apply in order: a writable bind inside a read-only bind" {
    run sb "${T[@]}" --ro-bind "$BATS_TEST_TMPDIR" /tmp/t --bind "$S/sub" /tmp/t/src/sub sh -c '
        touch /tmp/t/src/sub/w && echo sub-writable; touch /tmp/t/src/no 2>/dev/null || echo parent-ro'
    assert_status 0
    assert_output $'sub-writable\nparent-ro'
}

@test "operations apply in order: the second --file to one path wins" {
    run sb "${T[@]}" --file 3 /tmp/f --file 4 /tmp/f cat /tmp/f 3< <(echo first) 4< <(echo second)
    assert_status 0
    assert_output "second"
}

@test "operations apply in order: --chmod before the file exists fails, after it works" {
    run sb "${T[@]}" --chmod 0600 /tmp/f --file 3 /tmp/f true 3<"$S/file"
    assert_error_line "Can't chmod 0600 /tmp/f: No such file or directory$"
    run sb "${T[@]}" --file 3 /tmp/f --chmod 0600 /tmp/f stat -c %a /tmp/f 3<"$S/file"
    assert_status 0
    assert_output "600"
}

@test "a relative source is the caller's directory's, as realpath(3) would make it (--bind . DEST)" {
    mkdir -p "$BATS_TEST_TMPDIR/here/sub"
    echo mark >"$BATS_TEST_TMPDIR/here/sub/f"
    cd "$BATS_TEST_TMPDIR/here"
    run sb "${RO[@]}" --tmpfs /mnt --bind . /mnt/a --ro-bind sub/f /mnt/f cat /mnt/a/sub/f /mnt/f
    assert_status 0
    assert_output $'mark\nmark'
}

@test "a mount over a directory that existed hides what earlier ops made there, also from the ops after it" {
    # the parent directory of consecutive destinations is kept open between ops; a mount over it (or above
    # it) must make the next op look it up again, or /x/f2 would go into the covered directory
    run sb "${RO[@]}" --tmpfs /tmp --dir /tmp/x/y --file 3 /tmp/x/f1 --tmpfs /tmp/x --file 4 /tmp/x/f2 \
        --symlink f2 /tmp/x/l ls -A /tmp/x 3</dev/null 4</dev/null
    assert_status 0
    assert_output $'f2\nl'
    run sb "${RO[@]}" --tmpfs /tmp --file 3 /tmp/a/f1 --tmpfs /tmp --file 4 /tmp/a/f2 ls -A /tmp /tmp/a \
        3</dev/null 4</dev/null
    assert_status 0
    assert_output $'/tmp:\na\n\n/tmp/a:\nf2'
}

@test "--proc for an ordinary user: sys, sysrq-trigger, irq and bus stay as they are, and unwritable" {
    # (they belong to the initial namespace's root, who has no uid here: nothing to cover)
    run sb "${RO[@]}" --unshare-pid --proc /proc sh -c '
        awk "\$5 ~ /^\/proc\/(sys|sysrq-trigger|irq|bus)\$/" /proc/self/mountinfo | wc -l
        for f in /proc/sysrq-trigger /proc/sys/kernel/domainname /proc/sys/vm/drop_caches; do
            [ -e "$f" ] || continue
            (echo 1 >"$f") 2>&- && echo "WROTE $f"
        done; echo done'
    assert_status 0
    [[ ${lines[0]} == 0 ]] || fail "covering mounts made: $output"
    refute_output_matches WROTE
    assert_output_matches 'done$'
}
