#!/bin/bash
# A live sensor feed: `mwx feed` publishes JP's simulated measurements on mwx-meas.JP (as
# the JP-sensors user of a `mwx nats-config` server), and a JP node with "feed": "bus"
# tracks them. Its own tracks must equal, record for record, those of the same node
# replaying the scenario itself. A malformed message on the feed is dropped and counted,
# so are measurements from a sensor whose clock runs ahead; another nation's sensors user
# may not publish on JP's feed at all (the server refuses).
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_feed"
setup_dir "$D"
cd "$D"

# --- the reference: the node replays the scenario itself, alone, as fast as it can
cat > "$D/replay.json" <<EOC
{"nation": "JP", "bus": "inproc", "key": "keys/JP.key", "sensors": "scenario.json",
 "outputs": "out-replay", "exit_at_end": true, "speed": 1000}
EOC
"$MWX" node --config "$D/replay.json" 2> "$D/replay.log" || fail "replay node: $(tail -n 3 "$D/replay.log")"
own_tracks() { "$MWX" cat "$1" | jq -c 'select(.type == "track" and (.track_id | test("^JP-[0-9]+$"))) | [.t, .track_id, .ecef_m, .vel_mps, .impact]'; }
own_tracks "$D/out-replay/node-JP.mwxr" > "$D/replay.jsonl"
[ "$(wc -l < "$D/replay.jsonl")" -gt 50 ] || fail "replay: too few own tracks"

# --- the server with the policy's accounts
"$MWX" nats-config scenario.json -o "$D/nats" --port 4222 > /dev/null
[ -f "$D/nats/JP-sensors.creds" ] || fail "nats-config wrote no JP-sensors.creds"
sed 's/^listen: "127.0.0.1:4222"$/listen: "127.0.0.1:PORT_PLACEHOLDER"/' "$D/nats/nats-server.conf" > "$D/nats.conf.in"
start_nats "$D" "$D/nats.conf.in"
URL="nats://127.0.0.1:$NATS_PORT"

# raw_pub USER PASSWORD SUBJECT PAYLOAD: publish with the NATS text protocol; prints what
# the server answered (a PONG, or an -ERR)
raw_pub() {
    "$PY" - "$NATS_PORT" "$@" <<'EOPY'
import socket, sys, json
port, user, pw, subj, payload = sys.argv[1:6]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
s.recv(4096)  # INFO
s.sendall(("CONNECT %s\r\nPUB %s %d\r\n%s\r\nPING\r\n" % (
    json.dumps({"user": user, "pass": pw, "verbose": False, "pedantic": False}),
    subj, len(payload), payload)).encode())
got = b""
while b"PONG" not in got and b"-ERR" not in got:
    chunk = s.recv(4096)
    if not chunk:
        break
    got += chunk
print(got.decode(errors="replace").strip())
EOPY
}
pw() { sed -n 's/^password=//p' "$D/nats/$1.creds"; }

# a TAK endpoint: a UDP listener that keeps every CoT event it gets
TAK_PORT=$("$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PY" - "$TAK_PORT" "$D/tak.xml" <<'EOPY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
EOPY
PIDS+=("$!")

START=$(start_time 10)
write_config "$D" JP "$URL" "$START" ', "creds": "nats/JP.creds", "feed": "bus", "exit_at_end": true, "tak": "udp://127.0.0.1:'"$TAK_PORT"'"'
start_node "$D" JP
wait_for 60 logged "$D/node-JP.log" "live: measurements from mwx-meas.JP" || fail "JP not live: $(tail -n 3 "$D/node-JP.log")"

# another nation's sensors may not feed JP: the server itself refuses
out=$(raw_pub KR-sensors "$(pw KR-sensors)" mwx-meas.JP hello)
grep -q "Permissions Violation" <<<"$out" || fail "KR-sensors published on mwx-meas.JP: $out"
# JP's own sensors user sending garbage: accepted by the server, dropped by the node
out=$(raw_pub JP-sensors "$(pw JP-sensors)" mwx-meas.JP "not a measurement")
grep -q PONG <<<"$out" || fail "JP-sensors could not publish: $out"
wait_for 30 logged "$D/node-JP.log" "1 malformed or not ours" || fail "the malformed message was not counted: $(tail -n 3 "$D/node-JP.log")"
# beside the real feed, a sensor whose clock runs 10 000 s ahead: everything it sends is
# ahead of the node's clock, refused and counted; it must not carry the node's time past
# every impact (the own tracks below must still equal the replay's)
"$MWX" feed scenario.json --nation JP --bus "$URL" --creds nats/JP-sensors.creds --speed 50 \
    --start-unix "$("$PY" -c "print($START - 200)")" 2> "$D/feed-ahead.log" &
AHEAD_PID=$!
"$MWX" feed scenario.json --nation JP --bus "$URL" --creds nats/JP-sensors.creds --speed 50 \
    --start-unix "$START" 2> "$D/feed.log" || fail "mwx feed: $(tail -n 3 "$D/feed.log")"
wait "$AHEAD_PID" || fail "mwx feed (ahead): $(tail -n 3 "$D/feed-ahead.log")"
grep -q "measurements published, 0 lost" "$D/feed.log" || fail "feed: $(tail -n 1 "$D/feed.log")"
rc=0
wait "${NODE_PID[JP]}" || rc=$?
[ "$rc" -eq 0 ] || fail "JP node exited $rc: $(tail -n 3 "$D/node-JP.log")"
grep "sensor feed:" "$D/node-JP.log" | tail -n 1
grep -q "sensor feed: [0-9]* received, 1 malformed or not ours, 0 late, [1-9][0-9]* ahead of the clock, 0 queue full" "$D/node-JP.log" ||
    fail "feed counters: $(grep 'sensor feed' "$D/node-JP.log" | tail -n 1)"
"$MWX" cat "$D/out-JP/node-JP.mwxr" | grep -q '"truth_object":"[A-Z]' && fail "truth reached the node"

# the fused tracks reached the TAK endpoint as CoT events, the same as the files
n_cot=$(grep -c '<event ' "$D/tak.xml" || true)
[ "$n_cot" -gt 10 ] || fail "TAK endpoint got $n_cot CoT events"
grep -q 'uid="mwx.JP.JP-F1"' "$D/tak.xml" || fail "TAK: no event of fused track JP-F1: $(head -c 300 "$D/tak.xml")"
echo "TAK endpoint: $n_cot CoT events"

own_tracks "$D/out-JP/node-JP.mwxr" > "$D/live.jsonl"
cmp -s "$D/replay.jsonl" "$D/live.jsonl" ||
    fail "live own tracks differ from the replay's: $(diff "$D/replay.jsonl" "$D/live.jsonl" | head -n 4)"
echo "live feed: $(wc -l < "$D/live.jsonl") own track records, identical to the replay's"
echo PASS
