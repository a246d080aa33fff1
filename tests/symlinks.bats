#!/usr/bin/env bats
# Planted-symlink attacks.  A writable directory $W is bound at /w; an
# earlier sandboxed run could have left symlinks in it.  Setup operations
# whose destination goes through such a symlink must never touch the host
# outside $W: no file created, no mode changed, no content written, no
# mount made.  Each operation may fail (exit 1, one error line) or succeed
# inside the sandbox, but the host stays as it was.

load helpers

setup() {
    require_unprivileged
    skip_unless_feature userns
    W="$BATS_TEST_TMPDIR/w"
    H="$BATS_TEST_TMPDIR/host"
    SRC="$BATS_TEST_TMPDIR/src"
    mkdir -p "$SRC/d"
    echo source-data >"$SRC/f"
    # Enough ".." to climb to the root from wherever /w ends up.
    DOTS=$(printf '../%.0s' {1..40})
    DOTS=${DOTS%/}
    # The sandbox: a fresh root with the host's system directories and this
    # test's directory read-only, and $W writable at /w.
    ROOT=(--ro-bind /usr /usr --ro-bind-try /bin /bin --ro-bind-try /sbin /sbin
        --ro-bind-try /lib /lib --ro-bind-try /lib64 /lib64 --ro-bind-try /lib32 /lib32
        --ro-bind /etc /etc --ro-bind "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR"
        --bind "$W" /w)
}

# Build the pristine $W (with its planted symlinks) and $H once, as
# templates; reset_tree copies them into place.
make_templates() {
    local tw="$BATS_TEST_TMPDIR/template-w" th="$BATS_TEST_TMPDIR/template-h"
    mkdir -p "$tw" "$th/dir"
    echo host-secret >"$th/file"
    chmod 0640 "$th/file"
    chmod 0750 "$th/dir"
    # Links to an existing host directory / file.
    ln -s "$H" "$tw/abs"
    ln -s "/oldroot$H" "$tw/old"
    ln -s "$DOTS$H" "$tw/rel"
    ln -s "$DOTS/oldroot$H" "$tw/relold"
    ln -s "$H/file" "$tw/abs_file"
    ln -s "/oldroot$H/file" "$tw/old_file"
    ln -s "$DOTS$H/file" "$tw/rel_file"
    ln -s "$DOTS/oldroot$H/file" "$tw/relold_file"
    # Dangling links, to a host path that does not exist yet.
    ln -s "$H/new" "$tw/dangling"
    ln -s "/oldroot$H/new" "$tw/dangling_old"
    ln -s "$DOTS$H/new" "$tw/dangling_rel"
    ln -s "$DOTS/oldroot$H/new" "$tw/dangling_relold"
}

# Recreate $W with its planted symlinks (and, with "all", the host tree $H).
reset_tree() {
    [[ -d $BATS_TEST_TMPDIR/template-w ]] || make_templates
    rm -rf "$W" 2>/dev/null || { chmod -R u+rwx "$W"; rm -rf "$W"; }
    cp -a "$BATS_TEST_TMPDIR/template-w" "$W"
    if [[ ${1-} == all ]]; then
        rm -rf "$H" 2>/dev/null || { chmod -R u+rwx "$H"; rm -rf "$H"; }
        cp -a "$BATS_TEST_TMPDIR/template-h" "$H"
    fi
}

