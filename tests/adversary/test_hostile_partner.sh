#!/bin/bash
# Issue #13: a trusted but malicious partner (US, its own key and `mwx nats-config`
# credentials) against a running JP node on a real nats-server, while an honest partner
# (KR) sends one track report every 20 ms (tests/adversary/adversary.c). Phases: baseline
# (KR alone), attack (forged, replayed, mislabelled, stale, oversize, garbage, misrouted
# gap requests, replayed gap requests, far-future and far-out track reports), silence
# (US leaves a hole it never fills, runs no gap responder, floods 150 new track ids), then
# seqs 2^64-2 and 2^64-1 and a report after them. Asserted: JP never dies and answers
# /metrics to the end; every drop is counted under its reason in /metrics, exactly; every
# KR report is accepted and recorded once; the flood is refused past US's share of the
# fusion table (counted) and JP's resident memory stays under a stated bound; KR's
# latency (JP's receive minus KR's send, from the share records) while US attacks or
# stays silent is not worse than in the baseline by more than a generous bound, and JP's
# time from a KR report to its public warning (5 new threats a phase, each a launch notice)
# is within 10 ms of the baseline's at the median (timings
# belong in bench/; the bound only catches a loop that waits on a partner again, which
# cost 2 s per gap request; the measured figures are printed).
source "$MWX_SOURCE_DIR/tests/node_service/common.sh"
: "${MWX_ADVERSARY:?}"
D="$MWX_TMPDIR/adversary_partner"
setup_dir "$D"
cd "$D"
"$MWX" nats-config scenario.json -o "$D/nats" --port 4222 > /dev/null
sed 's/^listen: "127.0.0.1:4222"$/listen: "127.0.0.1:PORT_PLACEHOLDER"/' "$D/nats/nats-server.conf" > "$D/nats.conf.in"
start_nats "$D" "$D/nats.conf.in"
HTTP=$(free_port)
START=$(start_time 1)
write_config "$D" JP "nats://127.0.0.1:$NATS_PORT" "$START" ", \"creds\": \"nats/JP.creds\", \"http\": \"127.0.0.1:$HTTP\""
sed -i 's/"speed": 50/"speed": 1/' "$D/node-JP.json"
start_node "$D" JP
metrics() { "$PY" -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$HTTP/metrics', timeout=5).read().decode())"; }
wait_for 60 metrics > /dev/null || fail "JP's /metrics never came up: $(tail -n 3 node-JP.log)"
wait_for 30 logged node-JP.log "connected to" || fail "JP never connected"
sleep 1  # its subscriptions are made right after "connected"
RSS0=$(metrics | awk '/^mwx_process_resident_memory_bytes/ {print $2}')
# JP's CPU time (user + system, seconds) from /proc: bounded per envelope, and no spinning
# once the partners are quiet (seqs 2^64-2 and 2^64-1 once kept a node at 93 % CPU)
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/${NODE_PID[JP]}/stat"; }
CPU0=$(cpu_s)

"$MWX_ADVERSARY" "nats://127.0.0.1:$NATS_PORT" "$D" JP KR US "$START" 1 > adv.json 2> adv.err ||
    fail "the adversary failed: $(cat adv.err)"
kill -0 "${NODE_PID[JP]}" 2>/dev/null || fail "JP died: $(tail -n 5 node-JP.log)"
CPU1=$(cpu_s)
sleep 3
CPU2=$(cpu_s)
"$PY" - "$CPU0" "$CPU1" "$CPU2" "$D/adv.json" <<'PY' || fail "JP's CPU time (above)"
import json, sys
c0, c1, c2 = map(float, sys.argv[1:4])
sent = json.load(open(sys.argv[4]))["sent"]
per = (c1 - c0) / sent
idle = (c2 - c1) / 3
# generous bounds (a shared machine; the node also tracks its own sensors meanwhile): a
# verify and a fusion step cost well under a millisecond, a spinning loop a whole core
print(f"JP CPU: {per * 1e3:.3f} ms per envelope over {sent} envelopes, {idle * 100:.1f} % of a core after")
assert per < 0.005, f"{per * 1e3:.2f} ms of CPU per envelope"
assert idle < 0.5, f"JP used {idle * 100:.0f} % of a core with its partners quiet"
PY

# every KR report accepted (the inbox) and recorded once; the counters exact
check() {
    metrics > metrics.txt
    "$PY" - "$D" <<'PY'
import json, subprocess, sys, os
d = sys.argv[1]
adv = json.load(open(f"{d}/adv.json"))
x = adv["expect"]
m = {}
for line in open(f"{d}/metrics.txt"):
    if line.startswith("#") or not line.strip():
        continue
    k, v = line.rsplit(" ", 1)
    m[k] = float(v)
def g(name, reason=None):
    lab = 'node="JP"' + (f',reason="{reason}"' if reason else "")
    return m.get(f"{name}{{{lab}}}", -1)
want = {
    ("mwx_share_dropped_total", "bad_signature"): x["bad_signature"],
    ("mwx_share_dropped_total", "not_releasable"): x["not_releasable"],
    ("mwx_share_dropped_total", "stale"): x["stale"],
    ("mwx_share_dropped_total", "replayed"): x["replayed"],
    ("mwx_share_dropped_total", "malformed"): x["malformed"],
    ("mwx_share_dropped_total", "misrouted"): x["misrouted"],
    ("mwx_share_dropped_total", "unknown_origin"): 0,
    ("mwx_node_reports_dropped_total", "implausible"): x["implausible"],
    ("mwx_node_reports_dropped_total", "bad_payload"): 0,
    ("mwx_node_reports_dropped_total", "warn_full"): 0,
}
# the bus client's own drops are exposed (counted and logged when they happen)
for name in ("mwx_node_bus_slow_consumer_dropped_total", "mwx_node_bus_queue_dropped_total"):
    if g(name) < 0:
        print(f"no {name} in /metrics"); sys.exit(1)
n_kr = sum(b - a + 1 for a, b in adv["phases"])
want[("mwx_share_accepted_total", None)] = n_kr + x["hostile_accepted"] + x["gap_accepted"]
bad = [f"{k[0]}{{{k[1]}}} = {g(*k)}, expected {v}" for k, v in want.items() if g(*k) != v]
full = g("mwx_node_reports_dropped_total", "fusion_full")
# US's solo fused tracks stop at its share (32); everything past it is counted
if not (x["flood_ids"] - 32 <= full <= x["flood_ids"] + 40):
    bad.append(f"fusion_full = {full} for a flood of {x['flood_ids']} new track ids")
if bad:
    print("\n".join(bad)); sys.exit(1)
PY
}
wait_for 30 check > /dev/null || { check || true; fail "JP's counters (above)"; }

inbox=$("$MWX" node --dump-log out-JP/node-JP.inbox)
"$PY" - "$D" <<PY || fail "KR's reports"
import json, subprocess, sys
d = sys.argv[1]
adv = json.load(open(f"{d}/adv.json"))
inbox = [json.loads(l) for l in """$inbox""".splitlines() if l.strip()]
want = set()
for a, b in adv["phases"]:
    want |= set(range(a, b + 1))
got = [e["seq"] for e in inbox if e["origin"] == "KR"]
assert set(got) == want and len(got) == len(want), f"KR: {len(want - set(got))} missing, {len(got) - len(set(got))} twice"
PY
kill -TERM "${NODE_PID[JP]}"; rc=0; wait "${NODE_PID[JP]}" || rc=$?
[ "$rc" -eq 0 ] || fail "JP exited $rc after SIGTERM: $(tail -n 3 node-JP.log)"

# latency of KR's reports per phase, from JP's share records (receive - send)
"$PY" - "$D" <<'PY' || fail "KR's latency"
import json, subprocess, sys, os
d = sys.argv[1]
adv = json.load(open(f"{d}/adv.json"))
out = subprocess.run([os.environ["MWX"], "cat", f"{d}/out-JP/node-JP.mwxr"], check=True,
                     capture_output=True, text=True).stdout
lat = {}
for l in out.splitlines():
    r = json.loads(l)
    if r["type"] == "share" and r["from"] == "KR" and r["verified"]:
        lat[r["seq"]] = r["latency_s"]
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))]
ph = [[lat[s] for s in range(a, b + 1) if s in lat] for a, b in adv["phases"]]
names = ["baseline", "attack", "silence+flood"]
for n, v in zip(names, ph):
    assert len(v) >= 0.9 * 150, f"{n}: only {len(v)} share records"
    print(f"KR latency {n}: p50 {pct(v, .5)*1e3:.2f} ms, p90 {pct(v, .9)*1e3:.2f} ms, max {max(v)*1e3:.2f} ms")
