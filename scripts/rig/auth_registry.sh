#!/usr/bin/env bash
# The image registry behind credentials, for registry_creds: always this
# run's own (see below), stopped and removed at exit (stop_auth_registry),
# the test image pushed to it as its user (push_auth_test_image). Exports
# OM_TEST_AUTH_REGISTRY, OM_TEST_AUTH_USER and OM_TEST_AUTH_PASSWORD.
#
# On its own: scripts/rig/auth_registry.sh up [--env ENVFILE] (also builds
# the test image and pushes it), scripts/rig/auth_registry.sh down ENVFILE.
[ -z "${OM_RIG_AUTH_REGISTRY_SH:-}" ] || return 0
OM_RIG_AUTH_REGISTRY_SH=1
# shellcheck source=scripts/rig/registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/registry.sh"

# The registry behind credentials (ensure_auth_registry): the port it
# takes when free, its one user, where runs keep theirs (one directory per
# run, named by the pid of its script), and, once it is up, its address,
# the user's password, this run's directory and its pid.
AUTH_REGISTRY_PORT=5001
AUTH_REGISTRY_USER=omtest
AUTH_REGISTRY_ADDR=
AUTH_REGISTRY_PASSWORD=
AUTH_REGISTRY_DIR=
AUTH_REGISTRY_PID=

# --- The registry behind credentials (SPEC 9 and 13) -------------------------
#
# A second docker-registry, with htpasswd auth, for registry_creds: an
# anonymous GET /v2/ gets 401, its one user ($AUTH_REGISTRY_USER) gets 200.
# Unlike the open registry, one found running is never reused: its password
# is no business of this run (and a file left by another run is no proof of
# it). So each run starts its own, with a password of its own, on
# 127.0.0.1:$AUTH_REGISTRY_PORT when that port is free, else on any free
# port (a run beside this one may hold 5001); OM_TEST_AUTH_REGISTRY says
# which. Its directory is owned like a rig directory (rig_owner_alive), so
# that the registry of a run killed before its EXIT trap is stopped by the
# next run (auth_registry_sweep) rather than left on its port.
#
# $(auth_registry_base)/PID/      this run's (AUTH_REGISTRY_DIR), 0700
#   owner                         "PID START": the run that owns it
#   config.yml, registry.log, storage/
#   htpasswd                      the user, bcrypt (the one hash it takes)
#   password                      the user's password (0600)
#   client/config.json            push_auth_test_image's docker config, for
#                                 the push only

auth_registry_base() {
    if is_root; then
        echo /var/lib/om-test-auth-registry
    else
        echo "${TMPDIR:-/tmp}/om-test-auth-registry.$(id -u)"
    fi
}

# What answers GET http://$1/v2/ with and without user $2's password (in
# $OM_PROBE_PASSWORD: an argv is seen by ps): exit 0 for a registry v2 that
# answers 401 (Basic) to an anonymous call and 200 to the user's, 1 when
# nothing listens, 2 for anything else (another server, an open registry,
# a refused password, no answer in time).
auth_registry_probe() {
    python3 - "$1" "$2" <<'EOF'
import base64
import os
import sys
import urllib.error
import urllib.request

addr, user = sys.argv[1], sys.argv[2]
token = base64.b64encode(("%s:%s" % (user, os.environ["OM_PROBE_PASSWORD"])).encode())
# No proxy: an http_proxy in CI's environment must not see a loopback URL.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

def get(headers):
    request = urllib.request.Request("http://%s/v2/" % addr, headers=headers)
    try:
        return opener.open(request, timeout=3)
    except urllib.error.HTTPError as e:
        return e

try:
    anonymous = get({})
    known = get({"Authorization": "Basic " + token.decode()})
except urllib.error.URLError as e:
    sys.exit(1 if isinstance(e.reason, ConnectionRefusedError) else 2)
except OSError:
    sys.exit(2)
api = known.headers.get("Docker-Distribution-Api-Version", "")
sys.exit(
    0
    if anonymous.status == 401
    and anonymous.headers.get("WWW-Authenticate", "").startswith("Basic ")
    and known.status == 200
    and api.startswith("registry/2")
    else 2
)
EOF
}

