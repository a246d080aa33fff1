# shellcheck shell=bash
#
# Shared helpers for the bats suite.  Every tests/*.bats file does
# `load helpers`.
#
# The binary under test is named by $SANDBOX (tests/run sets it; when it is
# unset we fall back to ./sandbox at the top of the work tree).  The suite is
# written against bubblewrap's semantics, so it can also be pointed at a
# real bwrap:  SANDBOX=/usr/bin/bwrap bats tests/
#
# Tests expect to run as an unprivileged user with HOME and TMPDIR writable,
# except root-*.bats, which require real root (uid 0).
#
# Interface (see the comment above each definition for details):
#   SANDBOX        absolute path of the binary under test
#   PREFIX         message prefix, basename of $SANDBOX (or $SANDBOX_PREFIX)
#   RO             (--ro-bind / /)
#   BASE           (--ro-bind / / --dev /dev --proc /proc)
#   sb ARGS...     run "$SANDBOX" ARGS...
#   fail MSG...    print MSG lines on stderr, return 1
#   assert_status N                 assert_output TEXT (exact)
#   assert_output_matches ERE       refute_output_matches ERE
#   assert_error_line ERE           status 1, exactly one line "^$PREFIX: ERE"
#   host_snapshot [DIR...]          remember host state (+ DIRs recursively)
#   assert_host_unchanged           compare with it, show a diff if changed
#   require_root  require_unprivileged  require_cmd CMD...
#   skip_unless_feature userns|cgroupns|mqueue|merged-usr
#   mount_opts MP  mount_fstype MP  mount_superopts MP  mount_count MP
#   visible_mounts                  (all read mountinfo text from $output)
#   has_opt OPTLIST OPT             OPT in comma-separated OPTLIST
#   host_ns NAME                    e.g. "net:[4026531840]" of the host
#   wait_until SECONDS CMD...       poll CMD every 20 ms, bounded
#   with_only_fds "FD..." CMD...    run CMD with only fds 0-2 and FD... open
#   fd_list_of_ls                   fd numbers from `ls -l /proc/self/fd`
#   proc_field FIELD [FILE]         a /proc/self/status field ($output or FILE)

# `run --separate-stderr` and friends need bats >= 1.5.
bats_require_minimum_version 1.5.0

if [[ -z ${SANDBOX:-} ]]; then
    SANDBOX="$BATS_TEST_DIRNAME/../sandbox"
fi
if [[ $SANDBOX != /* ]]; then
    SANDBOX="$PWD/$SANDBOX"
fi
# Messages are matched as "$PREFIX: ...": "sandbox: ..." for our binary,
# "bwrap: ..." when validating against bubblewrap.  SANDBOX_PREFIX overrides
# it (tests/run copies the binary to .../bin/sandbox, so validating bwrap
# through tests/run needs SANDBOX_PREFIX=bwrap).
PREFIX=${SANDBOX_PREFIX:-${SANDBOX##*/}}
export SANDBOX PREFIX

if [[ ! -x $SANDBOX ]]; then
    echo "helpers.bash: SANDBOX=$SANDBOX is not an executable file" >&2
    return 1
fi

# Common base command: the host's / read-only, nothing else.
RO=(--ro-bind / /)
# The same plus a fresh /dev and a /proc, for commands that need them.
BASE=(--ro-bind / / --dev /dev --proc /proc)

# Run the binary under test.
sb() {
    "$SANDBOX" "$@"
}

# Fail the current test with a message on stderr (shown by bats).
fail() {
    printf '%s\n' "$@" >&2
    return 1
}

_show_run() {
    printf 'status: %s\noutput:\n%s\n' "$status" "$output" >&2
    if [[ -n ${stderr+x} ]]; then
        printf 'stderr:\n%s\n' "$stderr" >&2
    fi
}

# assert_status N: the last `run` exited with status N.
assert_status() {
    if [[ $status -ne $1 ]]; then
        echo "expected exit status $1, got $status" >&2
        _show_run
        return 1
    fi
}

