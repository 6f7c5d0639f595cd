#!/bin/bash
# The real topology over mutual TLS: `mwx nats-config --hub-leaf --tls`, a hub and one leaf
# server per nation (every listener TLS-only, client certificates required), three
# `mwx node`s each on its own nation's leaf with "tls" in NODE.json, and JP's live sensor
# feed (`mwx feed --tls-*`) on JP's leaf. Every partner envelope released to a node arrives
# exactly once, gap-free (check.py seqs), across hub and leaves and over TLS only.
# Also: TLS files that are missing, too open or of another CA stop a node at start
# (exit 1, naming $.tls); a node without TLS cannot reach a TLS-only leaf (exit 3).
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_tls"
setup_dir "$D"
cd "$D"

HUBP=$(free_port)
LEAFP=$(free_port)
"$MWX" nats-config scenario.json -o "$D/nats" --hub-leaf --tls --port "$HUBP" \
    --leaf-port "$LEAFP" > /dev/null
ls "$D"/nats/*.creds > /dev/null 2>&1 && fail "--tls wrote creds files"
for f in hub leaf-JP leaf-KR leaf-US; do
    grep -q "verify_and_map: true" "$D/nats/$f.conf" || fail "$f.conf: no verify_and_map"
    grep -q "password" "$D/nats/$f.conf" && fail "$f.conf: a password in a TLS config"
done
[ "$(grep -c 'verify_and_map: true' "$D/nats/hub.conf")" -eq 2 ] || fail "hub: client and leafnode listeners not both TLS"

# start_server NAME CONF PORT: background nats-server, waits for its port
declare -A SRV_PID
start_server() {
    nats-server -c "$2" >> "$D/$1.log" 2>&1 &
    SRV_PID[$1]=$!
    PIDS+=("$!")
    wait_for 20 port_open "$3" || fail "nats-server $1 did not start: $(tail -n 3 "$D/$1.log")"
}
start_server hub "$D/nats/hub.conf" "$HUBP"
wait_for 20 port_open "$LEAFP" || fail "the hub's leafnode port is not open"
declare -A LP
for n in JP KR US; do
    LP[$n]=$(free_port)
    sed "s/^listen: \"127.0.0.1:[0-9]*\"$/listen: \"127.0.0.1:${LP[$n]}\"/" "$D/nats/leaf-$n.conf" > "$D/leaf-$n.run.conf"
    start_server "leaf-$n" "$D/leaf-$n.run.conf" "${LP[$n]}"
done
# every leaf joined the hub over TLS as its nation (the hub logs the leafnode connections)
leaves_up() { [ "$(grep -c 'Leafnode connection created' "$D/hub.log")" -ge 3 ]; }
wait_for 30 leaves_up || fail "the leaves did not join the hub: $(tail -n 5 "$D/hub.log" "$D"/leaf-*.log)"

tls_json() { # NATION [key override]
    echo ", \"tls\": {\"ca\": \"nats/tls/ca.crt\", \"cert\": \"nats/tls/node-$1.crt\", \"key\": \"${2:-nats/tls/node-$1.key}\", \"server_name\": \"leaf-$1.mwx\"}"
}

# --- wrong TLS files: exit 1 at start, naming the file's key in the config
expect_tls_error() { # NAME EXTRA PATTERN
    write_config "$D" JP "nats://127.0.0.1:${LP[JP]}" 0 "$2"
    local rc=0
    "$MWX" node --config "$D/node-JP.json" 2> "$D/$1.err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$1: exit $rc, expected 1 ($(cat "$D/$1.err"))"
    grep -qF -- '$.tls' "$D/$1.err" || fail "$1: message does not name \$.tls: $(cat "$D/$1.err")"
    grep -qF -- "$3" "$D/$1.err" || fail "$1: message lacks '$3': $(cat "$D/$1.err")"
    rm -rf "$D/out-JP"
}
expect_tls_error tls-missing "$(tls_json JP nats/tls/nope.key)" "nope.key"
cp "$D/nats/tls/node-JP.key" "$D/open.key"
chmod 644 "$D/open.key"
expect_tls_error tls-open "$(tls_json JP open.key)" "too open"
"$MWX" nats-config scenario.json -o "$D/other" --tls > /dev/null
expect_tls_error tls-other-ca ", \"tls\": {\"ca\": \"nats/tls/ca.crt\", \"cert\": \"other/tls/node-JP.crt\", \"key\": \"other/tls/node-JP.key\"}" "not a valid certificate of"
expect_tls_error tls-partial ", \"tls\": {\"ca\": \"nats/tls/ca.crt\"}" '$.tls.cert'
# no TLS against a TLS-only leaf: the bus cannot be reached (exit 3)
write_config "$D" JP "nats://127.0.0.1:${LP[JP]}" 0
rc=0
"$MWX" node --config "$D/node-JP.json" 2> "$D/plain.err" || rc=$?
[ "$rc" -eq 3 ] || fail "plaintext node: exit $rc, expected 3 ($(cat "$D/plain.err"))"
grep -q "cannot reach the bus" "$D/plain.err" || fail "plaintext node: $(cat "$D/plain.err")"
rm -rf "$D/out-JP"
echo "TLS config errors: exit 1 naming \$.tls; a plaintext node: exit 3"

# --- three nodes, each on its own leaf over TLS; JP's sensors from mwx feed over TLS
START=$(start_time 8)
for n in US JP KR; do
    extra=$(tls_json $n)
    [ $n = JP ] && extra="$extra, \"feed\": \"bus\""
    write_config "$D" $n "nats://127.0.0.1:${LP[$n]}" "$START" "$extra"
    start_node "$D" $n
done
wait_for 60 logged "$D/node-JP.log" "live: measurements from mwx-meas.JP" || fail "JP not live: $(tail -n 3 "$D/node-JP.log")"
"$MWX" feed scenario.json --nation JP --bus "nats://127.0.0.1:${LP[JP]}" --speed 50 \
    --start-unix "$START" --tls-ca nats/tls/ca.crt --tls-cert nats/tls/sensors-JP.crt \
    --tls-key nats/tls/sensors-JP.key --tls-server-name leaf-JP.mwx 2> "$D/feed.log" ||
    fail "mwx feed over TLS: $(tail -n 3 "$D/feed.log")"
grep -q "measurements published, 0 lost" "$D/feed.log" || fail "feed: $(tail -n 1 "$D/feed.log")"
# JP, on a live feed, serves on; KR and US replay and log the end
partners_ended() {
    for n in JP KR US; do
        kill -0 "${NODE_PID[$n]}" 2>/dev/null || fail "node $n died: $(tail -n 3 "$D/node-$n.log")"
    done
    logged "$D/node-KR.log" "scenario ended" && logged "$D/node-US.log" "scenario ended"
}
wait_for 120 partners_ended || fail "the nodes did not reach the scenario end: $(tail -n 2 "$D"/node-*.log)"
settle_and_stop "$D"
n_jp=$("$MWX" cat "$D/out-JP/node-JP.mwxr" | grep -c '"track_id":"JP-[0-9]') || true
[ "$n_jp" -gt 20 ] || fail "JP tracked only $n_jp own track records from its TLS feed"
for p in KR US; do
    n=$("$MWX" cat "$D/out-JP/node-JP.mwxr" | grep -c "\"type\":\"share\".*\"from\":\"$p\"") || true
    [ "$n" -gt 10 ] || fail "JP recorded only $n share records from $p"
done
n=$("$MWX" cat "$D/out-US/node-US.mwxr" | grep -c '"type":"share".*"from":"JP"') || true
[ "$n" -gt 10 ] || fail "US recorded only $n share records from JP (JP's feed -> JP's tracks -> US)"
logged "$D/node-KR.log" "partner JP first seen" && fail "KR saw JP, which does not release to KR"
echo "three nodes over TLS via hub and leaves: $n_jp JP tracks from the TLS feed, $n JP share records at US"
echo PASS
