#!/usr/bin/env bash
# mwx track from the outside: help and usage (exit 2), missing and wrong inputs (exit 1,
# the file named, no output left behind), and a real run: the simulated salvo gives the
# scenario record first, then confirmed tracks of both phases, one track per launch,
# with impact predictions; --nation keeps one nation's sensors and names the tracks.
set -u
test_name=track_cli
. "$MWX_SOURCE_DIR/tests/cli_lib.sh"

"$MWX" track --help >"$dir/help" || fail "track --help exit $?"
for w in --nation -o --every; do
  grep -qF -- "$w" "$dir/help" || fail "track --help does not mention $w"
done
expect 2 "needs RUN.mwxr" -- track
expect 2 "needs RUN.mwxr" -- track a.mwxr
expect 2 "unknown" -- track a.mwxr -o b.mwxr --frobnicate
expect 2 "--every" -- track a.mwxr -o b.mwxr --every -1
expect 1 "$dir/missing.mwxr" -- track "$dir/missing.mwxr" -o "$dir/t.mwxr"
[ ! -e "$dir/t.mwxr" ] || fail "output left behind after a failed run"
printf 'not a recording at all\n' >"$dir/junk.mwxr"
expect 1 "" -- track "$dir/junk.mwxr" -o "$dir/t.mwxr"
[ ! -e "$dir/t.mwxr" ] && [ ! -e "$dir/t.mwxr.tmp" ] || fail "output left behind after bad input"

if ! "$MWX" sim "$MWX_SOURCE_DIR/scenarios/test-salvo.json" -o "$dir/run.mwxr" 2>"$dir/err"; then
  fail "mwx sim test-salvo: $(cat "$dir/err")"
  echo "$fails failure(s)"; exit 1
fi
expect 0 "" -- track "$dir/run.mwxr" -o "$dir/tracks.mwxr"
"$MWX" cat "$dir/tracks.mwxr" >"$dir/tracks.jsonl" || fail "mwx cat tracks: exit $?"
python3 - "$dir/tracks.jsonl" <<'PY' || fail "tracks content"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs[0]["type"] == "scenario", recs[0]
tr = [r for r in recs[1:] if r["type"] == "track"]
assert len(tr) == len(recs) - 1, "only track records after the scenario"
ids = sorted({r["track_id"] for r in tr})
assert ids == ["ALL-1", "ALL-2", "ALL-3", "ALL-4"], ids        # four launches, four tracks
phases = {r["phase"] for r in tr}
assert {"boost", "ballistic", "impact"} <= phases, phases
last = {}
for r in tr:
    assert r["node"] == "ALL"
    assert len(r["cov_pos_m2"]) == 6 and r["cov_pos_m2"][0] > 0
    # an impact ellipse when the track is shown ballistic, a reach when lifting (issue 11)
    assert r["class"] in ("thrusting", "ballistic", "lifting", "space_launch", "stage"), r["class"]
    assert (r["impact"] is not None) <= (r["class"] in ("ballistic", "lifting", "stage")), r
    assert r["class"] != "ballistic" or r["impact"] is not None, r
    if r["impact"] is not None:
        assert 0 < r["impact"]["semi_minor_km"] <= r["impact"]["semi_major_km"]
        assert 0 <= r["impact"]["orientation_deg"] < 180
    # at most one record per track per second (--every 1)
    if r["track_id"] in last and r["phase"] != "impact":
        assert r["t"] - last[r["track_id"]] >= 1.0 - 1e-6, (r["t"], last[r["track_id"]])
    last[r["track_id"]] = r["t"]
with_impact = sorted({r["track_id"] for r in tr if r["impact"]})
assert with_impact == ids, ("tracks never shown ballistic", with_impact)
PY
expect 0 "" -- track "$dir/run.mwxr" -o "$dir/kr.mwxr" --nation KR
"$MWX" cat "$dir/kr.mwxr" >"$dir/kr.jsonl" || fail "mwx cat kr: exit $?"
python3 - "$dir/kr.jsonl" <<'PY' || fail "--nation KR content"
import json, sys
tr = [json.loads(l) for l in open(sys.argv[1])][1:]
assert tr, "no KR tracks"
for r in tr:
    assert r["node"] == "KR" and r["track_id"].startswith("KR-"), r
    assert r["sources"] in (["KR"], "KR"), r["sources"]
PY
expect 0 "" -- track "$dir/run.mwxr" -o "$dir/xx.mwxr" --nation XX
[ "$("$MWX" cat "$dir/xx.mwxr" | wc -l)" -eq 1 ] || fail "--nation XX: only the scenario record expected"

[ "$fails" -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
