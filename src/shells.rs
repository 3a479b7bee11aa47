//! The shells completion speaks to (`COMPLETE=<shell> om`), as main
//! answers them and `scripts/gen-docs` writes their scripts: fish and the
//! others as clap_complete has them, bash and zsh with scripts of om's own.
//!
//! bash splits the line at `=` and `:` (COMP_WORDBREAKS), so `--kw
//! container#1.image=<TAB>` would reach om as three words and the value
//! after `=` could not be completed. om's bash script asks bash-completion
//! for the words as typed (`_get_comp_words_by_ref -n =:`), and hands bash
//! back only what follows the last `=` or `:` of the word, the part bash
//! replaces. Without bash-completion it falls back to bash's own words.
//!
//! zsh completes a word with an opening brace past it (`{container#<TAB>`:
//! brace expansion), so its values lose what precedes zsh's `$PREFIX` too.

use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Shells, Zsh};
use std::ffi::OsString;

/// Every shell `COMPLETE=` may name.
pub fn all() -> Shells<'static> {
    Shells(&[&BASH_WORDS, &Elvish, &Fish, &Powershell, &ZSH_WORDS])
}

/// A shell of clap_complete's with a registration script of om's own: its
/// name and its answers are the shell's.
#[derive(Clone, Copy, Debug)]
pub struct OwnScript<S: 'static> {
    shell: S,
    /// The script, from the variable, the command's name, the binary and
    /// the completer.
    script: fn(var: &str, name: &str, bin: &str, completer: &str) -> String,
}

/// bash, with the words as typed (see the module's doc).
pub const BASH_WORDS: OwnScript<Bash> = OwnScript {
    shell: Bash,
    script: bash_script,
};

/// zsh, past an opening brace (see the module's doc).
pub const ZSH_WORDS: OwnScript<Zsh> = OwnScript {
    shell: Zsh,
    script: zsh_script,
};

impl<S: EnvCompleter> EnvCompleter for OwnScript<S> {
    fn name(&self) -> &'static str {
        self.shell.name()
    }

    fn is(&self, name: &str) -> bool {
        self.shell.is(name)
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn std::io::Write,
    ) -> Result<(), std::io::Error> {
        let script = (self.script)(var, name, bin, completer);
        writeln!(buf, "{script}")
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn std::io::Write,
    ) -> Result<(), std::io::Error> {
        self.shell.write_complete(cmd, args, current_dir, buf)
    }
}

const BASH_SCRIPT: &str = r#"
_clap_complete_NAME() {
    local cur words cword
    # the words as typed: bash-completion joins what bash split at = and :
    if declare -F _comp_get_words >/dev/null 2>&1; then
        _comp_get_words -n =: cur words cword
    elif declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref -n =: cur words cword
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=$2
    fi
    words[cword]="$cur"
    local _CLAP_COMPLETE_SPACE=true
    if compopt +o nospace 2> /dev/null; then
        _CLAP_COMPLETE_SPACE=false
    fi
    local IFS=$'\013'
    COMPREPLY=( $( \
        _CLAP_IFS="$IFS" \
        _CLAP_COMPLETE_INDEX="$cword" \
        _CLAP_COMPLETE_COMP_TYPE="${COMP_TYPE}" \
        _CLAP_COMPLETE_SPACE="$_CLAP_COMPLETE_SPACE" \
        VAR="bash" \
        "COMPLETER" -- "${words[@]}" \
    ) )
    if [[ $? != 0 ]]; then
        unset COMPREPLY
        return
    fi
    # bash replaces what follows the word's last = or : (when they break
    # words): each value loses what precedes it
    local breaks=${COMP_WORDBREAKS//[^=:]/}
    if [[ -n $breaks && $cur == *[$breaks]* ]]; then
        local typed=${cur%"${cur##*[$breaks]}"}
        local i
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$typed"}
        done
    fi
    if [[ $_CLAP_COMPLETE_SPACE == false ]] && [[ "${COMPREPLY-}" =~ [=/:]$ ]]; then
        compopt -o nospace
    fi
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -o nospace -o bashdefault -o nosort -F _clap_complete_NAME BIN
else
    complete -o nospace -o bashdefault -F _clap_complete_NAME BIN
fi
"#;

const ZSH_SCRIPT: &str = r#"#compdef BIN
function _clap_dynamic_completer_NAME() {
    local _CLAP_COMPLETE_INDEX=$(expr $CURRENT - 1)
    local _CLAP_IFS=$'\n'
    # what zsh completes past in the word (an opening brace): the values
    # lose it
    local typed=""
    if [[ ${words[CURRENT]} == *"$PREFIX" ]]; then
        typed=${words[CURRENT]%"$PREFIX"}
    fi

    local completions=("${(@f)$( \
        _CLAP_IFS="$_CLAP_IFS" \
        _CLAP_COMPLETE_INDEX="$_CLAP_COMPLETE_INDEX" \
        VAR="zsh" \
        COMPLETER -- "${words[@]}" 2>/dev/null \
    )}")

    if [[ -n $completions ]]; then
        local -a dirs=()
        local -a other=()
        local completion
        for completion in $completions; do
            completion=${completion#"$typed"}
            local value="${completion%%:*}"
            if [[ "$value" == */ ]]; then
                local dir_no_slash="${value%/}"
                if [[ "$completion" == *:* ]]; then
                    local desc="${completion#*:}"
                    dirs+=("$dir_no_slash:$desc")
                else
                    dirs+=("$dir_no_slash")
                fi
            else
                other+=("$completion")
            fi
        done
        [[ -n $dirs ]] && _describe -V 'values' dirs -S '/' -r '/'
        [[ -n $other ]] && _describe -V 'values' other
    fi
}

compdef _clap_dynamic_completer_NAME BIN"#;

fn bash_script(var: &str, name: &str, bin: &str, completer: &str) -> String {
    let completer = shell_words::quote(completer);
    BASH_SCRIPT
        .replace("NAME", &name.replace('-', "_"))
        .replace("BIN", bin)
        .replace("COMPLETER", &completer)
        .replace("VAR", var)
}

fn zsh_script(var: &str, name: &str, bin: &str, completer: &str) -> String {
    ZSH_SCRIPT
        .replace("NAME", &name.replace('-', "_"))
        .replace("COMPLETER", &shell_words::quote(completer))
        .replace("BIN", &shell_words::quote(bin))
        .replace("VAR", var)
}
