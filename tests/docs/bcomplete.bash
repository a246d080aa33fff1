# tests/docs/bcomplete.bash: ask a bash completion what it offers.
#
#   bash --norc --noprofile bcomplete.bash MODE FILE 'COMMAND LINE SO FAR'
#
# MODE "bash-completion" loads the bash-completion package first (its
# _init_completion, _filedir, _completion_loader), "plain" does not.  FILE is
# the completion to source.  The line is cut into COMP_WORDS the way readline
# does (at blanks, and around runs of "=" and ":", as in COMP_WORDBREAKS), the
# cursor at its end; the function that "complete -p" names for the first word
# is called, and COMPREPLY printed, one a line.  BCOMPLETE_SETUP, when set, is
# evaluated first (to give another command a completion).
mode=$1 file=$2 line=$3
if [[ $mode == bash-completion ]]; then
    for f in /usr/share/bash-completion/bash_completion /etc/bash_completion; do
        if [[ -r $f ]]; then
            # shellcheck disable=SC1090
            . "$f"
            break
        fi
    done
    declare -F _init_completion >/dev/null || {
        echo "bcomplete: bash-completion not found" >&2
        exit 3
    }
fi
# shellcheck disable=SC1090
. "$file" || exit 2
[[ -n ${BCOMPLETE_SETUP:-} ]] && eval "$BCOMPLETE_SETUP"

COMP_WORDS=()
rest=$line
while [[ -n $rest ]]; do
    if [[ $rest =~ ^[[:blank:]]+ ]]; then
        rest=${rest:${#BASH_REMATCH[0]}}
    elif [[ $rest =~ ^[=:]+ || $rest =~ ^[^[:blank:]=:]+ ]]; then
        COMP_WORDS+=("${BASH_REMATCH[0]}")
        rest=${rest:${#BASH_REMATCH[0]}}
    fi
done
# a blank at the end: the cursor is on a new, empty word
[[ -z $line || $line == *[[:blank:]] ]] && COMP_WORDS+=('')
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9
COMPREPLY=()

spec=$(complete -p -- "${COMP_WORDS[0]}" 2>/dev/null) || {
    echo "bcomplete: no completion for ${COMP_WORDS[0]}" >&2
    exit 2
}
func=${spec#* -F }
func=${func%% *}
"$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}"
exit 0
