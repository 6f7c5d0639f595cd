#!/bin/bash
# bench/soak: three `mwx node`s (JP, KR, US) on a real nats-server with `mwx nats-config`'s
# accounts, each tracking a live feed (`mwx feed`, "feed": "bus") of scenario blocks
# (gen.py: launches every BLOCK_S/LAUNCHES s, the default scenario's sensors and their
# clutter), fed one after the other at SPEED with --t-offset, retention on with small
# segments; meanwhile every node is killed (-9) or stopped (SIGTERM) and restarted once,
# and the server is killed and restarted once. sample.py samples memory, fds and disk;
# analyze.py reports (docs/BENCHMARKS.md, "Soak").
#
# Environment (defaults: a week of scenario time at 500x, ~20 min of wall time):
#   MWX            the mwx binary (default: the one beside this script, or build/mwx); its
#                  page assets beside it, or MWX_WEB_ASSETS (default: the build's web/)
#   SOAK_DIR       work folder (default /tmp/mwx-soak; emptied)
#   SOAK_BLOCKS    scenario blocks (21)      SOAK_BLOCK_S  seconds a block (28800)
#   SOAK_LAUNCHES  launches a block (64)     SOAK_SPEED    scenario s per wall s (500)
#   SOAK_SEGMENT   retention segment_bytes (262144); SOAK_KEEP keep_bytes (1048576)
#   SOAK_PERIOD    sampling period, wall s (2)
#   SOAK_ALERTS_KEEP  retention alerts_keep_bytes (0: alerts/ kept whole, as analyze.py
#                  reads every CAP file)
#   SOAK_ASSERT    analyze.py's assertions (the short test in make check: "--assert")
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$(cd "$HERE/../.." 2>/dev/null && pwd)"
MWX=${MWX:-}
if [ -z "$MWX" ]; then
    for c in "$HERE/../mwx" "$SRC/build/mwx"; do [ -x "$c" ] && MWX=$(cd "$(dirname "$c")" && pwd)/mwx && break; done
fi
[ -x "$MWX" ] || { echo "soak: set MWX to the mwx binary" >&2; exit 2; }
export MWX
# the nodes serve their page (http): a binary copied away from its build finds no page
# assets and every node exits at once (a week-long run was lost so): take the build's
if [ -z "${MWX_WEB_ASSETS:-}" ]; then
    B=$(dirname "$MWX")
    if [ ! -f "$B/web/index.html" ] && [ ! -f "$B/../share/mwx/web/index.html" ]; then
        [ -f "$SRC/build/web/index.html" ] && export MWX_WEB_ASSETS="$SRC/build/web"
    fi
fi
if [ -n "${MWX_WEB_ASSETS:-}" ] && [ ! -f "$MWX_WEB_ASSETS/index.html" ]; then
    echo "soak: MWX_WEB_ASSETS=$MWX_WEB_ASSETS has no index.html" >&2; exit 2
fi
command -v nats-server >/dev/null || { echo "soak: nats-server not installed" >&2; exit 2; }
D=${SOAK_DIR:-/tmp/mwx-soak}
BLOCKS=${SOAK_BLOCKS:-21}
BLOCK_S=${SOAK_BLOCK_S:-28800}
LAUNCHES=${SOAK_LAUNCHES:-64}
SPEED=${SOAK_SPEED:-500}
SEG=${SOAK_SEGMENT:-262144}
KEEP=${SOAK_KEEP:-1048576}
PERIOD=${SOAK_PERIOD:-2}
# alerts/ is kept whole by default: analyze.py reads every CAP file (its retention, which
# keeps what live series refer to, is tested by node_service_alerts_retention)
ALERTS_KEEP=${SOAK_ALERTS_KEEP:-0}
PY=/usr/bin/python3
DEFAULT_SCN=${SOAK_SCENARIO:-$HERE/default.json}
[ -f "$DEFAULT_SCN" ] || DEFAULT_SCN="$SRC/scenarios/default.json"

rm -rf "$D"
mkdir -p "$D/keys"
cd "$D"
declare -A PID
NATS_PID=
FEEDS_PID=
SAMPLER=
cleanup() {
    stop_feeds
    for n in JP KR US; do [ -n "${PID[$n]:-}" ] && kill -9 "${PID[$n]}" 2>/dev/null || true; done
    [ -n "$NATS_PID" ] && kill -9 "$NATS_PID" 2>/dev/null || true
    [ -n "$SAMPLER" ] && wait "$SAMPLER" 2>/dev/null || true
}
trap cleanup EXIT
ev() { echo "$($PY -c 'import time; print("%.2f" % time.time())') $*" >> "$D/events.log"; echo "soak: $*" >&2; }

"$PY" "$HERE/gen.py" "$DEFAULT_SCN" "$D" "$BLOCKS" "$BLOCK_S" "$LAUNCHES"
cp "$D/block-0.json" "$D/scenario.json"
for n in JP KR US; do "$MWX" keygen "$n" -o keys > /dev/null; done
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$MWX" nats-config scenario.json -o nats --port "$PORT" > /dev/null
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
start_nats() {
    nats-server -c nats/nats-server.conf >> nats.log 2>&1 &
    NATS_PID=$!
    echo "$NATS_PID" > "$D/pid-nats"
    for _ in $(seq 200); do port_open && return 0; sleep 0.1; done
    echo "soak: nats-server did not start" >&2; exit 3
}
start_nats
URL="nats://127.0.0.1:$PORT"
START=$("$PY" -c 'import time; print("%.3f" % (time.time() + 3))')
HTTP=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
i=0
for n in JP KR US; do
    cat > "node-$n.json" <<EOC
{"nation": "$n", "bus": "$URL", "key": "keys/$n.key", "creds": "nats/$n.creds",
 "trust": {"JP": "keys/JP.pub", "KR": "keys/KR.pub", "US": "keys/US.pub"},
 "sensors": "scenario.json", "outputs": "out-$n", "feed": "bus",
 "speed": $SPEED, "start_unix": $START, "http": "127.0.0.1:$((HTTP + i))",
 "retention": {"segment_bytes": $SEG, "segment_age_s": 0, "keep_bytes": $KEEP, "keep_age_s": 0,
               "alerts_keep_bytes": $ALERTS_KEEP}}
