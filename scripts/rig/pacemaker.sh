#!/usr/bin/env bash
# A Pacemaker + Corosync cluster of one or two nodes on this machine (root
# only), for the tests of the OCF agent and of `orchestrate = ha`. Each node
# is a holder process in namespaces of its own: network (corosync's knet and
# libqb's abstract sockets stay in it), mount (a tmpfs under pacemaker's and
# corosync's run and state directories, so that several clusters coexist and
# the host's directories are never touched) and host name (the node's name).
# The holder runs corosync and pacemakerd as plain processes (no systemd),
# stops them on SIGTERM, and stops them too when the run that started it is
# gone (kill -9 included): nothing outlives its run.
#
# Exports OM_TEST_PCMK_DIR (the cluster's directory: `$OM_TEST_PCMK_DIR/on
# NODE CMD…` runs CMD on NODE, inside its namespaces, e.g. `on n1 crm_mon
# -1`) and OM_TEST_PCMK_NODES (the node names, in order).
#
# On its own (as root):
#   scripts/rig/pacemaker.sh up [--env ENVFILE] [--node NAME]… \
#       [--node-env NAME:VAR=VALUE]… [--watch PID]
#   scripts/rig/pacemaker.sh down ENVFILE
# One node (named n1) unless --node says otherwise (at most two). A node's
# pacemakerd, hence the agents it runs, gets a clean environment (PATH,
# HOME, LANG) plus its --node-env variables (say DOCKER_HOST). --watch: the
# cluster goes when process PID does (a test binary's).
#
# Layout ($PCMK_BASE/PID/, PID: the `up` script's):
#   owner                    "PID START": the run that owns it
#   on                       the command that runs a command on a node
#   NODE/holder.pid          "PID START" of the node's holder
#   NODE/corosync.conf, cib.xml, env (VAR=VALUE lines), start (the go signal)
#   NODE/corosync.log, holder.log
# On a node: /var/lib/pacemaker, /var/lib/corosync, /var/log/pacemaker,
# /dev/shm, /run and /usr/lib/ocf/resource.d are the node's own (tmpfs);
# /run holds a symbolic link to each entry the host's /run had when the
# node came up (docker.sock…), so the host's docker engine and the rig's
# sockets are reached as before; resource.d one to each provider of the
# host's (heartbeat, pacemaker), and room for the node's own: `on NODE om
# ocf install` installs ocf:om:svc on that node alone.
# Mounts made on a node (an om `fs` resource started by pacemaker) stay in
# the node's mount namespace: the rig's services are container services.
# One node: corosync's knet on 127.0.0.1 (the node's own loopback). Two
# nodes: a veth pair, `omlink` in each node, 10.213.K.1 and .2/24 (K chosen
# off the host's routes). `on NODE ip link set omlink down` cuts it.
# The namespaces are unnamed (no `ip netns add`): they go with their last
# process, the veth pair with them; nothing of the host's is left to delete.
# The first CIB: stonith-enabled=false (no fencing device here: a test that
# wants the agent to accept it says allow_no_fencing=true), dc-deadtime 2s
# (a controller in about 5 s), cluster-recheck-interval 5s.
[ -z "${OM_RIG_PACEMAKER_SH:-}" ] || return 0
OM_RIG_PACEMAKER_SH=1
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PCMK_BASE=/var/lib/om-test-pcmk
# How long corosync may take to form its membership and pacemaker to elect
# its controller (dc-deadtime is set to 2s in the first CIB).
PCMK_WAIT_SECONDS=90
# The corosync token timeout (ms): a cut link is seen after about that.
PCMK_TOKEN_MS=3000
PCMK_DIR=
PCMK_NODES=()
PCMK_WATCH=
declare -gA PCMK_NODE_ENV=()

pcmk_parse() {
    while [ $# -gt 0 ]; do
        case $1 in
        --node)
            [ -n "${2:-}" ] || die "--node wants a name"
            case $2 in *[!a-z0-9-]*) die "--node $2: a node name is [a-z0-9-]" ;; esac
            PCMK_NODES+=("$2")
            shift 2
            ;;
        --node-env)
            case ${2:-} in *$'\n'*) die "--node-env: a value of one line" ;; *:*=*) ;; *) die "--node-env wants NAME:VAR=VALUE" ;; esac
            PCMK_NODE_ENV[${2%%:*}]+="${2#*:}"$'\n'
            shift 2
            ;;
        --watch)
            case ${2:-} in '' | *[!0-9]*) die "--watch wants a pid" ;; esac
            PCMK_WATCH="$2 $(proc_start "$2")" || die "--watch $2: no such process"
            shift 2
            ;;
        *) die "unknown argument $1" ;;
        esac
    done
    [ "${#PCMK_NODES[@]}" -gt 0 ] || PCMK_NODES=(n1)
    [ "${#PCMK_NODES[@]}" -le 2 ] || die "at most two nodes"
    local n
    for n in "${!PCMK_NODE_ENV[@]}"; do
        case " ${PCMK_NODES[*]} " in *" $n "*) ;; *) die "--node-env $n: no such --node" ;; esac
    done
}

