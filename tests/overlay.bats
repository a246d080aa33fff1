#!/usr/bin/env bats
# Overlays: --overlay-src (layers, the last given on top), --overlay RWSRC WORKDIR DEST (writes to the host),
# --tmp-overlay DEST (writes vanish), --ro-overlay DEST (read-only, two layers at least), and their errors.

load helpers

setup() {
    L=$BATS_TEST_TMPDIR/layers
    mkdir -p "$L/low" "$L/high" "$L/up" "$L/work"
    echo low >"$L/low/both"
    echo high >"$L/high/both"
    echo only-low >"$L/low/a"
    echo only-high >"$L/high/b"
    # overlayfs in a user namespace needs Linux 5.11; say so rather than fail on an older kernel
    run sb "${RO[@]}" --overlay-src "$L/low" --tmp-overlay /mnt true
    if [[ $status != 0 && $output == *"Can't make overlay mount"* ]]; then
        skip "this kernel refuses overlayfs in a user namespace: $output"
    fi
}

@test "--tmp-overlay: the layers merge, the last --overlay-src is the top one" {
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay-src "$L/high" --tmp-overlay /mnt \
        sh -c 'cat /mnt/both /mnt/a /mnt/b'
    assert_status 0
    assert_output $'high\nonly-low\nonly-high'
}

@test "--tmp-overlay: writes work inside and never reach the host's layers" {
    host_snapshot "$L"
    run sb "${RO[@]}" --overlay-src "$L/low" --tmp-overlay /mnt \
        sh -c 'echo new >/mnt/new && echo changed >/mnt/a && rm /mnt/both && cat /mnt/new /mnt/a; ls /mnt'
    assert_status 0
    assert_output $'new\nchanged\na\nnew'
    assert_host_unchanged
}

@test "--overlay RWSRC WORKDIR DEST: writes land in RWSRC on the host, the layer stays as it was" {
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay "$L/up" "$L/work" /mnt \
        sh -c 'echo new >/mnt/new && echo changed >/mnt/a'
    assert_status 0
    [[ $(cat "$L/up/new") == new && $(cat "$L/up/a") == changed ]] || fail "upper: $(ls -la "$L/up")"
    [[ $(cat "$L/low/a") == only-low ]] || fail "the lower layer changed"
    # and a second sandbox sees the result
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay "$L/up" "$L/work" /mnt cat /mnt/a /mnt/new
    assert_output $'changed\nnew'
}

@test "--ro-overlay: merged and read-only" {
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay-src "$L/high" --ro-overlay /mnt \
        sh -c 'cat /mnt/both; echo x >/mnt/x'
    assert_status 2
    assert_output_matches $'^high\n.*Read-only file system'
}

@test "overlay mount points are created as needed, and mountinfo shows an overlay" {
    run sb "${RO[@]}" --tmpfs /tmp --overlay-src "$L/low" --tmp-overlay /tmp/a/b/c cat /proc/self/mountinfo
    assert_status 0
    [[ $(mount_fstype /tmp/a/b/c) == overlay ]] || fail "fstype: $(mount_fstype /tmp/a/b/c)"
}

@test "a layer path with ':' and ',' in it is escaped for overlayfs" {
    mkdir -p "$BATS_TEST_TMPDIR/odd:na,me"
    echo odd >"$BATS_TEST_TMPDIR/odd:na,me/f"
    run sb "${RO[@]}" --overlay-src "$BATS_TEST_TMPDIR/odd:na,me" --tmp-overlay /mnt cat /mnt/f
    assert_status 0
    assert_output odd
}

@test "--overlay-src not followed by an overlay is an error" {
    run sb "${RO[@]}" --overlay-src "$L/low" true
    assert_error_line '--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay$'
    run sb "${RO[@]}" --overlay-src "$L/low" --dir /x true
    assert_error_line '--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay$'
    run sb "${RO[@]}" --overlay-src
    assert_error_line '--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay$'
}

@test "overlays without enough --overlay-src are errors" {
    run sb "${RO[@]}" --tmp-overlay /mnt true
    assert_error_line '--tmp-overlay requires at least one --overlay-src$'
    run sb "${RO[@]}" --overlay "$L/up" "$L/work" /mnt true
    assert_error_line '--overlay requires at least one --overlay-src$'
    run sb "${RO[@]}" --overlay-src "$L/low" --ro-overlay /mnt true
    assert_error_line '--ro-overlay requires at least two --overlay-src$'
}

@test "overlay options missing their arguments" {
    run sb --overlay-src "$L/low" --overlay a b
    assert_error_line '--overlay takes three arguments$'
    run sb --overlay-src "$L/low" --tmp-overlay
    assert_error_line '--tmp-overlay takes an argument$'
    run sb --overlay-src "$L/low" --overlay-src "$L/high" --ro-overlay
    assert_error_line '--ro-overlay takes an argument$'
}

