#!/usr/bin/env bash
# The multi-node rig (root only): nodes n2 and n3 simulated on this
# machine, each a dockerd and an sshd of its own, and n1, an sshd whose
# login is the host itself on the host engine (ensure_rig; layout below).
# stop_rig tears it down; a rig whose run was killed is torn down by the
# next run (rig_sweep). Exports OM_TEST_RIG, OM_TEST_SSH_CONFIG, OM_RSH and
# OM_TEST_N1_ROOT.
#
# On its own (as root, on an engine that answers):
#   scripts/rig/nodes.sh up [--env ENVFILE] [--release]
#   scripts/rig/nodes.sh down ENVFILE
# The nodes run the om of target/debug (target/release with --release).
[ -z "${OM_RIG_NODES_SH:-}" ] || return 0
OM_RIG_NODES_SH=1
# shellcheck source=scripts/rig/packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

# The multi-node rig (ensure_rig): the nodes (each an sshd), those of them
# with a dockerd of their own (the others use the host engine), where each
# run keeps its rig (one directory per run, named by the pid of its script),
# and the short directory of the nodes' exec roots (dockerd and its
# containerd keep unix sockets there, whose paths may not exceed 107 bytes).
RIG_NODES=(n1 n2 n3)
RIG_ENGINE_NODES=(n2 n3)
# The host engine, n1's: the one the tests' own docker calls talk to.
RIG_HOST_ENGINE=${DOCKER_HOST:-unix:///var/run/docker.sock}
RIG_BASE=/var/lib/om-test-rig
RIG_EXEC_BASE=/run/om-rig
# How long the nodes' engines may take to answer (a process of the rig has
# RIG_STOP_SECONDS to end after SIGTERM).
RIG_WAIT_SECONDS=60
# This run's rig directory ('' until ensure_rig makes it, and again once
# stop_rig has torn it down).
RIG_DIR=
# The pid of each node's dockerd, as this run started it.
declare -gA RIG_DOCKERD_PID=()

# --- The multi-node rig (SPEC 9 and 12) --------------------------------------
#
# Nodes n2 and n3 simulated on this machine, and n1, the host itself under
# a name the others can reach. Each node has
# - n2 and n3: a dockerd of its own: socket, data-root, exec-root, pid file,
#   config file, containerd (namespace rig-NODE), no bridge and no iptables
#   rules, so that it touches nothing of the host engine's; n1 has none: its
#   engine is the host engine (RIG_HOST_ENGINE), which the rig never starts
#   nor stops, and whose containers are not the rig's business (a test that
#   makes one on n1 removes it);
# - an sshd on its own 127.0.0.1 port, whose SetEnv makes a login on it that
#   node: OSVC_NODENAME, OSVC_ROOT_PATH, DOCKER_HOST (its engine), a PATH
#   that starts with the directory of the om under test, and OM_RSH, the
#   tests' own (so that om on one node reaches the others: n2 -> n1, n3).
# The tests reach a node as `ssh -F $OM_TEST_SSH_CONFIG n2 …` (Host aliases
# named after the nodes); om itself through OM_RSH.
#
# Each run has a rig of its own, $RIG_BASE/<pid of the script>: another run
# on this machine (another checkout) keeps its rig, and a rig whose run was
# killed before its EXIT trap is torn down by the next run (rig_sweep).
# Nothing is trusted by name alone: a pid file counts only when it names a
# live process of the expected name whose command line names this rig.
#
# $RIG_BASE/PID/                  this run's rig (RIG_DIR, OM_TEST_RIG)
#   owner                         "PID START": the run that owns it
#   id_ed25519, authorized_keys   the client key, the one key sshd accepts
#   ssh_config, known_hosts       what ssh -F reads
#   NODE/docker.sock, docker/     the node's engine (n2, n3): socket, data-root,
#   NODE/docker.pid, daemon.json, dockerd.log
#   NODE/sshd_config, sshd.pid, sshd.log, ssh_host_ed25519_key
#   NODE/root/                    the node's OSVC_ROOT_PATH (OM_TEST_N1_ROOT for n1)
#   NODE/home/                    the HOME of a login on the node (empty)
# $RIG_EXEC_BASE/PID/NODE/        the node's dockerd exec root (n2, n3)

# The exec roots of rig directory $1.
rig_exec_base() { echo "$RIG_EXEC_BASE/${1##*/}"; }

# Tears down rig directory $1: sshds, then the containers on each node's
# engine, then the dockerds (with their containerd), then what a killed
# dockerd may have left (its containerd, container processes, mounts), then
# the files. Works on a rig whose run was killed half way as well. A node
# without a dockerd of its own (n1, on the host engine) has only its sshd
# stopped: no pid file, pid or socket of the rig names the host engine, so
# it and its containers are never touched.
rig_teardown() {
    local dir=$1 xbase node nodes=() pid pids=() waits=() ids
    xbase=$(rig_exec_base "$dir")
    for node in "$dir"/*/; do
        if [ -d "$node" ]; then nodes+=("${node%/}"); fi
    done

    # sshd first: no test reaches a node while it goes.
    for node in "${nodes[@]}"; do
        if pid=$(verified_pid "$node/sshd.pid" sshd "-f $node/sshd_config"); then pids+=("$pid"); fi
    done
    stop_pids "${pids[@]}"

    # Containers are removed while their dockerd answers, all nodes at once:
    # a dockerd that is stopped would stop them one by one.
    pids=()
    for node in "${nodes[@]}"; do
        # A dockerd this run started may not have written its pid file yet
        # (an interrupt at once): the pid this run keeps, verified the same.
        pid=$(verified_pid "$node/docker.pid" dockerd "-H unix://$node/docker.sock") ||
            pid=${RIG_DOCKERD_PID[${node##*/}]:-}
        is_proc "$pid" dockerd "-H unix://$node/docker.sock" || continue
        pids+=("$pid")
        (
            ids=$(timeout 10 docker -H "unix://$node/docker.sock" ps -aq 2>/dev/null) || exit 0
            # shellcheck disable=SC2086 # one id a word
            [ -z "$ids" ] || timeout 30 docker -H "unix://$node/docker.sock" rm -f $ids >/dev/null 2>&1 || true
        ) &
        waits+=($!)
    done
    for pid in "${waits[@]}"; do wait "$pid" || true; done

    # dockerd stops the containerd it started. One killed before (kill -9)
    # leaves it running, with a shim per container still running, the
    # shim's children being the containers' first processes.
    stop_pids "${pids[@]}"
    pids=()
    for node in "${nodes[@]}"; do
        local xroot=$xbase/${node##*/}
        if pid=$(verified_pid "$xroot/containerd/containerd.pid" containerd \
            "--config $xroot/containerd/containerd.toml"); then pids+=("$pid"); fi
        mapfile -t -O "${#pids[@]}" pids < <(rig_shims_and_children "$xroot/containerd/containerd.sock")
    done
    stop_pids "${pids[@]}"

    # Mounts a killed dockerd leaves (container root file systems, network
    # namespaces), deepest first, before any file goes.
    awk -v a="$dir/" -v b="$xbase/" 'index($5, a) == 1 || index($5, b) == 1 { print $5 }' \
        /proc/self/mountinfo | sort -r | while read -r mnt; do
        umount -l "$mnt" 2>/dev/null || true
    done
    # The exec roots first: a rig directory left means a teardown to finish.
    # (A failure is told, not fatal: the EXIT trap goes on with the rest.)
    rm -rf --one-file-system "$xbase" || echo "rig: could not remove all of $xbase" >&2
    rm -rf --one-file-system "$dir" || echo "rig: could not remove all of $dir" >&2
    rmdir "$RIG_EXEC_BASE" 2>/dev/null || true
}

