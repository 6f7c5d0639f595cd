#!/bin/bash
# Disturbance: three `mwx node` services on a nats-server, the scenario accelerated 50x.
# KR is killed (-9) mid-flight and restarted; then the nats-server itself is killed and
# restarted. Afterwards every node holds, for every partner, every envelope the partner
# logged in its outbox for it, exactly once (gap-free), and its final fused picture
# (fused tracks, their sources, impact points within 1 m) equals an undisturbed run's.
source "$(dirname "$0")/common.sh"
ROOT="$MWX_TMPDIR/node_service_disturb"
rm -rf "$ROOT"
mkdir -p "$ROOT"

scn_after() { # T: the scenario clock of this run has passed T
    "$PY" -c "import sys,time; sys.exit(0 if (time.time() - $START) * 50 >= $1 else 1)"
}

run_nodes() { # DIR
    START=$(start_time 2)
    for n in JP KR US; do
        write_config "$1" $n "nats://127.0.0.1:$NATS_PORT" "$START"
        start_node "$1" $n
    done
}

# --- the reference: undisturbed
A="$ROOT/a"
setup_dir "$A"
start_nats "$A"
run_nodes "$A"
wait_for 120 all_ended "$A" || fail "undisturbed run did not end"
settle_and_stop "$A"
stop_nats
"$PY" "$HERE/check.py" picture "$A" > "$ROOT/a.json"
echo "undisturbed run: complete"

# --- disturbed, same keys (signatures are not part of the picture)
B="$ROOT/b"
setup_dir "$B"
cp "$A"/keys/* "$B/keys/"
start_nats "$B"
run_nodes "$B"
wait_for 120 logged "$B/node-KR.log" "first track" || fail "KR never tracked"
wait_for 120 scn_after 200 || fail "clock"
kill -9 "${NODE_PID[KR]}"
wait "${NODE_PID[KR]}" 2>/dev/null || true
echo "KR killed (-9) at scenario t = $("$PY" -c "import time; print(round((time.time() - $START) * 50))") s"
wait_for 120 scn_after 260 || fail "clock"
start_node "$B" KR
wait_for 120 logged "$B/node-KR.log" "restart: outbox" || fail "KR did not restart: $(tail -n 3 "$B/node-KR.log")"
wait_for 120 logged "$B/node-KR.log" "caught up\|scenario ended" || fail "KR never caught up"
echo "KR restarted and caught up"

stop_nats
for n in JP KR US; do
    wait_for 60 logged "$B/node-$n.log" "bus down" || fail "$n never saw the bus go down"
done
FIXED_PORT=$NATS_PORT start_nats "$B"
for n in JP KR US; do
    wait_for 60 logged "$B/node-$n.log" "bus up" || fail "$n never reconnected"
done
echo "nats-server restarted; every node reconnected"

wait_for 180 all_ended "$B" || fail "disturbed run did not end"
settle_and_stop "$B"
"$PY" "$HERE/check.py" picture "$B" > "$ROOT/b.json"
grep -h "gap from\|restart\|caught up\|bus " "$B"/node-*.log || true
"$PY" "$HERE/check.py" compare "$ROOT/a.json" "$ROOT/b.json" 0.001 || fail "fused pictures differ"
echo "PASS"
