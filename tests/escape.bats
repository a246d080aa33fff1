#!/usr/bin/env bats
# Escape battery: attacks a sandboxed command (or a planted file system
# layout) could try against the host, run as an unprivileged user.  Each
# test asserts that the attack fails AND that the host is unchanged
# afterwards, and carries a positive control (the same access works where it
# should: outside, through a writable bind, without the namespace that is
# supposed to stop it...) so that it can fail.
#
# tests/symlinks.bats covers static planted symlinks against every setup op;
# here: a dir/symlink swap race during setup, and planted magic links.
#
# What the kernel guarantees, and what we rely on:
#   - ptrace and the ptrace-guarded parts of /proc (mem, environ, root, cwd,
#     fd, maps...) need the tracer to be in the target's user namespace or to
#     have CAP_SYS_PTRACE over it (commoncap's ptrace check): a sandboxed
#     process, in a child user namespace, can never inspect a host process,
#     even one of the same uid.  Signals only need a matching uid, so without
#     --unshare-pid host processes of the caller CAN be signalled (as with
#     bwrap); --unshare-pid is what hides them.
#   - a mount namespace created by a less privileged user namespace gets its
#     inherited mounts locked (MNT_LOCK_READONLY & co., MNT_LOCKED): a nested
#     `unshare -rm` cannot make a read-only bind writable, nor unmount a mount
#     to reveal what it covers; shared mounts become slaves in such a copy.
#   - setuid bits do nothing under no_new_privs (and our binds are nosuid).
#   - the session keyring is inherited across fork, exec and namespaces and
#     keys are not namespaced: nothing but joining a new session keyring (or
#     a seccomp filter, as Flatpak uses) hides it.  bwrap does neither.

load helpers

setup_file() {
    # One small C helper for what the shell cannot do portably.
    export ESC_BIN="$BATS_FILE_TMPDIR/bin"
    mkdir -p "$ESC_BIN"
    chmod 755 "$BATS_FILE_TMPDIR" "$ESC_BIN"
    export ESC_HELPER='' ESC_HELPER_WHY=''
    if ! command -v cc >/dev/null 2>&1; then
        ESC_HELPER_WHY="no C compiler (cc) to build tests/escape/helper.c"
    elif ! cc -O2 -o "$ESC_BIN/helper" "$BATS_TEST_DIRNAME/escape/helper.c" >"$BATS_FILE_TMPDIR/cc.log" 2>&1; then
        ESC_HELPER_WHY="building tests/escape/helper.c failed: $(head -c 500 "$BATS_FILE_TMPDIR/cc.log")"
    else
        ESC_HELPER="$ESC_BIN/helper"
    fi
}

setup() {
    require_unprivileged
    skip_unless_feature userns
    T=$BATS_TEST_TMPDIR
    BG_PIDS=()
    # A root without the host's: system directories read-only, and the
    # helper.
    SYS=(--ro-bind /usr /usr --ro-bind-try /bin /bin --ro-bind-try /sbin /sbin
        --ro-bind-try /lib /lib --ro-bind-try /lib64 /lib64 --ro-bind-try /lib32 /lib32
        --ro-bind /etc /etc --ro-bind "$ESC_BIN" "$ESC_BIN")
    # Enough ".." to climb to the root from anywhere.
    DOTS=$(printf '../%.0s' {1..40})
    DOTS=${DOTS%/}
}

teardown() {
    reap_background
}

need_helper() {
    [[ -n $ESC_HELPER ]] || skip "$ESC_HELPER_WHY"
}

# Nested user namespaces (util-linux unshare) inside the sandbox, or skip.
need_nested_userns() {
    require_cmd unshare
    local out
    out=$(sb "${BASE[@]}" unshare -rm true 2>&1) ||
        skip "host feature missing: no nested user namespace inside the sandbox (unshare -rm: $out)"
}

# check_no_privs LABEL: the /proc/PID/status text in $output says
# NoNewPrivs: 1 and every capability set is empty.
check_no_privs() {
    local f v bad=
    for f in NoNewPrivs CapInh CapPrm CapEff CapBnd CapAmb; do
        v=$(proc_field "$f")
        case $f in
        NoNewPrivs) [[ $v == 1 ]] || bad+=" $f=$v" ;;
        *) [[ $v =~ ^0+$ ]] || bad+=" $f=$v" ;;
        esac
    done
    [[ -z $bad ]] || fail "$1: privileges left:$bad" "$output"
}

# --------------------------------------------------------- symlink race ---