@test "a missing layer is an error naming it, and nothing is left on the host" {
    host_snapshot
    run sb "${RO[@]}" --overlay-src "$L/nonexistent" --tmp-overlay /mnt true
    assert_error_line "Can't find source path $L/nonexistent: No such file or directory$"
    assert_host_unchanged
}

@test "upper and work directories that overlap: the overlayfs error, one line" {
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay "$L/up" "$L/up" /mnt true
    assert_status 1
    assert_error_line "Can't make overlay mount on /newroot/mnt with options "
}

# ---------------------------------------------------------------------------
# More on layers, the mounts made, and the exact error texts.
# ---------------------------------------------------------------------------

@test "three layers: each name shows the topmost layer that has it" {
    mkdir -p "$L/mid"
    echo mid >"$L/mid/both"
    echo mid-a >"$L/mid/a"
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay-src "$L/mid" --overlay-src "$L/high" --ro-overlay /mnt \
        sh -c 'cat /mnt/both /mnt/a /mnt/b'
    assert_status 0
    assert_output $'high\nmid-a\nonly-high'
    run sb "${RO[@]}" --overlay-src "$L/high" --overlay-src "$L/mid" --overlay-src "$L/low" --ro-overlay /mnt \
        sh -c 'cat /mnt/both /mnt/a /mnt/b'
    assert_status 0
    assert_output $'low\nonly-low\nonly-high'
}

@test "the overlay's lowerdir lists the last --overlay-src first" {
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay-src "$L/high" --tmp-overlay /mnt cat /proc/self/mountinfo
    assert_status 0
    [[ $(mount_superopts /mnt) =~ (^|,)lowerdir=[^,]*$L/high:[^,]*$L/low(,|$) ]] ||
        fail "superblock options: $(mount_superopts /mnt)"
    has_opt "$(mount_superopts /mnt)" userxattr || fail "no userxattr: $(mount_superopts /mnt)"
}

@test "overlay mounts get no nosuid/nodev of their own (MS_MGC_VAL only)" {
    run sb "${RO[@]}" --tmpfs /tmp --overlay-src "$L/low" --tmp-overlay /tmp/o cat /proc/self/mountinfo
    assert_status 0
    local o
    o=$(mount_opts /tmp/o)
    has_opt "$o" rw || fail "/tmp/o: $o"
    ! has_opt "$o" nosuid && ! has_opt "$o" nodev && ! has_opt "$o" ro || fail "/tmp/o: $o"
}

@test "--ro-overlay: the overlay has no upper layer and its superblock is read-only" {
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay-src "$L/high" --ro-overlay /mnt cat /proc/self/mountinfo
    assert_status 0
    local s
    s=$(mount_superopts /mnt)
    has_opt "$s" ro || fail "superblock: $s"
    [[ $s != *upperdir=* && $s != *workdir=* ]] || fail "superblock: $s"
}

@test "two --tmp-overlay mounts are independent, with upper dirs numbered in order" {
    run sb "${RO[@]}" --overlay-src "$L/low" --tmp-overlay /mnt --overlay-src "$L/low" --tmp-overlay /opt \
        sh -c 'echo one >/mnt/new; if [ -e /opt/new ]; then echo present; else echo absent; fi; cat /proc/self/mountinfo'
    assert_status 0
    [[ ${lines[0]} == absent ]] || fail "a write to /mnt shows in /opt: ${lines[0]}"
    has_opt "$(mount_superopts /mnt)" upperdir=/tmp-overlay-upper-0 &&
        has_opt "$(mount_superopts /mnt)" workdir=/tmp-overlay-work-0 || fail "/mnt: $(mount_superopts /mnt)"
    has_opt "$(mount_superopts /opt)" upperdir=/tmp-overlay-upper-1 &&
        has_opt "$(mount_superopts /opt)" workdir=/tmp-overlay-work-1 || fail "/opt: $(mount_superopts /opt)"
}

@test "--tmp-overlay: what was written is gone in the next sandbox" {
    run sb "${RO[@]}" --overlay-src "$L/low" --tmp-overlay /mnt sh -c 'echo x >/mnt/new'
    assert_status 0
    run sb "${RO[@]}" --overlay-src "$L/low" --tmp-overlay /mnt ls /mnt
    assert_status 0
    assert_output $'a\nboth'
}

