#!/usr/bin/env bats
# The scripts in examples/, run non-interactively: a throwaway shell, a build
# with no network and one writable directory, a desktop program with a home of
# its own.  They call $SANDBOX.
#
# "make check" stages examples/ in SANDBOX_DOCS_DIR (tests/run hands the tests
# a copy); without it these tests are skipped.

load helpers

setup() {
    [[ -n ${SANDBOX_DOCS_DIR:-} ]] ||
        skip "SANDBOX_DOCS_DIR is not set (make check stages the examples there)"
    EX=$SANDBOX_DOCS_DIR/examples
    [[ -x $EX/shell && -x $EX/build && -x $EX/desktop-app ]] || fail "examples missing in $EX"
    skip_unless_feature userns
    export SANDBOX
    # a home of our own, with something in it the sandboxes must not show
    export HOME=$BATS_TEST_TMPDIR/home
    mkdir -p "$HOME"
    echo secret >"$HOME/host-file"
    unset XDG_DATA_HOME XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS WAYLAND_DISPLAY DISPLAY XAUTHORITY
}

teardown() {
    # stops the listener of the network test, if it is still there
    if [[ -d ${BATS_TEST_TMPDIR:-/nonexistent} ]]; then
        : >"$BATS_TEST_TMPDIR/hits.stop"
    fi
}

# ---------------------------------------------------------------------------
# examples/shell
# ---------------------------------------------------------------------------

@test "examples/shell: runs a command in the shell, with an empty home" {
    SHELL=/bin/sh run -0 "$EX/shell" -c 'echo ok; pwd; ls -A ~ | wc -l'
    [[ ${lines[0]} == ok ]] || fail "output: $output"
    [[ ${lines[1]} == "$HOME" ]] || fail "not started in the home: ${lines[1]}"
    [[ ${lines[2]} == 0 ]] || fail "the home is not empty: $output"
}

@test "examples/shell: the host is read-only and the home throwaway" {
    SHELL=/bin/bash run "$EX/shell" -c 'echo x >~/new && echo home-ok; echo y >/usr/sandbox-test-file || echo ro-ok'
    assert_output_matches 'home-ok'
    assert_output_matches 'ro-ok'
    [[ ! -e $HOME/new ]] || fail "a file written in the sandbox's home reached the host"
    [[ -f $HOME/host-file ]]
}

@test "examples/shell: its own pid namespace" {
    SHELL=/bin/sh run -0 "$EX/shell" -c 'ls /proc | grep -c "^[0-9][0-9]*$"'
    ((output < 10)) || fail "sees $output processes"
}

# ---------------------------------------------------------------------------
# examples/build
# ---------------------------------------------------------------------------

@test "examples/build: writes only to the build directory" {
    local dir=$BATS_TEST_TMPDIR/src
    mkdir -p "$dir"
    run -0 "$EX/build" "$dir" sh -c 'pwd; echo built >out; echo x >"$HOME/leak";
        echo y >/usr/leak 2>/dev/null || echo ro-ok; test -e "$HOME/host-file" && echo home-visible; true'
    [[ ${lines[0]} == "$(cd "$dir" && pwd -P)" ]] || fail "not started in the build dir: $output"
    [[ $(cat "$dir/out") == built ]] || fail "the build's output did not reach the build dir"
    assert_output_matches 'ro-ok'
    refute_output_matches 'home-visible'
    [[ ! -e $HOME/leak ]] || fail "the build wrote to the real home"
}

