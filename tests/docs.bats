#!/usr/bin/env bats
# The man page and the shell completions: generated from the option table,
# they must name exactly the options --help lists; the man page must render
# without warnings; each completion must offer options, paths, fds,
# capabilities and commands where they belong.
#
# "make check" stages sandbox.1 and completions/ in SANDBOX_DOCS_DIR (tests/run
# hands the tests a copy); without it these tests are skipped.

load helpers

setup() {
    [[ -n ${SANDBOX_DOCS_DIR:-} ]] ||
        skip "SANDBOX_DOCS_DIR is not set (make check sets it to the generated man page and completions)"
    DOCS=$SANDBOX_DOCS_DIR
    MAN=$DOCS/sandbox.1
    BASH_COMP=$DOCS/completions/bash/sandbox
    ZSH_COMP=$DOCS/completions/zsh/_sandbox
    FISH_COMP=$DOCS/completions/fish/sandbox.fish
    HARNESS=$SANDBOX_TESTS_DIR/docs
    # the completions complete "sandbox": it must be a command (fish insists)
    PATH=${SANDBOX%/*}:$PATH
    export PATH
}

# The options of --help, sorted, one a line.
help_options() {
    "$SANDBOX" --help | sed -n 's/^    \(--[a-z0-9-]*\).*/\1/p' | sort -u
}

# Fails showing both lists when the option list on stdin differs from --help's.
same_as_help() { # $1 = what the list is
    local got want
    got=$(sort -u)
    want=$(help_options)
    [[ -n $want ]] || fail "--help lists no options"
    if [[ $got != "$want" ]]; then
        fail "$1 and --help disagree (< --help, > $1):" "$(diff <(echo "$want") <(echo "$got"))"
    fi
}

# Fails unless every line of $2 is one of the lines of $1 (a listing).
assert_offers() { # $1 = output, $2... = words that must be among its lines
    local w
    shift_output=$1
    shift
    for w in "$@"; do
        grep -qxF -- "$w" <<<"$shift_output" || fail "'$w' not offered; got:" "$shift_output"
    done
}

refute_offers() {
    local w
    shift_output=$1
    shift
    for w in "$@"; do
        if grep -qxF -- "$w" <<<"$shift_output"; then
            fail "'$w' offered, and should not be; got:" "$shift_output"
        fi
    done
}

# ---------------------------------------------------------------------------
# man page
# ---------------------------------------------------------------------------

@test "man page: the OPTIONS section documents exactly the options of --help" {
    [[ -f $MAN ]] || fail "no $MAN"
    # each option is a tagged paragraph: .TP, then \fB\-\-name\fR and its metavars
    sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$MAN" | grep -A1 '^\.TP$' | sed -n 's/^\\fB\(\\-\\-[a-z0-9\\-]*\)\\fR.*/\1/p' | sed 's/\\-/-/g' |
        same_as_help "the man page's OPTIONS"
}

@test "man page: each option comes with its metavars and help text, grouped as in --help" {
    local name meta help group line want got
    # --help: "    --name METAVAR     help"; the man page: .SS group, .TP, tag, text
    # (metavars are upper-case words after single blanks; the help follows the padding)
    want=$("$SANDBOX" --help | sed -En 's/^([A-Z].*):$/SS \1/p; s/^    (--[a-z0-9-]+)(( [A-Z][A-Z0-9]*)*) +.*/TP \1\2/p')
    got=$(sed -n '/^\.SH OPTIONS/,/^\.SH /{s/^\.SS /SS /p; /^\.TP$/{n;s/\\f[BIR]//g;s/\\-/-/g;s/^/TP /p}}' "$MAN")
    [[ $got == "$want" ]] || fail "groups or metavars differ (< --help, > man page):" \
        "$(diff <(echo "$want") <(echo "$got"))"
    # and each help text, as words
    while IFS= read -r line; do
        [[ $line =~ ^\ \ \ \ (--[a-z0-9-]+)((\ [A-Z][A-Z0-9]*)*)\ +(.*)$ ]] || continue
        name=${BASH_REMATCH[1]} help=${BASH_REMATCH[4]}
        got=$(awk -v tag="$name" '
            /^\.TP$/ { getline t; gsub(/\\f[BIR]/, "", t); gsub(/\\-/, "-", t); split(t, w, " ");
                       if (w[1] == tag) { getline h; print h; exit } }' "$MAN" |
            sed 's/\\f[BIR]//g; s/\\-/-/g; s/\\e/\\/g; s/^\\&//')
        [[ ${got%.} == "${help%.}" ]] || fail "$name: help text differs" "  --help: $help" "  man:    $got"
    done < <("$SANDBOX" --help)
}

@test "man page: renders without warnings (man --warnings)" {
    require_cmd man groff
    run -0 --separate-stderr env MANWIDTH=80 man --warnings -E UTF-8 -l "$MAN"
    [[ -z $stderr ]] || fail "man --warnings said:" "$stderr"
    [[ $output == *SANDBOX* ]] || fail "nothing rendered"
    run -0 --separate-stderr groff -man -ww -z "$MAN"
    [[ -z $stderr ]] || fail "groff -ww said:" "$stderr"
}

@test "man page: has the sections a reader looks for" {
    require_cmd man
    local s
    run -0 env MANWIDTH=80 man -l "$MAN"
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES SECURITY EXAMPLES "SEE ALSO"; do
        grep -qx "$s" <<<"$output" || fail "no section $s"
    done
    for s in "bwrap(1)" "systemd-run(1)" "user_namespaces(7)" "--memory-max 2G --tasks-max 512" \
        "sandbox --ro-bind / / --unshare-pid bash" max_user_namespaces TIOCSTI DBUS_SESSION_BUS_ADDRESS \
        XDG_RUNTIME_DIR no_new_privs; do
        grep -qF -- "$s" <<<"$output" || fail "the man page does not mention: $s"
    done
}

@test "man page: every option the text mentions exists" {
    require_cmd man
    local opts bad=() o
    run -0 env MANWIDTH=200 man -l "$MAN"
    opts=$(help_options)
    for o in $(grep -oE -- '(^|[^[:alnum:]-])--[a-z][a-z0-9-]*' <<<"$output" | sed 's/^[^-]*//' | sort -u); do
        grep -qxF -- "$o" <<<"$opts" || bad+=("$o")
    done
    ((${#bad[@]} == 0)) || fail "the man page names options sandbox does not have: ${bad[*]}"
}

# ---------------------------------------------------------------------------
# the completion files name the same options
# ---------------------------------------------------------------------------

@test "completions: bash, zsh and fish files name exactly the options of --help" {
    [[ -f $BASH_COMP && -f $ZSH_COMP && -f $FISH_COMP ]] || fail "completion files missing in $DOCS"
    sed -n "/^_sandbox_options='$/,/^'$/p" "$BASH_COMP" | grep -oE -- '--[a-z0-9-]+' |
        same_as_help "the bash completion's option list"
    grep -oE -- "^ +'(\*|\(- \*\))--[a-z0-9-]+\[" "$ZSH_COMP" | grep -oE -- '--[a-z0-9-]+' |
        same_as_help "the zsh completion's _arguments specs"
    sed -n "s/^complete -c sandbox -n '__sandbox_is option' -l \([a-z0-9-]*\) .*/--\1/p" "$FISH_COMP" |
        same_as_help "the fish completion's options"
}

# ---------------------------------------------------------------------------
# bash
# ---------------------------------------------------------------------------

bash_complete() { # $1 = mode (bash-completion or plain), $2 = line
    bash --norc --noprofile "$HARNESS/bcomplete.bash" "$1" "$BASH_COMP" "$2"
}

bash_modes() {
    MODES=(plain)
    if [[ -r /usr/share/bash-completion/bash_completion || -r /etc/bash_completion ]]; then
        MODES+=(bash-completion)
    else
        echo "# bash-completion is not installed: only testing without it" >&3
    fi
}

@test "bash: the file registers a completion function for sandbox" {
    run -0 bash --norc --noprofile -c '. "$1" && complete -p sandbox' _ "$BASH_COMP"
    [[ $output =~ ^complete\ -F\ _sandbox\ sandbox$ ]] || fail "complete -p says: $output"
}

@test "bash: bash-completion loads it on demand from its completions directory" {
    [[ -r /usr/share/bash-completion/bash_completion ]] ||
        skip "bash-completion is not installed (Debian package bash-completion)"
    mkdir -p "$BATS_TEST_TMPDIR/user/completions"
    cp "$BASH_COMP" "$BATS_TEST_TMPDIR/user/completions/sandbox"
    run -0 env BASH_COMPLETION_USER_DIR="$BATS_TEST_TMPDIR/user" bash --norc --noprofile -c \
        '. /usr/share/bash-completion/bash_completion; _completion_loader sandbox; complete -p sandbox'
    [[ $output == *"-F _sandbox sandbox"* ]] || fail "complete -p says: $output"
}

@test "bash: options, all of them and by prefix" {
    local m
    bash_modes
    for m in "${MODES[@]}"; do
        run -0 bash_complete "$m" 'sandbox --'
        same_as_help "bash ($m) completing '--'" <<<"$output"
        run -0 bash_complete "$m" 'sandbox --ro-b'
        [[ $(sort <<<"$output") == $'--ro-bind\n--ro-bind-data\n--ro-bind-fd\n--ro-bind-try' ]] ||
            fail "$m: sandbox --ro-b gave:" "$output"
        # after an option's arguments, options again
        run -0 bash_complete "$m" 'sandbox --bind /a /b --setenv PATH /x:/y --unshare-p'
        [[ $output == --unshare-pid ]] || fail "$m: after arguments:" "$output"
    done
}

@test "bash: paths after options that take one, directories after --chdir" {
    local m
    bash_modes
    mkdir -p "$BATS_TEST_TMPDIR/tree/subdir"
    : >"$BATS_TEST_TMPDIR/tree/subfile"
    for m in "${MODES[@]}"; do
        run -0 bash_complete "$m" "sandbox --ro-bind $BATS_TEST_TMPDIR/tree/sub"
        assert_offers "$output" "$BATS_TEST_TMPDIR/tree/subdir" "$BATS_TEST_TMPDIR/tree/subfile"
        run -0 bash_complete "$m" "sandbox --ro-bind /usr $BATS_TEST_TMPDIR/tree/sub"
        assert_offers "$output" "$BATS_TEST_TMPDIR/tree/subdir" "$BATS_TEST_TMPDIR/tree/subfile"
        run -0 bash_complete "$m" "sandbox --chdir $BATS_TEST_TMPDIR/tree/sub"
        assert_offers "$output" "$BATS_TEST_TMPDIR/tree/subdir"
        refute_offers "$output" "$BATS_TEST_TMPDIR/tree/subfile"
        # no paths where a number goes
        run -0 bash_complete "$m" "sandbox --uid $BATS_TEST_TMPDIR/tree/sub"
        [[ -z $output ]] || fail "$m: --uid offered:" "$output"
    done
}

@test "bash: the shell's open fds where an FD is expected" {
    local m
    bash_modes
    for m in "${MODES[@]}"; do
        run -0 bash_complete "$m" 'sandbox --args ' 7</dev/null
        assert_offers "$output" 0 1 2 7
        run -0 bash_complete "$m" 'sandbox --file 7' 7</dev/null 71</dev/null
        assert_offers "$output" 7 71
        refute_offers "$output" 0
        # the DEST after --file FD is a path again
        run -0 bash_complete "$m" 'sandbox --file 7 /us' 7</dev/null
        assert_offers "$output" /usr
    done
}

@test "bash: capability names after --cap-add and --cap-drop" {
    local m
    bash_modes
    for m in "${MODES[@]}"; do
        run -0 bash_complete "$m" 'sandbox --cap-add '
        assert_offers "$output" ALL CAP_NET_ADMIN CAP_SYS_ADMIN CAP_CHOWN
        run -0 bash_complete "$m" 'sandbox --cap-drop CAP_NET_BI'
        [[ $output == CAP_NET_BIND_SERVICE ]] || fail "$m: got:" "$output"
        run -0 bash_complete "$m" 'sandbox --cap-add cap_sys_ch'
        [[ $output == CAP_SYS_CHROOT ]] || fail "$m: lower case: got:" "$output"
    done
}

@test "bash: a command after the options and after --, then its own completion" {
    local m
    bash_modes
    for m in "${MODES[@]}"; do
        run -0 bash_complete "$m" 'sandbox --ro-bind / / --unshare-pid bas'
        assert_offers "$output" bash
        run -0 bash_complete "$m" 'sandbox bas'
        assert_offers "$output" bash
        run -0 bash_complete "$m" 'sandbox --ro-bind / / -- bas'
        assert_offers "$output" bash
        BCOMPLETE_SETUP='complete -W "alpha beta --gamma" fakecmd' \
            run -0 bash_complete "$m" 'sandbox --ro-bind / / --setenv PATH /a:/b fakecmd al'
        [[ $output == alpha ]] || fail "$m: handing over to fakecmd's completion gave:" "$output"
        BCOMPLETE_SETUP='complete -W "alpha beta --gamma" fakecmd' \
            run -0 bash_complete "$m" 'sandbox --ro-bind / / -- fakecmd --'
        [[ $output == --gamma ]] || fail "$m: after --, fakecmd's options, not ours:" "$output"
        BCOMPLETE_SETUP='_fk() { COMPREPLY=("w=${COMP_WORDS[*]}" "c=$COMP_CWORD" "1=$1" "3=$3"); }; complete -F _fk fakecmd' \
            run -0 bash_complete "$m" 'sandbox --bind /a:b /c fakecmd x y'
        assert_offers "$output" "w=fakecmd x y" "c=2" "1=fakecmd" "3=x"
    done
}

# ---------------------------------------------------------------------------
# zsh
# ---------------------------------------------------------------------------

zsh_complete() { # $1 = line
    zsh -f "$HARNESS/zcomplete.zsh" "$DOCS/completions/zsh" "$1"
}

@test "zsh: options, paths, fds, capabilities, commands" {
    require_cmd zsh
    zsh -fc 'zmodload zsh/zpty' 2>/dev/null || skip "zsh has no zsh/zpty module"
    mkdir -p "$BATS_TEST_TMPDIR/tree/subdir"
    : >"$BATS_TEST_TMPDIR/tree/subfile"

    run -0 zsh_complete 'sandbox --'
    same_as_help "zsh completing '--'" <<<"$output"
    run -0 zsh_complete 'sandbox --ro-b'
    [[ $(sort -u <<<"$output") == $'--ro-bind\n--ro-bind-data\n--ro-bind-fd\n--ro-bind-try' ]] ||
        fail "sandbox --ro-b gave:" "$output"
    run -0 zsh_complete 'sandbox --bind /a /b --setenv PATH /x:/y --unshare-p'
    assert_offers "$output" --unshare-pid

    # zsh adds path completions one component at a time
    run -0 zsh_complete "sandbox --ro-bind $BATS_TEST_TMPDIR/tree/sub"
    assert_offers "$output" subdir subfile
    run -0 zsh_complete "sandbox --bind /usr $BATS_TEST_TMPDIR/tree/sub"
    assert_offers "$output" subdir subfile
    run -0 zsh_complete "sandbox --chdir $BATS_TEST_TMPDIR/tree/sub"
    assert_offers "$output" subdir
    refute_offers "$output" subfile

    run -0 zsh_complete 'sandbox --args '
    assert_offers "$output" 0 1 2
    run -0 zsh_complete 'sandbox --cap-add CAP_NET_A'
    [[ $output == CAP_NET_ADMIN ]] || fail "--cap-add CAP_NET_A gave:" "$output"
    run -0 zsh_complete 'sandbox --cap-drop '
    assert_offers "$output" ALL CAP_SYS_ADMIN

    run -0 zsh_complete 'sandbox --ro-bind / / --unshare-pid bas'
    assert_offers "$output" bash
    run -0 zsh_complete 'sandbox -- bas'
    assert_offers "$output" bash
    ZC_SETUP='_fakecmd() { compadd alpha beta --gamma; }; compdef _fakecmd fakecmd' \
        run -0 zsh_complete 'sandbox --ro-bind / / fakecmd al'
    [[ $output == alpha ]] || fail "handing over to fakecmd's completion gave:" "$output"
    ZC_SETUP='_fakecmd() { compadd alpha beta --gamma; }; compdef _fakecmd fakecmd' \
        run -0 zsh_complete 'sandbox -- fakecmd --'
    [[ $output == --gamma ]] || fail "after --, fakecmd's options, not ours:" "$output"
}

# ---------------------------------------------------------------------------
# fish
# ---------------------------------------------------------------------------

fish_complete() { # $1 = line
    fish --no-config -c 'set -p fish_complete_path $argv[1]; eval $argv[3]; complete -C $argv[2]' \
        "$DOCS/completions/fish" "$1" "${FISH_SETUP:-}" | cut -f1
}

@test "fish: options, paths, fds, capabilities, commands" {
    require_cmd fish
    fish --no-config -c true 2>/dev/null || skip "fish does not start here"
    mkdir -p "$BATS_TEST_TMPDIR/tree/subdir"
    : >"$BATS_TEST_TMPDIR/tree/subfile"

    run -0 fish_complete 'sandbox --'
    same_as_help "fish completing '--'" <<<"$output"
    run -0 fish_complete 'sandbox --ro-b'
    [[ $(sort <<<"$output") == $'--ro-bind\n--ro-bind-data\n--ro-bind-fd\n--ro-bind-try' ]] ||
        fail "sandbox --ro-b gave:" "$output"
    run -0 fish_complete 'sandbox --bind /a /b --setenv PATH /x:/y --unshare-p'
    assert_offers "$output" --unshare-pid

    run -0 fish_complete "sandbox --ro-bind $BATS_TEST_TMPDIR/tree/sub"
    assert_offers "$output" "$BATS_TEST_TMPDIR/tree/subdir/" "$BATS_TEST_TMPDIR/tree/subfile"
    run -0 fish_complete "sandbox --bind /usr $BATS_TEST_TMPDIR/tree/sub"
    assert_offers "$output" "$BATS_TEST_TMPDIR/tree/subdir/" "$BATS_TEST_TMPDIR/tree/subfile"
    run -0 fish_complete "sandbox --chdir $BATS_TEST_TMPDIR/tree/sub"
    assert_offers "$output" "$BATS_TEST_TMPDIR/tree/subdir/"
    refute_offers "$output" "$BATS_TEST_TMPDIR/tree/subfile"
    run -0 fish_complete "sandbox --uid $BATS_TEST_TMPDIR/tree/sub"
    [[ -z $output ]] || fail "--uid offered:" "$output"

    run -0 fish_complete 'sandbox --args '
    assert_offers "$output" 0 1 2
    run -0 fish_complete 'sandbox --cap-add CAP_NET_A'
    [[ $output == CAP_NET_ADMIN ]] || fail "--cap-add CAP_NET_A gave:" "$output"
    run -0 fish_complete 'sandbox --cap-drop '
    assert_offers "$output" ALL CAP_SYS_ADMIN

    run -0 fish_complete 'sandbox --ro-bind / / --unshare-pid bas'
    assert_offers "$output" bash
    run -0 fish_complete 'sandbox -- bas'
    assert_offers "$output" bash
    FISH_SETUP='function fakecmd; end; complete -c fakecmd -f -a "alpha beta"; complete -c fakecmd -l gamma' \
        run -0 fish_complete 'sandbox --ro-bind / / fakecmd al'
    [[ $output == alpha ]] || fail "handing over to fakecmd's completion gave:" "$output"
    FISH_SETUP='function fakecmd; end; complete -c fakecmd -f -a "alpha beta"; complete -c fakecmd -l gamma' \
        run -0 fish_complete 'sandbox -- fakecmd --'
    [[ $output == --gamma ]] || fail "after --, fakecmd's options, not ours:" "$output"
}

@test "--version: 'sandbox X.Y.Z' alone on the first line, then one +feature/-feature line each" {
    run --separate-stderr "$SANDBOX" --version
    assert_status 0
    [[ ${lines[0]} =~ ^sandbox\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "first line: ${lines[0]}"
    [[ ${#lines[@]} == 4 ]] || fail "expected 3 feature lines: $output"
    local f
    for f in selinux systemd seccomp; do
        [[ $output =~ (^|$'\n')[+-]$f($'\n'|$) ]] || fail "no line for $f: $output"
    done
    # a program that drives bwrap takes the second word of the first line as the version
    [[ $(head -n1 <<<"$output" | awk '{print $2}') =~ ^[0-9.]+$ ]] || fail "second word: $output"
}
