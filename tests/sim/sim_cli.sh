#!/usr/bin/env bash
# mwx sim from the outside: help and usage, every bad-input case with its message and
# exit status 1, a failure leaving no output, and (once recordings and trajectories are
# in) the default and test scenarios running, same seed same bytes, --seed different.
set -u
test_name=sim_cli
. "$MWX_SOURCE_DIR/tests/cli_lib.sh"

# --help lists every option and the defaults, exit 0
"$MWX" sim --help >"$dir/help" || fail "sim --help exit $?"
for w in -o --seed --truth-dt status seed physics revisit_s pd max_range_km \
         min_elevation_deg sigma_range_m sigma_az_deg sigma_el_deg false_alarms_per_scan \
         sigma_los_urad burn_time_s ballistic_coefficient_kg_m2 regions MWX_DATA_DIR; do
  grep -qF -- "$w" "$dir/help" || fail "sim --help does not mention $w"
done

# usage errors: exit 2
expect 2 "missing SCENARIO" -- sim
expect 2 "missing -o" -- sim "$MWX_SOURCE_DIR/scenarios/test-single.json"
expect 2 "unknown option" -- sim x.json -o y.mwxr --frobnicate
expect 2 "--seed" -- sim x.json -o y.mwxr --seed minus
expect 2 "--seed" -- sim x.json -o y.mwxr --seed -4
expect 2 "-o needs" -- sim x.json -o

# bad scenarios: exit 1, message names the file and the JSON path
head='"epoch": "2026-11-22T03:00:00Z", "duration_s": 600, "nations": [{"id": "JP"}, {"id": "KR"}]'
radar='"id": "R1", "nation": "JP", "kind": "radar", "lat": 38, "lon": 138'
launch='"id": "L1", "t_launch_s": 10, "site": {"lat": 39.2, "lon": 125.7}, "aim": {"lat": 40, "lon": 133}'
n=0
bad() {
  n=$((n+1)); local f="$dir/bad$n.json"
  printf '%s\n' "$1" >"$f"
  local want="$f: $2"; [ -n "$2" ] || want="$f:"
  expect 1 "$want" -- sim "$f" -o "$dir/bad$n.mwxr"
  [ ! -e "$dir/bad$n.mwxr" ] || fail "bad$n: output left behind"
  [ ! -e "$dir/bad$n.mwxr.tmp" ] || fail "bad$n: temporary left behind"
}
bad "{$head, \"status\": \"Actual\"}" '$.status: "Actual" is refused'
bad "{$head, \"speed\": 3}" '$.speed: unknown key'
bad "{$head, \"sensors\": [{$radar, \"lat\": 91}]}" '' # duplicate key: parse error
bad "{$head, \"sensors\": [{\"id\": \"R1\", \"nation\": \"JP\", \"kind\": \"radar\", \"lat\": 91, \"lon\": 138}]}" '$.sensors[0].lat: expected a number in [-90, 90], got 91'
bad "{$head, \"sensors\": [{\"id\": \"R1\", \"nation\": \"JP\", \"kind\": \"radar\", \"lat\": 38, \"lon\": -181}]}" '$.sensors[0].lon: expected a number in [-180, 180], got -181'
bad "{$head, \"sensors\": [{$radar, \"sigma_az_deg\": -0.1}]}" '$.sensors[0].sigma_az_deg: expected a number in [0, 10], got -0.1'
bad "{$head, \"sensors\": [{$radar, \"pd\": 1.5}]}" '$.sensors[0].pd: expected a number in [0, 1], got 1.5'
bad "{$head, \"sensors\": [{$radar, \"revisit_s\": 0}]}" '$.sensors[0].revisit_s: expected a number in [0.01, 3600], got 0'
bad "{$head, \"sensors\": [{$radar, \"revisit_s\": -1}]}" '$.sensors[0].revisit_s: expected a number in [0.01, 3600], got -1'
bad "{$head, \"sensors\": [{$radar}, {$radar}]}" '$.sensors[1].id: duplicate sensor id "R1"'
bad "{$head, \"sensors\": [{\"id\": \"R1\", \"nation\": \"US\", \"kind\": \"radar\", \"lat\": 38, \"lon\": 138}]}" '$.sensors[0].nation: unknown nation "US"'
bad "{$head, \"sharing\": [{\"from\": \"JP\", \"to\": [\"KR\", \"US\"]}]}" '$.sharing[0].to[1]: unknown nation "US"'
bad "{$head, \"sharing\": [{\"from\": \"CN\", \"to\": [\"KR\"]}]}" '$.sharing[0].from: unknown nation "CN"'
bad "{$head, \"launches\": [{\"id\": \"L1\", \"t_launch_s\": 601, \"site\": {\"lat\": 39, \"lon\": 125}, \"aim\": {\"lat\": 40, \"lon\": 133}}]}" '$.launches[0].t_launch_s: expected a number in [0, 600], got 601'
bad "{$head, \"launches\": [{$launch, \"profile\": \"lofted\"}]}" '$.launches[0].apogee_km: missing'
bad "{$head, \"launches\": [{$launch, \"profile\": \"depressed\"}]}" '$.launches[0].apogee_km: missing'
bad "{$head, \"launches\": [{$launch}, {$launch}]}" '$.launches[1].id: duplicate launch id "L1"'
bad "{$head, \"regions\": \"nowhere.geojson\"}" '$.regions: cannot read'
bad "{$head" ''
expect 1 "cannot open" -- sim "$dir/does-not-exist.json" -o "$dir/x.mwxr"