pcmk_check_tools() {
    is_root || die "the Pacemaker rig needs root (namespaces, mounts)"
    local t
    for t in corosync pacemakerd crm_mon cibadmin unshare nsenter ip; do
        command -v "$t" >/dev/null 2>&1 ||
            die "no $t in PATH; install the packages: pacemaker corosync pacemaker-cli-utils util-linux iproute2"
    done
    id hacluster >/dev/null 2>&1 || die "no user hacluster (the pacemaker package makes it)"
}

# A /24 of 10.213.0.0/16 that no route of the host's names (the link lives
# in the nodes' namespaces only, but an address the host also routes would
# make a log or a test ambiguous).
pcmk_subnet() {
    local routes k
    routes=$(ip -4 route show table all 2>/dev/null)
    for k in $(seq $(($$ % 200 + 20)) 254) $(seq 20 254); do
        case $routes in *"10.213.$k."*) continue ;; esac
        echo "10.213.$k"
        return 0
    done
    die "no free /24 in 10.213.0.0/16"
}

# The script a holder runs inside its namespaces: $1 its node directory, $2
# the node name, $3 "PID START" of the run to outlive not.
# shellcheck disable=SC2016 # expanded by the holder
PCMK_HOLDER='
set -u
d=$1 name=$2 watch=$3 t=$1/tmpfs
alive() {
    local s
    s=$(cut -d" " -f22 "/proc/${watch% *}/stat" 2>/dev/null) && [ "$s" = "${watch#* }" ]
}
# A tmpfs of its own: first the run and state directories…
mkdir -p "$t"
mount -t tmpfs -o mode=0755 "om-pcmk-$name" "$t" || exit 1
mkdir -p "$t/hostrun" "$t/run" "$t/pacemaker" "$t/corosync" "$t/log" "$t/shm"
mount --rbind /run "$t/hostrun" || exit 1
# The copies this namespace took of the host'"'"'s mounts of loop devices
# (other tests'"'"' filesystems) and of namespace files (containers'"'"'
# network namespaces under /run/docker/netns): released here, lazily.
# On a host whose mounts are private (no systemd), no umount there
# reaches a copy, which would keep a loop device busy (a data test'"'"'s
# detach fails) or a container'"'"'s network alive for as long as the
# cluster runs.
findmnt -rn -o TARGET,SOURCE,FSTYPE | while read -r tgt src fs; do
    case $src:$fs in
        /dev/loop*:* | *:nsfs) umount -l "$(printf "%b" "$tgt")" 2>/dev/null || true ;;
    esac
done
mount --bind "$t/run" /run || exit 1
for e in "$t"/hostrun/* "$t"/hostrun/.[!.]*; do
    if [ -e "$e" ] || [ -L "$e" ]; then ln -s "$e" "/run/${e##*/}"; fi
done
# …the same for the OCF agents: the host'"'"'s providers, and room for the
# node'"'"'s own (`om ocf install` on the node writes there).
ocf=/usr/lib/ocf/resource.d
mkdir -p "$t/hostocf" "$t/ocf"
if [ -d "$ocf" ]; then
    mount --rbind "$ocf" "$t/hostocf" || exit 1
    for e in "$t"/hostocf/*; do
        if [ -e "$e" ]; then ln -s "$e" "$t/ocf/${e##*/}"; fi
    done
    mount --bind "$t/ocf" "$ocf" || exit 1
fi
mount --bind "$t/pacemaker" /var/lib/pacemaker || exit 1
mount --bind "$t/corosync" /var/lib/corosync || exit 1
mount --bind "$t/log" /var/log/pacemaker || exit 1
mount --bind "$t/shm" /dev/shm || exit 1
chmod 1777 /dev/shm
mkdir -p /var/lib/pacemaker/cib /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox \
    /var/lib/pacemaker/cores /run/crm
