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