@test "race: a directory swapped for a symlink during setup never lets setup ops reach the host" {
    need_helper
    local W=$T/w H=$T/host SRC=$T/src O=$T/out k w
    mkdir -p "$W" "$H/dir" "$SRC/d" "$O"
    echo host-secret >"$H/file"
    chmod 0640 "$H/file"
    chmod 0750 "$H/dir" "$H"
    echo data >"$SRC/f"
    # Pairs exchanged back and forth: a real directory (or file) of $W and a
    # symlink to the host tree, absolute, via the staging root's /oldroot,
    # relative, and relative via /oldroot.
    for k in abs old rel relold; do
        mkdir "$W/v_$k"
    done
    ln -s "$H" "$W/s_abs"
    ln -s "/oldroot$H" "$W/s_old"
    ln -s "$DOTS$H" "$W/s_rel"
    ln -s "$DOTS/oldroot$H" "$W/s_relold"
    echo mine >"$W/fv_abs"
    echo mine >"$W/fv_old"
    ln -s "$H/file" "$W/fs_abs"
    ln -s "/oldroot$H/file" "$W/fs_old"
    local t_list
    t_list=$(ls -A "$T")
    host_snapshot "$H" "$SRC"

    # Decoys: inside, the links resolve to these (in the new root), so that
    # setup also succeeds through them, deeper into the code.
    local ROOT=("${SYS[@]}" --dir "$H" --dir "/oldroot$H" --bind "$W" /w)
    "$ESC_HELPER" swap "$W" 2 v_abs s_abs v_old s_old v_rel s_rel v_relold s_relold \
        fv_abs fs_abs fv_old fs_old >"$O/swaps" 2>&1 &
    local swapper=$!
    BG_PIDS+=("$swapper")
    # The swap really swaps (the test would prove nothing otherwise).
    run "$ESC_HELPER" types "$W" v_old
    [[ $output == *d* && $output == *l* ]] || fail "swapper not swapping: v_old was only '$output'"

    local end=$((${EPOCHREALTIME/./} + 1700000))
    for w in 1 2 3 4; do
        (
            n=0
            ks=(abs old rel relold)
            while ((${EPOCHREALTIME/./} < end)); do
                n=$((n + 1))
                k=${ks[n % 4]}
                id=$w.$n
                case $(((n / 4) % 10)) in
                0) op=(--dir "/w/v_$k/d$id") ;;
                1) op=(--file 3 "/w/v_$k/f$id") ;;
                2) op=(--bind-data 3 "/w/v_$k/b$id") ;;
                3) op=(--ro-bind-data 3 "/w/v_$k/r$id") ;;
                4) op=(--symlink /etc/passwd "/w/v_$k/s$id") ;;
                5) op=(--tmpfs "/w/v_$k/t$id") ;;
                6) op=(--bind "$SRC/d" "/w/v_$k/m$id") ;;
                7) op=(--perms 0777 --dir "/w/v_$k/p$id/q") ;;
                8) op=(--chmod 0777 "/w/v_$k") ;;
                9) case $k in
                    abs | rel) op=(--file 3 "/w/fv_${k/rel/abs}") ;;
                    *) op=(--chmod 0666 "/w/fv_old") ;;
                    esac ;;
                esac
                st=0
                out=$(sb "${ROOT[@]}" "${op[@]}" true 3<"$SRC/f" 2>&1) || st=$?
                printf '%s\t%s\t%s\n' "$st" "${op[*]}" "${out//$'\n'/\\n}"
            done >"$O/results.$w"
        ) &
        BG_PIDS+=($!)
    done
    wait "${BG_PIDS[@]:1}"
    wait "$swapper" || fail "swapper failed: $(cat "$O/swaps")"

    assert_host_unchanged
    [[ $(ls -A "$T") == "$t_list" ]] || fail "entries appeared next to the bound dir:" "$(ls -A "$T")"

    # Every run either succeeded or failed cleanly (one error line).
    local runs bad creates through_dir
    runs=$(cat "$O"/results.* | wc -l)
    bad=$(cat "$O"/results.* | awk -F'\t' -v p="$PREFIX: " '
        !($1 == 0 || ($1 == 1 && index($3, p) == 1 && index($3, "\\n") == 0))' | head -5)
    [[ -z $bad ]] || fail "runs that did not succeed or fail cleanly:" "$bad"
    # The race was hit both ways: some runs created their entry in $W (they
    # went through the directory), others did not (they met the symlink).
    creates=$(cat "$O"/results.* | awk -F'\t' '$2 ~ /^--(dir|file 3 \/w\/v_|bind-data|ro-bind-data|symlink|tmpfs|bind|perms)/' | wc -l)
    through_dir=$(find "$W" -mindepth 2 -maxdepth 2 -name '[dfbrstmp][0-9]*' | wc -l)
    echo "# race: $runs runs, $(cat "$O/swaps") swaps, $through_dir of $creates creating runs went through the directory" >&3
    ((runs >= 40)) || fail "only $runs sandbox runs in the race window"
    ((through_dir > 0)) || fail "no run went through the directory: the race was not exercised"
    ((through_dir < creates)) || fail "every run went through the directory: the race was not exercised"
}

