#!/bin/bash
# Partner reports timed ahead of a node's clock are never lost (issue 14, "nothing lost";
# docs/NODE.md "Reports ahead of the clock"). KR's clock runs 2 s of wall time (100 s of
# scenario at 50x) behind JP's and US's (its start_unix is 2 s later), so every US track
# report reaches KR ahead of KR's clock by more than report_ahead_s (50 s here). The
# receiver accepts it (signature, seq); the node core cannot use it yet. Before the fix it
# was dropped as implausible after the accept: in KR's inbox, never in its recording, and
# never asked for again. Now the node takes the accept back (not in the inbox, its seq
# missing again) and gap recovery asks for it once KR's clock has come near it: KR's
# recording and inbox must hold every US track report, each once (check.py seqs).
# About 35 s of wall time.
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_clock_ahead"
setup_dir "$D"
cd "$D"
"$MWX" nats-config scenario.json -o "$D/nats" --port 4222 > /dev/null
sed 's/^listen: "127.0.0.1:4222"$/listen: "127.0.0.1:PORT_PLACEHOLDER"/' "$D/nats/nats-server.conf" > "$D/nats.conf.in"
start_nats "$D" "$D/nats.conf.in"
START=$(start_time 6)
for n in US JP KR; do
    s=$START
    [ $n = KR ] && s=$("$PY" -c "print($START + 2.0)")
    write_config "$D" $n "nats://127.0.0.1:$NATS_PORT" "$s" ", \"creds\": \"nats/$n.creds\""
    start_node "$D" $n
done
wait_for 120 all_ended "$D" || fail "the nodes did not reach the scenario end: $(tail -n 2 "$D"/node-*.log)"
settle_and_stop "$D"
logged "$D/node-KR.log" "timed ahead of this node's clock" ||
    fail "KR never had a report ahead of its clock: the test tests nothing ($(tail -n 3 "$D/node-KR.log"))"
logged "$D/node-KR.log" "reports dropped, implausible" && fail "KR dropped reports as implausible"
echo "KR: reports ahead of its clock taken back and recovered ($(grep -o "[0-9]* not acknowledged" "$D/node-KR.log" | tail -n 1) by the last log line)"
echo "PASS"
