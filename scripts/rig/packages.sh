#!/usr/bin/env bash
# What the machine must have for the suite: the Debian packages of the
# programs the rigs run and the tests call (installed, as root, when
# missing, with no service started: ensure_packages), and cargo with fmt and
# clippy (ensure_cargo).
#
# On its own: scripts/rig/packages.sh up (installs what is missing).
[ -z "${OM_RIG_PACKAGES_SH:-}" ] || return 0
OM_RIG_PACKAGES_SH=1
# shellcheck source=scripts/rig/engine.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine.sh"

# The programs the rigs run, at the paths their packages put them.
BUSYBOX=/bin/busybox
REGISTRY_BIN=/usr/bin/docker-registry
SSHD=/usr/sbin/sshd
POLICY_RC_D=/usr/sbin/policy-rc.d

# Is /bin/busybox the statically linked one? (dpkg when there is one, else
# the ELF header: a dynamic executable has a PT_INTERP program header.)
busybox_static_installed() {
    [ -x "$BUSYBOX" ] || return 1
    if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'
    else
        ! grep -q '/lib.*/ld-linux' "$BUSYBOX"
    fi
}

# Install the Debian packages in "$@" without starting any service.
apt_install() {
    is_root || die "missing $*; run as root or install them: apt-get install -y $*"
    command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get to install them"
    local policy_added=
    if [ ! -e "$POLICY_RC_D" ]; then
        # Keep the packages' init scripts from starting dockerd (or the
        # registry, on all interfaces) their own way.
        printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC_D"
        chmod 0755 "$POLICY_RC_D"
        policy_added=1
    fi
    local rc=0
    # NEEDRESTART_SUSPEND: needrestart (when installed) must not restart
    # services after the install either, dockerd among them.
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q &&
            DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -q \
                -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
    } </dev/null || rc=$?
    if [ -n "$policy_added" ]; then rm -f "$POLICY_RC_D"; fi
    [ "$rc" -eq 0 ] || die "apt-get install $* failed (exit $rc)"
}

ensure_packages() {
    local need=()
    # The image needs the static busybox: Debian's plain `busybox` package
    # (often preinstalled) is dynamically linked and would not run alone in
    # an empty root. busybox-static replaces it.
    busybox_static_installed || need+=(busybox-static)
    # The completion tests load the scripts in real shells; the man page
    # test renders with man.
    command -v zsh >/dev/null 2>&1 || need+=(zsh)
    command -v fish >/dev/null 2>&1 || need+=(fish)
    command -v man >/dev/null 2>&1 || need+=(man-db)
    # The interactive completion tests drive bash (with bash-completion, as
    # a Debian user has it), zsh and fish in tmux.
    command -v tmux >/dev/null 2>&1 || need+=(tmux)
    [ -f /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
    # The pull tests pull from a real registry (distribution v2), which
    # ensure_registry starts on loopback with its own config.
    [ -x "$REGISTRY_BIN" ] || need+=(docker-registry)
    # The registry behind credentials wants a bcrypt htpasswd file.
    command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
    # boot's unit is checked with systemd-analyze verify (no running
    # systemd needed)
    command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
    # An action opens its service's config once: a test counts the opens
    # with strace.
    command -v strace >/dev/null 2>&1 || need+=(strace)
    # The sync tests copy data between nodes with rsync.
    command -v rsync >/dev/null 2>&1 || need+=(rsync)
    if is_root; then
        # The multi-node rig (ensure_rig, root only) runs a dockerd and an
        # sshd per simulated node and reaches them with ssh.
        [ -n "$(dockerd_path)" ] || need+=(docker.io)
        [ -x "$SSHD" ] || need+=(openssh-server)
        { command -v ssh && command -v ssh-keygen; } >/dev/null 2>&1 || need+=(openssh-client)
        # The ip tests (root only: they make bridges and links) plumb
        # addresses with iproute2's ip, ping them from the host and the
        # containers, and om sends a gratuitous ARP with arping when there is
        # one (iputils-arping: /usr/bin/arping, the syntax OpenSVC uses;
        # Debian's `arping` package, /usr/sbin/arping, conflicts with it and
        # is kept when it is there).
        command -v ip >/dev/null 2>&1 || need+=(iproute2)
        command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
        command -v arping >/dev/null 2>&1 || need+=(iputils-arping)
        # The data tests (SPEC 17, root only: loop devices and mounts) make
        # xfs, ext4 and btrfs filesystems on loop files, volume groups with
        # LVM's tools, and copy data with rsync.
        command -v losetup >/dev/null 2>&1 || need+=(mount)
        command -v mkfs.xfs >/dev/null 2>&1 || need+=(xfsprogs)
        command -v mkfs.ext4 >/dev/null 2>&1 || need+=(e2fsprogs)
        command -v mkfs.btrfs >/dev/null 2>&1 || need+=(btrfs-progs)
        command -v vgcreate >/dev/null 2>&1 || need+=(lvm2)
        command -v fuser >/dev/null 2>&1 || need+=(psmisc)
        # The Pacemaker tests (SPEC 18, root only: scripts/rig/pacemaker.sh
        # runs corosync and pacemakerd by hand in namespaces) drive the
        # cluster with pacemaker's command-line tools, test the OCF agent
        # with resource-agents' ocf-tester and check its meta-data with
        # xmllint.
        command -v corosync >/dev/null 2>&1 || need+=(corosync)
        command -v pacemakerd >/dev/null 2>&1 || need+=(pacemaker)
        command -v crm_resource >/dev/null 2>&1 || need+=(pacemaker-cli-utils)
        command -v ocf-tester >/dev/null 2>&1 || need+=(resource-agents)
        command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
        command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
    elif [ -z "$(dockerd_path)" ] && ! engine_answers; then
        # Otherwise dockerd is only needed when there is no engine to talk
        # to already.
        need+=(docker.io)
    fi
    if [ "${#need[@]}" -gt 0 ]; then
        echo "installing ${need[*]}"
        apt_install "${need[@]}"
    fi
    busybox_static_installed || die "$BUSYBOX is not the static busybox even after installing busybox-static"
    command -v docker >/dev/null 2>&1 || die "no docker client in PATH"
}

# What scripts/bench alone needs: docker-compose 1.29 (Debian 12's
# package), which bench (n) times against om on the same containers.
ensure_bench_packages() {
    command -v docker-compose >/dev/null 2>&1 && return 0
    echo "installing docker-compose (for scripts/bench n)"
    apt_install docker-compose
}

ensure_cargo() {
    if ! command -v cargo >/dev/null 2>&1 && [ -x "${HOME:-/root}/.cargo/bin/cargo" ]; then
        PATH="${HOME:-/root}/.cargo/bin:$PATH"
    fi
    command -v cargo >/dev/null 2>&1 || die "cargo not found in PATH"
    cargo fmt --version >/dev/null 2>&1 || die "cargo fmt is missing: rustup component add rustfmt"
    cargo clippy --version >/dev/null 2>&1 || die "cargo clippy is missing: rustup component add clippy"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    RIG_PROG=scripts/rig/packages.sh
    rig_cli ensure_packages '' true "$@"
fi