# Recreate $W only if an attack added or removed an entry of it (one that
# resolves its destination inside the sandbox may legitimately write there;
# the planted links themselves cannot be altered by any operation).
refresh_w() {
    local now=("$W"/* "$W"/.[!.]*)
    if [[ ${now[*]} != "$W_ENTRIES" ]]; then
        reset_tree
        now=("$W"/* "$W"/.[!.]*)
        W_ENTRIES=${now[*]}
    fi
}

# Destinations for operations that create something.
CREATE_DESTS=(
    /w/abs/new /w/old/new /w/rel/new /w/relold/new
    /w/dangling /w/dangling_old /w/dangling_rel /w/dangling_relold
    /w/dangling/sub /w/dangling_old/sub /w/dangling_rel/sub /w/dangling_relold/sub
    /w/old/dir/new /w/relold/dir/new
)
# Destinations naming an existing host file through a symlink.
FILE_DESTS=(
    /w/abs/file /w/old/file /w/rel/file /w/relold/file
    /w/abs_file /w/old_file /w/rel_file /w/relold_file
)
# Destinations naming an existing host directory through a symlink.
DIR_DESTS=(
    /w/abs /w/old /w/rel /w/relold
    /w/old/dir /w/relold/dir
)

# add_attacks OPTION... : queue one attack per destination, the word @ (or
# a leading @ in @/path) in the options standing for the destination; the
# destinations follow "--".
#   add_attacks --chmod 0777 @ -- /w/old/file /w/abs/file
ATTACKS=()
add_attacks() {
    local opts=() d o a
    while [[ $1 != -- ]]; do
        opts+=("$1")
        shift
    done
    shift
    for d in "$@"; do
        a=
        for o in "${opts[@]}"; do
            [[ $o == @ || $o == @/* ]] && o=$d${o#@}
            a+="$o"$'\x1f'
        done
        ATTACKS+=("${a%$'\x1f'}")
    done
}

# _attack ATTACK: run one queued attack (fd 3 is a data file); record in
# $bad a bad exit: anything but 0 or 1 with exactly one "PREFIX: ..." line.
_attack() {
    local args IFS=$'\x1f'
    set -f
    args=($1)
    set +f
    IFS=$' \t\n'
    status=0
    output=$("$SANDBOX" "${ROOT[@]}" "${args[@]}" true 3<"$SRC/f" 2>&1) || status=$?
    if [[ $status -ne 0 ]]; then
        if [[ $status -ne 1 || $output == *$'\n'* || $output != "$PREFIX: "* ]]; then
            bad+="  [${args[*]}] status $status, output: $output"$'\n'
        fi
    fi
}

# run_attacks: run every queued attack, $W fresh for each, then check that
# the host (the tree $H, mounts, temporary directories, processes) is
# unchanged.  If it changed, run each attack again on its own, on a fresh
# $H, to name the culprits.  Fails listing every problem.
run_attacks() {
    local a args diff="$BATS_TEST_TMPDIR/diff" bad= culprits
    reset_tree all
    W_ENTRIES=
    host_snapshot "$H"
    for a in "${ATTACKS[@]}"; do
        refresh_w
        _attack "$a"
    done
    if ! assert_host_unchanged 2>"$diff"; then
        bad+="  the host changed during the attacks:"$'\n'"$(sed 's/^/      /' "$diff")"$'\n'
        bad+="  culprits (each attack re-run alone on a fresh tree):"$'\n'
        culprits=0
        for a in "${ATTACKS[@]}"; do
            reset_tree all
            host_snapshot "$H"
            _attack "$a"
            if ! assert_host_unchanged 2>"$diff"; then
                IFS=$'\x1f' read -r -a args <<<"$a"
                bad+="  [${args[*]}] HOST CHANGED (status $status, output: $output):"$'\n'
                bad+="$(sed 's/^/      /' "$diff")"$'\n'
                culprits=$((culprits + 1))
            fi
        done
        ((culprits)) || bad+="      none reproduced alone"$'\n'
    fi
    if [[ -n $bad ]]; then
        printf '%s\n' "$bad" >&2
        return 1
    fi
}

@test "the planted links really point at the host tree (sanity check of the setup)" {
    reset_tree all
    host_snapshot "$H"
    [[ $(cat "$W/abs/file") == host-secret ]]
    [[ $(cat "$W/rel/file") == host-secret ]]
    [[ $(cat "$W/abs_file") == host-secret ]]
    [[ ! -e $W/dangling && -L $W/dangling ]]
    # Inside the sandbox the host tree is reachable read-only through /w/abs.
    run sb "${ROOT[@]}" cat /w/abs/file
    assert_status 0
    assert_output "host-secret"
    # The check itself catches a change on the host.
    assert_host_unchanged
    echo changed >"$H/file"
    ! assert_host_unchanged 2>/dev/null || fail "assert_host_unchanged missed a change"
}

@test "--dir through planted symlinks does not create anything on the host" {
    add_attacks --dir @ -- "${CREATE_DESTS[@]}"
    run_attacks
}

@test "--dir with --perms through planted symlinks does not change host modes" {
    add_attacks --perms 0777 --dir @ -- "${DIR_DESTS[@]}"
    add_attacks --perms 0700 --dir @ -- "${CREATE_DESTS[@]}"
    run_attacks
}

@test "--file through planted symlinks does not create or overwrite host files" {
    add_attacks --file 3 @ -- "${CREATE_DESTS[@]}" "${FILE_DESTS[@]}"
    run_attacks
}

@test "--bind-data through planted symlinks does not create or overwrite host files" {
    add_attacks --bind-data 3 @ -- "${CREATE_DESTS[@]}" "${FILE_DESTS[@]}"
    run_attacks
}

@test "--ro-bind-data through planted symlinks does not create or overwrite host files" {
    add_attacks --ro-bind-data 3 @ -- "${CREATE_DESTS[@]}" "${FILE_DESTS[@]}"
    run_attacks
}

@test "--chmod through planted symlinks does not change host modes" {
    add_attacks --chmod 0777 @ -- "${FILE_DESTS[@]}" "${DIR_DESTS[@]}"
    run_attacks
}

@test "--symlink through planted symlinks does not create links on the host" {
    add_attacks --symlink /etc/passwd @ -- "${CREATE_DESTS[@]}"
    run_attacks
}

@test "--tmpfs through planted symlinks does not mount or create anything on the host" {
    add_attacks --tmpfs @ -- "${CREATE_DESTS[@]}" "${DIR_DESTS[@]}"
    run_attacks
}

@test "--bind of a directory through planted symlinks leaves the host alone" {
    add_attacks --bind "$SRC/d" @ -- "${CREATE_DESTS[@]}" "${DIR_DESTS[@]}"
    add_attacks --ro-bind "$SRC/d" @ -- "${CREATE_DESTS[@]}"
    run_attacks
}

@test "--bind of a file through planted symlinks leaves the host alone" {
    add_attacks --bind "$SRC/f" @ -- "${CREATE_DESTS[@]}" "${FILE_DESTS[@]}"
    run_attacks
}

@test "--dev, --proc and --mqueue through planted symlinks leave the host alone" {
    local d=(/w/abs/new /w/old/new /w/relold/new /w/dangling_old /w/dangling_relold)
    add_attacks --dev @ -- "${d[@]}"
    add_attacks --unshare-pid --proc @ -- "${d[@]}"
    if grep -qw mqueue /proc/filesystems; then
        add_attacks --unshare-ipc --mqueue @ -- "${d[@]}"
    fi
    run_attacks
}

@test "a chain of operations through a planted symlink leaves the host alone" {
    add_attacks --dir @/a --file 3 @/a/f --chmod 0777 @/a/f --symlink x @/a/l -- /w/old /w/relold /w/abs
    add_attacks --tmpfs @ --dir @/x -- /w/old /w/relold
    add_attacks --perms 0700 --dir @/deep/er -- /w/dangling_old /w/dangling_relold
    run_attacks
}

@test "in a directory the ops made, a destination that is a symlink made there is followed inside the root" {
    # a new name in a directory of ours is made first, and looked up (through the symlink) when it exists
    run sb "${RO[@]}" --tmpfs /tmp --dir /tmp/x/real --symlink real /tmp/x/link --tmpfs /tmp/x/link \
        --file 3 /tmp/x/real/f --symlink /tmp/x/real/f /tmp/x/flink --ro-bind /etc/hostname /tmp/x/flink \
        sh -c 'grep -c " /tmp/x/real " /proc/self/mountinfo; ls -A /tmp/x; cmp /tmp/x/real/f /etc/hostname && echo same' \
        3</dev/null
    assert_status 0
    assert_output $'1\nflink\nlink\nreal\nsame'
}
