#!/bin/bash
# Retention (docs/NODE.md, "Retention"): a node alone on the in-process bus with 8 KiB
# segments rotates its recording, outbox and inbox; `mwx cat` of the rotated set equals
# an unrotated run's records; the outbox set dumps as one gap-free sequence; a restart
# on the rotated outputs continues the sequence and records nothing twice; with a small
# keep_bytes old segments go (the recording's into its compacted archive, which keeps
# every alert, every share decision and every track's final state); config errors name
# the key.
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_retention"
setup_dir "$D"
cd "$D"

node_cfg() { # NAME OUTPUTS RETENTION
    echo "{\"nation\": \"KR\", \"bus\": \"inproc\", \"key\": \"keys/KR.key\",
 \"sensors\": \"scenario.json\", \"outputs\": \"$2\", \"speed\": 1000, \"exit_at_end\": true
 ${3:+, \"retention\": $3}}" > "$D/$1.json"
}
run_node() {
    local rc=0
    "$MWX" node --config "$D/$1.json" 2>> "$D/$1.log" || rc=$?
    [ "$rc" -eq 0 ] || fail "$1: exit $rc ($(tail -n 3 "$D/$1.log"))"
}
seqs_ok() { # OUTBOX: seqs strictly consecutive
    "$MWX" node --dump-log "$1" | "$PY" -c '
import sys, json
s = [json.loads(l)["seq"] for l in sys.stdin]
bad = [(a, b) for a, b in zip(s, s[1:]) if b != a + 1]
sys.exit("%d envelopes, breaks %s" % (len(s), bad[:3]) if bad or not s else 0)'
}

# --- config: strict, the key named
for bad in '{"segment_bytes": 100}' '{"segment_bytes": "big"}' '{"keep_bytes": -1}' \
           '{"segment_age": 5}' '[]' '{"keep_bytes": 1.5}' '{"alerts_keep_bytes": -1}' \
           '{"alerts_keep_age_s": "old"}'; do
    node_cfg bad out-bad "$bad"
    rc=0; "$MWX" node --config "$D/bad.json" 2> "$D/bad.err" || rc=$?
    [ "$rc" -eq 1 ] || fail "retention $bad: exit $rc, expected 1"
    grep -q '\$.retention' "$D/bad.err" || fail "retention $bad: $(cat "$D/bad.err")"
done

# --- unrotated and rotated runs: the same records
node_cfg plain out-plain
node_cfg rot out-rot '{"segment_bytes": 8192, "keep_bytes": 0, "keep_age_s": 0}'
run_node plain
run_node rot
n_rec=$(ls out-rot | grep -c '^node-KR\.mwxr\.[0-9]*$') || true
n_out=$(ls out-rot | grep -c '^node-KR\.outbox\.[0-9]*$') || true
[ "$n_rec" -ge 5 ] || fail "the recording rotated into only $n_rec segments"
[ "$n_out" -ge 5 ] || fail "the outbox rotated into only $n_out segments"
"$MWX" cat out-plain/node-KR.mwxr > plain.jsonl
"$MWX" cat out-rot/node-KR.mwxr > rot.jsonl
[ "$(grep -c . plain.jsonl)" -gt 100 ] || fail "too few records"
cmp -s plain.jsonl rot.jsonl || fail "mwx cat of the rotated set differs from the unrotated run"
[ "$(grep -c '"type":"scenario"' rot.jsonl)" -eq 1 ] || fail "the scenario record is repeated"
seqs_ok out-rot/node-KR.outbox || fail "rotated outbox"
echo "rotated: $n_rec recording and $n_out outbox segments, mwx cat identical ($(grep -c . rot.jsonl) records)"

# --- a restart on the rotated outputs: the sequence continues, nothing recorded twice
n1=$("$MWX" node --dump-log out-rot/node-KR.outbox | grep -c .)
run_node rot
seqs_ok out-rot/node-KR.outbox || fail "outbox after the restart"
n2=$("$MWX" node --dump-log out-rot/node-KR.outbox | grep -c .)
[ "$n2" -ge "$n1" ] || fail "the outbox lost envelopes: $n1 -> $n2"
"$MWX" cat out-rot/node-KR.mwxr > rot2.jsonl
cmp -s rot.jsonl rot2.jsonl || fail "the restart recorded again what the set held"
echo "restart on the rotated set: outbox $n1 -> $n2 envelopes, gap-free; recording unchanged"

# --- retention: old segments go; what an after-action review needs stays
node_cfg keep out-keep '{"segment_bytes": 8192, "keep_bytes": 16384, "keep_age_s": 0}'
run_node keep
ls out-keep | grep '^node-KR\.mwxr\.[0-9]*\.compacted$' > /dev/null || fail "no compacted archive"
ls out-keep | grep -q '^node-KR\.mwxr\.1$' && fail "the oldest recording segment is still there"
"$MWX" cat out-keep/node-KR.mwxr > keep.jsonl
"$PY" - plain.jsonl keep.jsonl <<'PY' || fail "compaction lost what a review needs"
import json, sys
def load(p):
    return [json.loads(l) for l in open(p)]
full, kept = load(sys.argv[1]), load(sys.argv[2])
def last_states(recs):
    last = {}
    for r in recs:
        if r["type"] == "track":
            last[(r["node"], r["track_id"])] = r
    return last
for kind in ("alert", "share"):
    a = [r for r in full if r["type"] == kind]
    b = [r for r in kept if r["type"] == kind]
    if a != b:
        sys.exit("%s records: %d in the full run, %d kept" % (kind, len(a), len(b)))
lf, lk = last_states(full), last_states(kept)
if lf != lk:
    sys.exit("track final states differ: %d vs %d tracks" % (len(lf), len(lk)))
if len(kept) >= len(full):
    sys.exit("nothing was compacted")
print("kept %d of %d records: %d alerts, every track's final state (%d tracks)" %
      (len(kept), len(full), sum(r["type"] == "alert" for r in kept), len(lk)))
PY
# the outbox keeps at least the replay window (8192 envelopes): none of this run's went
# (its track reports; heartbeats go by wall time, so two runs send a different number)
n_tracks() { "$MWX" node --dump-log "$1" | grep -c '"type":"track"' || true; }
[ "$(n_tracks out-keep/node-KR.outbox)" -ge "$(n_tracks out-plain/node-KR.outbox)" ] &&
    [ "$(n_tracks out-plain/node-KR.outbox)" -gt 100 ] ||
    fail "the outbox dropped envelopes inside the replay window"
seqs_ok out-keep/node-KR.outbox || fail "outbox under retention"

# --- alerts/ under the retention (alerts_keep_bytes defaults to keep_bytes, 16 kB here,
# far below what this run's one threat wrote): a restart on the same outputs (which
# removes at start what no series refers to) keeps every message a remaining CAP file
# references and every file the Atom feed links. (That files no series holds are removed
# is test_warn_journal's test_alerts_retention: here every series is still held.)
cap_bytes() { find "$1/alerts" -name '*.xml' -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
b1=$(cap_bytes out-keep)
[ "$b1" -gt 16384 ] || fail "the run wrote only $b1 bytes of CAP/CoT files: the limit is not tested"
run_node keep
b2=$(cap_bytes out-keep)
"$PY" - out-keep/alerts <<'PY' || fail "alerts/ retention removed a file still referred to"
import glob, os, re, sys
d = sys.argv[1]
have = {os.path.basename(f)[:-8] for f in glob.glob(d + "/*.cap.xml")}
for f in glob.glob(d + "/*.cap.xml"):
    m = re.search(r"<references>([^<]*)</references>", open(f).read())
    for ref in (m.group(1).split() if m else []):
        if ref.split(",")[1] not in have:
            sys.exit("%s references %s, removed" % (f, ref.split(",")[1]))
for href in re.findall(r'href="([^"]*\.cap\.xml)"', open(d + "/alerts.atom").read()):
    if href[:-8] not in have:
        sys.exit("the Atom feed links %s, removed" % href)
print("alerts/: %d CAP files left, every reference and feed link resolves" % len(have))
PY
echo "alerts/ under retention: $b1 -> $b2 bytes of CAP and CoT files after a restart"
echo "PASS"
