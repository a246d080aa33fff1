#!/usr/bin/env bats
# Differential: the same command lines through Debian's bwrap and through sandbox, as the same user; what the
# command saw and the exit status must be the same (messages compared after the prefix). Only options that
# bwrap 0.8 has too; the deliberate differences are left out here and listed in COMPAT.md.

load helpers

setup_file() {
    command -v bwrap >/dev/null || skip "Debian's bubblewrap (/usr/bin/bwrap) is the reference here"
    # bwrap refuses to run setuid-less without user namespaces, as we do; both need them
    bwrap --ro-bind / / true 2>/dev/null || skip "bwrap cannot run here: $(bwrap --ro-bind / / true 2>&1)"
}

# same ARGS...: runs both, compares output (with bwrap's prefix made ours) and status
same() {
    local a b sa=0 sb_=0
    a=$(cd "$BATS_TEST_TMPDIR" && bwrap "$@" 2>&1 </dev/null) || sa=$?
    b=$(cd "$BATS_TEST_TMPDIR" && "$SANDBOX" "$@" 2>&1 </dev/null) || sb_=$?
    a=${a//bwrap: /$PREFIX: }
    if [[ $a != "$b" || $sa != "$sb_" ]]; then
        printf 'differs: %s\n--- bwrap (status %s)\n%s\n--- %s (status %s)\n%s\n' "$*" "$sa" "$a" "$PREFIX" "$sb_" "$b"
        return 1
    fi
}

@test "ids, maps, capabilities and no_new_privs" {
    same "${RO[@]}" id
    same "${RO[@]}" --uid 0 --gid 0 id
    same "${RO[@]}" --uid 5 --gid 6 cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups
    same "${RO[@]}" sh -c 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status'
    same "${RO[@]}" --unshare-all sh -c 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status'
}

@test "namespaces: which are new, hostname, network interfaces" {
    local probe='for n in ipc net pid uts cgroup user mnt; do [ "$(readlink /proc/self/ns/$n)" = "$(cat /tmp/host.$n)" ] && echo "$n shared" || echo "$n new"; done'
    local n
    for n in ipc net pid uts cgroup user mnt; do readlink "/proc/self/ns/$n" >"$BATS_TEST_TMPDIR/host.$n"; done
    local T=(--ro-bind / / --bind "$BATS_TEST_TMPDIR" /tmp)
    same "${T[@]}" sh -c "$probe"
    same "${T[@]}" --unshare-ipc --unshare-uts sh -c "$probe"
    same "${T[@]}" --unshare-all sh -c "$probe"
    same "${T[@]}" --unshare-all --share-net sh -c "$probe"
    same "${T[@]}" --share-net --unshare-all sh -c "$probe"
    same "${RO[@]}" --unshare-uts --hostname box hostname
    same "${RO[@]}" --unshare-net ls /sys/class/net
    same "${RO[@]}" --unshare-pid --proc /proc sh -c 'echo $$; ls /proc | grep -c "^[0-9]"'
    same "${RO[@]}" --unshare-pid --as-pid-1 --proc /proc sh -c 'echo $$'
}

@test "the modes of what --dir, --file, --bind-data, --tmpfs and --perms create, and of new parents" {
    same "${RO[@]}" --tmpfs /tmp --dir /tmp/a --perms 0700 --dir /tmp/b --perms 0750 --dir /tmp/c/d \
        --dir /tmp/x/y/z stat -c '%a %n' /tmp /tmp/a /tmp/b /tmp/c /tmp/c/d /tmp/x /tmp/x/y /tmp/x/y/z
    same "${RO[@]}" --tmpfs /tmp --file 0 /tmp/f --perms 0640 --file 0 /tmp/g --bind-data 0 /tmp/h \
        --ro-bind-data 0 /tmp/i/j stat -c '%a %s %n' /tmp/f /tmp/g /tmp/h /tmp/i /tmp/i/j
    same "${RO[@]}" --tmpfs /tmp --ro-bind /etc/hostname /tmp/p/q --symlink t /tmp/r/s --proc /tmp/m/proc \
        stat -c '%a %n' /tmp/p /tmp/r /tmp/m
    same "${RO[@]}" --perms 01777 --tmpfs /tmp/t --size 65536 --tmpfs /tmp/u stat -c '%a %n' /tmp/t /tmp/u
    same "${RO[@]}" --tmpfs /tmp --dir /tmp/d --chmod 0705 /tmp/d stat -c '%a' /tmp/d
}

@test "mount flags of binds, tmpfs, proc, dev and mqueue" {
    # the topmost mount at each place (bwrap leaves the flags of covered ones as they were: COMPAT.md)
    local flags='awk '"'"'{ for (i = 7; $i != "-"; i++) ; top[$5] = $6 " " $(i + 1) } END { for (m in top) print m, top[m] }'"'"' /proc/self/mountinfo | sort'
    same --ro-bind / / --bind /tmp /tmp --dev-bind /dev /dev sh -c "$flags"
    same --ro-bind / / --tmpfs /tmp --unshare-pid --proc /proc sh -c "$flags"
    same --ro-bind /usr /usr --ro-bind /etc /etc --symlink usr/bin /bin --symlink usr/lib /lib \
        --symlink usr/lib64 /lib64 --dev /dev --tmpfs /tmp sh -c "$flags | grep -v ' /dev/console '"
    same "${RO[@]}" --unshare-ipc --mqueue /dev/mqueue sh -c "$flags | grep mqueue"
}

@test "working directory, PWD and the environment" {
    same "${RO[@]}" sh -c 'pwd; echo "$PWD"'
    same "${RO[@]}" --chdir /etc sh -c 'pwd; echo "$PWD"'
    same "${RO[@]}" --chdir etc sh -c 'pwd; echo "$PWD"'
    same --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
        --dir /home/u --setenv HOME /home/u sh -c 'pwd; echo "$PWD"'
    same --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
        --unsetenv HOME sh -c 'pwd; echo "$PWD"'
    same "${RO[@]}" --clearenv --setenv A 1 --setenv B 2 env
    same "${RO[@]}" --setenv A 1 --clearenv --setenv B 2 env
    same "${RO[@]}" --setenv A 1 --unsetenv A --setenv PWD /nowhere sh -c 'echo "${A-unset} $PWD"'
    same "${RO[@]}" --setenv PATH /nonexistent true
}

@test "exit statuses" {
    same "${RO[@]}" sh -c 'exit 7'
    same "${RO[@]}" sh -c 'kill -TERM $$'
    same "${RO[@]}" --unshare-pid sh -c 'kill -KILL $$'
    same "${RO[@]}" --unshare-pid sh -c 'exit 42'
    same "${RO[@]}" /nonexistent/command
}

@test "error messages and statuses for bad command lines" {
    same --bind /a
    same --dev-bind-try a
    same --chdir
    same --remount-ro
    same --setenv A
    same --unsetenv
    same --uid x true
    same --gid -1 true
    same --uid 2147483648 true
    same --perms 8 --dir /x true
    same --perms 010000 --dir /x true
    same --perms 0700 --perms 0700 --dir /x true
    same --perms 0700 --bind / / true
    same --size 0 --tmpfs /x true
    same --size 1k --tmpfs /x true
    same --size 5 --dir /x true
    same --size 9223372036854775808 --tmpfs /x true
    same --hostname x true
    same --as-pid-1 true
    same --bogus-option true
    same -x true
    same --file x /y true
    same --setenv A=B c true
    same --userns-block-fd 3 --unshare-user true
    same --disable-userns true
    same --seccomp 3 --add-seccomp-fd 4 true
    same --exec-label x true
    same --cap-add CAP_BOGUS true
    same --args 3 true 3</dev/null
}

@test "setup errors: missing sources, uncreatable paths, chdir" {
    same --ro-bind / / --ro-bind /nonexistent /x true
    same --ro-bind / / --ro-bind-try /nonexistent /x ls /x
    same --ro-bind / / --dir /etc/nonexistent-dir true
    same --ro-bind / / --tmpfs /nonexistent/x true
    same --ro-bind / / --chdir /nonexistent true
    same --ro-bind / / --tmpfs /tmp --dir /tmp/x --bind /etc/hostname /tmp/x true
    same --ro-bind / / --tmpfs /tmp --file 0 /tmp/ff --bind /etc /tmp/ff true
    same --ro-bind / / --chmod 0700 /nonexistent true
    same --ro-bind / / --file 0 /etc/nonexistent true
}

@test "the command's lookup is execvp's: the shell for a file without #!, glibc's default PATH, EACCES last" {
    printf 'echo "ran by sh: $0 $*"\n' >"$BATS_TEST_TMPDIR/plain"
    chmod 755 "$BATS_TEST_TMPDIR/plain"
    printf 'echo found\n' >"$BATS_TEST_TMPDIR/data"
    same --ro-bind / / ./plain one two
    same --ro-bind / / --setenv PATH "$BATS_TEST_TMPDIR" plain three
    # no PATH at all: /bin:/usr/bin, so a command only in /usr/local/bin is not found
    same_fds "3=$BATS_TEST_TMPDIR/data" --ro-bind / / --tmpfs /usr/local/bin --file 3 /usr/local/bin/onlyhere \
        --chmod 0755 /usr/local/bin/onlyhere --clearenv onlyhere
    # a non-executable match is reported only when no later directory has the command
    same_fds "3=$BATS_TEST_TMPDIR/data" --ro-bind / / --tmpfs /opt --file 3 /opt/true \
        --setenv PATH /opt:/usr/bin true
    same_fds "3=$BATS_TEST_TMPDIR/data" --ro-bind / / --tmpfs /opt --file 3 /opt/nowhere-else \
        --setenv PATH /opt:/usr/bin nowhere-else
    same --ro-bind / / --setenv PATH "" ls
}

@test "setup errors end in bwrap's (glibc's) words for errno, whichever libc sandbox is linked with" {
    # musl words these two "Symbolic link loop" and "Filename too long"
    ln -s loop "$BATS_TEST_TMPDIR/loop"
    same --ro-bind / / --ro-bind loop /x true
    same --ro-bind / / --ro-bind "/$(printf 'n%.0s' {1..300})" /x true
}

# ---------------------------------------------------------------------------
# More command lines: /dev, capabilities, status fds, lock files, seccomp,
# and more bad command lines.
# ---------------------------------------------------------------------------

# same_norm SED-SCRIPT ARGS...: as `same`, with SED-SCRIPT applied to both
# outputs first (for pids, inode numbers and other values that differ from
# run to run).
same_norm() {
    local script=$1 a b sa=0 sb_=0
    shift
    a=$(cd "$BATS_TEST_TMPDIR" && bwrap "$@" 2>&1 </dev/null) || sa=$?
    b=$(cd "$BATS_TEST_TMPDIR" && "$SANDBOX" "$@" 2>&1 </dev/null) || sb_=$?
    a=${a//bwrap: /$PREFIX: }
    a=$(sed -e "$script" <<<"$a")
    b=$(sed -e "$script" <<<"$b")
    if [[ $a != "$b" || $sa != "$sb_" ]]; then
        printf 'differs: %s\n--- bwrap (status %s)\n%s\n--- %s (status %s)\n%s\n' "$*" "$sa" "$a" "$PREFIX" "$sb_" "$b"
        return 1
    fi
}

# same_fds "FD=FILE..." ARGS...: as `same`, but each run gets its own fresh
# read-only open of every FILE as FD (an fd consumed by the first run would
# otherwise be at EOF for the second).
same_fds() {
    local spec=$1 a b sa=0 sb_=0 w redir=
    shift
    for w in $spec; do
        redir+=" ${w%%=*}<\"${w#*=}\""
    done
    a=$(cd "$BATS_TEST_TMPDIR" && eval "exec $redir" && bwrap "$@" 2>&1 </dev/null) || sa=$?
    b=$(cd "$BATS_TEST_TMPDIR" && eval "exec $redir" && "$SANDBOX" "$@" 2>&1 </dev/null) || sb_=$?
    a=${a//bwrap: /$PREFIX: }
    if [[ $a != "$b" || $sa != "$sb_" ]]; then
        printf 'differs: %s [%s]\n--- bwrap (status %s)\n%s\n--- %s (status %s)\n%s\n' "$*" "$spec" "$sa" "$a" "$PREFIX" "$sb_" "$b"
        return 1
    fi
}

# collect CMD...: run CMD (a `same` check), counting failures in _bad
# instead of stopping at the first.
collect() {
    "$@" || _bad=$((_bad + 1))
}

# put NAME TEXT: write TEXT (printf format) to $BATS_TEST_TMPDIR/NAME; the
# path is in $REPLY.
put() {
    REPLY=$BATS_TEST_TMPDIR/$1
    shift
    # shellcheck disable=SC2059
    printf -- "$@" >"$REPLY"
}

@test "/dev made by --dev: names, types, modes, owners, device numbers and link targets" {
    # (the devpts root's owner differs with the id mapping: COMPAT.md)
    same "${RO[@]}" --dev /dev sh -c 'ls -la --time-style=+ /dev | grep -v " pts$"'
    same "${RO[@]}" --dev /dev sh -c 'ls -la --time-style=+ /dev/pts | grep -v " \.$"'
    same "${RO[@]}" --dev /dev sh -c 'echo x >/dev/null && head -c 4 /dev/zero | od -An -tx1 && test -c /dev/urandom && echo ok'
    same "${RO[@]}" --dev /dev --tmpfs /tmp sh -c 'ls -la --time-style=+ /dev/shm; stat -c "%a %F" /dev/shm /dev/pts'
}

@test "capability sets for an unprivileged caller, option by option" {
    local o
    for o in "" "--uid 0 --gid 0" "--cap-add CAP_NET_ADMIN" "--uid 0 --cap-add ALL" \
        "--cap-add ALL --cap-drop cap_sys_admin" "--cap-add 12x" "--cap-add CAP_CHOWN,CAP_KILL" "--cap-add 63" \
        "--cap-drop ALL --cap-add CAP_KILL" "--cap-add CAP_KILL --cap-drop ALL" "--unshare-pid --cap-add ALL"; do
        # shellcheck disable=SC2086
        same "${RO[@]}" $o sh -c 'grep -E "^(Uid|Gid|Groups|Cap|NoNewPrivs)" /proc/self/status'
    done
}

@test "--info-fd and --json-status-fd documents (numbers normalised)" {
    local t=$BATS_TEST_TMPDIR o a b
    for o in "--info-fd 5" "--unshare-all --info-fd 5" "--unshare-pid --unshare-net --json-status-fd 5" \
        "--unshare-ipc --unshare-uts --info-fd 5 --json-status-fd 6"; do
        # shellcheck disable=SC2086
        bwrap "${RO[@]}" $o true 5>"$t/a5" 6>"$t/a6" </dev/null || fail "bwrap $o: status $?"
        # shellcheck disable=SC2086
        "$SANDBOX" "${RO[@]}" $o true 5>"$t/b5" 6>"$t/b6" </dev/null || fail "$PREFIX $o: status $?"
        a=$(cat "$t/a5" "$t/a6" | sed 's/[0-9][0-9]*/N/g')
        b=$(cat "$t/b5" "$t/b6" | sed 's/[0-9][0-9]*/N/g')
        [[ $a == "$b" ]] || fail "[$o] bwrap:" "$a" "[$o] $PREFIX:" "$b"
    done
}

@test "--json-status-fd: the exit line for exit codes, signals, setup and exec failures" {
    local t=$BATS_TEST_TMPDIR a b cmd
    for cmd in "true" "sh -c 'exit 3'" "sh -c 'kill -TERM \$\$'" "/nonexistent/cmd" \
        "--bind /nonexistent /x true" "--unshare-pid sh -c 'kill -KILL \$\$'"; do
        eval "bwrap ${RO[*]} --json-status-fd 5 $cmd" 5>"$t/a" >/dev/null 2>&1 </dev/null || :
        eval "\"\$SANDBOX\" ${RO[*]} --json-status-fd 5 $cmd" 5>"$t/b" >/dev/null 2>&1 </dev/null || :
        a=$(sed 's/[0-9][0-9][0-9][0-9]*/N/g' "$t/a")
        b=$(sed 's/[0-9][0-9][0-9][0-9]*/N/g' "$t/b")
        [[ $a == "$b" ]] || fail "[$cmd] bwrap: $a" "[$cmd] $PREFIX: $b"
    done
}

@test "--lock-file: the lock seen in /proc/locks from inside" {
    : >"$BATS_TEST_TMPDIR/lock"
    same_norm 's/^[0-9]*: \([A-Z]*\) *\([A-Z]*\) *\([A-Z]*\) [0-9]* [0-9a-f:]* \(.*\)$/\1 \2 \3 \4/' \
        "${RO[@]}" --lock-file "$BATS_TEST_TMPDIR/lock" sh -c "grep ':$(stat -c %i "$BATS_TEST_TMPDIR/lock") ' /proc/locks"
    same_norm 's/^[0-9]*: \([A-Z]*\) *\([A-Z]*\) *\([A-Z]*\) [0-9]* [0-9a-f:]* \(.*\)$/\1 \2 \3 \4/' \
        "${RO[@]}" --unshare-pid --proc /proc --lock-file "$BATS_TEST_TMPDIR/lock" \
        sh -c "grep ':$(stat -c %i "$BATS_TEST_TMPDIR/lock") ' /proc/locks"
}

@test "--seccomp and --add-seccomp-fd: what the command sees" {
    command -v cc >/dev/null || skip "no C compiler for tests/helpers/seccomp-gen.c"
    local g=$BATS_TEST_TMPDIR/seccomp-gen
    cc -O2 -o "$g" "${SANDBOX_TESTS_DIR:-$BATS_TEST_DIRNAME}/helpers/seccomp-gen.c" -lseccomp 2>/dev/null ||
        skip "cannot build tests/helpers/seccomp-gen.c (libseccomp-dev)"
    "$g" uname=13 >"$BATS_TEST_TMPDIR/p13"
    "$g" uname=2 mkdir=1 mkdirat=1 >"$BATS_TEST_TMPDIR/p2"
    local P13=$BATS_TEST_TMPDIR/p13 P2=$BATS_TEST_TMPDIR/p2
    same_fds "5=$P2" "${RO[@]}" --tmpfs /tmp --seccomp 5 sh -c 'uname -s; mkdir /tmp/d; grep ^Seccomp: /proc/self/status'
    same_fds "5=$P13 6=$P2" "${RO[@]}" --add-seccomp-fd 5 --add-seccomp-fd 6 uname -s
    same_fds "5=$P13 6=$P2" "${RO[@]}" --add-seccomp-fd 6 --add-seccomp-fd 5 uname -s
    same_fds "5=$P13" "${RO[@]}" --unshare-pid --proc /proc --seccomp 5 sh -c 'grep ^Seccomp: /proc/1/status'
    same_fds "5=$P13 6=$P13" "${RO[@]}" --seccomp 5 --seccomp 6 sh -c 'uname -s; ls /proc/self/fd'
    put bad3 abc
    same_fds "5=$REPLY" "${RO[@]}" --seccomp 5 true
    same_fds "5=$REPLY" "${RO[@]}" --add-seccomp-fd 5 true
    same "${RO[@]}" --add-seccomp-fd 5 true 5</dev/null
}

@test "--proc without a pid namespace, --remount-ro, and nested binds: mount flags" {
    local flags='awk '"'"'{ for (i = 7; $i != "-"; i++) ; top[$5] = $6 " " $(i + 1) } END { for (m in top) print m, top[m] }'"'"' /proc/self/mountinfo | sort'
    same "${RO[@]}" --proc /proc sh -c "$flags | grep '^/proc'"
    same "${RO[@]}" --tmpfs /tmp --dir /tmp/a --bind /tmp/a /tmp/a --remount-ro /tmp/a sh -c "$flags | grep '^/tmp'"
    put data 'payload\n'
    same_fds "5=$REPLY 6=$REPLY" "${RO[@]}" --tmpfs /tmp --ro-bind-data 5 /tmp/data --bind-data 6 /tmp/d2 \
        sh -c "$flags | grep '^/tmp'; cat /tmp/data /tmp/d2"
    same "${RO[@]}" --tmpfs /tmp --perms 0700 --size 1048576 --tmpfs /tmp/s sh -c "grep ' /tmp/s ' /proc/self/mountinfo | sed 's/^[0-9]* [0-9]* [0-9:]* //'"
}

@test "more bad command lines: messages and statuses" {
    _bad=0
    collect same --ro-bind-fd 3
    collect same --bind-fd 3
    collect same --bind-fd "" /a true
    collect same - true
    collect same --userns 3 --unshare-user true 3</proc/self/ns/user
    collect same --userns 3 --unshare-user-try true 3</proc/self/ns/user
    collect same --ro-bind / / --userns 3 true 3</dev/null
    collect same --ro-bind / / --userns 9 true
    collect same --ro-bind / / --assert-userns-disabled true
    collect same --unshare-user --disable-userns --userns-block-fd 3 --info-fd 4 true
    collect same --unshare-user --userns-block-fd 3 true
    collect same --userns-block-fd 3
    collect same --ro-bind / / --unshare-pid --as-pid-1 --lock-file /etc/hostname true
    collect same --ro-bind / / --lock-file /nonexistent true
    collect same --ro-bind / / --seccomp 9 true
    collect same --ro-bind / / --add-seccomp-fd 9 true
    put eight abcdefgh
    collect same_fds "3=$REPLY" --add-seccomp-fd 3 --seccomp 4 true
    collect same --ro-bind / / --cap-add chown true
    collect same --ro-bind / / --cap-drop 64 true
    collect same --cap-add
    collect same --file-label x true
    collect same --ro-bind / / --bind-fd 9 /mnt true
    collect same --ro-bind / / --tmpfs /tmp --file 9 /tmp/x true
    put nested '--args\0003'
    collect same_fds "3=$REPLY" --args 3 true
    put perms '--perms\0000700'
    collect same_fds "3=$REPLY" --args 3 true
    put size '--size\00010'
    collect same_fds "3=$REPLY" --args 3 true
    # one fd for two --file: the second finds it closed
    put data 'payload\n'
    collect same_fds "5=$REPLY" --ro-bind / / --tmpfs /tmp --file 5 /tmp/a --file 5 /tmp/b true
    collect same --ro-bind / / --mqueue /dev/mqueue true
    collect same --ro-bind / / --remount-ro /nonexistent true
    collect same --ro-bind / / --dev-bind /nonexistent /x true
    collect same --ro-bind / / --sync-fd x true
    collect same --ro-bind / / --info-fd -1 true
    collect same --ro-bind / / --json-status-fd "" true
    collect same --ro-bind / / --block-fd 3x true
    collect same --ro-bind / / --chdir / --chdir / true
    collect same --ro-bind / / --hostname a --hostname b --unshare-uts hostname
    collect same --ro-bind / / --tmpfs /tmp --chmod 0800 /tmp true
    collect same --ro-bind / / --tmpfs /tmp --file 0 /tmp/f --chmod 0700 /tmp/f/x true
    ((_bad == 0)) || fail "$_bad command lines behave differently (see above)"
}

@test "--userns-block-fd released with no maps written: the setup error" {
    # the fd is closed: the read fails at once, nothing has mapped the ids
    same --unshare-user --ro-bind / / --info-fd 6 --userns-block-fd 9 true 6>/dev/null
}
