#!/usr/bin/env bash
# Issue 11, warning, end to end (mwx run): the space launch of test-space-launch.json
# reaches orbit: no node ever issues an `impact` warning for it (its parts' falls are
# drop zones, its path overflight), and no region is warned falsely for it.
set -u
test_name=threat_warn
. "$MWX_SOURCE_DIR/tests/cli_lib.sh"

if ! "$MWX" run "$MWX_SOURCE_DIR/scenarios/test-space-launch.json" --out "$dir/sl" \
     --no-compare --quiet 2>"$dir/err"; then
  fail "mwx run test-space-launch: $(cat "$dir/err")"
  echo "$fails failure(s)"; exit 1
fi
"$MWX" cat "$dir/sl/run.mwxr" >"$dir/sl.jsonl" || fail "mwx cat"
python3 - "$dir/sl.jsonl" "$dir/sl/report.json" <<'PY' || fail "space launch warnings"
import collections, json, sys
kinds = collections.Counter()
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "alert":
        kinds[r["kind"]] += 1
    if r["type"] == "track" and r["class"] == "space_launch" and r["impact"]:
        # a part of the space launch carries an impact only when it comes down
        assert r["impact"]["t"] > r["t"], r
assert kinds["impact"] == 0, ("impact warnings for a space launch", kinds)
assert kinds["overflight"] > 0, ("no overflight warning under the path", kinds)
rep = json.load(open(sys.argv[2]))
sl = [l for l in rep["launches"] if l["id"] == "SL1"][0]
assert not sl["false_regions"], sl["false_regions"]
print("ok:", dict(kinds))
PY
[ "$fails" -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