# assert_output TEXT: the last `run` printed exactly TEXT.
assert_output() {
    if [[ $output != "$1" ]]; then
        printf 'expected output:\n%s\n' "$1" >&2
        _show_run
        return 1
    fi
}

# assert_output_matches ERE: the output of the last `run` matches ERE
# (bash =~, unanchored unless the ERE anchors itself).
assert_output_matches() {
    if ! [[ $output =~ $1 ]]; then
        printf 'expected output to match: %s\n' "$1" >&2
        _show_run
        return 1
    fi
}

# refute_output_matches ERE: the output of the last `run` does not match.
refute_output_matches() {
    if [[ $output =~ $1 ]]; then
        printf 'expected output NOT to match: %s\n' "$1" >&2
        _show_run
        return 1
    fi
}

# assert_error_line ERE: the last `run` (stdout and stderr merged, i.e.
# plain `run`) exited with status 1 and printed exactly one line, which
# matches "^$PREFIX: ERE" (the ERE is not anchored at the end).
assert_error_line() {
    local rest
    if [[ $status -ne 1 ]]; then
        echo "expected exit status 1, got $status" >&2
        _show_run
        return 1
    fi
    if [[ -z $output || $output == *$'\n'* ]]; then
        echo "expected exactly one line of output" >&2
        _show_run
        return 1
    fi
    if [[ $output != "$PREFIX: "* ]]; then
        echo "expected the line to start with '$PREFIX: '" >&2
        _show_run
        return 1
    fi
    rest=${output#"$PREFIX: "}
    if ! [[ $rest =~ ^$1 ]]; then
        echo "expected the line to match: ^$PREFIX: $1" >&2
        _show_run
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Host state snapshot.
#
# host_snapshot [DIR...] records:
#   - /proc/self/mountinfo of the test process (the host's mount table),
#   - the entries of $TMPDIR (or /tmp), /tmp and /dev/shm that belong to
#     the current user (the sandbox runs as the caller, so anything it left
#     there is the caller's; other users' temporary files, e.g. a compiler
#     running meanwhile, do not disturb the check),
#   - the processes of the test's session (bats runs a whole file in one
#     session, and whatever the sandbox forks stays in it unless it calls
#     setsid), as "pid args"; zombies re-parented to init are left out, and
#     under bats --jobs only this test's descendants and orphans count,
#   - for each DIR given: a recursive listing (type, mode, owner, size,
#     symlink target) and a checksum of every regular file in it.
# assert_host_unchanged takes the same snapshot again and fails, showing a
# diff, if anything changed.  New processes get up to 1 s to go away (a
# child exiting a moment after the sandbox is not a leak).  Both are cheap
# (mostly bash builtins), so tests may call them in loops.
# ---------------------------------------------------------------------------
_HS_WATCH=()
_HS_SID=
_HS_ROOT=
_HS_NEW=
declare -gA _HS_BEFORE=() _HS_AFTER=()

# _hs_ps: in the snapshot subshell, "pid args" of every process of our
# session except this subshell and its children (the ps and the awk), and
# except zombies already handed to init: reaping them is init's business,
# and some container inits only do it now and then.  When bats runs tests
# in parallel (--jobs), other tests share the session, so only descendants
# of this test's shell and live orphans (parent pid 1) are listed.
_hs_ps() {
    local me=$BASHPID # (inside the pipeline, $BASHPID is the element's own)
    # Always only this test's descendants and orphans: other work in the same session (a second suite, a
    # developer's shell) is none of this test's business.
    local parallel=1
    ps -s "$_HS_SID" -o pid=,ppid=,stat=,args= 2>/dev/null |
        awk -v self="$me" -v root="$_HS_ROOT" -v parallel="$parallel" '
            $1 == self || $2 == self { next }
            $2 == 1 && $3 ~ /^Z/ { next }
            {
                n++; pid[n] = $1; ppid[n] = $2; parent[$1] = $2
                line = $0; sub(/^ *[0-9]+ +[0-9]+ +[^ ]+ +/, "", line); args[n] = line
            }
            function mine(p,    guard) {
                for (guard = 0; guard < 100 && p != "" && p > 1; guard++) {
                    if (p == root) return 1
                    p = parent[p]
                }
                return 0
            }
            END {
                for (i = 1; i <= n; i++)
                    if (!parallel || ppid[i] == 1 || mine(pid[i])) print pid[i], args[i]
            }'
}

# _hs_take ARRAY-NAME [procs]: fill the associative array with a snapshot
# (or, with "procs", refresh just its process list).  One subshell does all
# the listing: forks of the (large) bats shell are what costs time here.
_hs_take() {
    local -n _snap=$1
    local v out d
    if [[ ${2-} != procs ]]; then
        v=
        read -r -d '' v </proc/self/mountinfo || :
        _snap[mountinfo]=$v
        out=$(
            find "${TMPDIR:-/tmp}" /tmp /dev/shm -mindepth 1 -maxdepth 1 \
                \( -uid "$EUID" -o -type l \) -printf '%h/%f\n' 2>/dev/null
            echo "@@tree"
            for d in "${_HS_WATCH[@]}"; do
                find "$d" -printf '%p %y %m %U:%G %s %l\n' -type f -exec cksum {} + 2>&1
            done
            echo "@@procs"
            _hs_ps
        )
        _snap[lists]=${out%%@@tree$'\n'*}
        out=${out#*@@tree$'\n'}
        _snap[tree]=${out%%@@procs*}
        out=${out#*@@procs}
        _snap[procs]=${out#$'\n'}
    else
        _snap[procs]=$(_hs_ps)
    fi
}

# _hs_new_procs: set _HS_NEW to the lines of _HS_AFTER[procs] whose pid is
# not in _HS_BEFORE[procs] (string operations only, no subprocess).
_hs_new_procs() {
    local before=$'\n'${_HS_BEFORE[procs]}$'\n' rest=${_HS_AFTER[procs]}$'\n' line
    _HS_NEW=
    while [[ -n $rest ]]; do
        line=${rest%%$'\n'*}
        rest=${rest#*$'\n'}
        [[ -z $line || $before == *$'\n'"${line%% *} "* ]] && continue
        _HS_NEW+=$line$'\n'
    done
    return 0
}

host_snapshot() {
    local line rest f
    _HS_WATCH=("$@")
    read -r line </proc/self/stat
    rest=${line##*) }
    read -r -a f <<<"$rest"
    _HS_SID=${f[3]}
    _HS_ROOT=$BASHPID
    _HS_BEFORE=()
    _hs_take _HS_BEFORE
}

assert_host_unchanged() {
    local bad=0 k i d="$BATS_TEST_TMPDIR/.host-diff"
    [[ -n $_HS_SID ]] || fail "assert_host_unchanged: no host_snapshot taken"
    _HS_AFTER=()
    _hs_take _HS_AFTER
    for k in mountinfo lists tree; do
        if [[ ${_HS_BEFORE[$k]} != "${_HS_AFTER[$k]}" ]]; then
            echo "host state changed: $k" >&2
            printf '%s\n' "${_HS_BEFORE[$k]}" >"$d.before"
            printf '%s\n' "${_HS_AFTER[$k]}" >"$d.after"
            diff -u "$d.before" "$d.after" >&2 || :
            rm -f "$d.before" "$d.after"
            bad=1
        fi
    done
    for ((i = 0; i < 20; i++)); do
        _hs_new_procs
        [[ -z $_HS_NEW ]] && break
        sleep 0.05
        _HS_AFTER=()
        _hs_take _HS_AFTER
    done
    if [[ -n $_HS_NEW ]]; then
        printf 'processes left behind (zombies included):\n%s' "$_HS_NEW" >&2
        bad=1
    fi
    return "$bad"
}

# ---------------------------------------------------------------------------
# Preconditions.
# ---------------------------------------------------------------------------

# require_root: skip unless running as real root (uid 0).
require_root() {
    if [[ $(id -u) -ne 0 ]]; then
        skip "needs real root (uid 0); running as uid $(id -u)"
    fi
}

# require_unprivileged: skip when running as root (these tests check the
# unprivileged, user-namespace behaviour).
require_unprivileged() {
    if [[ $(id -u) -eq 0 ]]; then
        skip "needs an unprivileged user; running as root"
    fi
}

# require_cmd CMD...: skip unless every CMD is on $PATH.
require_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip "command not available: $c"
    done
}

# skip_unless_feature NAME: skip, saying why, when a kernel/host feature is
# missing.  NAME is one of:
#   userns    unprivileged user namespaces can be created
#   cgroupns  cgroup namespaces (/proc/self/ns/cgroup)
#   mqueue    the mqueue filesystem
#   merged-usr  /bin is the symlink usr/bin
skip_unless_feature() {
    case $1 in
    userns)
        if [[ -r /proc/sys/kernel/unprivileged_userns_clone &&
            $(cat /proc/sys/kernel/unprivileged_userns_clone) == 0 ]]; then
            skip "kernel feature missing: kernel.unprivileged_userns_clone=0"
        fi
        if [[ $(cat /proc/sys/user/max_user_namespaces 2>/dev/null) == 0 ]]; then
            skip "kernel feature missing: user.max_user_namespaces=0"
        fi
        if ! unshare --user true 2>/dev/null; then
            skip "kernel feature missing: cannot create a user namespace (unshare --user failed)"
        fi
        ;;
    cgroupns)
        [[ -e /proc/self/ns/cgroup ]] ||
            skip "kernel feature missing: cgroup namespaces (/proc/self/ns/cgroup absent)"
        ;;
    mqueue)
        grep -qw mqueue /proc/filesystems ||
            skip "kernel feature missing: mqueue filesystem (not in /proc/filesystems)"
        ;;
    merged-usr)
        [[ $(readlink /bin) == usr/bin ]] ||
            skip "host feature missing: /bin is not the symlink usr/bin"
        ;;
    *)
        fail "skip_unless_feature: unknown feature '$1'"
        ;;
    esac
}

# ---------------------------------------------------------------------------
# /proc/self/mountinfo parsing.  These read mountinfo text from $output
# (i.e. run `cat /proc/self/mountinfo` in the sandbox first) and only look at
# visible mounts: a mount is hidden when a later mount (mountinfo lists
# mounts in the order they were made) sits on the same mount point or on a
# directory above it without being one of its ancestors.
# ---------------------------------------------------------------------------
_mount_field() { # FIELD MP   FIELD: opts | fstype | superopts | count | all
    awk -v want="$1" -v mp="$2" '
        # Lines that are not mountinfo lines (other output of the same
        # command) are ignored.
        NF >= 10 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $5 ~ /^\// {
            ++N
            id[N] = $1; par[N] = $2; pt[N] = $5; opts[N] = $6
            for (i = 7; i <= NF; i++) if ($i == "-") break
            fs[N] = $(i + 1); sup[N] = $(i + 3)
            byid[$1] = N
        }
        function is_ancestor(a, n,    p, guard) {
            for (guard = 0; guard < 1000; guard++) {
                p = byid[par[n]]
                if (p == "" || p == n) return 0
                if (p == a) return 1
                n = p
            }
            return 0
        }
        function under(path, top) {
            if (path == top) return 1
            if (top == "/") return 1
            return substr(path, 1, length(top) + 1) == top "/"
        }
        END {
            for (n = 1; n <= N; n++) {
                hidden[n] = 0
                for (m = n + 1; m <= N; m++)
                    if (under(pt[n], pt[m]) && !is_ancestor(m, n)) { hidden[n] = 1; break }
            }
            if (want == "all") {
                for (n = 1; n <= N; n++)
                    if (!hidden[n]) print pt[n], opts[n], fs[n]
                exit
            }
            for (n = 1; n <= N; n++) {
                if (pt[n] != mp) continue
                count++
                if (!hidden[n]) top = n
            }
            if (want == "count") { print count + 0; exit }
            if (top == "") exit 1
            if (want == "opts") print opts[top]
            else if (want == "fstype") print fs[top]
            else print sup[top]
        }' <<<"$output"
}

