# tests/docs/zcomplete.zsh: ask zsh's completion system what it offers.
#
#   zsh -f zcomplete.zsh FPATH_DIR 'COMMAND LINE SO FAR'
#
# prints the matches, one a line.  An interactive zsh runs in a pseudo-terminal
# (zpty); FPATH_DIR is put first in its fpath and compinit runs.  compadd is
# wrapped so that every match added is also appended to a file; a key bound
# to a widget completes the line, then the shell exits.  Listing and inserting
# are turned off, so no prompt ("do you wish to see all...") can block it.
# ZC_SETUP, when set, is evaluated after compinit (to give another command a
# completion).
zmodload zsh/zpty || exit 2
emulate -L zsh
dir=$1 line=$2
out=$(mktemp "${TMPDIR:-/tmp}/zcomplete.XXXXXX") || exit 2
rc=$(mktemp "${TMPDIR:-/tmp}/zcomplete-rc.XXXXXX") || exit 2
cat >$rc <<'RC'
PS1='' PROMPT='' RPROMPT='' PS2=''
unsetopt beep
fpath=("$ZC_DIR" $fpath)
autoload -Uz compinit && compinit -u -D
[[ -n ${ZC_SETUP:-} ]] && eval "$ZC_SETUP"
compadd() {
    # calls that only collect or filter (-O, -A, -D) are not matches yet
    if (( ${@[(I)-[OAD]*]} )); then
        builtin compadd "$@"
        return
    fi
    local -a zc_got
    builtin compadd -A zc_got "$@"
    builtin compadd "$@"
    local r=$?
    (( $#zc_got )) && print -rl -- $zc_got >>$ZC_OUT
    return r
}
zc-nolist() { compstate[list]=''; compstate[insert]=''; }
zc-run() {
    comppostfuncs=(zc-nolist)
    zle zc-complete
    print -r -- "ZC-DONE" >>$ZC_OUT
    BUFFER='exit'
    zle accept-line
}
zle -C zc-complete complete-word _main_complete
zle -N zc-run
bindkey '^X^Z' zc-run
# the line editor is waiting for keys: time to type
zc-ready() { print -r -- ZC-READY >>$ZC_OUT; }
zle -N zle-line-init zc-ready
RC
export ZC_DIR=$dir ZC_OUT=$out
# (zle is off on a "dumb" terminal, as tests often have)
zpty zc "TERM=xterm exec zsh -f -i"
# (only now: the shell zpty forks must not inherit it)
trap 'zpty -d zc 2>/dev/null; rm -f $out $rc' EXIT
zpty -w zc "source ${(q)rc}"
# wait for the line editor, and drain what the shell prints meanwhile
integer n=0
until grep -qx ZC-READY $out 2>/dev/null; do
    zpty -r -t zc junk 2>/dev/null
    (( ++n > 1000 )) && { print -u2 "zcomplete: zsh did not start"; zpty -d zc; exit 2; }
    sleep 0.01
done
zpty -w -n zc "$line"$'\C-x\C-z'
n=0
until grep -qx ZC-DONE $out 2>/dev/null; do
    zpty -r -t zc junk 2>/dev/null
    (( ++n > 1000 )) && { print -u2 "zcomplete: no answer"; zpty -d zc; exit 2; }
    sleep 0.01
done
zpty -d zc 2>/dev/null
grep -vx -e ZC-DONE -e ZC-READY $out
exit 0
