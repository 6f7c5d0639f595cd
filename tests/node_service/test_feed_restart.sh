#!/bin/bash
# A node on a live sensor feed killed (-9) once it has confirmed a track, and restarted:
# its tracker starts afresh (a live feed is not re-run), and the tracks it opens must get
# numbers above every own track id it recorded before. Partners fuse reports by (origin,
# track id): a reused id carries the new object into the old one's fused track (the chaos
# test saw missile M1's fused track at JP and KR taken over by M4 after US restarted and
# called M4 "US-1" again), even when a host crash cut the recording's tail (the outbox
# holds what was sent). And the fused track of before the kill, which the restarted
# node's rebuilt picture does not hold, is closed (recorded unconfirmed) rather than left
# as a frozen second copy of the missile. About 20 s.
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_feed_restart"
setup_dir "$D"
cd "$D"
# the chaos test's scenario: four launches, M2 and M3 six seconds apart
cp "$HERE/../chaos/scenario.json" "$D/scenario.json"

"$MWX" nats-config scenario.json -o "$D/nats" --port 4222 > /dev/null
sed 's/^listen: "127.0.0.1:4222"$/listen: "127.0.0.1:PORT_PLACEHOLDER"/' "$D/nats/nats-server.conf" > "$D/nats.conf.in"
start_nats "$D" "$D/nats.conf.in"
URL="nats://127.0.0.1:$NATS_PORT"

START=$(start_time 8)
write_config "$D" JP "$URL" "$START" ', "creds": "nats/JP.creds", "feed": "bus", "exit_at_end": true'
start_node "$D" JP
wait_for 60 logged "$D/node-JP.log" "live: measurements from mwx-meas.JP" || fail "JP not live: $(tail -n 3 "$D/node-JP.log")"
"$MWX" feed scenario.json --nation JP --bus "$URL" --creds nats/JP-sensors.creds --speed 50 \
    --start-unix "$START" 2> "$D/feed.log" &
FEED_PID=$!
PIDS+=("$FEED_PID")
wait_for 60 logged "$D/node-JP.log" "first track JP-" || fail "JP confirmed no track: $(tail -n 3 "$D/node-JP.log")"
# killed at scenario t = 330 s: M1, M2 and M3 in flight, each with its fused track
"$PY" -c "import time; time.sleep(max(0, $START + 330 / 50 - time.time()))"
kill -9 "${NODE_PID[JP]}"
wait "${NODE_PID[JP]}" 2>/dev/null || true
# the scenario time of the kill: the last instant the recording holds
T_KILL=$("$MWX" cat "$D/out-JP/node-JP.mwxr" --type track | "$PY" -c '
import json, sys
print(max(json.loads(l)["t"] for l in sys.stdin) + 0.001)')
own_ids() { "$MWX" cat "$D/out-JP/node-JP.mwxr" --type track | sed -n 's/.*"track_id":"JP-\([0-9]*\)".*/\1/p' | sort -n | uniq; }
before=$(own_ids | tail -n 1)
[ -n "$before" ] || fail "no own track recorded before the kill"
# a host crash, not only a kill: the recording is synced once a second of wall time, the
# outbox before each envelope goes out, so the recording may lose a tail the outbox holds.
# Cut the recording at the first record of its highest own id (sent, so in the outbox): the
# restart must still number above it. ("JP-12" is stored after its length byte, so
# "JP-1" does not match it.)
"$PY" - "$D/out-JP/node-JP.mwxr" "JP-$before" <<'PYEOF' || fail "could not cut the recording"
import os, sys
path, tid = sys.argv[1], sys.argv[2].encode()
data = open(path, "rb").read()
at = data.find(bytes([len(tid)]) + tid)
if at < 0:
    sys.exit("no record of %s" % tid.decode())
os.truncate(path, at)
PYEOF
[ "$(own_ids | tail -n 1)" -lt "$before" ] || fail "the cut recording still holds JP-$before"
start_node "$D" JP
wait "$FEED_PID" || fail "mwx feed: $(tail -n 3 "$D/feed.log")"
rc=0
wait "${NODE_PID[JP]}" || rc=$?
[ "$rc" -eq 0 ] || fail "restarted JP node exited $rc: $(tail -n 3 "$D/node-JP.log")"
[ "$(grep -c "first track JP-" "$D/node-JP.log")" -eq 2 ] ||
    fail "the restarted node confirmed no track (or logged none): $(grep 'first track' "$D/node-JP.log")"
after=$(grep "first track JP-" "$D/node-JP.log" | tail -n 1 | sed 's/.*first track JP-\([0-9]*\).*/\1/')
[ "$after" -gt "$before" ] ||
    fail "the restarted node reused own track id JP-$after (JP-$before was sent before the kill)"
# the fused ids: the restarted node rebuilds its picture from its inbox alone (empty here),
# so its fused tracks are new. They must take numbers above every fused id recorded before
# (an old id given to another missile jumps across the map in CoT and the picture), and
# the fused tracks of before, which the new picture does not hold, must be closed
# (recorded unconfirmed) rather than stay in the recording frozen in flight: the scenario
# ran to its end, every missile came down, so every confirmed fused track of the final
# picture (each id's last record) has landed.
"$MWX" cat "$D/out-JP/node-JP.mwxr" --type track | "$PY" -c '
import json, sys
before, last, bad = float(sys.argv[1]), {}, []
old, new = set(), set()
for l in sys.stdin:
    r = json.loads(l)
    if "-F" in r["track_id"]:
        (old if r["t"] < before else new).add(int(r["track_id"][4:]))
        last[r["track_id"]] = r
if not old or not new or min(new) <= max(old):
    bad.append("fused numbers before the kill %s, after %s" % (sorted(old), sorted(new)))
for k, v in sorted(last.items()):
    if v["confirmed"] and v["phase"] != "impact":
        bad.append("%s ends confirmed, %s, at t = %.0f s" % (k, v["phase"], v["t"]))
print("fused ids before the kill F%s, after F%s; closed at the end: %d of %d" % (
    sorted(old), sorted(new), sum(not v["confirmed"] for v in last.values()), len(last)))
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)' "$T_KILL" || fail "fused ids reused, or a fused track of before left in flight"
echo "restart on a live feed: own ids up to JP-$before before the kill, the first after it JP-$after"
echo PASS
