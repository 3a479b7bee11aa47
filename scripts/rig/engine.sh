#!/usr/bin/env bash
# The docker engine the tests talk to (DOCKER_HOST, else the default
# socket). One that answers is used as it is; otherwise, as root, a dockerd
# is started here (cgroupfs, no iptables; log in DOCKERD_LOG) and left
# running: no run stops it. Exports OM_TEST_ENGINE=required: the engine
# tests fail, never skip, without an engine.
#
# On its own: scripts/rig/engine.sh up (prints the export, holds nothing).
[ -z "${OM_RIG_ENGINE_SH:-}" ] || return 0
OM_RIG_ENGINE_SH=1
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKERD_LOG=/var/log/om-dockerd.log
DOCKERD_PIDFILE=/var/run/docker.pid
ENGINE_WAIT_SECONDS=60

# How a dockerd is started here: cgroupfs whatever the host (the
# walkthrough's --cgroup-parent line is the cgroupfs form; a systemd host with
# cgroup v2 would default to the systemd driver), no iptables.
DOCKERD_ARGS=(--iptables=false --ip6tables=false --exec-opt native.cgroupdriver=cgroupfs)

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

# Why `docker info` fails: its last line (or that there is no client).
engine_error() {
    local err
    command -v docker >/dev/null 2>&1 || {
        echo "no docker client in PATH"
        return 0
    }
    err=$(timeout 10 docker info 2>&1 >/dev/null | grep -v '^ *$' | tail -n 1) || true
    echo "${err:-no answer}"
}

dockerd_path() { command -v dockerd 2>/dev/null || { [ -x /usr/sbin/dockerd ] && echo /usr/sbin/dockerd; }; }

# Is process $1 alive (not a zombie) and a dockerd?
is_dockerd_pid() {
    local pid=$1 comm stat state
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$comm" = dockerd ] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    state=${stat##*) }
    state=${state%% *}
    [ "$state" != Z ] && [ "$state" != X ]
}

# Is any dockerd process running? (No pgrep: procps may be missing.)
dockerd_running() {
    local d
    for d in /proc/[0-9]*; do
        if is_dockerd_pid "${d#/proc/}"; then return 0; fi
    done
    return 1
}

# Wait until `docker info` answers; $1 = pid of a dockerd we started (or '').
wait_for_engine() {
    local started_pid=$1 deadline=$((SECONDS + ENGINE_WAIT_SECONDS))
    local why="docker engine did not answer within ${ENGINE_WAIT_SECONDS}s"
    while [ "$SECONDS" -lt "$deadline" ]; do
        if timeout 5 docker info >/dev/null 2>&1; then return 0; fi
        if [ -n "$started_pid" ] && ! kill -0 "$started_pid" 2>/dev/null && ! dockerd_running; then
            why="dockerd (pid $started_pid) exited"
            break
        fi
        sleep 1
    done
    echo "$why" >&2
    if [ -r "$DOCKERD_LOG" ]; then
        echo "--- tail of $DOCKERD_LOG" >&2
        tail -n 40 "$DOCKERD_LOG" >&2
    fi
    return 1
}

ensure_engine() {
    if engine_answers; then
        echo "engine answers"
        return 0
    fi
    if ! is_root; then
        die "no docker engine answers (docker info: $(engine_error)); starting one needs root"
    fi
    if dockerd_running; then
        echo "dockerd is running but not answering yet; waiting"
        wait_for_engine "" || die "the running dockerd never answered"
        echo "engine answers"
        return 0
    fi
    local dockerd
    dockerd=$(dockerd_path) || die "dockerd not found (apt-get install -y docker.io)"
    if [ -e "$DOCKERD_PIDFILE" ]; then
        local old_pid=
        read -r old_pid <"$DOCKERD_PIDFILE" 2>/dev/null || true
        if ! is_dockerd_pid "$old_pid"; then
            echo "removing stale $DOCKERD_PIDFILE (pid ${old_pid:-none} is not a live dockerd)"
            rm -f "$DOCKERD_PIDFILE"
        fi
    fi
    echo "starting $dockerd ${DOCKERD_ARGS[*]} (log: $DOCKERD_LOG)"
    setsid "$dockerd" "${DOCKERD_ARGS[@]}" >"$DOCKERD_LOG" 2>&1 </dev/null &
    local pid=$!
    wait_for_engine "$pid" || die "could not start the docker engine"
    echo "engine answers (dockerd pid $pid)"
}

# What the tests learn of the engine.
engine_env() { echo "export OM_TEST_ENGINE=required"; }

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    RIG_PROG=scripts/rig/engine.sh
    rig_cli ensure_engine '' engine_env "$@"
fi
