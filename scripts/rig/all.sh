#!/usr/bin/env bash
# Every rig the suite needs, in scripts/test's order (packages, engine,
# test image, both registries, the nodes as root), for a developer's shell:
#   scripts/rig/all.sh up --env .devenv [--release]   # then: source .devenv
#   cargo test --test it FILTER
#   scripts/rig/all.sh down .devenv
# The exports are those scripts/test gives cargo test, but for TMPDIR and
# OM_TEST_NAMES (a shell's tests use their own TMPDIR). Down tears down
# what scripts/test's EXIT trap would (stop_all).
set -euo pipefail
# shellcheck source=scripts/test
source "$(dirname "${BASH_SOURCE[0]}")/../test"

all_up() {
    ensure_packages
    ensure_engine
    scripts/test-image
    ensure_registry
    push_test_image
    ensure_auth_registry
    push_auth_test_image
    ensure_cargo
    ensure_rig "$@"
    remove_test_links
}

all_env() {
    engine_env
    registry_env
    auth_registry_env
    nodes_env
}

RIG_PROG=scripts/rig/all.sh
rig_cli all_up stop_all all_env "$@"
