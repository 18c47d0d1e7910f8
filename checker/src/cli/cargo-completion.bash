
# `cargo shmlab ...`: the words after `cargo shmlab` are completed as shmlab's; any other
# cargo command line by cargo's own completion (rustup's), loaded first when bash-completion
# can load it. Source this file from ~/.bashrc for `cargo shmlab` (bash-completion loads a
# file of completions/ only for the command it is named after).
if ! declare -F _cargo >/dev/null; then
    if declare -F _comp_load >/dev/null; then
        _comp_load cargo >/dev/null 2>&1
    elif declare -F _completion_loader >/dev/null; then
        _completion_loader cargo >/dev/null 2>&1
    fi
fi
_shmlab_cargo() {
    local i
    for (( i = 1; i < COMP_CWORD; i++ )); do
        case "${COMP_WORDS[i]}" in
            +*|-*) ;;
            shmlab)
                local COMP_WORDS=("shmlab" "${COMP_WORDS[@]:i+1}")
                local COMP_CWORD=$(( COMP_CWORD - i ))
                local prev="${COMP_WORDS[COMP_CWORD-1]}"
                _shmlab shmlab "${COMP_WORDS[COMP_CWORD]}" "$prev"
                return 0
                ;;
            *) break ;;
        esac
    done
    if declare -F _cargo >/dev/null; then
        _cargo "$@"
    fi
}
complete -F _shmlab_cargo -o bashdefault -o default cargo
