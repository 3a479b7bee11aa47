#!/usr/bin/env bash
# What the tests may leave and a run takes back: the ip tests' links
# (remove_test_links), the run's own TMPDIR with the mounts and the loop
# devices in it (ensure_test_tmp, check_test_tmp, stop_test_tmp) and the cgroup slices of
# the run's services (remove_test_slices).
#
# On its own: scripts/rig/cleanup.sh links (removes the links whose test
# process is gone).
[ -z "${OM_RIG_CLEANUP_SH:-}" ] || return 0
OM_RIG_CLEANUP_SH=1
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- The ip tests' links (SPEC 16) --------------------------------------------
#
# tests/it/ip.rs makes bridges named omt… and sets each one's alias to
# "om-test PID START", the test process that owns it (PID and its start
# time, as in a rig's owner file); the links om plumbs from them go with
# their containers. A test removes its bridge when it ends, however it ends,
# but a test process that was killed leaves it. So, at the start and at the
# end of a run: every link named omt… whose owner is not alive (or that
# says none) goes. A live owner is a test run beside this one: its links
# are left alone.
remove_test_links() {
    is_root || return 0
    command -v ip >/dev/null 2>&1 || return 0
    local _ name alias pid start now
    while read -r _ name _; do
        name=${name%:}
        name=${name%%@*}
        case $name in omt*) ;; *) continue ;; esac
        alias=$(cat "/sys/class/net/$name/ifalias" 2>/dev/null) || alias=
        pid='' start=''
        case $alias in "om-test "*) read -r _ pid start <<<"$alias" ;; esac
        if [ -n "$pid" ] && now=$(proc_start "$pid") && [ "$now" = "$start" ]; then continue; fi
        ip link delete "$name" 2>/dev/null || true
    done < <(ip -o link show 2>/dev/null || true)
}

# --- The tests' temporary directories -----------------------------------------
#
# cargo test runs with TMPDIR set to a directory of this run's own,
# $TEST_TMP_BASE/PID (PID: this script's; an owner file holds its pid and
# start time, as a rig's does), so that whatever a test leaves there is this
# run's to find and remove. A private dockerd bind-mounts its data root onto
# itself and takes the mount back only when it stops cleanly: a test or an
# om that leaves such a mount behind is a defect, and check_test_tmp fails
# the run naming it (issue 21, item 18). The directories of runs that are
# over (killed: no EXIT trap ran) are unmounted and removed by the next run.
TEST_TMP_DIR=

test_tmp_base() {
    if is_root; then echo /tmp/omt; else echo "${TMPDIR:-/tmp}/omt-$(id -u)"; fi
}

# The mount points at or under directory $1, deepest first.
mounts_under() {
    awk -v a="$1/" 'index($5 "/", a) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# The loop devices whose backing file is at or under directory $1 (the
# kernel's word: /sys/block/loopN/loop/backing_file, " (deleted)" once the
# file is gone), as /dev/loopN. Only those: a loop device of anything else
# on the machine is never touched.
loops_under() {
    local f back
    for f in /sys/block/loop*/loop/backing_file; do
        [ -r "$f" ] || continue
        back=$(cat "$f" 2>/dev/null) || continue
        back=${back% (deleted)}
        case $back in "$1"/*) ;; *) continue ;; esac
        f=${f#/sys/block/}
        echo "/dev/${f%%/*}"
    done
}

# Detaches the loop devices under $1 (tests/it/data.rs attaches them over
# files of its TMPDIR; its guards detach them first: this is the net).
detach_loops_under() {
    command -v losetup >/dev/null 2>&1 || return 0
    local dev
    while read -r dev; do
        [ -n "$dev" ] || continue
        echo "detaching the loop device a test left: $dev"
        losetup -d "$dev" 2>/dev/null || true
    done < <(loops_under "$1")
}

# Unmounts what is mounted under $1 (the mount points the data tests made
# there, a private dockerd's data root), detaches the loop devices whose
# files are there, then removes it (never across a file system:
# --one-file-system, should an unmount have failed).
remove_test_tmp() {
    local dir=$1 mnt
    while read -r mnt; do
        [ -n "$mnt" ] || continue
        umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    done < <(mounts_under "$dir")
    is_root && detach_loops_under "$dir"
    rm -rf --one-file-system "$dir" || echo "$RIG_PROG: could not remove all of $dir" >&2
}

ensure_test_tmp() {
    local base dir
    base=$(test_tmp_base)
    mkdir -p -m 0700 "$base"
    # A base another user made first (or a link to one) is not ours: what
    # the tests write and mount there, and what a sweep removes, would be
    # theirs to steer.
    [ ! -L "$base" ] && [ -d "$base" ] && [ "$(stat -c %u "$base")" = "$(id -u)" ] ||
        die "$base is not a directory of this user's own: remove it, or run as its owner"
    chmod 0700 "$base"
    for dir in "$base"/*/ "$base"/.new.*/; do
        [ -d "$dir" ] || continue
        dir=${dir%/}
        # only this script's run directories: real ones, with an owner file
        [ ! -L "$dir" ] && [ -f "$dir/owner" ] || continue
        if rig_owner_alive "$dir"; then continue; fi
        echo "removing the test directory of a run that is over: $dir"
        remove_test_tmp "$dir"
    done
    make_owned_dir "$base" test
    TEST_TMP_DIR=$base/$$
    mkdir -m 0700 "$TEST_TMP_DIR/tmp"
    export TMPDIR=$TEST_TMP_DIR/tmp
    # the service names the tests make (tests/it/support.rs unique())
    export OM_TEST_NAMES=$TEST_TMP_DIR/names
}

# The cgroup slices om made for this run's test services (their names in
# OM_TEST_NAMES) that a test left (one that ends without a purge): each
# one's directories, deepest first, in every hierarchy. rmdir takes only
# empty cgroups: a slice something still runs in stays, and is said.
remove_test_slices() {
    local names=${OM_TEST_NAMES:-} name dir left=0 removed=0
    [ -n "$names" ] && [ -r "$names" ] || return 0
    while read -r name; do
        case $name in '' | *[!a-z0-9-]*) continue ;; esac
        for dir in /sys/fs/cgroup/opensvc.slice/"$name".slice /sys/fs/cgroup/*/opensvc.slice/"$name".slice; do
            [ -d "$dir" ] || continue
            if find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null; then
                removed=$((removed + 1))
            else
                left=$((left + 1))
            fi
        done
    done <"$names"
    echo "test slices: $removed removed, $left still in use"
}

# After the tests: nothing of theirs may still be mounted (item 18 of issue
# 21 found two data-root mounts of killed daemons left by a full run).
check_test_tmp() {
    [ -n "$TEST_TMP_DIR" ] || return 0
    local left
    left=$(mounts_under "$TEST_TMP_DIR")
    [ -z "$left" ] || die "the tests left mounts behind: $(echo "$left" | tr '\n' ' ')"
}

stop_test_tmp() {
    local dir=$TEST_TMP_DIR
    [ -n "$dir" ] || return 0
    remove_test_slices
    TEST_TMP_DIR=
    remove_test_tmp "$dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    RIG_PROG=scripts/rig/cleanup.sh
    case ${1:-} in
    links) remove_test_links ;;
    *)
        echo "usage: $RIG_PROG links" >&2
        exit 2
        ;;
    esac
fi
