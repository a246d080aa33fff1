#!/usr/bin/env bats
# Hosts where user namespaces cannot be created: sandbox says exactly why and what to do, in one line, exit 1,
# and leaves nothing behind. What can be simulated is: user.max_user_namespaces=0 (inside a user namespace of
# the test's own), the nesting limit that --disable-userns sets, and a seccomp profile refusing clone.

load helpers

setup_file() {
    command -v unshare >/dev/null || skip "unshare(1) from util-linux is needed"
    if command -v cc >/dev/null && [[ -f /usr/include/seccomp.h ]]; then
        cc -O2 -o "$BATS_FILE_TMPDIR/seccomp-gen" "$SANDBOX_TESTS_DIR/helpers/seccomp-gen.c" -lseccomp
    fi
}

@test "user.max_user_namespaces=0: the message names the sysctl and what to do" {
    host_snapshot
    # inside a user namespace of our own we may lower the limit for everything below it
    run unshare -U -r sh -c 'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" --unshare-user --ro-bind / / true' "$SANDBOX"
    assert_error_line 'Creating new namespace failed: user namespaces are switched off here \(user\.max_user_namespaces=0\); set that sysctl above 0$'
    assert_host_unchanged
}

@test "user.max_user_namespaces=0: --unshare-user-try and --unshare-all go on without one, as with bwrap" {
    # (root in a user namespace of our own may make the other namespaces without a new user namespace)
    run unshare -U -r sh -c 'echo 0 >/proc/sys/user/max_user_namespaces && readlink /proc/self/ns/user &&
        for o in --unshare-user-try --unshare-all; do
            "$0" $o --ro-bind / / --proc /proc --unshare-pid sh -c "readlink /proc/self/ns/user; echo \$\$"
        done' "$SANDBOX"
    assert_status 0
    [[ ${#lines[@]} == 5 && ${lines[1]} == "${lines[0]}" && ${lines[3]} == "${lines[0]}" ]] ||
        fail "the command is not in the caller's user namespace" "$output"
    [[ ${lines[2]} == 2 && ${lines[4]} == 2 ]] || fail "no pid namespace of its own" "$output"
}

@test "the same host with the limit above 0 works (control)" {
    run unshare -U -r sh -c 'exec "$0" --unshare-user --ro-bind / / echo ok' "$SANDBOX"
    assert_status 0
    assert_output ok
}

@test "nesting refused by an outer --disable-userns: the ENOSPC message" {
    run sb "${RO[@]}" --unshare-user --disable-userns "$SANDBOX" "${RO[@]}" true
    assert_error_line 'Creating new namespace failed: nesting depth or /proc/sys/user/max_\*_namespaces exceeded \(ENOSPC\)$'
}

@test "a seccomp profile refusing clone (as some container runtimes have): the message says so" {
    [[ -x $BATS_FILE_TMPDIR/seccomp-gen ]] || skip "needs cc and libseccomp's header to build the profile"
    # clone3 answers ENOSYS (the usual container trick to force clone), clone answers EPERM
    "$BATS_FILE_TMPDIR/seccomp-gen" clone3=38 clone=1 >"$BATS_TEST_TMPDIR/noclone.bpf"
    run sb "${RO[@]}" --add-seccomp-fd 5 "$SANDBOX" "${RO[@]}" true 5<"$BATS_TEST_TMPDIR/noclone.bpf"
    assert_error_line 'No permissions to create a new user namespace: a seccomp filter on this process .*refuses it; run sandbox where user namespaces are allowed$'
}