@test "--overlay: a deleted lower file becomes a whiteout in RWSRC and stays hidden" {
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay "$L/up" "$L/work" /mnt sh -c 'rm /mnt/both && ls /mnt'
    assert_status 0
    assert_output a
    [[ $(stat -c '%F %t:%T' "$L/up/both") == "character special file 0:0" ]] ||
        fail "upper/both: $(stat -c '%F %t:%T' "$L/up/both")"
    [[ $(<"$L/low/both") == low ]] || fail "the lower layer changed"
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay "$L/up" "$L/work" /mnt ls /mnt
    assert_output a
}

@test "relative --overlay-src and --overlay paths are the caller's directory's" {
    cd "$L"
    run sb "${RO[@]}" --overlay-src low --overlay-src high --overlay up work /mnt sh -c 'cat /mnt/both; echo rel >/mnt/r'
    assert_status 0
    assert_output high
    [[ $(<"$L/up/r") == rel ]] || fail "upper: $(ls -la "$L/up")"
}

@test "new parents of an overlay's DEST are made with mode 0700" {
    run sb "${RO[@]}" --tmpfs /tmp --overlay-src "$L/low" --tmp-overlay /tmp/p/q/o stat -c '%a %n' /tmp/p /tmp/p/q
    assert_status 0
    assert_output $'700 /tmp/p\n700 /tmp/p/q'
}

@test "--overlay-src followed by --perms is an error too" {
    run sb "${RO[@]}" --overlay-src "$L/low" --perms 0700 --dir /x true
    assert_error_line '--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay$'
}

@test "--overlay-src pending at the end of an --args file is an error" {
    run sb "${RO[@]}" --args 5 --tmp-overlay /mnt true 5< <(printf -- '--overlay-src\0%s' "$L/low")
    assert_error_line '--overlay-src must be followed by another --overlay-src or one of --overlay, --tmp-overlay, or --ro-overlay$'
}

@test "--overlay: a missing RWSRC or WORKDIR is an error naming it" {
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay "$L/nonexistent" "$L/work" /mnt true
    assert_error_line "Can't find source path $L/nonexistent: No such file or directory$"
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay "$L/up" "$L/nonexistent" /mnt true
    assert_error_line "Can't find source path $L/nonexistent: No such file or directory$"
}

@test "overlapping layers (ELOOP): 'Overlay directories may not overlap', with the whole option string" {
    mkdir -p "$L/low/sub"
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay-src "$L/low/sub" --ro-overlay /mnt true
    assert_status 1
    assert_output "$PREFIX: Can't make overlay mount on /newroot/mnt with options lowerdir=/oldroot$L/low/sub:/oldroot$L/low,userxattr: Overlay directories may not overlap"
}

@test "upper and work directories the same (EINVAL): the message shows the whole option string" {
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay "$L/up" "$L/up" /mnt true
    assert_status 1
    assert_output "$PREFIX: Can't make overlay mount on /newroot/mnt with options upperdir=/oldroot$L/up,workdir=/oldroot$L/up,lowerdir=/oldroot$L/low,userxattr: Invalid argument"
}

@test "--tmp-overlay errors show the tmp-overlay option string" {
    mkdir -p "$L/low/sub"
    run sb "${RO[@]}" --overlay-src "$L/low" --overlay-src "$L/low/sub" --tmp-overlay /mnt true
    assert_status 1
    assert_output "$PREFIX: Can't make overlay mount on /newroot/mnt with options upperdir=/tmp-overlay-upper-0,workdir=/tmp-overlay-work-0,lowerdir=/oldroot$L/low/sub:/oldroot$L/low,userxattr: Overlay directories may not overlap"
}

@test "',' ':' and '\\' in layer paths are escaped in the option string" {
    local odd="$BATS_TEST_TMPDIR/o,d:d\\x"
    mkdir -p "$odd/sub"
    echo odd >"$odd/f"
    run sb "${RO[@]}" --overlay-src "$odd" --overlay-src "$L/high" --ro-overlay /mnt cat /mnt/f /mnt/both
    assert_status 0
    assert_output $'odd\nhigh'
    run sb "${RO[@]}" --overlay-src "$odd" --overlay-src "$odd/sub" --ro-overlay /mnt true
    local esc=${odd//\\/\\\\}
    esc=${esc//,/\\,}
    esc=${esc//:/\\:}
    assert_status 1
    assert_output "$PREFIX: Can't make overlay mount on /newroot/mnt with options lowerdir=/oldroot$esc/sub:/oldroot$esc,userxattr: Overlay directories may not overlap"
}

@test "an overlay DEST that is a file: Can't mkdir" {
    run sb "${RO[@]}" --tmpfs /tmp --file 5 /tmp/f --overlay-src "$L/low" --tmp-overlay /tmp/f true 5</dev/null
    assert_error_line "Can't mkdir /tmp/f: Not a directory$"
}
