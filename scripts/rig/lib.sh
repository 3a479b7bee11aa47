# shellcheck shell=bash
# What every rig file shares: messages, processes told apart by pid and
# start time, the owner files that say which run a directory belongs to,
# free ports, and the command line of a rig file run on its own (rig_cli).
# Sourced by scripts/test and by each file of scripts/rig/; defines, runs
# nothing.
[ -z "${OM_RIG_LIB_SH:-}" ] || return 0
OM_RIG_LIB_SH=1

# The repository (scripts/rig/../..).
RIG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# What die names: the script that runs (a rig file run on its own sets it).
RIG_PROG=${RIG_PROG:-scripts/test}
# How long a process of a rig may take to end after SIGTERM (dockerd stops
# its containers first).
RIG_STOP_SECONDS=20

section() { printf '== %s\n' "$*"; }
die() {
    printf '%s: %s\n' "$RIG_PROG" "$*" >&2
    exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }
# Milliseconds since the epoch (EPOCHREALTIME without its decimal sign,
# which is a comma in some locales).
now_ms() {
    local us=${EPOCHREALTIME//[!0-9]/}
    echo $((us / 1000))
}

# Seconds since now_ms printed $1, as "1.234s".
since() {
    local ms=$(($(now_ms) - $1))
    printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

# The start time of process $1 (field 22 of /proc/PID/stat): with the pid,
# it names one process, even once the pid is reused.
proc_start() {
    local stat fields
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    # The fields after "PID (COMM) ", which may hold spaces: field 3 on.
    read -r -a fields <<<"${stat##*) }"
    echo "${fields[19]}"
}

# Is process $1 alive (not a zombie)?
proc_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    case ${stat%% *} in Z | X) return 1 ;; esac
}

# Is process $1 a live $2 (its comm) whose command line holds the words $3?
# (sshd rewrites its command line into one string, "sshd: /usr/sbin/sshd -f
# CONFIG … [listener] …": words are matched between spaces, not as argv.)
is_proc() {
    local pid=$1 comm=$2 words=$3 c cmdline
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    c=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$c" = "$comm" ] && proc_alive "$pid" || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    case " $cmdline " in *" $words "*) return 0 ;; esac
    return 1
}

# The pid in pid file $1 when it is a live $2 whose command line holds $3;
# fails otherwise (no file, or a pid that is now some other process).
verified_pid() {
    local pid=
    [ -r "$1" ] || return 1
    read -r pid <"$1" || true # dockerd writes no final newline
    is_proc "$pid" "$2" "$3" || return 1
    echo "$pid"
}

# SIGTERM to the pids "$@", up to RIG_STOP_SECONDS for all of them to end,
# then SIGKILL to those left.
stop_pids() {
    [ $# -gt 0 ] || return 0
    local deadline=$((SECONDS + RIG_STOP_SECONDS)) pid left
    kill -TERM "$@" 2>/dev/null || true
    while :; do
        left=()
        for pid in "$@"; do
            if proc_alive "$pid"; then left+=("$pid"); fi
        done
        [ "${#left[@]}" -gt 0 ] || return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "rig: killing ${left[*]}, still there ${RIG_STOP_SECONDS}s after SIGTERM" >&2
            kill -KILL "${left[@]}" 2>/dev/null || true
            return 0
        fi
        sleep 0.1
    done
}

# Is the run that made directory $1 still running? (Its owner file holds
# the pid of its script and that process's start time.)
rig_owner_alive() {
    local pid='' start='' now
    read -r pid start 2>/dev/null <"$1/owner" || return 1
    now=$(proc_start "$pid") || return 1
    [ "$now" = "$start" ]
}

# Makes $1/PID (PID: this script's), 0700, owned by this run: the directory
# gets its owner file before its name, so that a sweep by another run never
# sees it ownerless (a run killed before the rename leaves only $1/.new.PID).
# $2 says what the directory is, for the error.
make_owned_dir() {
    local base=$1 what=$2 new=$1/.new.$$
    rm -rf "$new"
    mkdir -m 0700 "$new"
    echo "$$ $(proc_start $$)" >"$new/owner"
    mv -T "$new" "$base/$$" || die "could not make the $what directory $base/$$"
}

# A TCP port free on 127.0.0.1 now (sshd may still lose it to someone else
# before it binds: rig_start_sshd then tries another).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Is 127.0.0.1:$1 free to listen on now? SO_REUSEADDR, as the registry
# (Go) binds: the connections of an earlier run in TIME_WAIT do not keep it
# from the port, a listener does.
port_free() {
    python3 - "$1" 2>/dev/null <<'EOF'
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
EOF
}

# --- A rig file run on its own -------------------------------------------------
#
#   FILE up [--env ENVFILE] [ARGS…]
#       brings the rig up (ARGS go to its start function), prints the
#       `export` lines the tests need (to stdout, or to ENVFILE once all is
#       up, this process's pid in ENVFILE.pid from the start), then holds the
#       rig until SIGTERM, SIGINT or SIGHUP, and tears it down on exit,
#       however it exits (a failed start too). The rig's owner files name
#       this process, so no other run sweeps the rig while it holds.
#   FILE down ENVFILE
#       stops the `FILE up` whose pid ENVFILE.pid holds and waits until it
#       is gone, its rig torn down.
#
# rig_cli START STOP ENV "$@": the functions that start the rig (its output
# goes to stderr), stop it ('' for a rig that is never stopped, then `up`
# does not hold) and print its exports.
RIG_CLI_STOP=
RIG_CLI_HOLD=
RIG_CLI_ENVFILE=
# "PID START" of a process whose end ends the hold too (a start function
# may set it: a test binary that started the rig).
RIG_CLI_WATCH=

rig_cli() {
    local start=$1 stop=$2 env=$3 cmd=${4:-}
    shift 3
    [ $# -eq 0 ] || shift
    case $cmd in
    up) rig_cli_up "$start" "$stop" "$env" "$@" ;;
    down) rig_cli_down "$@" ;;
    *)
        echo "usage: $RIG_PROG up [--env ENVFILE] [ARGS…] | $RIG_PROG down ENVFILE" >&2
        exit 2
        ;;
    esac
}

