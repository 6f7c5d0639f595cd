#!/bin/bash
# The chaos test (tests/chaos/chaos.py, docs/SHARING.md "Chaos test"): a hub, three leaf
# servers, three nodes on live feeds, faults at random from a fixed seed, against an
# undisturbed copy run beside it. CI: seed 1, 800 s of scenario (M1-M3) in 48 s of wall
# time (the seed is printed first, and a failure prints the command that reproduces it);
# about 85 s in all.
# Longer: build/bench/chaos (CHAOS_SECONDS=300 by default), another draw with CHAOS_SEED.
set -euo pipefail
: "${MWX:?MWX must name the mwx binary}"
command -v nats-server >/dev/null || { echo "FAIL: nats-server not installed" >&2; exit 1; }
# every fault kind (node, hub, leaf, link); CHAOS_KINDS=node,hub,leaf for the run without
# link cuts
export CHAOS_SEED="${CHAOS_SEED:-1}" CHAOS_SECONDS="${CHAOS_SECONDS:-48}" CHAOS_DURATION="${CHAOS_DURATION:-800}" CHAOS_KINDS="${CHAOS_KINDS-}"
exec /usr/bin/python3 "$(dirname "$0")/chaos.py"
