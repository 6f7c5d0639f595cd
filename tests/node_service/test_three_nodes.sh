#!/bin/bash
# Three `mwx node` services (JP, KR, US) on a nats-server with the accounts of
# `mwx nats-config`, the scenario accelerated 50x. Each node's recording must hold exactly
# the partners' tracks released to it (share records: from/seq against the partners'
# outboxes), in order, each once; config errors exit 1 naming the file and key; an
# unreachable bus exits 3; SIGTERM exits 0; /metrics, /healthz and /readyz answer, and
# JP's oldest unacked envelope to US ages while US is stopped.
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_three"
setup_dir "$D"
cd "$D"

# --- config errors: exit 1, the message names the file and the JSON path
expect_config_error() { # NAME JSON PATTERN
    echo "$2" > "$D/$1.json"
    local rc=0
    "$MWX" node --config "$D/$1.json" 2> "$D/$1.err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$1: exit $rc, expected 1 ($(cat "$D/$1.err"))"
    grep -qF -- "$D/$1.json" "$D/$1.err" || fail "$1: message does not name the file: $(cat "$D/$1.err")"
    grep -qF -- "$3" "$D/$1.err" || fail "$1: message lacks '$3': $(cat "$D/$1.err")"
}
OKKEYS='"nation": "JP", "key": "keys/JP.key", "sensors": "scenario.json", "outputs": "o"'
expect_config_error bad-unknown "{$OKKEYS, \"bus\": \"inproc\", \"sped\": 2}" '$.sped: unknown key'
expect_config_error bad-speed "{$OKKEYS, \"bus\": \"inproc\", \"speed\": \"fast\"}" '$.speed'
expect_config_error bad-bus "{$OKKEYS, \"bus\": \"http://x\"}" '$.bus'
expect_config_error bad-missing "{\"nation\": \"JP\", \"bus\": \"inproc\"}" '$.key'
expect_config_error bad-trust "{$OKKEYS, \"bus\": \"inproc\", \"trust\": {\"KR\": 3}}" '$.trust.KR'
expect_config_error bad-nation "{\"nation\": \"FR\", \"key\": \"keys/JP.key\", \"sensors\": \"scenario.json\", \"outputs\": \"o\", \"bus\": \"inproc\"}" '$.nation'
expect_config_error bad-json "{$OKKEYS," 'bad-json.json'
echo "config errors: exit 1 with file and key"

# --- nothing listens: exit 3 with a clear message
DEAD=$(free_port)
write_config "$D" JP "nats://127.0.0.1:$DEAD" 0
rc=0
"$MWX" node --config "$D/node-JP.json" 2> "$D/dead.err" || rc=$?
[ "$rc" -eq 3 ] || fail "unreachable bus: exit $rc, expected 3 ($(cat "$D/dead.err"))"
grep -q "cannot reach the bus" "$D/dead.err" || fail "unreachable bus: $(cat "$D/dead.err")"
rm -rf "$D/out-JP"
echo "unreachable bus: exit 3"

# --- alone on the inproc bus, exit_at_end: runs the scenario (fast) and exits 0
cat > "$D/node-alone.json" <<EOC
{"nation": "KR", "bus": "inproc", "key": "keys/KR.key", "sensors": "scenario.json",
 "outputs": "out-alone", "speed": 1000, "exit_at_end": true}
EOC
rc=0
"$MWX" node --config "$D/node-alone.json" 2> "$D/alone.log" || rc=$?
[ "$rc" -eq 0 ] || fail "exit_at_end: exit $rc ($(tail -n 3 "$D/alone.log"))"
grep -q "scenario ended" "$D/alone.log" || fail "exit_at_end: no 'scenario ended'"
n_own=$("$MWX" cat "$D/out-alone/node-KR.mwxr" | grep -c '"track_id":"KR-[0-9]') || true
[ "$n_own" -gt 100 ] || fail "alone: only $n_own own track records"
"$MWX" cat "$D/out-alone/node-KR.mwxr" | grep -q '"type":"truth"' && fail "the node recorded truth"
echo "alone on inproc with exit_at_end: $n_own own track records, exit 0"

# --- the server with the policy's accounts (releasability enforced by the server too)
"$MWX" nats-config scenario.json -o "$D/nats" --port 4222 > /dev/null
sed 's/^listen: "127.0.0.1:4222"$/listen: "127.0.0.1:PORT_PLACEHOLDER"/' "$D/nats/nats-server.conf" > "$D/nats.conf.in"
grep -q PORT_PLACEHOLDER "$D/nats.conf.in" || fail "nats-config: no listen line"
start_nats "$D" "$D/nats.conf.in"
# the first tracks come ~1.3 s of wall time after START: time enough for every node to
# subscribe, so that the order check is not spoilt by late (recovered) tracks
# US starts first and sends heartbeats nobody hears: JP and KR must recover them when they
# first see US (backfill by gap request)
START=$(start_time 8)
for n in US JP KR; do
    extra=", \"creds\": \"nats/$n.creds\""
    [ $n = JP ] && extra="$extra, \"http\": \"127.0.0.1:0\""
    write_config "$D" $n "nats://127.0.0.1:$NATS_PORT" "$START" "$extra"
    start_node "$D" $n
    if [ $n = US ]; then
        us_heartbeats() { [ "$("$MWX" node --dump-log "$D/out-US/node-US.outbox" | grep -c '"hb"')" -ge 3 ]; }
        wait_for 60 us_heartbeats || fail "US sent no heartbeats"
    fi