rig_cli_up() {
    local start=$1 stop=$2 env=$3
    shift 3
    if [ "${1:-}" = --env ]; then
        [ -n "${2:-}" ] || die "--env wants a file"
        RIG_CLI_ENVFILE=$(realpath -m "$2")
        shift 2
    fi
    cd "$RIG_ROOT" || die "no directory $RIG_ROOT"
    RIG_CLI_STOP=$stop
    # INT, TERM and HUP end the script through exit, so the EXIT trap runs.
    trap rig_cli_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    if [ -n "$RIG_CLI_ENVFILE" ]; then echo $$ >"$RIG_CLI_ENVFILE.pid"; fi
    "$start" "$@" >&2
    if [ -n "$RIG_CLI_ENVFILE" ]; then
        "$env" >"$RIG_CLI_ENVFILE.tmp"
        mv "$RIG_CLI_ENVFILE.tmp" "$RIG_CLI_ENVFILE"
        echo "$RIG_PROG: up: $RIG_CLI_ENVFILE" >&2
    else
        "$env"
    fi
    [ -n "$stop" ] || return 0
    echo "$RIG_PROG: holding the rig (pid $$) until SIGTERM or ^C" >&2
    # Short sleeps: one this process leaves when SIGKILLed soon ends too.
    while :; do
        if [ -n "$RIG_CLI_WATCH" ] && [ "$(proc_start "${RIG_CLI_WATCH% *}")" != "${RIG_CLI_WATCH#* }" ]; then
            echo "$RIG_PROG: process ${RIG_CLI_WATCH% *} is gone: tearing the rig down" >&2
            exit 0
        fi
        sleep "$([ -n "$RIG_CLI_WATCH" ] && echo 1 || echo 5)" &
        RIG_CLI_HOLD=$!
        wait "$RIG_CLI_HOLD"
    done
}

# The EXIT trap of `up`: the holding sleep, the rig, the env file.
rig_cli_exit() {
    local pid=
    if [ -n "$RIG_CLI_HOLD" ]; then kill -TERM "$RIG_CLI_HOLD" 2>/dev/null || true; fi
    if [ -n "$RIG_CLI_STOP" ]; then "$RIG_CLI_STOP" >&2; fi
    [ -n "$RIG_CLI_ENVFILE" ] || return 0
    rm -f "$RIG_CLI_ENVFILE" "$RIG_CLI_ENVFILE.tmp"
    read -r pid 2>/dev/null <"$RIG_CLI_ENVFILE.pid" || true
    if [ "$pid" = $$ ]; then rm -f "$RIG_CLI_ENVFILE.pid"; fi
}

rig_cli_down() {
    local envfile=${1:-} pid='' cmdline deadline
    [ -n "$envfile" ] || die "usage: $RIG_PROG down ENVFILE"
    read -r pid 2>/dev/null <"$envfile.pid" || die "no pid in $envfile.pid: nothing to stop"
    # Only a live `FILE up` of this file: a pid file outlives its process,
    # and the pid may be another's by now.
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || cmdline=
    case $pid in '' | *[!0-9]*) cmdline= ;; esac
    case " $cmdline" in
    *"/${RIG_PROG##*/} up "* | *" ${RIG_PROG##*/} up "*) ;;
    *) die "pid ${pid:-?} (from $envfile.pid) is not a running ${RIG_PROG##*/} up" ;;
    esac
    kill -TERM "$pid"
    # The teardown stops each of its processes within RIG_STOP_SECONDS.
    deadline=$((SECONDS + 6 * RIG_STOP_SECONDS))
    while proc_alive "$pid"; do
        [ "$SECONDS" -lt "$deadline" ] || die "pid $pid still runs $((6 * RIG_STOP_SECONDS))s after SIGTERM"
        sleep 0.1
    done
    echo "$RIG_PROG: down"
}
