#!/usr/bin/env bash
# Replays every scenarios/historic/*.json with `mwx run` (one pass, no alone pass): each
# must finish, report.json must carry a reference_comparison for its launch, every CAP file
# must validate against the OASIS CAP 1.2 schema and none may be Actual. `mwx score` of the
# recording must print the comparison table. No lead time is asserted here.
set -euo pipefail
xsd="$MWX_SOURCE_DIR/data/cap/cap12.xsd"
shopt -s nullglob
scenarios=("$MWX_SOURCE_DIR"/scenarios/historic/*.json)
[ ${#scenarios[@]} -ge 6 ] || { echo "expected at least 6 historic scenarios, got ${#scenarios[@]}"; exit 1; }
n_caps=0
for sc in "${scenarios[@]}"; do
  name=$(basename "$sc" .json)
  out="$MWX_TMPDIR/historic-$name-$$"
  rm -rf "$out"
  "$MWX" run "$sc" --out "$out" --no-compare --quiet
  python3 - "$out/report.json" "$sc" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1])); sc = json.load(open(sys.argv[2]))
c = rep.get("reference_comparison")
assert c is not None, "no reference_comparison in report.json"
assert c["launch"] == sc["launches"][0]["id"], c["launch"]
assert c["sources"] == sc["reference"]["sources"]
# every region the real system alerted is in the comparison with its real time
for a in sc["reference"]["alerts"]:
    for r in a["regions"]:
        row = [x for x in c["regions"] if x["id"] == r]
        assert len(row) == 1, r
        if a["kind"] == "alert":
            assert row[0]["real"]["t_alert_s"] <= a["t_s"], (r, row[0])
# the flight reached its end: an impact, or the orbit of a space launch that does not fail
l0 = sc["launches"][0]
if l0.get("profile") == "space_launch" and "fail_at_s" not in l0:
    assert rep["launches"][0]["t_impact"] is None, "a space launch to orbit has no impact"
else:
    assert rep["launches"][0]["t_impact"] is not None, "no impact"
PY
  caps=("$out"/alerts/*.cap.xml)
  if [ ${#caps[@]} -gt 0 ]; then
    xmllint --noout --schema "$xsd" "${caps[@]}" 2>"$out/xmllint.log" || { cat "$out/xmllint.log"; exit 1; }
    if grep -l "<status>Actual</status>" "${caps[@]}"; then echo "$name: Actual from a simulation"; exit 1; fi
    n_caps=$((n_caps + ${#caps[@]}))
  fi
  "$MWX" score "$out/run.mwxr" "$out/run.mwxr" > "$out/score.txt"
  grep -q "Real public alerts vs mwx" "$out/score.txt" || { echo "$name: no comparison table"; exit 1; }
  rm -rf "$out"
done
# a malformed block is refused before the run, naming the path (src/score/reference.c)
bad="$MWX_TMPDIR/historic-bad-$$.json"
python3 - "${scenarios[0]}" "$bad" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["reference"]["alerts"] = [{"nation": "JP", "regions": ["JP-99"], "t_s": 1, "kind": "alert"}]
json.dump(d, open(sys.argv[2], "w"))
PY
if "$MWX" run "$bad" --out "$MWX_TMPDIR/historic-bad-$$" --no-compare --quiet 2>"$bad.err"; then
  echo "a reference naming an unknown region was accepted"; exit 1
fi
grep -q 'unknown region "JP-99"' "$bad.err" || { cat "$bad.err"; exit 1; }
[ ! -e "$MWX_TMPDIR/historic-bad-$$/run.mwxr" ] || { echo "ran before refusing"; exit 1; }
rm -rf "$bad" "$bad.err" "$MWX_TMPDIR/historic-bad-$$"
# the overflight replays (2017, 2022) must give at least one CAP file to check
[ $n_caps -gt 0 ] || { echo "no CAP file in any historic replay"; exit 1; }
echo "historic_replay: ${#scenarios[@]} scenarios, $n_caps CAP files valid"