# Planted symlinks whose targets are magic links.  During setup our own
# /proc/self/root is the staging root (with the host's at /oldroot) and
# some fd is an O_PATH fd of the host's root: a setup that followed magic
# links while resolving a destination would land on the host.
@test "planted magic-link symlinks (/proc/self/root, /proc/self/fd/N, /dev/fd/N) never reach the host" {
    local W=$T/w H=$T/host SRC=$T/src n t v op bad='' diff=$T/diff
    mkdir -p "$W" "$H/dir" "$SRC/d"
    echo host-secret >"$H/file"
    chmod 0640 "$H/file"
    chmod 0750 "$H/dir"
    echo data >"$SRC/f"
    local targets=("/proc/self/root/oldroot$H" "/proc/thread-self/root/oldroot$H"
        "/proc/self/cwd/oldroot$H" "/proc/1/root/oldroot$H" "/proc/self/root$H")
    for n in 3 4 5 6 7 8 9; do
        targets+=("/proc/self/fd/$n$H" "/dev/fd/$n$H")
    done
    n=0
    for t in "${targets[@]}"; do
        n=$((n + 1))
        ln -s "$t" "$W/m$n"
        ln -s "$t/file" "$W/mf$n"
    done
    # Positive control: outside, a planted link through a magic link is
    # followed by the kernel like any other.
    ln -s "/proc/self/root$H" "$W/control"
    [[ $(cat "$W/control/file") == host-secret ]] || fail "control: magic link not followed on the host"

    # (no loop variable named i: assert_host_unchanged uses a global i)
    local tree0 tree
    tree0=$(find "$H" "$SRC" -printf '%p %y %m %s %l\n' -type f -exec cksum {} +)
    for v in "--unshare-pid --proc /proc --dev /dev" "--proc /proc --dev /dev"; do
        # shellcheck disable=SC2206 # word splitting intended
        local pre=($v)
        host_snapshot "$H" "$SRC"
        for ((n = 1; n <= ${#targets[@]}; n++)); do
            for op in "--dir /w/m$n/new" "--file 3 /w/m$n/newf" "--chmod 0777 /w/m$n" \
                "--tmpfs /w/m$n/t" "--bind $SRC/d /w/m$n/b" "--bind-data 3 /w/m$n/bd" \
                "--symlink x /w/m$n/l" "--file 3 /w/mf$n" "--chmod 0777 /w/mf$n" \
                "--bind $SRC/f /w/mf$n"; do
                # shellcheck disable=SC2086 # word splitting intended
                run sb "${SYS[@]}" "${pre[@]}" --bind "$W" /w $op true 3<"$SRC/f"
                if [[ $status -ne 0 && ($status -ne 1 || $output == *$'\n'* || $output != "$PREFIX: "*) ]]; then
                    bad+="  [$v $op -> ${targets[n - 1]}] status $status: $output"$'\n'
                fi
            done
            # A cheap check per link; the full one per variant below.
            tree=$(find "$H" "$SRC" -printf '%p %y %m %s %l\n' -type f -exec cksum {} +)
            if [[ $tree != "$tree0" ]]; then
                bad+="  [$v, link -> ${targets[n - 1]}] HOST CHANGED:"$'\n'"$(diff <(echo "$tree0") <(echo "$tree") || :)"$'\n'
                rm -rf "$H"
                mkdir -p "$H/dir"
                echo host-secret >"$H/file"
                chmod 0640 "$H/file"
                chmod 0750 "$H/dir"
                chmod 0755 "$H"
            fi
        done
        assert_host_unchanged 2>"$diff" || bad+="  [$v] HOST CHANGED:"$'\n'"$(cat "$diff")"$'\n'
    done
    [[ -z $bad ]] || fail "$bad"
}

# A FIFO planted in a writable bind at a destination: opening it for
# writing would block until someone reads, so an attacker could freeze
# every later sandbox that writes a file there (bwrap 0.8 blocks as well).
@test "a FIFO planted at a --file, --bind-data or --chmod destination does not hang setup" {
    require_cmd timeout mkfifo
    local W=$T/w SRC=$T/src op bad=''
    mkdir -p "$W" "$SRC"
    echo data >"$SRC/f"
    mkfifo "$W/fifo"
    host_snapshot
    for op in "--file 3 /w/fifo" "--bind-data 3 /w/fifo" "--ro-bind-data 3 /w/fifo" \
        "--chmod 0700 /w/fifo" "--bind $SRC/f /w/fifo" "--perms 0700 --file 3 /w/fifo"; do
        # shellcheck disable=SC2086 # word splitting intended
        run timeout -k 1 3 "$SANDBOX" --die-with-parent "${SYS[@]}" --bind "$W" /w $op true 3<"$SRC/f"
        if [[ $status == 124 || $status == 137 ]]; then
            bad+="  [$op] setup hung (killed by timeout, status $status)"$'\n'
        elif [[ $status -ne 0 && ($status -ne 1 || $output == *$'\n'* || $output != "$PREFIX: "*) ]]; then
            bad+="  [$op] status $status: $output"$'\n'
        fi
    done
    [[ -p $W/fifo ]] || bad+="  the FIFO is gone"$'\n'
    assert_host_unchanged
    [[ -z $bad ]] || fail "$bad"
}

# ---------------------------------------------------- host processes ---

@test "with --unshare-pid host processes are invisible and cannot be signalled" {
    sleep 60 &
    local P=$!
    BG_PIDS+=("$P")
    host_snapshot
    # Positive control: without a pid namespace the same uid can signal it
    # (the kernel only compares uids) and sees it in /proc.
    run sb "${BASE[@]}" sh -c 'kill -0 "$1" && echo can-signal; [ -e "/proc/$1" ] && echo visible' sh "$P"
    assert_status 0
    assert_output $'can-signal\nvisible'

    run sb "${BASE[@]}" --unshare-pid sh -c '
        kill -0 "$1" 2>&1; echo "kill0=$?"
        kill -KILL "$1" 2>&1; echo "kill9=$?"
        [ -e "/proc/$1" ] && echo "visible"
        echo pids: $(ls /proc | grep -E "^[0-9]+$")' sh "$P"
    assert_status 0
    assert_output_matches "No such process"
    assert_output_matches $'kill0=1\n'
    assert_output_matches $'kill9=1\n'
    refute_output_matches "visible"
    refute_output_matches "pids:.* $P( |$)"
    kill -0 "$P" || fail "the host process died"
    kill "$P"
    wait "$P" 2>/dev/null || :
    assert_host_unchanged
}

@test "without --unshare-pid host processes of the same uid cannot be ptraced or inspected" {
    need_helper
    sleep 60 &
    local P=$!
    BG_PIDS+=("$P")
    # Positive control: outside, the same user reads its environment (and,
    # unless Yama restricts ptrace, may attach).
    [[ -n $(tr '\0' '\n' <"/proc/$P/environ") ]] || fail "control: cannot read /proc/$P/environ outside"
    local scope
    scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
    if [[ $scope == 0 ]]; then
        run "$ESC_HELPER" ptrace "$P"
        assert_output "attached"
        (: <"/proc/$P/mem") || fail "control: cannot open /proc/$P/mem outside"
    else
        echo "# note: Yama ptrace_scope=$scope, the ptrace and mem controls outside are skipped" >&3
    fi
    host_snapshot
    # $1: a host process of ours; $2: our own parent, the sandbox process
    # outside, whose root is the host's root.
    run sb "${BASE[@]}" sh -c '
        for p in "$1" "$PPID"; do
            cat "/proc/$p/stat" >/dev/null && echo "$p: stat visible"
            for f in environ maps auxv syscall stack io; do
                cat "/proc/$p/$f" >/dev/null 2>&1 && echo "$p: READ $f"
            done
            (: <"/proc/$p/mem") 2>/dev/null && echo "$p: OPENED mem"
            for l in root cwd; do
                ls "/proc/$p/$l/" >/dev/null 2>&1 && echo "$p: FOLLOWED $l"
            done
            # (the fd numbers can be listed: that only needs the uid)
            for n in 0 1 2; do
                readlink "/proc/$p/fd/$n" >/dev/null 2>&1 && echo "$p: READ fd/$n"
                (: <"/proc/$p/fd/$n") 2>/dev/null && echo "$p: OPENED fd/$n"
            done
            readlink "/proc/$p/exe" >/dev/null 2>&1 && echo "$p: READ exe"
            echo "$p: $("$2" ptrace "$p")"
        done' sh "$P" "$ESC_HELPER"
    assert_status 0
    assert_output_matches "^$P: stat visible"
    refute_output_matches "READ|OPENED|FOLLOWED|attached"
    [[ $(grep -c 'ptrace: Operation not permitted' <<<"$output") == 2 ]] || fail "ptrace did not fail with EPERM" "$output"
    kill -0 "$P" || fail "the host process died"
    kill "$P"
    wait "$P" 2>/dev/null || :
    assert_host_unchanged
}

# ------------------------------------------------ writes through ro binds ---

# The attacks on the read-only directory $1; $2 is a writable directory on
# the same file system.  Each success prints a line "DID <what>".
WRITE_ATTACKS='
    d=$1 w=$2
    (echo x >"$d/file") 2>/dev/null && echo "DID write"
    exec 3<"$d/file"
    (echo x >/proc/self/fd/3) 2>/dev/null && echo "DID write via /proc/self/fd"
    exec 3<&-
    (echo x >"/proc/self/root$d/file") 2>/dev/null && echo "DID write via /proc/self/root"
    (echo x >"/proc/$$/root$d/file") 2>/dev/null && echo "DID write via /proc/PID/root"
    truncate -s 0 "$d/file" 2>/dev/null && echo "DID truncate"
    chmod 0777 "$d/file" 2>/dev/null && echo "DID chmod"
    touch -d @0 "$d/file" 2>/dev/null && echo "DID touch"
    ln "$d/file" "$w/hardlink" 2>/dev/null && (echo x >"$w/hardlink") 2>/dev/null && echo "DID write via a hard link"
    mkdir "$d/new" 2>/dev/null && echo "DID mkdir"
    mv "$d/file" "$d/moved" 2>/dev/null && echo "DID rename"
    rm -f "$d/moved" "$d/file" 2>/dev/null && [ ! -e "$d/file" ] && [ ! -e "$d/moved" ] && echo "DID rm"
    true'

@test "--ro-bind cannot be written: directly, via /proc/self/fd, /proc/self/root, a hard link, rename" {
    local D=$T/ro W=$T/w C=$T/control
    mkdir -p "$D" "$W" "$C/w"
    echo orig >"$D/file"
    chmod 0644 "$D/file"
    cp -a "$D/file" "$C/file"
    # Positive control: the same attacks all work through a writable bind.
    run sb "${BASE[@]}" --bind "$C" "$C" sh -c "$WRITE_ATTACKS" sh "$C" "$C/w"
    assert_status 0
    [[ $(grep -c '^DID' <<<"$output") == 11 ]] || fail "control: not every attack worked on a writable bind" "$output"

    host_snapshot "$D" "$W"
    run sb "${BASE[@]}" --bind "$W" "$W" --ro-bind "$D" "$D" sh -c "$WRITE_ATTACKS" sh "$D" "$W"
    assert_status 0
    assert_output ""
    # The ro bind of / is read-only on every submount too: /dev/shm, a
    # tmpfs the caller may write on the host, is read-only inside.
    if [[ -w /dev/shm ]] && mountpoint -q /dev/shm 2>/dev/null; then
        run sb --ro-bind / / sh -c 'touch /dev/shm/sbx-escape-$$ && echo DID write /dev/shm'
        refute_output_matches "DID"
    fi
    assert_host_unchanged
}

@test "mount, remount and umount from inside fail without capabilities" {
    require_cmd mount umount
    local D=$T/ro W=$T/w
    mkdir -p "$D" "$W"
    echo orig >"$D/file"
    host_snapshot "$D" "$W"
    run sb "${BASE[@]}" --bind "$W" "$W" --ro-bind "$D" "$D" sh -c '
        d=$1 w=$2
        mount -o remount,rw "$d" 2>/dev/null && echo "DID remount rw"
        mount -o remount,bind,rw "$d" 2>/dev/null && echo "DID remount bind rw"
        mount -t tmpfs none "$d" 2>/dev/null && echo "DID mount tmpfs"
        mount --bind "$w" "$d" 2>/dev/null && echo "DID mount bind"
        umount "$d" 2>/dev/null && echo "DID umount"
        umount -l "$d" 2>/dev/null && echo "DID umount -l"
        (echo x >"$d/file") 2>/dev/null && echo "DID write"
        grep -F " $d " /proc/self/mountinfo' sh "$D" "$W"
    assert_status 0
    refute_output_matches "DID"
    local opts
    opts=$(mount_opts "$D") || fail "the ro bind is gone" "$output"
    has_opt "$opts" ro || fail "the bind is no longer read-only: $opts"
    [[ $(mount_count "$D") == 1 ]] || fail "a mount appeared on $D" "$output"
    assert_host_unchanged
}

@test "a nested user namespace can neither make a ro bind writable nor unmount what covers the host" {
    need_nested_userns
    local D=$T/ro W=$T/w S=$T/hidden
    mkdir -p "$D" "$W/ro" "$W/own" "$S"
    echo orig >"$D/file"
    echo host-secret >"$S/secret"
    host_snapshot "$D" "$W" "$S"
    # $W/ro: a ro bind over a directory of the writable $W; $S: a host
    # directory hidden by a tmpfs.
    run sb "${BASE[@]}" --bind "$W" "$W" --ro-bind "$D" "$W/ro" --tmpfs "$S" \
        unshare -rm sh -c '
        w=$1 s=$2
        echo "uid $(id -u)"
        # Positive control: our own mount can be remounted and unmounted.
        mount -t tmpfs none "$w/own" && mount -o remount,bind,ro "$w/own" &&
            mount -o remount,bind,rw "$w/own" && umount "$w/own" && echo "own mount ok"
        mount -o remount,rw "$w/ro" 2>/dev/null && echo "DID remount rw"
        mount -o remount,bind,rw "$w/ro" 2>/dev/null && echo "DID remount bind rw"
        mount --bind "$w/ro" "$w/own" 2>/dev/null && {
            mount -o remount,bind,rw "$w/own" 2>/dev/null && echo "DID remount a new bind rw"
            (echo x >"$w/own/file") 2>/dev/null && echo "DID write via a new bind"
        }
        (echo x >"$w/ro/file") 2>/dev/null && echo "DID write"
        umount "$w/ro" 2>/dev/null && echo "DID umount ro"
        umount -l "$w/ro" 2>/dev/null && echo "DID umount -l ro"
        umount "$s" 2>/dev/null && echo "DID umount cover"
        umount -l "$s" 2>/dev/null && echo "DID umount -l cover"
        cat "$s/secret" 2>/dev/null && echo "DID read hidden"
        true' sh "$W" "$S"
    assert_status 0
    assert_output_matches "^uid 0"
    assert_output_matches "own mount ok"
    refute_output_matches "DID|host-secret"
    assert_host_unchanged
}

@test "mounts made in a nested namespace inside never propagate to the host" {
    need_nested_userns
    local W=$T/w prop
    mkdir -p "$W"
    host_snapshot "$W"
    for prop in unchanged shared slave private; do
        run sb "${BASE[@]}" --bind "$W" "$W" unshare -rm --propagation "$prop" sh -c '
            w=$1
            mount -t tmpfs none "$w" && touch "$w/x" && grep -q " $w " /proc/self/mountinfo && echo "mounted on w"
            mount -t tmpfs none /usr && echo "mounted on /usr"
            true' sh "$W"
        assert_status 0
        assert_output $'mounted on w\nmounted on /usr'
    done
    # None of the sandbox's own mounts is a peer of a host mount (a mount
    # event there would propagate back).
    local host_groups
    host_groups=$(grep -oE 'shared:[0-9]+' /proc/self/mountinfo | sort -u)
    run sb "${BASE[@]}" --bind "$W" "$W" --tmpfs /tmp cat /proc/self/mountinfo
    assert_status 0
    local g
    for g in $host_groups; do
        if grep -qE "(^| )$g( |$)" <<<"$output"; then
            fail "a sandbox mount is in the host's peer group $g" "$output"
        fi
    done
    assert_host_unchanged
}

# ------------------------------------------------------ the host's root ---

@test "the host's root is unreachable: no /oldroot, / is its own parent, /proc/1/root is /" {
    local v
    for v in "--unshare-pid" "--unshare-pid --as-pid-1"; do
        # shellcheck disable=SC2086 # word splitting intended
        run with_only_fds "" "$SANDBOX" "${SYS[@]}" $v --proc /proc sh -c '
            ls -A / | tr "\n" " "; echo
            cd /../../.. && pwd -P
            stat -c %d:%i / /.. /proc/1/root/ /proc/1/root/.. /proc/self/root/ | sort -u
            readlink /proc/1/root /proc/self/root
            awk "\$5 ~ /^\/(oldroot|newroot)(\/|\$)/" /proc/self/mountinfo | wc -l
            ls /proc/self/fd | tr "\n" " "'
        assert_status 0
        [[ ${lines[0]} != *oldroot* && ${lines[0]} != *newroot* ]] || fail "[$v] staging dirs visible: ${lines[0]}"
        [[ ${lines[1]} == / ]] || fail "[$v] cd /../../.. left /" "$output"
        [[ ${lines[2]} =~ ^[0-9]+:[0-9]+$ && ${lines[3]} == / ]] ||
            fail "[$v] /, /.., /proc/1/root and /proc/self/root are not all the same directory" "$output"
        [[ ${lines[4]} == / && ${lines[5]} == 0 ]] || fail "[$v] unexpected root links or staging mounts" "$output"
        # 0 1 2 and the fd ls has open on the directory
        [[ ${lines[6]} =~ ^0\ 1\ 2\ [0-9]+\ $ ]] || fail "[$v] the command holds extra fds: ${lines[6]}" "$output"
    done
}

@test "the classic chroot escape from a nested user namespace ends at the sandbox's root" {
    need_helper
    need_nested_userns
    run sb "${SYS[@]}" --proc /proc sh -c '
        stat -c "root %d:%i" /
        unshare -r "$1" chroot-escape /usr' sh "$ESC_HELPER"
    assert_status 0
    [[ ${#lines[@]} == 2 && ${lines[0]} == "root "* ]] || fail "unexpected output" "$output"
    [[ ${lines[0]} == "${lines[1]}" ]] || fail "the chroot escape reached another root" "$output"
}

# ------------------------------------------------------------ privileges ---

# Start "$@" with stdin a fifo we hold open (so su/passwd wait for a
# password), print the Uid: line of its status once it has exec-ed, kill it.
# $1: a writable directory for the fifo.
SUID_PROBE='
    f=$1/fifo.$$; shift
    mkfifo "$f" || exit 1
    "$@" <"$f" >/dev/null 2>&1 &
    p=$!
    exec 5>"$f"
    i=0
    while [ $i -lt 300 ]; do
        n=$(sed -n "s/^Name:[[:space:]]*//p" "/proc/$p/status" 2>/dev/null)
        [ "$n" = "${1##*/}" ] && break
        i=$((i + 1)); sleep 0.01
    done
    echo "$1 uids: $(sed -n "s/^Uid:[[:space:]]*//p" "/proc/$p/status" | tr -s " \t" "  ")"
    kill "$p" 2>/dev/null; exec 5>&-; rm -f "$f"; wait'

@test "setuid binaries inside gain nothing (su, passwd, sudo)" {
    require_cmd su
    local me prog
    me=$(id -u)
    # Positive control: outside, su really is setuid root (unless the host
    # forbids it anyway).
    run bash -c "$SUID_PROBE" probe "$T" su root -c true
    if [[ $output =~ ^su\ uids:\ $me\ 0\  ]]; then
        :
    elif [[ $(proc_field NoNewPrivs /proc/self/status) == 1 ]]; then
        echo "# note: the tests run with no_new_privs, the setuid control outside is skipped" >&3
    else
        fail "control: su is not setuid root outside" "$output"
    fi
    host_snapshot
    for prog in su passwd; do
        command -v "$prog" >/dev/null || continue
        local args=(root -c true)
        [[ $prog == passwd ]] && args=()
        run sb "${BASE[@]}" --tmpfs /tmp --unshare-pid sh -c "$SUID_PROBE" sh /tmp "$prog" "${args[@]}"
        assert_status 0
        if [[ $prog == passwd && $output == "passwd uids: " ]]; then
            # (not setuid, passwd may give up before we look)
            echo "# note: passwd exited before its uids could be read" >&3
            continue
        fi
        assert_output "$prog uids: $me $me $me $me"
    done
    if command -v sudo >/dev/null; then
        run sb "${BASE[@]}" --unshare-pid sudo -n id -u
        [[ $status -ne 0 && $output != 0 ]] || fail "sudo worked inside" "$output"
    fi
    # and run to completion (no password on stdin): no uid 0 either.
    run sb "${BASE[@]}" --unshare-pid sh -c 'su root -c "id -u" </dev/null 2>/dev/null; echo "id -u" | newgrp 2>/dev/null; true'
    ! grep -qx 0 <<<"$output" || fail "something ran as uid 0" "$output"
    assert_host_unchanged
}

@test "NoNewPrivs is 1 and every capability set is empty (plain, pid 2, --as-pid-1, --uid 0, pid 1 reaper)" {
    run sb "${BASE[@]}" cat /proc/self/status
    assert_status 0
    check_no_privs "plain"
    run sb "${BASE[@]}" --unshare-all sh -c 'echo "pid $$"; cat /proc/self/status'
    assert_status 0
    assert_output_matches "^pid 2"
    check_no_privs "--unshare-all, pid 2"
    run sb "${BASE[@]}" --unshare-pid cat /proc/1/status
    assert_status 0
    check_no_privs "the pid 1 reaper"
    run sb "${BASE[@]}" --unshare-pid --as-pid-1 sh -c 'echo "pid $$"; cat /proc/self/status'
    assert_status 0
    assert_output_matches "^pid 1"
    check_no_privs "--as-pid-1"
    # uid 0 in the user namespace: exec gives root the bounding set, empty.
    run sb "${BASE[@]}" --uid 0 --gid 0 sh -c 'id -u; cat /proc/self/status'
    assert_status 0
    assert_output_matches "^0"
    check_no_privs "--uid 0"
    # Positive control: the check sees capabilities where there are some (a
    # nested user namespace has them, in that namespace only).
    if sb "${BASE[@]}" unshare -r true 2>/dev/null; then
        run sb "${BASE[@]}" unshare -r cat /proc/self/status
        assert_status 0
        ! check_no_privs "nested" 2>/dev/null || fail "control: the check missed the nested namespace's caps" "$output"
    fi
}

# ------------------------------------------------ nested user namespaces ---

@test "nested user namespaces are allowed by default" {
    require_cmd unshare
    run sb "${BASE[@]}" unshare -U sh -c 'echo nested'
    assert_status 0
    assert_output "nested"
    run sb "${BASE[@]}" unshare -rm sh -c 'id -u'
    assert_status 0
    assert_output "0"
}

@test "--disable-userns refuses nested user namespaces" {
    require_cmd unshare
    run sb "${BASE[@]}" --unshare-user --disable-userns sh -c '
        unshare -U true 2>/dev/null; echo "unshare -U: $?"
        unshare -rm true 2>/dev/null; echo "unshare -rm: $?"'
    assert_status 0
    assert_output_matches "unshare -U: [1-9]"
    assert_output_matches "unshare -rm: [1-9]"
}

# ------------------------------------------------ abstract unix sockets ---

@test "abstract unix sockets of the host are unreachable with --unshare-net" {
    need_helper
    local name="sbx-escape-$$-$RANDOM" line
    coproc LISTENER { exec "$ESC_HELPER" abstract-listen "$name"; }
    BG_PIDS+=("$LISTENER_PID")
    read -r -t 10 line <&"${LISTENER[0]}" || :
    [[ $line == ready ]] || fail "listener did not start: $line"
    # Positive controls: outside, and inside sharing the host's network.
    run "$ESC_HELPER" abstract-connect "$name"
    assert_output "hello"
    host_snapshot
    run sb "${RO[@]}" "$ESC_HELPER" abstract-connect "$name"
    assert_status 0
    assert_output "hello"
    local v
    for v in --unshare-net --unshare-all; do
        run sb "${RO[@]}" "$v" "$ESC_HELPER" abstract-connect "$name"
        assert_status 1
        assert_output_matches "^error: connect: (Connection refused|No such file or directory)"
    done
    assert_host_unchanged
}

# -------------------------------------------------------------- keyring ---

@test "the caller's session keyring is not readable inside" {
    need_helper
    local out
    # A fresh session keyring for this test, holding a secret.
    out=$("$ESC_HELPER" keyring-run sbx-escape-secret s3cret "$ESC_HELPER" keyring-search sbx-escape-secret 2>&1) ||
        skip "host feature missing: cannot use a session keyring ($out)"
    [[ $out == *"payload s3cret"* ]] || skip "host feature missing: cannot use a session keyring ($out)"
    host_snapshot
    # Outside (control), then inside: the id and description of the session
    # keyring, a search for the key, and a read by serial number.
    local probe='h=$1 where=$2
        echo "$where: $("$h" keyring-id)"
        echo "$where: $("$h" keyring-search sbx-escape-secret)"
        echo "$where: $("$h" keyring-read "$SBX_KEY_SERIAL")"'
    run "$ESC_HELPER" keyring-run sbx-escape-secret s3cret sh -c '
        p=$1 h=$2; shift 2
        sh -c "$p" sh "$h" outside
        "$@" sh -c "$p" sh "$h" inside' sh "$probe" "$ESC_HELPER" "$SANDBOX" "${RO[@]}" --unshare-all
    assert_status 0
    assert_output_matches "outside: payload s3cret"
    [[ $(grep -c "outside: payload s3cret" <<<"$output") == 2 ]] || fail "control: the key is not readable outside" "$output"
    if [[ $output == *"inside: payload"* ]]; then
        fail "the caller's session keyring and its keys are readable inside:" "$output"
    fi
    assert_host_unchanged
}

@test "the reaper (pid 1) holds no fd of ours: nothing in /proc/1/fd leads to the host" {
    # every fd the caller did not pass is closed in the reaper; before this it kept an O_PATH fd of the
    # host's /proc, which the command could open through /proc/1/fd/N
    # (and one pipe: its report of the command's status to the parent)
    run with_only_fds "" "$SANDBOX" "${RO[@]}" --unshare-pid --proc /proc sh -c '
        for f in /proc/1/fd/*; do echo "${f##*/} $(readlink "$f" | sed "s/:.*//")"; done | sort -n | tr "\n" " "'
    assert_status 0
    assert_output_matches "^0 [^ ]+ 1 [^ ]+ 2 [^ ]+ [0-9]+ pipe $"
    run with_only_fds "" "$SANDBOX" "${RO[@]}" --unshare-pid --proc /proc --lock-file /etc/hostname \
        sh -c 'for f in /proc/1/fd/*; do readlink "$f"; done'
    assert_status 0
    refute_output_matches '^/$|^/proc$'
}

@test "a report forged through the reaper's pipe ends the sandbox at once: nothing of it runs on" {
    # The parent stops waiting at the reaper's report of the command's status (before the slow teardown of
    # the namespaces) and kills the reaper: whoever wrote the report, the sandbox cannot outlive it.
    host_snapshot
    local t0=$SECONDS
    run sb "${RO[@]}" --unshare-pid --proc /proc sh -c '
        for f in /proc/1/fd/*; do
            [ "${f##*/}" -gt 2 ] || continue # (its stdio may be pipes too: not those)
            case $(readlink "$f") in pipe:*) printf "\7\0\0\0" >"$f" ;; esac
        done
        sleep 5; echo still running'
    assert_status 7
    refute_output_matches "still running"
    ((SECONDS - t0 < 4)) || fail "the sandbox ran on after the report"
    assert_host_unchanged
}

@test "an fd number used twice by data options fails like bwrap, never reading one of our own fds" {
    run sb "${RO[@]}" --tmpfs /tmp --ro-bind-data 5 /tmp/data --bind-data 5 /tmp/d2 true 5</etc/hostname
    assert_error_line "Can't write data to file /tmp/d2: Bad file descriptor$"
}