# visible_mounts: one line "MOUNTPOINT OPTIONS FSTYPE" per visible mount.
visible_mounts() { _mount_field all ""; }
# mount_opts MP: per-mount options (field 6, e.g. "ro,nosuid,nodev,relatime").
mount_opts() { _mount_field opts "$1"; }
# mount_fstype MP: filesystem type of the visible mount at MP.
mount_fstype() { _mount_field fstype "$1"; }
# mount_superopts MP: super block options (e.g. "rw,size=1024k,mode=755").
mount_superopts() { _mount_field superopts "$1"; }
# mount_count MP: how many mounts are listed at MP, hidden or not (0 if none).
mount_count() { _mount_field count "$1"; }

# has_opt OPTLIST OPT: OPT is an element of the comma-separated OPTLIST.
has_opt() {
    [[ ,$1, == *,"$2",* ]]
}

# host_ns NAME: the host's namespace id for NAME, e.g. "net:[4026531840]".
host_ns() {
    readlink "/proc/self/ns/$1"
}

# wait_until SECONDS CMD...: poll CMD every 20 ms until it succeeds;
# fails if it has not succeeded after SECONDS.
wait_until() {
    local limit=$1 i n
    shift
    n=$((limit * 50))
    for ((i = 0; i < n; i++)); do
        "$@" && return 0
        sleep 0.02
    done
    "$@"
}