for n, v in zip(names[1:], ph[1:]):
    # the issue's bound: another partner's traffic no more than 10 ms later, at the median;
    # the tail more generously (the machine is shared): a loop waiting on a partner cost
    # seconds, so either catches it
    assert pct(v, .5) - pct(ph[0], .5) < 0.010, f"{n}: p50 {pct(v, .5):.4f} s against {pct(ph[0], .5):.4f} s in the baseline"
    assert pct(v, .9) - pct(ph[0], .9) < 0.1, f"{n}: p90 {pct(v, .9):.3f} s against {pct(ph[0], .9):.3f} s in the baseline"
PY
# the public warning: for each threat, JP's first CAP message on it (the launch notice of
# the fused track that carries the threat's impact point), from the report that triggered
# it (the last one sent before) to the node's log line announcing it, written right after
# the CAP file (the log's clock is fine-grained; a file's mtime lags by up to a kernel tick)
"$PY" - "$D" <<'PY' || fail "the public warning's latency"
import datetime, json, os, subprocess, sys
d = sys.argv[1]
adv = json.load(open(f"{d}/adv.json"))
out = subprocess.run([os.environ["MWX"], "cat", f"{d}/out-JP/node-JP.mwxr"], check=True,
                     capture_output=True, text=True).stdout
