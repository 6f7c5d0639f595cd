#!/usr/bin/env bash
# Issue 11: the default morning's quasi-ballistic salvo (scenarios/default.json Q1-Q3,
# every sensor, launched 1780 s earlier: tests/track/default_salvo.json) is no space
# launch. Before the guard's fixes every node's track of Q1 became space_launch for good
# (a linked track's wild first velocity passed the orbit test; a first launch estimate
# 250 s early made a 100 s burn "330 s long"), so its warnings were drop zones. Checks, for
# each nation's tracker and all sensors together: no track is space_launch, and Q1-Q3 each
# have a track. Wall time ~3 s.
set -u
test_name=track_salvo_class
. "$MWX_SOURCE_DIR/tests/cli_lib.sh"

if ! "$MWX" sim "$MWX_SOURCE_DIR/tests/track/default_salvo.json" -o "$dir/run.mwxr" \
     2>"$dir/err"; then
  fail "mwx sim default_salvo: $(cat "$dir/err")"
  echo "$fails failure(s)"; exit 1
fi
"$MWX" cat "$dir/run.mwxr" >"$dir/run.jsonl" || fail "mwx cat run"
for n in KR JP US ALL; do
  if [ "$n" = ALL ]; then args=(); else args=(--nation "$n"); fi
  "$MWX" track "$dir/run.mwxr" -o "$dir/$n.mwxr" "${args[@]}" 2>"$dir/err" ||
    { fail "mwx track $n: $(cat "$dir/err")"; continue; }
  "$MWX" cat "$dir/$n.mwxr" >"$dir/$n.jsonl" || fail "mwx cat $n"
  python3 - "$dir/run.jsonl" "$dir/$n.jsonl" "$n" <<'PY' || fail "$n: salvo classes"
import collections, json, math, sys
truth = collections.defaultdict(list)
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["type"] == "truth":
        truth[d["object"]].append(d)
def near(r):
    best = (1e99, None)
    for o, tr in truth.items():
        for d in tr:
            if abs(d["t"] - r["t"]) <= 0.6:
                best = min(best, (math.dist(d["ecef_m"], r["ecef_m"]), o))
    return best
space, seen, count = [], set(), collections.Counter()
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r["type"] != "track":
        continue
    count[r["track_id"]] += 1
    dist, o = (1e99, None)
    if count[r["track_id"]] % 10 == 1 or r["class"] == "space_launch":
        dist, o = near(r)
    if r["class"] == "space_launch":
        space.append((r["track_id"], round(r["t"]), o, round(dist / 1e3, 1)))
    if o and dist < 20e3:
        seen.add(o)
assert not space, "%s: space_launch tracks of a quasi-ballistic salvo: %s" % (sys.argv[3], space[:5])
assert {"Q1", "Q2", "Q3"} <= seen, "%s: objects tracked %s" % (sys.argv[3], sorted(seen))
print("%s: no space_launch track, Q1-Q3 tracked" % sys.argv[3])
PY
done
[ "$fails" -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