cp "$d/cib.xml" /var/lib/pacemaker/cib/cib.xml
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker /run/crm
chmod 0750 /var/lib/pacemaker/* && chmod 0770 /var/log/pacemaker
hostname "$name"
ip link set lo up
touch "$d/ready"
while [ ! -e "$d/start" ]; do alive || exit 1; sleep 0.1; done
corosync -f -c "$d/corosync.conf" >"$d/corosync.log" 2>&1 &
cpid=$!
for _ in $(seq 100); do
    corosync-cfgtool -s >/dev/null 2>&1 && break
    sleep 0.1
done
mapfile -t vars <"$d/env"
env -i "${vars[@]}" pacemakerd >"$d/pacemakerd.log" 2>&1 &
ppid=$!
stop() {
    kill -TERM "$ppid" 2>/dev/null
    for _ in $(seq 300); do kill -0 "$ppid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$ppid" 2>/dev/null
    pkill -KILL -P "$ppid" 2>/dev/null
    kill -TERM "$cpid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$cpid" 2>/dev/null
    exit 0
}
trap stop TERM INT HUP
while alive && kill -0 "$cpid" 2>/dev/null; do sleep 1 & wait $!; done
stop
'

pcmk_corosync_conf() {
    local subnet=$1 i=0 n addr
    cat <<EOF
totem {
    version: 2
    cluster_name: om-${PCMK_DIR##*/}
    transport: knet
    crypto_cipher: none
    crypto_hash: none
    token: $PCMK_TOKEN_MS
}
nodelist {
EOF
    for n in "${PCMK_NODES[@]}"; do
        i=$((i + 1))
        if [ "${#PCMK_NODES[@]}" -eq 1 ]; then addr=127.0.0.1; else addr=$subnet.$i; fi
        printf '    node {\n        ring0_addr: %s\n        name: %s\n        nodeid: %d\n    }\n' "$addr" "$n" "$i"
    done
    cat <<EOF
}
quorum {
    provider: corosync_votequorum
$([ "${#PCMK_NODES[@]}" -eq 2 ] && echo "    two_node: 1")
}
logging {
    to_stderr: yes
    to_logfile: no
    to_syslog: no
    timestamp: on
}
EOF
}

# The first CIB: no fencing device here (a test that wants fencing says so
# with its own property), a 2 s controller election, a short recheck so
# that failure-timeout expires when a test expects it.
pcmk_cib() {
    cat <<'EOF'
<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
        <nvpair id="cib-bootstrap-options-dc-deadtime" name="dc-deadtime" value="2s"/>
        <nvpair id="cib-bootstrap-options-cluster-recheck-interval" name="cluster-recheck-interval" value="5s"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
EOF
}

# The command that runs a command on a node: its holder, verified by its
# start time, entered with nsenter, the node's variables set.
pcmk_on_script() {
    cat <<EOF
#!/usr/bin/env bash
# Runs a command on a node of the cluster $PCMK_DIR: on NODE CMD…
set -euo pipefail
dir=$PCMK_DIR
EOF
    cat <<'EOF'
node=${1:?usage: on NODE CMD…}
shift
[ $# -gt 0 ] || { echo "usage: on NODE CMD…" >&2; exit 2; }
read -r pid start 2>/dev/null <"$dir/$node/holder.pid" || { echo "on: no node $node in $dir" >&2; exit 2; }
now=$(cut -d' ' -f22 "/proc/$pid/stat" 2>/dev/null) || now=
[ "$now" = "$start" ] || { echo "on: node $node of $dir is down" >&2; exit 2; }
vars=()
while IFS= read -r v; do case $v in PATH=* | HOME=* | LANG=*) ;; ?*) vars+=("$v") ;; esac; done <"$dir/$node/env"
exec nsenter -t "$pid" -n -m -u -- env "${vars[@]}" "$@"
EOF
}

