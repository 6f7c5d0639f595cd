#!/bin/bash
# A node on a live sensor feed killed (-9) once it has confirmed a track, and restarted:
# its tracker starts afresh (a live feed is not re-run), and the tracks it opens must get
# numbers above every own track id it recorded before. Partners fuse reports by (origin,
# track id): a reused id carries the new object into the old one's fused track (the chaos
# test saw missile M1's fused track at JP and KR taken over by M4 after US restarted and
# called M4 "US-1" again). About 20 s.
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_feed_restart"
setup_dir "$D"
cd "$D"

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
sleep 1
kill -9 "${NODE_PID[JP]}"
wait "${NODE_PID[JP]}" 2>/dev/null || true
own_ids() { "$MWX" cat "$D/out-JP/node-JP.mwxr" --type track | sed -n 's/.*"track_id":"JP-\([0-9]*\)".*/\1/p' | sort -n | uniq; }
before=$(own_ids | tail -n 1)
[ -n "$before" ] || fail "no own track recorded before the kill"
start_node "$D" JP
wait "$FEED_PID" || fail "mwx feed: $(tail -n 3 "$D/feed.log")"
rc=0
wait "${NODE_PID[JP]}" || rc=$?
[ "$rc" -eq 0 ] || fail "restarted JP node exited $rc: $(tail -n 3 "$D/node-JP.log")"
[ "$(grep -c "first track JP-" "$D/node-JP.log")" -eq 2 ] ||
    fail "the restarted node confirmed no track (or logged none): $(grep 'first track' "$D/node-JP.log")"
after=$(grep "first track JP-" "$D/node-JP.log" | tail -n 1 | sed 's/.*first track JP-\([0-9]*\).*/\1/')
[ "$after" -gt "$before" ] ||
    fail "the restarted node reused own track id JP-$after (JP-$before was recorded before the kill)"
echo "restart on a live feed: own ids up to JP-$before before the kill, the first after it JP-$after"
echo PASS