# relative regions resolve against the scenario's folder
mkdir -p "$dir/sub/r"; echo '{}' >"$dir/sub/r/x.geojson"
printf '{%s, "regions": "r/x.geojson", "status": "Actual"}\n' "$head" >"$dir/sub/s.json"
expect 1 '$.status' -- sim "$dir/sub/s.json" -o "$dir/x.mwxr"   # regions accepted, status next

# PRODUCT.md's example scenario, verbatim, with its relative regions file
mkdir -p "$dir/product/regions"
cp "$MWX_SOURCE_DIR/data/regions/northeast-asia.geojson" "$dir/product/regions/"
cat >"$dir/product/two-launches.json" <<'JSON'
{
  "name": "two-launches",
  "epoch": "2026-11-22T03:00:00Z",
  "status": "Exercise",
  "duration_s": 1500,
  "seed": 7,
  "physics": { "earth": "wgs84", "rotation": true, "j2": true, "drag": true },
  "nations": [ {"id": "JP"}, {"id": "KR"}, {"id": "US"} ],
  "sharing": [ {"from": "KR", "to": ["US", "JP"]}, {"from": "JP", "to": ["US", "KR"]},
               {"from": "US", "to": ["JP", "KR"]} ],
  "regions": "regions/northeast-asia.geojson",
  "sensors": [
    {"id": "KR-GP-1", "nation": "KR", "kind": "radar", "lat": 36.0, "lon": 127.0, "alt_m": 300,
     "max_range_km": 900, "min_elevation_deg": 1.0, "revisit_s": 1.0,
     "sigma_range_m": 30, "sigma_az_deg": 0.05, "sigma_el_deg": 0.05,
     "pd": 0.95, "false_alarms_per_scan": 0.2},
    {"id": "US-OPIR-1", "nation": "US", "kind": "ir_satellite", "lon": 120.0,
     "revisit_s": 1.0, "sigma_los_urad": 30, "pd": 0.99}
  ],
  "launches": [
    {"id": "L1", "t_launch_s": 60, "site": {"lat": 39.0, "lon": 125.7},
     "aim": {"lat": 40.5, "lon": 135.5}, "profile": "lofted", "apogee_km": 1000,
     "burn_time_s": 120, "ballistic_coefficient_kg_m2": 5000}
  ]
}
JSON
(cd / && "$MWX" sim "$dir/product/two-launches.json" -o "$dir/product/run.mwxr") 2>"$dir/err"; st=$?
if grep -q "not built yet" "$dir/err"; then echo "SKIP: product example: $(cat "$dir/err")"
else [ $st -eq 0 ] || fail "PRODUCT.md example: exit $st: $(cat "$dir/err")"; fi
rm "$dir/product/regions/northeast-asia.geojson"
expect 1 "two-launches.json: \$.regions: cannot read" -- sim "$dir/product/two-launches.json" -o "$dir/product/run2.mwxr"

