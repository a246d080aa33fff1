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
