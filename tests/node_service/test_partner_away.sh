#!/bin/bash
# A node stopped (SIGTERM) while its partners go on publishing track reports and
# heartbeats, and restarted once JP has sent it more than 1,100 envelopes: every envelope
# of every partner, heartbeats included, must reach it exactly once (check.py seqs), and
# nothing may be given up. The partners' sent logs hold the last 8192 envelopes; a
# receiver's replay window of 1024 seqs made the oldest of a longer absence fall out of
# reach before gap recovery could ask for them (docs/SHARING.md, "Replay window": bench/soak
# once lost one JP heartbeat so, this test lost the first JP envelopes of the absence).
# About 30-60 s (up to a few minutes on a loaded machine).
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_partner_away"
SRC="$(cd "$HERE/../.." && pwd)"
setup_dir "$D"
cd "$D"
# bench/soak's scenario: the default sensors with their clutter, 8 launches an hour for
# eight hours (JP sends ~1.3 envelopes a scenario second to US while missiles fly: the
# absence below needs ~900 s of it, wherever a loaded machine puts it; the scenario ran
# out first on loaded CI machines with two hours of 8 an hour (JP sent 850) and with four
# hours of 12 (760). The test ends once the nodes are complete, not with the scenario.)
"$PY" "$SRC/bench/soak/gen.py" "$SRC/scenarios/default.json" "$D" 1 28800 64
cp "$D/block-0.json" "$D/scenario.json"
"$MWX" nats-config scenario.json -o "$D/nats" --port 4222 > /dev/null
sed 's/^listen: "127.0.0.1:4222"$/listen: "127.0.0.1:PORT_PLACEHOLDER"/' "$D/nats/nats-server.conf" > "$D/nats.conf.in"
start_nats "$D" "$D/nats.conf.in"
URL="nats://127.0.0.1:$NATS_PORT"
SPEED=100
FEEDS=()
START=$(start_time 8)
# US replays only the last 60 s of scenario time of its inbox through fusion at its
# restart: all it received before it stopped is history then (the replay windows and
# the partners' sessions, announced at their start, must come back from it all the same)
for n in JP KR US; do
    h=""
    [ $n = US ] && h=', "replay_horizon_s": 60'
    write_config "$D" $n "$URL" "$START" ", \"creds\": \"nats/$n.creds\", \"feed\": \"bus\"$h"
    sed -i "s/\"speed\": 50/\"speed\": $SPEED/" "$D/node-$n.json"
    start_node "$D" $n
done
for n in JP KR US; do
    wait_for 60 logged "$D/node-$n.log" "live: measurements" || fail "$n not live: $(tail -n 3 "$D/node-$n.log")"
    "$MWX" feed scenario.json --nation $n --bus "$URL" --creds nats/$n-sensors.creds --speed $SPEED \
        --start-unix "$START" 2>> "$D/feed-$n.log" &
    PIDS+=("$!")
    FEEDS+=("$!")
done
jp_sent() { "$MWX" node --dump-log "$D/out-JP/node-JP.outbox" | grep -c '"US"' || true; }
jp_tracking() { [ "$(jp_sent)" -ge 200 ]; }
wait_for 120 jp_tracking || fail "JP sent US only $(jp_sent) envelopes"
stop_node "$D" US
n0=$(jp_sent)
jp_ran_on() { [ "$(jp_sent)" -ge $((n0 + 1100)) ]; }
wait_for 240 jp_ran_on || fail "JP sent only $(($(jp_sent) - n0)) envelopes while US was stopped"
echo "US stopped while JP sent it $(($(jp_sent) - n0)) envelopes"
start_node "$D" US
wait_for 60 logged "$D/node-US.log" "inbox replayed" || fail "US did not restart: $(tail -n 3 "$D/node-US.log")"
hist=$(sed -n 's/.*inbox replayed ([0-9]* envelopes; \([0-9]*\) received more than 60 s.*/\1/p' "$D/node-US.log")
[ "${hist:-0}" -gt 200 ] || fail "US replayed ${hist:-no} envelopes as history: $(grep "inbox replayed" "$D/node-US.log")"
# the feeds end here: the absence is over, and with the eight-hour scenario running on
# the nodes would send for ever; on a loaded machine the oldest envelopes left the
# inboxes' retention (tens of thousands sent) before the check found them complete
for p in "${FEEDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
settle_and_stop "$D" --inbox-only
if logged "$D/node-US.log" "given up"; then
    fail "US gave envelopes up: $(grep "given up" "$D/node-US.log" | tail -n 2)"
fi
grep -h "gap from JP" "$D/node-US.log" | tail -n 3
echo "PASS"
