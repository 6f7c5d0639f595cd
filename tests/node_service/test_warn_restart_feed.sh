#!/bin/bash
# Warning continuity across restarts on a live feed (issue 17): a JP node alone with
# "feed": "bus" tracks `mwx feed`'s measurements (the scenario 25x) through its own
# `mwx nats-config` server, and is killed (-9, or SIGTERM) at seeded points of its
# warnings' lives (after the k-th CAP file, plus up to 0.3 s) and started again on the
# same outputs while the feed runs on. A restarted node rebuilds its track from the live
# measurements (a new track, mid-flight, with its own launch estimate), so the journaled
# series must be taken over by threat, not by id. chain_check.py counts, per kind, the
# Alert chains beyond one (one launch: every chain of a kind is the same threat) and the
# chains without their Cancel; both must be 0, every kind the undisturbed run (the same
# feed, no restart) warned of must be warned of, and no CAP file published before a
# restart may be written again. The reference and three disturbed runs run side by side,
# each with its own server: about 35 s of wall time.
source "$(dirname "$0")/common.sh"
ROOT="$MWX_TMPDIR/node_service_warn_restart_feed"
SPEED=25
rm -rf "$ROOT"
mkdir -p "$ROOT"

ncap() { find "$1/out-JP/alerts" -name '*.cap.xml' 2>/dev/null | wc -l; }
snap() { # DIR: the CAP files as they are (name inode mtime_ns)
    "$PY" -c "import os,sys; d=sys.argv[1]
for f in sorted(os.listdir(d)):
    if f.endswith('.cap.xml'): st=os.stat(os.path.join(d,f)); print(f, st.st_ino, st.st_mtime_ns)" "$1/out-JP/alerts"
}
reached() { [ "$(ncap "$1")" -ge "$2" ] || ! kill -0 "$3" 2>/dev/null; } # DIR K PID

# run NAME SEED [SIGNAL...]: one node on its own server and feed, stopped after the
# seeded CAP files with the signals given (none: the reference); DIR/result says how it
# ended ("ok" or the reason)
run() {
    local name=$1 seed=$2; shift 2
    local D="$ROOT/$name" port start pid fpid npid k delay sig rc kills=() sigs=("$@")
    setup_dir "$D"
    cd "$D"
    port=$(free_port)
    "$MWX" nats-config scenario.json -o nats --port "$port" > /dev/null
    nats-server -c nats/nats-server.conf >> nats.log 2>&1 &
    npid=$!
    wait_for 20 port_open "$port" || { echo "nats-server did not start" > result; kill -9 "$npid"; return; }
    start=$(start_time 3)
    cat > node-JP.json <<EOC
{"nation": "JP", "bus": "nats://127.0.0.1:$port", "key": "keys/JP.key", "creds": "nats/JP.creds",
 "trust": {"JP": "keys/JP.pub", "KR": "keys/KR.pub", "US": "keys/US.pub"},
 "sensors": "scenario.json", "outputs": "out-JP", "feed": "bus", "exit_at_end": true,
 "speed": $SPEED, "start_unix": $start}
EOC
    "$MWX" node --config node-JP.json 2>> node-JP.log &
    pid=$!
    "$MWX" feed scenario.json --nation JP --bus "nats://127.0.0.1:$port" \
        --creds nats/JP-sensors.creds --speed "$SPEED" --start-unix "$start" 2> feed.log &
    fpid=$!
    # the kill points: after the k-th message (distinct k, ascending), plus a delay
    # (seed 0: the first right after the first message, the launch notice)
    if [ $# -gt 0 ]; then
        read -r -a kills <<< "$("$PY" -c "
import random; r = random.Random($seed)
ks = [1] + sorted(r.sample(range(2, 7), $# - 1)) if $seed == 0 else sorted(r.sample(range(2, 7), $#))
print(' '.join('%d:%.3f' % (k, 0.0 if $seed == 0 and i == 0 else r.uniform(0, 0.3)) for i, k in enumerate(ks)))")"
    fi
    for i in "${!kills[@]}"; do
        k=${kills[$i]%%:*}; delay=${kills[$i]#*:}; sig=${sigs[$i]}
        wait_for 120 reached "$D" "$k" "$pid" || true
        sleep "$delay"
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "the node ended before kill $((i + 1)) (after message $k)" > result
            kill -9 "$fpid" "$npid" 2>/dev/null; return
        fi
        kill "-$sig" "$pid"
        wait "$pid" 2>/dev/null || true
        snap "$D" > "snap-$i.txt"
        echo "$name: SIG$sig after message $k + ${delay} s ($(ncap "$D") CAP files)" >> kills.txt
        "$MWX" node --config node-JP.json 2>> node-JP.log &
        pid=$!
    done
    rc=0; wait "$fpid" || rc=$?
    [ "$rc" -eq 0 ] || { echo "mwx feed exit $rc" > result; kill -9 "$pid" "$npid" 2>/dev/null; return; }
    rc=0; wait "$pid" || rc=$?
    kill -9 "$npid" 2>/dev/null || true
    wait "$npid" 2>/dev/null || true
    [ "$rc" -eq 0 ] || { echo "node exit $rc: $(tail -n 2 node-JP.log)" > result; return; }
    echo ok > result
}

RUNS=(a b c d)
run a 0 & PIDS+=("$!")
run b 0 KILL & PIDS+=("$!")
SEED=${WARN_RESTART_SEED:-0} # another draw of kill points: WARN_RESTART_SEED=N
run c $((3 + SEED)) TERM KILL & PIDS+=("$!")
run d $((5 + SEED)) KILL KILL & PIDS+=("$!")
for p in "${PIDS[@]}"; do wait "$p" || true; done
for n in "${RUNS[@]}"; do
    [ "$(cat "$ROOT/$n/result" 2>/dev/null)" = ok ] ||
        fail "run $n: $(cat "$ROOT/$n/result" 2>/dev/null) (see $ROOT/$n)"
done
A="$ROOT/a/out-JP/alerts"
echo "undisturbed: $("$PY" "$HERE/chain_check.py" "$A")" || true
"$PY" "$HERE/chain_check.py" "$A" --quiet || fail "the undisturbed run itself warned twice or lost a Cancel"
bad=0
for n in b c d; do
    cat "$ROOT/$n/kills.txt"
    "$PY" "$HERE/chain_check.py" "$ROOT/$n/out-JP/alerts" "$A" --unchanged "$ROOT/$n"/snap-*.txt ||
        { echo "run $n: see $ROOT/$n/node-JP.log" >&2; bad=1; }
done
[ "$bad" -eq 0 ] || fail "a restart on a live feed warned twice or lost a Cancel"
echo "warning continuity on a live feed: 0 duplicate Alerts, 0 lost Cancels in 3 disturbed runs"
