#!/bin/bash
# The chaos test (tests/chaos/chaos.py, docs/SHARING.md "Chaos test"): a hub, three leaf
# servers, three nodes on live feeds, faults at random from a fixed seed, against an
# undisturbed copy run beside it. CI: 30 s of scenario wall time, seed 1 (printed first, so
# a failure reproduces with CHAOS_SEED=1 CHAOS_SECONDS=30); about 75 s in all.
# Longer: build/bench/chaos (CHAOS_SECONDS=300 by default), another draw with CHAOS_SEED.
set -euo pipefail
: "${MWX:?MWX must name the mwx binary}"
command -v nats-server >/dev/null || { echo "FAIL: nats-server not installed" >&2; exit 1; }
export CHAOS_SEED="${CHAOS_SEED:-1}" CHAOS_SECONDS="${CHAOS_SECONDS:-48}" CHAOS_DURATION="${CHAOS_DURATION:-800}"
exec /usr/bin/python3 "$(dirname "$0")/chaos.py"