@test "examples/build: no network" {
    local dir=$BATS_TEST_TMPDIR/src
    mkdir -p "$dir"
    run -0 "$EX/build" "$dir" sh -c 'sed 1,2d /proc/net/dev | cut -d: -f1 | tr -d " "; readlink /proc/self/ns/net'
    [[ ${lines[0]} == lo && ${#lines[@]} == 2 ]] || fail "interfaces: $output"
    [[ ${lines[1]} != "$(readlink /proc/self/ns/net)" ]] || fail "the host's network namespace"

    # a server listening on the host's loopback is out of reach: it counts
    # the connections it gets
    require_cmd python3
    local port pid
    python3 - "$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/hits" >/dev/null 2>&1 3>&- <<'EOF' &
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
s.settimeout(0.2)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
hits = 0
end = time.monotonic() + 30
while time.monotonic() < end and not os.path.exists(sys.argv[2] + ".stop"):
    try:
        c, _ = s.accept()
    except OSError:
        continue
    c.close()
    hits += 1
    with open(sys.argv[2], "w") as f:
        f.write(str(hits))
EOF
    pid=$!
    wait_until 10 test -s "$BATS_TEST_TMPDIR/port"
    port=$(cat "$BATS_TEST_TMPDIR/port")
    run bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1 && echo reached' _ "$port"
    [[ $output == reached ]] || fail "the listener is not reachable from the host: $output"
    wait_until 10 test -s "$BATS_TEST_TMPDIR/hits"
    run "$EX/build" "$dir" bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1 && echo reached' _ "$port"
    : >"$BATS_TEST_TMPDIR/hits.stop"
    wait "$pid" || true
    [[ $output != *reached* ]] || fail "the build reached the host's loopback"
    assert_output_matches 'refused|unreachable'
    [[ $(cat "$BATS_TEST_TMPDIR/hits") == 1 ]] || fail "the listener got a connection from the build"
}

@test "examples/build: limits are optional, and given when asked for" {
    local dir=$BATS_TEST_TMPDIR/src
    mkdir -p "$dir"
    run -0 "$EX/build" "$dir" true
    # with limits: a user manager enforces them, else sandbox refuses clearly
    BUILD_MEMORY_MAX=2G BUILD_TASKS_MAX=512 run "$EX/build" "$dir" true
    if ((status != 0)); then
        assert_output_matches 'limit'
    fi
}

@test "examples/build: usage errors" {
    run "$EX/build"
    assert_status 2
    assert_output_matches 'usage'
    run "$EX/build" "$BATS_TEST_TMPDIR/nonexistent" true
    assert_status 2
}

# ---------------------------------------------------------------------------
# examples/desktop-app
# ---------------------------------------------------------------------------

@test "examples/desktop-app: a private home that persists, and no host home files" {
    run -0 "$EX/desktop-app" testapp true
    local private=$HOME/.local/share/sandbox-homes/testapp
    [[ -d $private ]] || fail "no private home made"
    run -0 --separate-stderr "$EX/desktop-app" testapp sh -c 'echo hi >~/greeting; pwd; ls -A ~'
    [[ ${lines[0]} == "$HOME" ]] || fail "not started in the home: $output"
    [[ $output != *host-file* ]] || fail "the host's home files are visible: $output"
    [[ $(cat "$private/greeting") == hi ]] || fail "the private home did not keep the file"
    run -0 --separate-stderr "$EX/desktop-app" testapp cat ~/greeting
    [[ $output == hi ]] || fail "output: $output"
    [[ ! -e $HOME/greeting ]] || fail "written to the real home"
}

@test "examples/desktop-app: only the display socket of the runtime directory" {
    export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
    mkdir -m 700 "$XDG_RUNTIME_DIR"
    echo display >"$XDG_RUNTIME_DIR/wayland-7"
    : >"$XDG_RUNTIME_DIR/bus"
    : >"$XDG_RUNTIME_DIR/pulse"
    export WAYLAND_DISPLAY=wayland-7 DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus
    run -0 "$EX/desktop-app" testapp sh -c \
        'ls -A "$XDG_RUNTIME_DIR"; echo "W=$WAYLAND_DISPLAY D=${DBUS_SESSION_BUS_ADDRESS-unset}";
         cat "$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY"'
    [[ ${lines[0]} == wayland-0 && ${lines[1]} == "W=wayland-0 D=unset" && ${lines[2]} == display ]] ||
        fail "output: $output"
}

@test "examples/desktop-app: without a display it warns and still runs" {
    run -0 --separate-stderr "$EX/desktop-app" testapp echo ran
    [[ $output == ran ]]
    [[ $stderr == *"no Wayland or X11 socket"* ]] || fail "stderr: $stderr"
    run "$EX/desktop-app" 'bad/name' true
    assert_status 2
}
