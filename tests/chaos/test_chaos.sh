#!/bin/bash
# WORK IN PROGRESS (not registered with ctest): the driver runs; the warning check is
# still too strict (two fault-free runs differ in transient launch notices) -- see the report.
# The chaos test (tests/chaos/chaos.py): a hub, three leaf servers, three nodes on live
# feeds, faults at random from a seed, against an undisturbed copy run beside it.
# CI: 60 s of scenario wall time (about 100 s in all); longer with CHAOS_SECONDS,
# another draw with CHAOS_SEED.
set -euo pipefail
: "${MWX:?MWX must name the mwx binary}"
command -v nats-server >/dev/null || { echo "FAIL: nats-server not installed" >&2; exit 1; }
exec /usr/bin/python3 "$(dirname "$0")/chaos.py"