done
wait_for 120 all_ended "$D" || fail "the nodes did not reach the scenario end: $(tail -n 2 "$D"/node-*.log)"
# /metrics of the running JP node
URL=$(grep -o 'http://127.0.0.1:[0-9]*/' "$D/node-JP.log" | head -n 1)
[ -n "$URL" ] || fail "JP did not log its page's address"
"$PY" - "$URL" <<'EOPY' || fail "/metrics"
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1] + "metrics", timeout=30).read().decode()
assert 'mwx_node_bus_connected{node="JP"} 1' in text, text
acc = int(re.search(r'mwx_share_accepted_total\{node="JP"\} (\d+)', text).group(1))
assert acc > 100, acc
assert 'mwx_share_dropped_total{node="JP",reason="bad_signature"} 0' in text, text
for name in ("mwx_process_resident_memory_bytes", "mwx_process_open_fds",
             "mwx_node_outputs_disk_free_bytes"):
    v = float(re.search(name + r'\{node="JP"\} (\S+)', text).group(1))
    assert v > 0, (name, v)
rss = float(re.search(r'mwx_process_resident_memory_bytes\{node="JP"\} (\S+)', text).group(1))
assert 1e6 < rss < 4e9, rss
print("JP /metrics: connected, %d accepted, %.0f MB resident" % (acc, rss / 1e6))
EOPY
# /healthz, /readyz: ready while KR and US are heard; KR stopped (SIGSTOP) for > 3 s
# makes JP not ready, naming KR; ready again once KR goes on
probe() { # PATH -> "STATUS BODY"
    "$PY" -c "import sys, urllib.request, urllib.error
try: r = urllib.request.urlopen(sys.argv[1], timeout=30); print(r.status, r.read().decode().strip())
except urllib.error.HTTPError as e: print(e.code, e.read().decode().strip())" "$URL${1#/}"
}
[ "$(probe /healthz)" = "200 ok" ] || fail "/healthz: $(probe /healthz)"
is_ready() { [ "$(probe /readyz | cut -c1-9)" = "200 ready" ]; }
wait_for 30 is_ready || fail "/readyz: $(probe /readyz)"
kill -STOP "${NODE_PID[KR]}"
kr_silent() { probe /readyz | grep -q "^503 not ready: .*KR silent"; }
wait_for 30 kr_silent || { kill -CONT "${NODE_PID[KR]}"; fail "/readyz with KR stopped: $(probe /readyz)"; }
kill -CONT "${NODE_PID[KR]}"
wait_for 30 is_ready || fail "/readyz after KR went on: $(probe /readyz)"
echo "JP /healthz ok; /readyz ready, not ready while KR was stopped, ready again"
# acknowledgements (JP releases to US only): US stopped acks none of JP's heartbeats
metrics() { "$PY" -c "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=30).read().decode())" "${URL}metrics"; }
unacked() { # -> age in seconds of JP's oldest envelope to US not acknowledged
    metrics | awk '$1 == "mwx_share_partner_unacked_age_seconds{node=\"JP\",partner=\"US\"}" {print $2}'
}
us_acks() { awk -v a="$(unacked)" 'BEGIN {exit !(a != "" && a + 0 < 3)}'; }
wait_for 30 us_acks || fail "JP's unacked age to US $(unacked) with US running"
kill -STOP "${NODE_PID[US]}"
us_behind() { awk -v a="$(unacked)" 'BEGIN {exit !(a != "" && a + 0 >= 4)}'; }
wait_for 30 us_behind || { kill -CONT "${NODE_PID[US]}"; fail "US stopped: JP's unacked age to US $(unacked)"; }
age_us=$(unacked)
# one scrape, read whole (grep -q on the pipe would end it early: pipefail)
m=$(metrics)
oldest=$(awk '$1 == "mwx_share_unacked_oldest_age_seconds{node=\"JP\"}" {print $2}' <<< "$m")
awk -v a="$oldest" 'BEGIN {exit !(a != "" && a + 0 >= 4)}' ||
    { kill -CONT "${NODE_PID[US]}"; fail "JP's oldest unacked age ${oldest:-missing} with US stopped (to US ${age_us})"; }
kill -CONT "${NODE_PID[US]}"
wait_for 30 us_acks || fail "US went on: JP's unacked age to US still $(unacked)"
wait_for 30 is_ready || fail "/readyz after US went on: $(probe /readyz)"
echo "JP /metrics: oldest envelope to US unacked ${age_us} s while US was stopped, < 3 s before and after"
settle_and_stop "$D" --ordered
for n in JP KR US; do
    logged "$D/node-$n.log" "connected to" || fail "$n: no 'connected' line"
    logged "$D/node-$n.log" "first track" || fail "$n: no 'first track' line"
    logged "$D/node-$n.log" "stop:" || fail "$n: no 'stop' line"
done
logged "$D/node-KR.log" "partner JP first seen" && fail "KR saw JP, which does not release to KR"
logged "$D/node-JP.log" "partner KR first seen" || fail "JP never saw KR"
logged "$D/node-JP.log" "gap from US" || fail "JP did not recover US's first heartbeats"
echo "PASS"
