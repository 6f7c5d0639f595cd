#!/usr/bin/env bash
# mwx demo end to end (paced, with the operator page): the timeline tells the story,
# /metrics exposes every node's counters, /alerts.atom serves the run's feed, the lead
# times and the sharing-benefit table are printed, and Ctrl-C stops it cleanly.
set -euo pipefail
: "${MWX:?}" "${MWX_SOURCE_DIR:?}" "${MWX_TMPDIR:?}"
work="$MWX_TMPDIR/demo"; rm -rf "$work"; mkdir -p "$work"; cd "$work"
fail() { echo "FAIL: $*"; echo "--- demo log"; cat "$work/demo.log" 2>/dev/null || true; exit 1; }
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$MWX" demo --scenario "$MWX_SOURCE_DIR/scenarios/test-landfall.json" --speed 200 \
  --port "$port" --out out --linger > demo.log 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do   # up to 5 minutes on a loaded machine
  grep -q "stays up" demo.log && break
  kill -0 $pid 2>/dev/null || fail "demo exited early"
  sleep 0.5
done
grep -q "stays up" demo.log || fail "demo did not finish its run"
fetch() { /usr/bin/python3 -c 'import sys,urllib.request; r=urllib.request.urlopen(sys.argv[1], timeout=10); sys.stdout.write(r.read().decode())' "http://127.0.0.1:$port$1"; }
fetch /metrics > metrics.txt || fail "/metrics"
/usr/bin/python3 - metrics.txt <<'PY'
import re, sys
vals = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$', line.strip())
    assert m, "bad exposition line: %r" % line
    vals[m.group(1) + (m.group(2) or "")] = float(m.group(3))
for n in ("JP", "KR", "US"):
    assert vals['mwx_envelopes_sent_total{node="%s"}' % n] > 0, n
    assert vals['mwx_envelopes_accepted_total{node="%s"}' % n] > 0, n
    assert vals['mwx_envelopes_dropped_total{node="%s",reason="bad_signature"}' % n] == 0, n
    assert vals['mwx_fusion_dropped_total{node="%s"}' % n] == 0, n
    assert 'mwx_fusion_changes_total{node="%s",change="merge"}' % n in vals, n
assert vals['mwx_alerts_issued_total{node="JP"}'] >= 1
print("metrics ok")
PY
fetch /alerts.atom | grep "urn:mwx:cap:mwx.JP" >/dev/null || fail "/alerts.atom lacks Japan's warnings"
kill -INT $pid; wait $pid || fail "demo did not exit 0 on SIGINT"
trap - EXIT
grep -q "first detected by" demo.log || fail "timeline: no detection"
grep -q "track JP-1 received from\|received from" demo.log || fail "timeline: no share"
grep -q "impact predicted" demo.log || fail "timeline: no impact prediction"
grep -q "CAP Alert (Exercise) regions JP-32" demo.log || fail "timeline: JP-32 not warned"
grep -q "JP-32  warned [0-9]* s before impact" demo.log || fail "no lead time printed"
grep -q "Sharing benefit" demo.log || fail "no sharing-benefit table"
[ -s out/report.json ] && [ -s out/run.mwxr ] || fail "outputs missing"
echo "demo: ok"
