#!/usr/bin/env bash
# The open image registry of the pull tests: a registry v2 on
# 127.0.0.1:5000. One that already answers there is reused and left
# running; otherwise one is started here, with its own config and a fresh
# storage (registry_dir), and stop_registry stops it. push_test_image puts
# the test image in it. Exports OM_TEST_REGISTRY.
#
# On its own: scripts/rig/registry.sh up [--env ENVFILE] (also builds the
# test image and pushes it), scripts/rig/registry.sh down ENVFILE.
[ -z "${OM_RIG_REGISTRY_SH:-}" ] || return 0
OM_RIG_REGISTRY_SH=1
# shellcheck source=scripts/rig/packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

# Loopback only: docker treats 127.0.0.0/8 as an insecure registry, so
# plain HTTP works without a daemon.json.
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_WAIT_SECONDS=30
TEST_IMAGE=om-test/busybox:latest
# The pid of the registry this run started ('' when none or one reused).
REGISTRY_PID=

# Where a registry started here keeps its config, storage and log: a
# directory of its own, never the package's /var/lib/docker-registry.
registry_dir() {
    if is_root; then
        echo /var/lib/om-test-registry
    else
        echo "${TMPDIR:-/tmp}/om-test-registry.$(id -u)"
    fi
}

# What answers GET http://$REGISTRY_ADDR/v2/: exit 0 for a registry v2
# that lets us in, 1 when nothing listens, 2 for anything else (another
# server, a registry asking for credentials, no answer in time). python3,
# not curl: CI machines have python3.
registry_probe() {
    python3 - "$REGISTRY_ADDR" <<'EOF'
import sys
import urllib.error
import urllib.request

# No proxy: an http_proxy in CI's environment must not see a loopback URL.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    answer = opener.open("http://%s/v2/" % sys.argv[1], timeout=3)
except urllib.error.HTTPError as e:
    answer = e
except urllib.error.URLError as e:
    sys.exit(1 if isinstance(e.reason, ConnectionRefusedError) else 2)
except OSError:
    sys.exit(2)
api = answer.headers.get("Docker-Distribution-Api-Version", "")
sys.exit(0 if answer.status == 200 and api.startswith("registry/2") else 2)
EOF
}

# Wait until the registry we started (pid $1) answers.
wait_for_registry() {
    local pid=$1 log=$2 deadline=$((SECONDS + REGISTRY_WAIT_SECONDS)) probe
    local why="the registry did not answer on $REGISTRY_ADDR within ${REGISTRY_WAIT_SECONDS}s"
    while [ "$SECONDS" -lt "$deadline" ]; do
        probe=0
        registry_probe || probe=$?
        if [ "$probe" -eq 0 ]; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            why="docker-registry (pid $pid) exited"
            break
        fi
        sleep 0.2
    done
    echo "$why" >&2
    echo "--- tail of $log" >&2
    tail -n 40 "$log" >&2 || true
    return 1
}

# A registry v2 on $REGISTRY_ADDR: one that already answers is reused (and
# left running); otherwise one is started here, with a fresh storage, and
# stop_registry (the EXIT trap of scripts/test, or of the rig's own up)
# stops it.
ensure_registry() {
    local probe=0
    registry_probe || probe=$?
    case $probe in
    0)
        echo "registry answers on $REGISTRY_ADDR (reused)"
        return 0
        ;;
    2) die "$REGISTRY_ADDR is taken by something that is not an open registry v2 (GET /v2/)" ;;
    esac
    [ -x "$REGISTRY_BIN" ] || die "$REGISTRY_BIN not found (apt-get install -y docker-registry)"
    local dir
    dir=$(registry_dir)
    # The tests push a unique tag each run: a storage kept across runs
    # would only grow. Nothing else uses this directory.
    rm -rf "$dir"
    mkdir -p "$dir/storage"
    cat >"$dir/config.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: $REGISTRY_ADDR
EOF
    echo "starting $REGISTRY_BIN on $REGISTRY_ADDR (log: $dir/registry.log)"
    # setsid: a ^C at the terminal reaches cargo, not the registry; the
    # EXIT trap stops it in order.
    setsid "$REGISTRY_BIN" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
    REGISTRY_PID=$!
    if ! wait_for_registry "$REGISTRY_PID" "$dir/registry.log"; then
        stop_registry
        die "could not start the registry"
    fi
    echo "registry answers (docker-registry pid $REGISTRY_PID)"
}

# Stops the registry this run started, never one it found running.
stop_registry() {
    local pid=$REGISTRY_PID
    [ -n "$pid" ] || return 0
    REGISTRY_PID=
    kill -TERM "$pid" 2>/dev/null || return 0
    local tries=50
    while [ "$tries" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
        tries=$((tries - 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# The test image in the registry, as $REGISTRY_ADDR/om-test/busybox:latest:
# the pull tests push their own tags of it from there.
push_test_image() {
    local remote=$REGISTRY_ADDR/$TEST_IMAGE out old_id new_id
    old_id=$(docker image inspect --format '{{.Id}}' "$remote" 2>/dev/null || true)
    docker tag "$TEST_IMAGE" "$remote"
    out=$(docker push "$remote" 2>&1) || die "docker push $remote failed: $out"
    # A rebuilt test image: the previous build, kept only by this tag,
    # goes (as scripts/test-image drops it when nothing else refers to it).
    new_id=$(docker image inspect --format '{{.Id}}' "$remote")
    if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ] &&
        [ "$(docker image inspect --format '{{len .RepoTags}}' "$old_id" 2>/dev/null || true)" = 0 ]; then
        docker rmi "$old_id" >/dev/null 2>&1 || true
    fi
    echo "pushed $remote"
}

# What the tests learn of the registry.
registry_env() { printf 'export OM_TEST_REGISTRY=%q\n' "$REGISTRY_ADDR"; }

# The registry, the test image in it, on an engine.
registry_up() {
    ensure_engine
    scripts/test-image
    ensure_registry
    push_test_image
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    RIG_PROG=scripts/rig/registry.sh
    rig_cli registry_up stop_registry registry_env "$@"
fi
