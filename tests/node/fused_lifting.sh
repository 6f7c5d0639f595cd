#!/usr/bin/env bash
# A nation's fused picture keeps an impact prediction through a quasi-ballistic pull-up
# (issue 11): test-quasi-ballistic's Q1 pulls up 70-90 s before impact and its node track
# is `lifting` for ~20 s after; the fused track used to drop its impact meanwhile, and
# the picture's latest prediction at 60 s to go was the pre-pull-up one, 14-19 km short.
# Checks, for seeds 3 and 16 (17.1 and 17.6 km before), every nation's fused track of
# each falling object: its latest impact at or before 60 s to go within 5 km of the
# truth; no missed region, and no more false regions than before. ~2 s of CPU.
set -euo pipefail
: "${MWX:?}" "${MWX_SOURCE_DIR:?}" "${MWX_TMPDIR:?}"
work="$MWX_TMPDIR/fused_lifting"; rm -rf "$work"; mkdir -p "$work"
for seed in 3 16; do
  "$MWX" run "$MWX_SOURCE_DIR/scenarios/test-quasi-ballistic.json" --out "$work/s$seed" \
    --seed "$seed" --no-compare --quiet > /dev/null
  "$MWX" cat "$work/s$seed/run.mwxr" > "$work/s$seed/run.jsonl"
  /usr/bin/python3 - "$work/s$seed" "$seed" <<'PY'
import json, math, sys
d, seed = sys.argv[1], sys.argv[2]
rep = json.load(open(d + "/report.json"))
recs = [json.loads(l) for l in open(d + "/run.jsonl")]
truth = {}  # object -> {whole second: record}
for r in recs:
    if r["type"] == "truth":
        truth.setdefault(r["object"], {})[round(r["t"])] = r
def km(a, b, c, e):
    a, b, c, e = map(math.radians, (a, b, c, e))
    h = math.sin((c - a) / 2) ** 2 + math.cos(a) * math.cos(c) * math.sin((e - b) / 2) ** 2
    return 12742.0 * math.asin(math.sqrt(h))
checked = 0
for launch in rep["launches"]:
    for o in launch["objects"]:
        t60 = o["t_impact"] - 60.0
        tr = truth[o["id"]]
        latest = {}
        for r in recs:
            if r["type"] != "track" or "-F" not in r["track_id"]:
                continue
            if r["t"] > t60 or t60 - r["t"] > 15.0:
                continue
            near = tr.get(round(r["t"]))
            if near is None or math.dist(near["ecef_m"], r["ecef_m"]) > 30e3:
                continue
            if r.get("impact"):
                latest[(r["node"], r["track_id"])] = r
        assert latest, "seed %s %s: no fused prediction in the 15 s before 60 s to go" % (seed, o["id"])
        for (node, tid), r in sorted(latest.items()):
            i = r["impact"]
            err = km(i["lat"], i["lon"], o["impact"]["lat"], o["impact"]["lon"])
            age = t60 - r["t"]
            print("seed %s %s %s: %.2f km, %.1f s old, class %s" % (seed, o["id"], tid, err, age, r["class"]))
            assert err <= 5.0, "seed %s %s %s: %.1f km at 60 s to go" % (seed, o["id"], tid, err)
            checked += 1
assert checked >= 4, checked
# The corridor the fused track now carries does not widen the warnings: the lift's reach
# is what 2 g can do in the next 10 s (not over the whole time to go: 52 km at 72 s to
# go warned 1-3 more regions beyond Q1's impact). Q1 warns 3 regions never threatened
# before and after (its early ballistic ellipse, 30 km short of the pull-up's impact).
for launch in rep["launches"]:
    print("seed %s %s false regions %s" % (seed, launch["id"], launch["false_regions"]))
    assert not launch["missed_regions"], launch["missed_regions"]
    assert len(launch["false_regions"]) <= 3, launch["false_regions"]
PY
done
echo "fused_lifting: ok"
