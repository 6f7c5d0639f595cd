#!/bin/bash
# Issue #13.3: a JP node configured with KR's credentials once published nothing anyone
# received, logged nothing and exited 0. Now the server's permission violations are seen:
# logged, counted, and a node whose every publish is refused stops with exit 3 and says so.
source "$MWX_SOURCE_DIR/tests/node_service/common.sh"
D="$MWX_TMPDIR/adversary_creds"
setup_dir "$D"
cd "$D"
"$MWX" nats-config scenario.json -o "$D/nats" --port 4222 > /dev/null
sed 's/^listen: "127.0.0.1:4222"$/listen: "127.0.0.1:PORT_PLACEHOLDER"/' "$D/nats/nats-server.conf" > "$D/nats.conf.in"
start_nats "$D" "$D/nats.conf.in"
START=$(start_time 2)
write_config "$D" JP "nats://127.0.0.1:$NATS_PORT" "$START" ', "creds": "nats/KR.creds"'
rc=0
timeout 120 "$MWX" node --config "$D/node-JP.json" 2> "$D/node-JP.log" || rc=$?
[ "$rc" -eq 3 ] || fail "JP with KR's creds: exit $rc, expected 3 ($(tail -n 5 "$D/node-JP.log"))"
grep -q "refused every publish" "$D/node-JP.log" || fail "no clear message: $(tail -n 5 "$D/node-JP.log")"
grep -qi "permissions violation" "$D/node-JP.log" || fail "the server's reason is not logged: $(tail -n 5 "$D/node-JP.log")"
echo "wrong creds: exit 3, $(grep -c 'refused' "$D/node-JP.log") refusal lines"
