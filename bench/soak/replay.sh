#!/bin/bash
# The restart replay of a node on a live feed (docs/BENCHMARKS.md, "Soak"): takes a node's
# outputs from a finished soak run (SOAK_DIR, e.g. $MWX_TMPDIR/node_service_soak after
# `ctest -R node_service_soak`), restarts that node on a copy of them against a fresh
# nats-server with the run's accounts, and prints how long the inbox replay took (from the
# "restart:" log line to "inbox replayed") and what came before it (from the start of the
# process: reading the logs, the recording and the warning journal, loading the scenario).
# Each run starts from the same copy.
# Usage: MWX=build/mwx SOAK_DIR=... bench/soak/replay.sh [NATION [RUNS]]
# REPLAY_HORIZON=S sets the node's replay_horizon_s (0: the whole inbox through fusion).
set -euo pipefail
: "${MWX:?}" "${SOAK_DIR:?}"
MWX=$(realpath "$MWX") SOAK_DIR=$(realpath "$SOAK_DIR")
N=${1:-KR} RUNS=${2:-3}
W=$(mktemp -d)
trap 'kill "$NP" 2>/dev/null || true; rm -rf "$W"' EXIT
cp -r "$SOAK_DIR/keys" "$SOAK_DIR/nats" "$SOAK_DIR/scenario.json" "$W/"
P=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -E "s/127\.0\.0\.1:[0-9]+/127.0.0.1:$P/" "$SOAK_DIR/nats/nats-server.conf" > "$W/nats.conf"
nats-server -c "$W/nats.conf" > "$W/nats.log" 2>&1 &
NP=$!
T=$("$MWX" cat "$SOAK_DIR/out-$N/node-$N.mwxr" | tail -n 1 | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["t"])')
SPEED=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["speed"])' "$SOAK_DIR/node-$N.json")
cd "$W"
for i in $(seq 1 "$RUNS"); do
    rm -rf "out-$N"; cp -r "$SOAK_DIR/out-$N" "out-$N"
    /usr/bin/python3 - "$SOAK_DIR/node-$N.json" "$P" "$T" "$SPEED" > node.json <<'EOPY'
import json, os, sys, time
c = json.load(open(sys.argv[1]))
c["bus"] = "nats://127.0.0.1:" + sys.argv[2]
c["start_unix"] = time.time() - float(sys.argv[3]) / float(sys.argv[4])  # now = the recording's end
c.pop("http", None)
if os.environ.get("REPLAY_HORIZON"):
    c["replay_horizon_s"] = float(os.environ["REPLAY_HORIZON"])
print(json.dumps(c))
EOPY
    : > node.log
    date -u +%Y-%m-%dT%H:%M:%S.%N+00:00 > t0.txt
    "$MWX" node --config node.json 2>> node.log &
    pid=$!
    for _ in $(seq 1 600); do grep -q "inbox replayed" node.log && break; sleep 0.1; done
    kill -TERM "$pid"; wait "$pid" || true
    /usr/bin/python3 - node.log t0.txt <<'EOPY'
import re, sys, datetime
t = {}
t0 = datetime.datetime.fromisoformat(open(sys.argv[2]).read().strip()[:26] + "+00:00")
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) mwx node \w+: (restart: outbox|inbox replayed \((\d+))", line)
    if m:
        t[m.group(2)[:7]] = datetime.datetime.fromisoformat(m.group(1))
        if m.group(3):
            n = int(m.group(3))
print("inbox replay: %d envelopes in %.2f s, after %.2f s reading logs, recording and journal"
      % (n, (t["inbox r"] - t["restart"]).total_seconds(), (t["restart"] - t0).total_seconds()))
EOPY
done