# Stops the registries of the runs that are over (killed before their EXIT
# trap) and removes their directories. One whose owner still runs belongs to
# a run going on beside this one: it is left alone.
auth_registry_sweep() {
    local base=$1 dir d pid pids
    # A run killed before its directory got its name left only this.
    for dir in "$base"/.new.*/; do
        if [ -d "$dir" ] && ! rig_owner_alive "${dir%/}"; then rm -rf "${dir%/}"; fi
    done
    for dir in "$base"/*/; do
        [ -d "$dir" ] || continue
        dir=${dir%/}
        if rig_owner_alive "$dir"; then continue; fi
        echo "stopping the auth registry of a run that is over: $dir"
        # By its command line, not a pid file: a run may have been killed
        # between the start and any file written.
        pids=()
        for d in /proc/[0-9]*; do
            pid=${d#/proc/}
            if is_proc "$pid" docker-registry "serve $dir/config.yml"; then pids+=("$pid"); fi
        done
        stop_pids "${pids[@]}"
        rm -rf "$dir"
    done
}

# Waits until the auth registry we started (pid $1) answers as it should.
wait_for_auth_registry() {
    local pid=$1 deadline=$((SECONDS + REGISTRY_WAIT_SECONDS)) probe
    while [ "$SECONDS" -lt "$deadline" ]; do
        probe=0
        OM_PROBE_PASSWORD=$AUTH_REGISTRY_PASSWORD auth_registry_probe "$AUTH_REGISTRY_ADDR" "$AUTH_REGISTRY_USER" ||
            probe=$?
        if [ "$probe" -eq 0 ]; then return 0; fi
        # (It exits when another process took the port first.)
        if ! proc_alive "$pid"; then
            echo "docker-registry (pid $pid) exited" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "the auth registry did not answer as one on $AUTH_REGISTRY_ADDR within ${REGISTRY_WAIT_SECONDS}s" >&2
    return 1
}

# Starts this run's registry behind credentials (see above); stop_auth_registry
# (the EXIT trap of scripts/test, or of the rig's own up) stops it and
# removes its directory.
ensure_auth_registry() {
    command -v htpasswd >/dev/null 2>&1 || die "htpasswd not found (apt-get install -y apache2-utils)"
    [ -x "$REGISTRY_BIN" ] || die "$REGISTRY_BIN not found (apt-get install -y docker-registry)"
    local base dir port tries=5
    base=$(auth_registry_base)
    mkdir -p "$base"
    auth_registry_sweep "$base"
    make_owned_dir "$base" "auth registry"
    AUTH_REGISTRY_DIR=$base/$$
    dir=$AUTH_REGISTRY_DIR
    mkdir "$dir/storage"
    # 64 hex digits: alphanumeric, so no quoting trouble in any config. od,
    # not tr -dc on the endless /dev/urandom: that tr dies of SIGPIPE, which
    # pipefail makes a failure.
    AUTH_REGISTRY_PASSWORD=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (
        umask 077
        printf '%s\n' "$AUTH_REGISTRY_PASSWORD" >"$dir/password"
        # -i: the password from stdin, never on an argv (ps); -B: bcrypt,
        # the only hash the registry accepts.
        printf '%s\n' "$AUTH_REGISTRY_PASSWORD" | htpasswd -niB "$AUTH_REGISTRY_USER" >"$dir/htpasswd"
    ) || die "could not write $dir/htpasswd"
    port=$AUTH_REGISTRY_PORT
    port_free "$port" || port=$(free_port)
    while :; do
        AUTH_REGISTRY_ADDR=127.0.0.1:$port
        cat >"$dir/config.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: $AUTH_REGISTRY_ADDR
auth:
  htpasswd:
    realm: om-test
    path: $dir/htpasswd
EOF
        echo "starting $REGISTRY_BIN with htpasswd auth on $AUTH_REGISTRY_ADDR (log: $dir/registry.log)"
        # setsid: a ^C at the terminal reaches cargo, not the registry; the
        # EXIT trap stops it in order.
        setsid "$REGISTRY_BIN" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
        AUTH_REGISTRY_PID=$!
        if wait_for_auth_registry "$AUTH_REGISTRY_PID"; then break; fi
        stop_pids "$AUTH_REGISTRY_PID"
        wait "$AUTH_REGISTRY_PID" 2>/dev/null || true
        AUTH_REGISTRY_PID=
        # The port was free when asked; someone may have taken it since.
        tries=$((tries - 1))
        if [ "$tries" -gt 0 ] && grep -qi 'address already in use' "$dir/registry.log"; then
            port=$(free_port)
            continue
        fi
        echo "--- tail of $dir/registry.log" >&2
        tail -n 40 "$dir/registry.log" >&2 || true
        die "could not start the auth registry"
    done
    echo "auth registry answers 401, and 200 to $AUTH_REGISTRY_USER (docker-registry pid $AUTH_REGISTRY_PID)"
}

# The test image in the auth registry, as ADDR/om-test/busybox:latest (the
# open registry's repository name), pushed as its user. The credentials go
# to a docker config of the push's own, written here: `docker login` into
# an empty --config would hand them to a credential helper when one is in
# PATH (docker-credential-secretservice, -pass), out of that directory, and
# ~/.docker is the host's. It is the config.json a registry_creds secret
# holds, too. The local tag goes after the push: the tests' pulls of that
# name then reach the registry.
push_auth_test_image() {
    local remote=$AUTH_REGISTRY_ADDR/$TEST_IMAGE client=$AUTH_REGISTRY_DIR/client auth out rc=0
    auth=$(printf '%s:%s' "$AUTH_REGISTRY_USER" "$AUTH_REGISTRY_PASSWORD" | base64 -w0)
    mkdir -m 0700 "$client"
    (
        umask 077
        printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$AUTH_REGISTRY_ADDR" "$auth" >"$client/config.json"
    )
    docker tag "$TEST_IMAGE" "$remote"
    out=$(docker --config "$client" push "$remote" 2>&1) || rc=$?
    rm -rf "$client"
    docker rmi "$remote" >/dev/null
    [ "$rc" -eq 0 ] || die "docker push $remote as $AUTH_REGISTRY_USER failed: $out"
    echo "pushed $remote (as $AUTH_REGISTRY_USER)"
}

# Stops this run's auth registry and removes its directory, password and
# all.
stop_auth_registry() {
    local dir=$AUTH_REGISTRY_DIR pid=$AUTH_REGISTRY_PID
    [ -n "$dir" ] || return 0
    AUTH_REGISTRY_DIR=
    AUTH_REGISTRY_PID=
    # (verified: a registry that exited and was reaped left a pid that
    # may be another process's by now)
    if is_proc "$pid" docker-registry "serve $dir/config.yml"; then stop_pids "$pid"; fi
    if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}

# What the tests learn of the registry behind credentials.
auth_registry_env() {
    printf 'export OM_TEST_AUTH_REGISTRY=%q\n' "$AUTH_REGISTRY_ADDR"
    printf 'export OM_TEST_AUTH_USER=%q\n' "$AUTH_REGISTRY_USER"
    printf 'export OM_TEST_AUTH_PASSWORD=%q\n' "$AUTH_REGISTRY_PASSWORD"
}

# The registry behind credentials, the test image in it, on an engine.
auth_registry_up() {
    ensure_engine
    scripts/test-image
    ensure_auth_registry
    push_auth_test_image
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    RIG_PROG=scripts/rig/auth_registry.sh
    rig_cli auth_registry_up stop_auth_registry auth_registry_env "$@"
fi