# unreachable aim (needs the trajectory code): a 300 km "lofted" apogee cannot reach 12000 km
printf '{%s, "duration_s": 3000, "launches": [{"id": "L1", "t_launch_s": 0, "site": {"lat": 39, "lon": 125}, "aim": {"lat": -30, "lon": -60}, "profile": "lofted", "apogee_km": 300}]}\n' \
  "$(echo "$head" | sed 's/"duration_s": 600, //')" >"$dir/unreach.json"
"$MWX" sim "$dir/unreach.json" -o "$dir/unreach.mwxr" 2>"$dir/err"; st=$?
if grep -q "not built yet\|unsupported" "$dir/err"; then
  echo "SKIP: trajectory code not in yet ($(cat "$dir/err"))"
else
  [ $st -eq 1 ] || fail "unreachable aim: exit $st: $(cat "$dir/err")"
  grep -qF '$.launches[0].aim' "$dir/err" || fail "unreachable aim: message: $(cat "$dir/err")"
fi

# the real runs (need recordings and trajectories)
"$MWX" sim "$MWX_SOURCE_DIR/scenarios/test-single.json" -o "$dir/a.mwxr" 2>"$dir/err"; st=$?
if [ $st -ne 0 ] && grep -q "not built yet" "$dir/err"; then
  echo "SKIP: runs: $(cat "$dir/err")"
else
  [ $st -eq 0 ] || fail "sim test-single: exit $st: $(cat "$dir/err")"
  [ ! -e "$dir/a.mwxr.tmp" ] || fail "temporary left after success"
  "$MWX" sim "$MWX_SOURCE_DIR/scenarios/test-single.json" -o "$dir/b.mwxr" || fail "second run"
  cmp -s "$dir/a.mwxr" "$dir/b.mwxr" || fail "same seed, different bytes"
  "$MWX" sim "$MWX_SOURCE_DIR/scenarios/test-single.json" -o "$dir/c.mwxr" --seed 6 || fail "seed run"
  cmp -s "$dir/a.mwxr" "$dir/c.mwxr" && fail "--seed 6 gave the same bytes"
  "$MWX" sim "$MWX_SOURCE_DIR/scenarios/test-single.json" -o "$dir/d.mwxr" --seed 5 || fail "seed 5 run"
  cmp -s "$dir/a.mwxr" "$dir/d.mwxr" || fail "--seed 5 (the scenario's) differs"
  if "$MWX" cat "$dir/a.mwxr" >"$dir/a.jsonl" 2>/dev/null; then
    head -n 1 "$dir/a.jsonl" | grep '"type": *"scenario"' > /dev/null || fail "first record is not the scenario"
    grep -q '"type": *"truth"' "$dir/a.jsonl" || fail "no truth records"
    grep -q '"kind": *"ir_satellite"' "$dir/a.jsonl" || fail "no IR measurements"
    grep -q '"kind": *"radar"' "$dir/a.jsonl" || fail "no radar measurements"
    python3 - "$dir/a.jsonl" <<'PY' || fail "records not in time order"
import json, sys
last = -1.0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "t" in r and r["type"] in ("truth", "meas"):
        assert r["t"] >= last, (r["t"], last)
        last = r["t"]
PY
  fi
  # an unwritable output is an environment failure (3), with no file left behind
  expect 3 "" -- sim "$MWX_SOURCE_DIR/scenarios/test-single.json" -o "$dir/no/such/dir/x.mwxr"
  for s in default test-kepler test-salvo test-clutter; do
    "$MWX" sim "$MWX_SOURCE_DIR/scenarios/$s.json" -o "$dir/$s.mwxr" 2>"$dir/err" ||
      fail "sim $s: $(cat "$dir/err")"
  done
fi

[ $fails -eq 0 ] && echo "sim_cli: all passed"
exit $((fails > 0))