EOC
    i=$((i + 1))
done
start_node() {
    "$MWX" node --config "node-$1.json" 2>> "node-$1.log" &
    PID[$1]=$!
    echo "${PID[$1]}" > "pid-$1"
    ev "start $1 pid ${PID[$1]}"
}
for n in JP KR US; do start_node "$n"; done
echo "$START $SPEED $BLOCK_S $BLOCKS" > run.txt

# the feeds: per nation, the blocks one after the other (each waits for its clock); the
# running feed's pid is in feedpid-NATION
feeds() {
    local fp=()
    for n in JP KR US; do
        (
            for ((b = 0; b < BLOCKS; b++)); do
                [ -e "$D/stop" ] && break
                "$MWX" feed "block-$b.json" --nation "$n" --bus "$URL" --creds "nats/$n-sensors.creds" \
                    --speed "$SPEED" --start-unix "$START" --t-offset $((b * BLOCK_S)) 2>> "feed-$n.log" &
                echo $! > "feedpid-$n"
                wait $! || true
            done
        ) &
        fp+=($!)
    done
    wait "${fp[@]}"
}
stop_feeds() {
    touch "$D/stop"
    for n in JP KR US; do [ -f "feedpid-$n" ] && kill -TERM "$(cat "feedpid-$n")" 2>/dev/null || true; done
}
feeds &
FEEDS_PID=$!
"$PY" "$HERE/sample.py" "$D" "$PERIOD" "$START" "$SPEED" &
SAMPLER=$!
# the logs keep only their retention (at least the last 8192 envelopes): a copy of them
# after the first scenario hour keeps that hour's latencies for analyze.py
(
    "$PY" -c "import time; time.sleep(max(0, $START + 3660 / $SPEED - time.time()))"
    for n in JP KR US; do
        for k in outbox inbox; do
            "$MWX" node --dump-log "out-$n/node-$n.$k" > "snap-$n.$k.jsonl" 2> /dev/null || true
        done
    done
) &

TOTAL=$("$PY" -c "print($BLOCKS * $BLOCK_S)")
END=$("$PY" -c "print($START + $TOTAL / $SPEED)")
at_frac() { # sleep until FRACTION of the run's wall time
    local until
    until=$("$PY" -c "print($START + $1 * $TOTAL / $SPEED)")
    while "$PY" -c "import sys,time; sys.exit(0 if time.time() < $until else 1)"; do
        sleep 0.5
        kill -0 "$FEEDS_PID" 2>/dev/null || true
        for n in JP KR US; do
            kill -0 "${PID[$n]}" 2>/dev/null || { ev "FAIL: $n died"; tail -n 5 "node-$n.log" >&2; exit 1; }
        done
    done
}
kill9() { kill -9 "${PID[$1]}"; wait "${PID[$1]}" 2>/dev/null || true; ev "kill -9 $1"; }
term() {
    kill -TERM "${PID[$1]}"
    local rc=0
    wait "${PID[$1]}" || rc=$?
    ev "SIGTERM $1 (exit $rc)"
    [ "$rc" -eq 0 ] || { ev "FAIL: $1 exit $rc after SIGTERM"; exit 1; }
}
DOWN=${SOAK_DOWN_S:-1}

at_frac 0.20; kill9 JP; sleep "$DOWN"; start_node JP
# KR misses what JP sends while it is down; JP restarts meanwhile (its sent log is then
# only the rotated outbox on disk): KR must recover it by gap request (issue 17 item 4)
at_frac 0.35; kill9 KR; sleep "$DOWN"; kill9 JP; start_node JP; sleep "$DOWN"; start_node KR
at_frac 0.50; term US; sleep "$DOWN"; start_node US
at_frac 0.65; kill -9 "$NATS_PID"; wait "$NATS_PID" 2>/dev/null || true; ev "kill -9 nats-server"
sleep "$DOWN"; start_nats; ev "nats-server restarted"
at_frac 0.80; kill9 KR; sleep "$DOWN"; start_node KR
at_frac 1.0
wait "$FEEDS_PID" 2>/dev/null || true
FEEDS_PID=
ev "feeds ended"
# let the last envelopes and gap recoveries settle (at most 60 s); check_t: when the
# check that passed started (what was sent before it had arrived: check.py --until)
settle=$(( $(date +%s) + 60 ))
while [ "$(date +%s)" -lt "$settle" ]; do
    date +%s.%N > "$D/check_t"
    MWX="$MWX" "$PY" "$SRC/tests/node_service/check.py" seqs "$D" --quiet --inbox-only > /dev/null 2>&1 && break
    sleep 0.5
done
for n in JP KR US; do term "$n"; done
PID=()
touch "$D/stop"
wait "$SAMPLER" 2>/dev/null || true
SAMPLER=
kill -9 "$NATS_PID" 2>/dev/null || true
NATS_PID=
ev "stopped"
"$PY" "$HERE/analyze.py" "$D" ${SOAK_ASSERT:-}
