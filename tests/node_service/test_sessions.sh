#!/bin/bash
# Session MACs between `mwx node`s (issue 14) on a real nats-server: JP and US run with
# sessions (the default), KR with "sessions": false (as a partner that signs every
# envelope, like one built before sessions). Every envelope released to a node is in its
# recording once (check.py seqs): KR's signed ones at JP and US, US's MAC'd ones at KR.
# JP's and US's outboxes hold session messages and MAC'd envelopes, KR's only signed ones
# (mwx node --dump-log); US, which MACs for KR, says once that KR signs everything and
# what to set; JP, which releases nothing to KR, does not; no node drops a MAC as bad
# (/metrics); a config with "sessions": "no" is refused naming $.sessions. ~15-25 s.
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_sessions"
setup_dir "$D"
cd "$D"

echo '{"nation": "JP", "key": "keys/JP.key", "sensors": "scenario.json", "outputs": "o", "bus": "inproc", "sessions": "no"}' > "$D/bad.json"
rc=0
"$MWX" node --config "$D/bad.json" 2> "$D/bad.err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF '$.sessions' "$D/bad.err" || fail "\"sessions\": \"no\": exit $rc, $(cat "$D/bad.err")"

start_nats "$D"
START=$(start_time 4)
for n in US JP KR; do
    extra=''
    [ $n = KR ] && extra=', "sessions": false'
    [ $n = US ] && extra="$extra, \"http\": \"127.0.0.1:0\""
    write_config "$D" $n "nats://127.0.0.1:$NATS_PORT" "$START" "$extra"
    sed -i 's/"speed": 50/"speed": 100/' "$D/node-$n.json" # 6 s of wall time
    start_node "$D" $n
done
wait_for 60 all_ended "$D" || fail "the nodes did not reach the scenario end: $(tail -n 2 "$D"/node-*.log)"
URL=$(grep -o 'http://127.0.0.1:[0-9]*/' "$D/node-US.log" | head -n 1)
[ -n "$URL" ] || fail "US did not log its page's address"
"$PY" - "$URL" <<'EOPY' || fail "/metrics"
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1] + "metrics", timeout=30).read().decode()
acc = int(re.search(r'mwx_share_accepted_total\{node="US"\} (\d+)', text).group(1))
assert acc > 100, acc
for reason in ("bad_mac", "bad_signature", "malformed"):
    assert 'mwx_share_dropped_total{node="US",reason="%s"} 0' % reason in text, (reason, text)
print("US /metrics: %d accepted, 0 bad_mac, 0 bad_signature, 0 malformed" % acc)
EOPY
settle_and_stop "$D"

# what each node sent: session messages and MAC'd envelopes from JP and US, none from KR
count() { "$MWX" node --dump-log "$D/out-$1/node-$1.outbox" | grep -c "$2" || true; }
for n in JP US; do
    s=$(count $n "\"session\"")
    [ "$s" -ge 2 ] || fail "$n sent $s session messages (expected an announcement and checkpoints)"
done
[ "$(count KR "\"session\"")" -eq 0 ] || fail "KR (sessions off) sent session messages"
logged "$D/node-US.log" "partner KR signs every envelope" || fail "US did not say that KR signs everything"
[ "$(grep -c 'partner KR signs every envelope' "$D/node-US.log")" -eq 1 ] || fail "US said it more than once"
logged "$D/node-US.log" '"sessions": false' || fail "US's warning does not name the key"
logged "$D/node-JP.log" "signs every envelope" && fail "JP warned, but it sends nothing to KR"
logged "$D/node-KR.log" "signs every envelope" && fail "KR warned about partners that MAC"
echo "PASS"
