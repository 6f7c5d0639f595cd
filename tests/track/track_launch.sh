#!/usr/bin/env bash
# Launch point and time (issue #4). For every test scenario (and the default one with
# all sensors), each nation's tracker and the all-sensor one, scored against truth: a
# launch tracked for 10 s or more of its boost has its launch time within 8 s and its
# launch point within 5 km. The bounds: the flight before the first detection (30-60 s
# here) is modelled, not seen, and 10 % of it is 3-6 s; the point is the first sample's
# sub-point moved back by the 5-30 km flown before it, a few degrees of ground-track
# direction and 1 km of along-track distance. The old single-stage back-propagation of
# one state put 17 of these 20 estimates out of bounds: 10-52 s early on the two-stage
# boosters of test-kepler, test-salvo and test-landfall, 5.5-5.7 km off on test-kepler and
# test-single, and 19-54 s late on the default scenario's long burns (L1, L2).
# Tracks first seen after burnout give the ballistic point of origin: not checked here.
set -u
test_name=track_launch
. "$MWX_SOURCE_DIR/tests/cli_lib.sh"

cat >"$dir/check.py" <<'PY'
import json, sys
rep, scen, name = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
# "late": every launch first tracked before its burnout (not only 10 s before it)
seen = 0.0 if len(sys.argv) > 4 and sys.argv[4] == "late" else 10.0
burn = {l["id"]: l.get("burn_time_s", 120.0) for l in scen["launches"]}
# Quasi-ballistic boosts (depressed below 80 km: an early, steep pitch-over, issue 11) are
# further from the booster the fit assumes: 12 s for them (the default morning's Q2 is
# 8.0 s early) until the tracker models them.
quasi = {l["id"] for l in scen["launches"]
         if l.get("profile") == "depressed" and l.get("apogee_km", 1e9) < 80}
bad, n = [], 0
for l in rep["launches"]:
    if l["t_first_track"] is None or l["t_first_track"] > l["t_launch"] + burn[l["id"]] - seen:
        continue  # not seen boosting: a point of origin, not a launch estimate
    n += 1
    dt, dp = l["launch_time_error_s"], l["launch_point_error_km"]
    print(f"{name} {l['id']}: launch time {dt:+.2f} s, point {dp:.2f} km", file=sys.stderr)
    if dt is None or dp is None or abs(dt) > (12.0 if l["id"] in quasi else 8.0) or dp > 5.0:
        bad.append((l["id"], dt, dp))
print(n)
assert not bad, f"{name}: launch estimates out of bounds (8 s, quasi-ballistic 12 s; 5 km): {bad}"
PY
checked=0
for s in test-clutter test-kepler test-landfall test-salvo test-single default; do
  scen="$MWX_SOURCE_DIR/scenarios/$s.json"
  if ! "$MWX" sim "$scen" -o "$dir/$s.mwxr" 2>"$dir/err"; then
    fail "mwx sim $s: $(cat "$dir/err")"; continue
  fi
  if [ "$s" = default ]; then nodes=ALL
  else nodes="$(python3 -c 'import json,sys; print(" ".join(sorted({x["nation"] for x in json.load(open(sys.argv[1]))["sensors"]})))' "$scen") ALL"
  fi
  for n in $nodes; do
    if [ "$n" = ALL ]; then args=(); else args=(--nation "$n"); fi
    "$MWX" track "$dir/$s.mwxr" -o "$dir/$s-$n.mwxr" "${args[@]}" 2>"$dir/err" ||
      { fail "mwx track $s $n: $(cat "$dir/err")"; continue; }
    "$MWX" score "$dir/$s.mwxr" "$dir/$s-$n.mwxr" --json >"$dir/$s-$n.json" 2>"$dir/err" ||
      { fail "mwx score $s $n: $(cat "$dir/err")"; continue; }
    out=$(python3 "$dir/check.py" "$dir/$s-$n.json" "$scen" "$s/$n") ||
      fail "$s $n: launch estimates"
    checked=$((checked + ${out:-0}))
  done
done
# the boost is seen by every tracker of test-kepler and -single, by KR and the all-sensor
# tracker in -salvo and -landfall, and by the all-sensor tracker of the default scenario:
# 20 launch estimates
[ "$checked" -ge 20 ] || fail "only $checked launch estimates checked"
# Launches first seen late in the boost: JP's radars pick up soak block 0's 90 s two-stage
# burns from the coast near Pyongyang 74-83 s after the launch (tests/track/late_boost.json:
# six of block 0's launches, bench/soak/gen.py on scenarios/default.json, one after the
# other). Samples of the end of a second stage fit one long stage nearly as well (2-8 %
# in cost), and that fit put LB1 and LB3 38 and 34 s early; the boost's own fly-back now
# decides between the two (docs/TRACKER.md "Launch point").
scen="$MWX_SOURCE_DIR/tests/track/late_boost.json"
if "$MWX" sim "$scen" -o "$dir/late.mwxr" 2>"$dir/err" &&
   "$MWX" track "$dir/late.mwxr" -o "$dir/late-JP.mwxr" --nation JP 2>"$dir/err" &&
   "$MWX" score "$dir/late.mwxr" "$dir/late-JP.mwxr" --json >"$dir/late-JP.json" 2>"$dir/err"; then
  out=$(python3 "$dir/check.py" "$dir/late-JP.json" "$scen" late-boost/JP late) ||
    fail "late-boost JP: launch estimates"
  [ "${out:-0}" -ge 6 ] || fail "late-boost JP: only ${out:-0} of 6 launches seen in boost"
else
  fail "late-boost: $(cat "$dir/err")"
fi
[ "$fails" -eq 0 ] && echo "ok ($checked launch estimates)" || { echo "$fails failure(s)"; exit 1; }