# The pids of the containerd shims serving containerd socket $1, each
# followed by its children (the containers' first processes).
rig_shims_and_children() {
    local sock=$1 d pid shims=() stat fields
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        # comm is cut to 15 bytes: containerd-shim-runc-v2 is "containerd-shim".
        if is_proc "$pid" containerd-shim "-address $sock"; then shims+=("$pid"); fi
    done
    [ "${#shims[@]}" -gt 0 ] || return 0
    for d in /proc/[0-9]*; do
        stat=$(cat "$d/stat" 2>/dev/null) || continue
        read -r -a fields <<<"${stat##*) }"
        for pid in "${shims[@]}"; do
            if [ "${fields[1]}" = "$pid" ]; then echo "${d#/proc/}"; fi
        done
    done
    printf '%s\n' "${shims[@]}"
}

# Tears down every rig whose run is over. A rig whose owner still runs
# belongs to a run going on beside this one: it is left alone.
rig_sweep() {
    local dir
    # A run killed before its rig directory got its name left only this.
    for dir in "$RIG_BASE"/.new.*/; do
        if [ -d "$dir" ] && ! rig_owner_alive "${dir%/}"; then rm -rf "${dir%/}"; fi
    done
    for dir in "$RIG_BASE"/*/; do
        [ -d "$dir" ] || continue
        dir=${dir%/}
        if rig_owner_alive "$dir"; then continue; fi
        echo "tearing down the rig of a run that is over: $dir"
        rig_teardown "$dir"
    done
}

# The directory of the om that `cargo test "$@"` tests: the nodes' PATH
# starts there, so that a remote `om` is the om under test. cargo builds it
# after the rig is up, which is fine: ssh finds it at call time.
om_bin_dir() {
    local target profile=debug arg
    target=$(cargo metadata --no-deps --format-version 1 |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])') ||
        return 1
    for arg in "$@"; do
        if [ "$arg" = --release ]; then profile=release; fi
    done
    echo "$target/$profile"
}

# The major version of dockerd $1 (99 when unknown).
dockerd_major() {
    local v
    v=$("$1" --version 2>/dev/null) || v=
    v=${v#Docker version }
    v=${v%%.*}
    case $v in '' | *[!0-9]*) echo 99 ;; *) echo "$v" ;; esac
}

# Starts node $1's dockerd, detached; rig_wait_engines waits for it.
rig_start_dockerd() {
    local node=$1 dir=$RIG_DIR/$1 dockerd driver xroot conf='{}'
    dockerd=$(dockerd_path) || die "dockerd not found (apt-get install -y docker.io)"
    xroot=$(rig_exec_base "$RIG_DIR")/$node
    mkdir -p "$dir/docker" "$dir/root" "$xroot"
    # Up to docker 22, the engine ID comes from a key file that all daemons
    # share by default (/etc/docker/key.json): each node gets its own, or
    # its engine would have the host engine's ID. Later versions keep the ID
    # in the data-root, and refuse the option.
    if [ "$(dockerd_major "$dockerd")" -lt 23 ]; then
        conf="{\"deprecated-key-path\": \"$dir/key.json\"}"
    fi
    # An explicit config file: never /etc/docker/daemon.json, the host's.
    echo "$conf" >"$dir/daemon.json"
    # The host engine's cgroup driver: the tests compute a --cgroup-parent
    # in that driver's form (support::cgroup_parent).
    driver=$(timeout 10 docker info --format '{{.CgroupDriver}}' 2>/dev/null) || driver=cgroupfs
    # setsid: a ^C at the terminal reaches cargo, not the nodes' engines; the
    # EXIT trap stops them in order. The label names the node in docker info.
    setsid "$dockerd" -H "unix://$dir/docker.sock" \
        --data-root "$dir/docker" --exec-root "$xroot" --pidfile "$dir/docker.pid" \
        --config-file "$dir/daemon.json" \
        --containerd-namespace "rig-$node" --containerd-plugins-namespace "rig-${node}p" \
        --bridge=none --iptables=false --ip6tables=false \
        --exec-opt "native.cgroupdriver=$driver" --label "om.test.node=$node" \
        >"$dir/dockerd.log" 2>&1 </dev/null &
    RIG_DOCKERD_PID[$node]=$!
}

# Waits until every node's engine answers (RIG_WAIT_SECONDS in all); a
# dockerd that exits ends the wait at once.
rig_wait_engines() {
    local deadline=$((SECONDS + RIG_WAIT_SECONDS)) node pid waiting why
    while :; do
        waiting=()
        why=
        for node in "${RIG_ENGINE_NODES[@]}"; do
            timeout 5 docker -H "unix://$RIG_DIR/$node/docker.sock" info >/dev/null 2>&1 && continue
            waiting+=("$node")
            pid=${RIG_DOCKERD_PID[$node]}
            proc_alive "$pid" || why="${why:+$why; }the dockerd of node $node (pid $pid) exited"
        done
        [ "${#waiting[@]}" -gt 0 ] || return 0
        [ -z "$why" ] || break
        if [ "$SECONDS" -ge "$deadline" ]; then
            why="the engine of node(s) ${waiting[*]} did not answer within ${RIG_WAIT_SECONDS}s"
            break
        fi
        sleep 0.2
    done
    echo "$why" >&2
    for node in "${waiting[@]}"; do
        echo "--- tail of $RIG_DIR/$node/dockerd.log" >&2
        tail -n 40 "$RIG_DIR/$node/dockerd.log" >&2 || true
    done
    return 1
}

# The DOCKER_HOST of node $1: its own dockerd's, or the host engine for a
# node without one (n1).
rig_docker_host() {
    local engine_node
    for engine_node in "${RIG_ENGINE_NODES[@]}"; do
        if [ "$engine_node" = "$1" ]; then
            echo "unix://$RIG_DIR/$1/docker.sock"
            return 0
        fi
    done
    echo "$RIG_HOST_ENGINE"
}

# What a login on any node runs instead of `ssh -o BatchMode=yes` (OM_RSH,
# exported for the tests too): the rig's ssh config reaches every node.
rig_rsh() { echo "ssh -F $RIG_DIR/ssh_config -o BatchMode=yes"; }

# Writes node $1's sshd config, for port $2 and om directory $3.
rig_sshd_config() {
    local node=$1 port=$2 bindir=$3 dir=$RIG_DIR/$1 pam=no
    # Without PAM, sshd refuses an account locked in /etc/shadow ("!…"),
    # which root may be on a machine where one logs in with sudo; with PAM,
    # Debian's session stack (pam_loginuid) fails in many containers. So
    # PAM only where it is needed.
    case $(getent shadow root | cut -d: -f2) in '!'*) pam=yes ;; esac
    cat >"$dir/sshd_config" <<CONF
# Written by scripts/rig/nodes.sh: node $node of the test rig.
ListenAddress 127.0.0.1
Port $port
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
# The tests run as root and log in as root, with the rig's key alone.
PermitRootLogin prohibit-password
AuthorizedKeysFile $RIG_DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM $pam
# Tests run side by side, each opening connections: the default
# (10:30:100) would drop some of them.
MaxStartups 200
MaxSessions 100
X11Forwarding no
PrintMotd no
PrintLastLog no
# scp (which speaks sftp since OpenSSH 9) works too.
Subsystem sftp internal-sftp
# What makes a login this node. HOME is the node's own (empty) home: bash,
# which sshd runs for each command, reads no ~/.bashrc of this machine's
# root (one with pyenv in it costs 0.2-0.3 s of CPU per call, which the
# simulated nodes would then contend for on this machine's cores; a real
# node's shell setup is its own). A quoted token holds a value with spaces
# (OM_RSH).
SetEnv OSVC_NODENAME=$node OSVC_ROOT_PATH=$dir/root DOCKER_HOST=$(rig_docker_host "$node") PATH=$bindir:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "OM_RSH=$(rig_rsh)" HOME=$dir/home
CONF
}

# Starts node $1's sshd (om directory $2) on a free 127.0.0.1 port; prints
# the port.
rig_start_sshd() {
    local node=$1 bindir=$2 dir=$RIG_DIR/$1 port tries=5 deadline
    # (a node with a dockerd has them already; n1 makes them here)
    mkdir -p "$dir/root"
    mkdir -m 0700 -p "$dir/home"
    ssh-keygen -q -t ed25519 -N '' -C "om-test-rig $node" -f "$dir/ssh_host_ed25519_key" >/dev/null
    while :; do
        port=$(free_port)
        rig_sshd_config "$node" "$port" "$bindir"
        # Without -D, sshd returns once it listens (then its child writes
        # the pid file); it logs to sshd.log, never to syslog.
        if "$SSHD" -f "$dir/sshd_config" -E "$dir/sshd.log" >&2; then break; fi
        tries=$((tries - 1))
        if [ "$tries" -gt 0 ] && grep -q 'Address already in use' "$dir/sshd.log"; then continue; fi
        echo "--- tail of $dir/sshd.log" >&2
        tail -n 20 "$dir/sshd.log" >&2 || true
        die "could not start the sshd of node $node"
    done
    deadline=$((SECONDS + 10))
    until verified_pid "$dir/sshd.pid" sshd "-f $dir/sshd_config" >/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || die "the sshd of node $node wrote no pid file ($dir/sshd.pid)"
        sleep 0.05
    done
    echo "$port"
}

# Brings the rig up (root only) and exports, for cargo test:
#   OM_TEST_RIG         the rig directory (layout above)
#   OM_TEST_SSH_CONFIG  the ssh config with a Host per node
#   OM_RSH              what om runs instead of `ssh -o BatchMode=yes` (here
#                       and on every node)
#   OM_TEST_N1_ROOT     n1's OSVC_ROOT_PATH (n1 runs on the host engine)
# "$@" are cargo test's arguments (--release changes which om the nodes run).
ensure_rig() {
    if ! is_root; then
        echo "rig not started: the simulated nodes run dockerd and sshd as root (the nodes tests will fail)"
        return 0
    fi
    local t0 bindir node port
    t0=$(now_ms)
    bindir=$(om_bin_dir "$@") || die "cargo metadata failed: no target directory for the nodes' PATH"
    mkdir -p "$RIG_BASE" "$RIG_EXEC_BASE"
    rig_sweep
    make_owned_dir "$RIG_BASE" rig
    RIG_DIR=$RIG_BASE/$$

    for node in "${RIG_ENGINE_NODES[@]}"; do rig_start_dockerd "$node"; done

    # While the engines start: keys and sshds. sshd wants its privilege
    # separation directory (normally made by its service unit).
    ssh-keygen -q -t ed25519 -N '' -C om-test-rig -f "$RIG_DIR/id_ed25519" >/dev/null
    cp "$RIG_DIR/id_ed25519.pub" "$RIG_DIR/authorized_keys"
    [ -d /run/sshd ] || mkdir -m 0755 /run/sshd
    local ssh_config=$RIG_DIR/ssh_config
    cat >"$ssh_config" <<CONF
# Written by scripts/rig/nodes.sh: the nodes of the test rig ($RIG_DIR).
CONF
    : >"$RIG_DIR/known_hosts"
    for node in "${RIG_NODES[@]}"; do
        port=$(rig_start_sshd "$node" "$bindir")
        # HostKeyAlias: known_hosts names the node, whatever its port.
        cat >>"$ssh_config" <<CONF
Host $node
    HostName 127.0.0.1
    Port $port
    HostKeyAlias $node
CONF
        echo "$node $(cut -d' ' -f1,2 "$RIG_DIR/$node/ssh_host_ed25519_key.pub")" >>"$RIG_DIR/known_hosts"
    done
    # Nothing from ~/.ssh or /etc/ssh: the rig's key, the rig's known hosts
    # (so the host keys are checked), never a prompt.
    cat >>"$ssh_config" <<CONF
Host *
    User root
    IdentityFile $RIG_DIR/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $RIG_DIR/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 10
    LogLevel ERROR
CONF

    rig_wait_engines || die "could not start the nodes' engines"
    local rsh
    rsh=$(rig_rsh)
    for node in "${RIG_NODES[@]}"; do
        local out
        # The whole environment, OM_RSH's spaces included (SetEnv's quoted
        # token).
        # shellcheck disable=SC2016 # expanded on the node
        out=$(timeout 30 ssh -n -F "$ssh_config" "$node" 'echo "$OSVC_NODENAME|$OM_RSH"' 2>&1) || out="failed: $out"
        if [ "$out" != "$node|$rsh" ]; then
            echo "--- tail of $RIG_DIR/$node/sshd.log" >&2
            tail -n 20 "$RIG_DIR/$node/sshd.log" >&2 || true
            die "ssh to node $node: got '$out', want '$node|$rsh' (its SetEnv)"
        fi
    done

    export OM_TEST_RIG=$RIG_DIR
    export OM_TEST_SSH_CONFIG=$ssh_config
    export OM_RSH=$rsh
    export OM_TEST_N1_ROOT=$RIG_DIR/n1/root
    echo "rig up in $(since "$t0"): nodes ${RIG_NODES[*]} in $RIG_DIR (om from $bindir)"
}

# Tears down the rig this run brought up (the EXIT trap of scripts/test, or
# of the rig's own up).
stop_rig() {
    local dir=$RIG_DIR t0
    [ -n "$dir" ] || return 0
    RIG_DIR=
    t0=$(now_ms)
    rig_teardown "$dir"
    echo "rig down in $(since "$t0")"
}

# What the tests learn of the rig (what ensure_rig exported; empty when it
# did not start one).
nodes_env() {
    printf 'export OM_TEST_RIG=%q\n' "${OM_TEST_RIG:-}"
    printf 'export OM_TEST_SSH_CONFIG=%q\n' "${OM_TEST_SSH_CONFIG:-}"
    printf 'export OM_RSH=%q\n' "${OM_RSH:-}"
    printf 'export OM_TEST_N1_ROOT=%q\n' "${OM_TEST_N1_ROOT:-}"
}

# The rig on the host engine; "$@" as ensure_rig's.
nodes_up() {
    is_root || die "the nodes' dockerd and sshd run as root: run as root"
    ensure_engine
    ensure_cargo
    ensure_rig "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    RIG_PROG=scripts/rig/nodes.sh
    rig_cli nodes_up stop_rig nodes_env "$@"
fi