pcmk_start() {
    pcmk_parse "$@"
    pcmk_check_tools
    local t0 subnet node i=0 pid deadline pids=()
    t0=$(now_ms)
    mkdir -p "$PCMK_BASE"
    pcmk_sweep
    make_owned_dir "$PCMK_BASE" "pacemaker rig"
    PCMK_DIR=$PCMK_BASE/$$
    subnet=$(pcmk_subnet)
    pcmk_on_script >"$PCMK_DIR/on"
    chmod 0755 "$PCMK_DIR/on"
    for node in "${PCMK_NODES[@]}"; do
        mkdir -m 0700 "$PCMK_DIR/$node"
        pcmk_corosync_conf "$subnet" >"$PCMK_DIR/$node/corosync.conf"
        pcmk_cib >"$PCMK_DIR/$node/cib.xml"
        {
            echo "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            echo "HOME=/root"
            echo "LANG=C.UTF-8"
            printf '%s' "${PCMK_NODE_ENV[$node]:-}"
        } >"$PCMK_DIR/$node/env"
        unshare --net --mount --uts --propagation slave \
            bash -c "$PCMK_HOLDER" holder "$PCMK_DIR/$node" "$node" "$$ $(proc_start $$)" \
            >"$PCMK_DIR/$node/holder.log" 2>&1 </dev/null &
        pid=$!
        echo "$pid $(proc_start "$pid")" >"$PCMK_DIR/$node/holder.pid"
        pids+=("$pid")
    done
    deadline=$((SECONDS + 20))
    for node in "${PCMK_NODES[@]}"; do
        while [ ! -e "$PCMK_DIR/$node/ready" ]; do
            proc_alive "${pids[$i]}" || die "node $node's holder died: $(tail -n 3 "$PCMK_DIR/$node/holder.log")"
            [ "$SECONDS" -lt "$deadline" ] || die "node $node's holder not ready after 20s"
            sleep 0.1
        done
        i=$((i + 1))
    done
    if [ "${#PCMK_NODES[@]}" -eq 2 ]; then
        ip link add omlink netns "${pids[0]}" type veth peer name omlink netns "${pids[1]}" ||
            die "could not make the veth pair between the nodes"
        for i in 0 1; do
            nsenter -t "${pids[$i]}" -n -- ip addr add "$subnet.$((i + 1))/24" dev omlink
            nsenter -t "${pids[$i]}" -n -- ip link set omlink up
        done
    fi
    for node in "${PCMK_NODES[@]}"; do touch "$PCMK_DIR/$node/start"; done
    pcmk_wait_dc || {
        for node in "${PCMK_NODES[@]}"; do
            echo "--- $node: corosync.log" >&2
            tail -n 5 "$PCMK_DIR/$node/corosync.log" >&2 || true
            echo "--- $node: pacemaker.log" >&2
            "$PCMK_DIR/on" "$node" tail -n 15 /var/log/pacemaker/pacemaker.log >&2 || true
        done
        die "no controller elected with all of ${PCMK_NODES[*]} online after ${PCMK_WAIT_SECONDS}s"
    }
    echo "pacemaker rig up in $(since "$t0"): nodes ${PCMK_NODES[*]} in $PCMK_DIR"
}

# Until every node sees a controller and all nodes online.
pcmk_wait_dc() {
    local deadline=$((SECONDS + PCMK_WAIT_SECONDS)) node xml ok
    while [ "$SECONDS" -lt "$deadline" ]; do
        ok=1
        for node in "${PCMK_NODES[@]}"; do
            xml=$("$PCMK_DIR/on" "$node" crm_mon -1 --output-as=xml 2>/dev/null) || xml=
            case $xml in *'<current_dc present="true"'*) ;; *) ok= ;; esac
            [ "$(grep -c 'online="true"' <<<"$xml")" -eq "${#PCMK_NODES[@]}" ] || ok=
        done
        [ -z "$ok" ] || return 0
        sleep 0.5
    done
    return 1
}

# Stops the holders of cluster directory $1 (each stops its pacemakerd and
# corosync), then anything still in their network namespaces, then removes
# the directory.
pcmk_teardown() {
    local dir=$1 node pid start pids=() nets=() p
    for node in "$dir"/*/; do
        [ -r "$node/holder.pid" ] || continue
        read -r pid start <"$node/holder.pid" || continue
        [ "$(proc_start "$pid")" = "$start" ] || continue
        pids+=("$pid")
        nets+=("$(readlink "/proc/$pid/ns/net")")
    done
    RIG_STOP_SECONDS=40 stop_pids "${pids[@]}"
    # What a holder killed with -9 left: processes in its network namespace.
    if [ "${#nets[@]}" -gt 0 ]; then
        pids=()
        for p in /proc/[0-9]*; do
            case " ${nets[*]} " in *" $(readlink "$p/ns/net" 2>/dev/null) "*) pids+=("${p#/proc/}") ;; esac
        done
        stop_pids "${pids[@]}"
    fi
    rm -rf --one-file-system "$dir" || echo "pacemaker rig: could not remove all of $dir" >&2
}

# The clusters of runs that are gone.
pcmk_sweep() {
    local dir
    for dir in "$PCMK_BASE"/[0-9]*; do
        [ -d "$dir" ] || continue
        rig_owner_alive "$dir" && continue
        echo "pacemaker rig: tearing down $dir, left by a run that is gone"
        pcmk_teardown "$dir"
    done
}

pcmk_stop() {
    [ -n "$PCMK_DIR" ] || return 0
    pcmk_teardown "$PCMK_DIR"
    PCMK_DIR=
}

pcmk_env() {
    echo "export OM_TEST_PCMK_DIR=$PCMK_DIR"
    echo "export OM_TEST_PCMK_NODES='${PCMK_NODES[*]}'"
}

# The hold loop of `up --watch PID` ends when that process does.
pcmk_watch_hold() {
    [ -n "$PCMK_WATCH" ] || return 0
    RIG_CLI_WATCH=$PCMK_WATCH
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    RIG_PROG=scripts/rig/pacemaker.sh
    pcmk_up() {
        pcmk_start "$@"
        pcmk_watch_hold
    }
    rig_cli pcmk_up pcmk_stop pcmk_env "$@"
fi
