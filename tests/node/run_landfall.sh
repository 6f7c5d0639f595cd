#!/usr/bin/env bash
# mwx run on a launch that lands in Shimane (JP-32): every output of PRODUCT.md, CAP files
# valid against the OASIS schema, the threatened region warned before impact (not missed),
# Exercise never Actual, the sharing-benefit table, determinism for a seed, and a
# failure that leaves no half-written output.
set -euo pipefail
: "${MWX:?}" "${MWX_SOURCE_DIR:?}" "${MWX_TMPDIR:?}"
work="$MWX_TMPDIR/run_landfall"; rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

"$MWX" run "$MWX_SOURCE_DIR/scenarios/test-landfall.json" --out "$work/a" --quiet > "$work/out.txt"
for f in run.mwxr report.json alerts/latest.geojson alerts/alerts.atom; do
  [ -s "$work/a/$f" ] || fail "missing $f"
done
ls "$work/a"/alerts/*.cap.xml >/dev/null 2>&1 || fail "no CAP file"
ls "$work/a"/alerts/*.cot.xml >/dev/null 2>&1 || fail "no CoT file"
[ ! -e "$work/a/.alone.tmp" ] || fail "the alone pass left its folder behind"
xmllint --noout --schema "$MWX_SOURCE_DIR/data/cap/cap12.xsd" "$work/a"/alerts/*.cap.xml 2> "$work/xsd.txt" \
  || { cat "$work/xsd.txt"; fail "CAP file not valid against cap12.xsd"; }
if grep -l "<status>Actual</status>" "$work/a"/alerts/*.cap.xml; then fail "simulated data issued as Actual"; fi
xmllint --noout "$work/a/alerts/alerts.atom" || fail "alerts.atom is not well-formed"
# the run's feed is the union of every node's feed
for n in JP KR; do
  for id in $(grep -o "urn:mwx:cap:[^<]*" "$work/a/alerts/alerts-$n.atom"); do
    grep -q "$id" "$work/a/alerts/alerts.atom" || fail "alerts.atom lacks $id from node $n"
  done
done
grep -q '"FeatureCollection"' "$work/a/alerts/latest.geojson" || fail "latest.geojson is not a FeatureCollection"
grep -q "Sharing benefit" "$work/out.txt" || fail "no sharing-benefit table printed"

/usr/bin/python3 - "$work/a/report.json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
assert set(r) >= {"launches", "tracking", "sharing_benefit"}, r.keys()
for k in ("pos_rmse_m", "vel_rmse_mps", "nees", "ospa_m"):
    assert isinstance(r["tracking"][k], (int, float)), k
(l,) = r["launches"]
for k in ("id", "t_launch", "t_impact", "impact", "t_first_detection", "t_first_track",
          "t_first_shared", "impact_error_km", "regions", "missed_regions", "false_regions"):
    assert k in l, k
assert l["id"] == "M1"
# truth: the simulator lands within 1 km of the aim (35.1N 132.6E)
assert abs(l["impact"]["lat"] - 35.1) < 0.01 and abs(l["impact"]["lon"] - 132.6) < 0.01, l["impact"]
assert l["t_first_detection"] <= l["t_first_track"] < l["t_impact"]
assert set(l["t_first_shared"]) >= {"JP", "US"}, l["t_first_shared"]
assert l["impact_error_km"]["at_ttg_60s"] < 5.0, l["impact_error_km"]
threatened = [g for g in l["regions"] if g["threatened"] and g["kind"] == "impact"]
assert [g["id"] for g in threatened] == ["JP-32"], threatened
# the flight passes over Gangwon (KR-42) above 100 km: scored as an overflight, warned
# before it (issue 12, item 3)
over = {g["id"]: g for g in l["regions"] if g["kind"] == "overflight"}
assert "KR-42" in over and over["KR-42"]["threatened"], l["regions"]
assert over["KR-42"]["lead_time_s"] is not None and over["KR-42"]["lead_time_s"] > 0, over
assert l["missed_regions"] == [], l["missed_regions"]
lead = threatened[0]["lead_time_s"]
assert lead is not None and lead > 300, lead   # warned minutes, not seconds, before impact
jp = [b for b in r["sharing_benefit"] if b["nation"] == "JP"][0]
assert jp["own_regions_threatened"] == 1
# Japan's own radar sees the launch late: partners' tracks make its first track earlier
assert jp["shared"]["first_track_after_launch_s"] < jp["alone"]["first_track_after_launch_s"], jp
print("report ok: JP-32 warned %.0f s before impact" % lead)
PY

# deterministic for a seed: the same recording twice
"$MWX" run "$MWX_SOURCE_DIR/scenarios/test-landfall.json" --out "$work/b" --quiet --no-compare > /dev/null
cmp <("$MWX" cat "$work/a/run.mwxr") <("$MWX" cat "$work/b/run.mwxr") || fail "two runs with one seed differ"

# bad input: exit 1 naming the file, and nothing left under the final names
printf '{"name": "x", "bogus": 1}' > "$work/bad.json"
set +e; "$MWX" run "$work/bad.json" --out "$work/c" 2> "$work/err.txt"; rc=$?; set -e
[ $rc -eq 1 ] || fail "bad scenario: exit $rc, expected 1"
grep -q "bad.json" "$work/err.txt" || fail "message does not name the file: $(cat "$work/err.txt")"
[ ! -e "$work/c/run.mwxr" ] && [ ! -e "$work/c/report.json" ] || fail "half-written output after a failure"
set +e; "$MWX" run > /dev/null 2>&1; rc=$?; set -e
[ $rc -eq 2 ] || fail "no arguments: exit $rc, expected 2"
# every other test scenario: all outputs and a Report with one entry per launch
for sc in "$MWX_SOURCE_DIR"/scenarios/test-*.json; do
  name=$(basename "$sc" .json)
  "$MWX" run "$sc" --out "$work/$name" --quiet --no-compare > /dev/null || fail "$name: mwx run failed"
  for f in run.mwxr report.json alerts/latest.geojson; do
    [ -s "$work/$name/$f" ] || fail "$name: missing $f"
  done
  /usr/bin/python3 - "$sc" "$work/$name/report.json" <<'PY' || fail "$name: report"
import json, sys
sc, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert sorted(l["id"] for l in r["launches"]) == sorted(l["id"] for l in sc["launches"])
for l in r["launches"]:
    assert l["t_first_track"] is not None, l["id"]          # every launch was tracked
    assert l["missed_regions"] == [], (l["id"], l["missed_regions"])
PY
done
echo "run_landfall: ok"