fused = {}   # fused track id -> the threat region whose impact it carries
first = {}   # fused track id -> the first CAP file naming it
for l in out.splitlines():
    r = json.loads(l)
    if r["type"] == "track" and r.get("impact") and r["track_id"] not in fused:
        for th in adv["threats"]:
            if (abs(r["impact"]["lat"] - th["lat"]) < 1e-6 and
                    abs(r["impact"]["lon"] - th["lon"]) < 1e-6):
                fused[r["track_id"]] = th["region"]
    elif r["type"] == "alert" and r["msg_type"] == "Alert":
        first.setdefault(r["identifier"].split(".")[3], r["identifier"])
logged = {}
for l in open(f"{d}/node-JP.log"):
    w = l.split()
    if len(w) > 5 and w[4] == "alert" and w[5] == "Alert":
        logged[w[6]] = datetime.datetime.fromisoformat(w[0]).timestamp()
by_region = {g: logged.get(first[t]) for t, g in fused.items() if t in first}
names = ["baseline", "attack", "silence+flood"]
lat = [[], [], []]
for th in adv["threats"]:
    written = by_region.get(th["region"])
    assert written, f"{th['region']} ({names[th['phase']]}) never warned"
    before = [s for s in th["sent"] if s <= written]
    assert before, f"{th['region']}: its warning was written before its first report"
    lat[th["phase"]].append(written - before[-1])
for n, v in zip(names, lat):
    print(f"report -> public warning, {n}: " + ", ".join(f"{x * 1e3:.2f}" for x in sorted(v)) + " ms")
med = [sorted(v)[len(v) // 2] for v in lat]
for n, m in zip(names[1:], med[1:]):
    # the issue's bound (10 ms at the median of the phase's threats); a loop waiting on a
    # partner cost seconds
    assert m - med[0] < 0.010, f"{n}: median {m * 1e3:.2f} ms against {med[0] * 1e3:.2f} ms in the baseline"
PY
RSS1=$(awk '/^mwx_process_resident_memory_bytes/ {print $2}' metrics.txt)
echo "JP resident memory: $RSS0 before, $RSS1 after the attacks"
"$PY" -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if b - a < 64e6 and b < 256e6 else 1)" "$RSS0" "$RSS1" ||
    fail "JP's memory grew from $RSS0 to $RSS1 bytes"
grep -q "gap request to US failed" node-JP.log || fail "no gap request to the silent US failed: $(grep -i gap node-JP.log | tail -n 3)"
echo "hostile partner: all drops counted, all KR reports accepted"