# with_only_fds "FD..." CMD...: run CMD with every fd above 2 closed except
# the listed ones (bats itself keeps fd 3 and others open).
with_only_fds() {
    local keep=" $1 " p fd
    shift
    (
        for p in /proc/"$BASHPID"/fd/*; do
            fd=${p##*/}
            ((fd > 2)) || continue
            [[ $keep == *" $fd "* ]] && continue
            eval "exec $fd>&-"
        done
        exec "$@"
    )
}

# fd_list_of_ls: turn the output of `ls -l /proc/self/fd` (run inside the
# sandbox, in $output) into the sorted list of open fd numbers, leaving out
# the directory fd that ls itself holds on /proc/<pid>/fd.
fd_list_of_ls() {
    awk '$1 ~ /^l/ && $(NF) !~ "^/proc/[0-9]+/fd$" { print $(NF - 2) }' <<<"$output" |
        sort -n | tr '\n' ' ' | sed 's/ $//'
}

# proc_field FIELD [FILE]: value of "FIELD:" in /proc/self/status-style text
# from FILE (default: $output), words separated by single spaces
# (e.g. proc_field Uid -> "1000 1000 1000 1000").
proc_field() {
    if [[ $# -gt 1 ]]; then
        awk -v f="$1:" '$1 == f { $1 = ""; sub(/^[ \t]+/, ""); print; exit }' "$2"
    else
        awk -v f="$1:" '$1 == f { $1 = ""; sub(/^[ \t]+/, ""); print; exit }' <<<"$output"
    fi
}

# Background sandboxes: start one with `"$SANDBOX" ... 3>&- &` (fd 3 is bats's own), then call bg to record
# it in BG and BG_PIDS; reap_background (from teardown) kills and waits for every one recorded.
BG_PIDS=()
bg() {
    BG=$!
    BG_PIDS+=("$BG")
}

reap_background() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null || :
    done
    for p in "${BG_PIDS[@]}"; do
        wait "$p" 2>/dev/null || :
    done
    BG_PIDS=()
}

# check_caps UID INH PRM EFF BND AMB: the /proc/self/status text in $output has these values (the Uid line's
# first field for UID).
check_caps() {
    local bad= f want got i=2
    got=$(proc_field Uid)
    [[ ${got%% *} == "$1" ]] || bad+=" Uid=${got%% *} (wanted $1);"
    for f in CapInh CapPrm CapEff CapBnd CapAmb; do
        want=${!i}
        got=$(proc_field "$f")
        [[ $got == "$want" ]] || bad+=" $f=$got (wanted $want);"
        i=$((i + 1))
    done
    [[ -z $bad ]] || fail "capabilities:$bad"
}
