#!/usr/bin/env bash
# The default morning's lofted L1 (scenarios/default.json, alone: tests/track/default_l1.json,
# every sensor, seed 7) re-enters after a 2400 s coast as the ballistic missile it is. Before
# the fix every tracker's L1 track became space_launch for good while it coasted: a false
# alarm's tentative track (no id yet) whose wild first state passed the orbit test spread
# its "space launch" heritage to every track whose parent is "" (every track without a
# parent), so L1's re-entry warnings would have been drop zones, not impacts. Checks, for
# JP's and US's trackers and all sensors together: no track is space_launch, and the
# re-entry (after t = 2900 s) is tracked as ballistic with an impact within 5 km of the
# truth's. Wall time ~10 s (15 s on the loaded shared machine).
set -u
test_name=track_reentry_class
. "$MWX_SOURCE_DIR/tests/cli_lib.sh"

if ! "$MWX" sim "$MWX_SOURCE_DIR/tests/track/default_l1.json" -o "$dir/run.mwxr" \
     2>"$dir/err"; then
  fail "mwx sim default_l1: $(cat "$dir/err")"
  echo "$fails failure(s)"; exit 1
fi
"$MWX" cat "$dir/run.mwxr" --type truth >"$dir/truth.jsonl" || fail "mwx cat run"
for n in JP US ALL; do
  if [ "$n" = ALL ]; then args=(); else args=(--nation "$n"); fi
  "$MWX" track "$dir/run.mwxr" -o "$dir/$n.mwxr" "${args[@]}" 2>"$dir/err" ||
    { fail "mwx track $n: $(cat "$dir/err")"; continue; }
  "$MWX" cat "$dir/$n.mwxr" --type track >"$dir/$n.jsonl" || fail "mwx cat $n"
  python3 - "$dir/truth.jsonl" "$dir/$n.jsonl" "$n" <<'PY' || fail "$n: L1's class"
import json, math, sys
truth = [json.loads(l) for l in open(sys.argv[1])]
imp = [d for d in truth if d["phase"] == "impact"][-1]["ecef_m"]
e2 = 6.69437999014e-3  # WGS-84: the records' latitudes are geodetic
p = math.hypot(imp[0], imp[1])
lat0 = math.atan2(imp[2], p * (1 - e2))
for _ in range(5):
    n_ = 6378137.0 / math.sqrt(1 - e2 * math.sin(lat0) ** 2)
    lat0 = math.atan2(imp[2] + e2 * n_ * math.sin(lat0), p)
lon0 = math.atan2(imp[1], imp[0])
def km(lat, lon):  # great-circle distance to the truth's impact (spherical, km)
    la, lo = math.radians(lat), math.radians(lon)
    c = (math.sin(la) * math.sin(lat0) +
         math.cos(la) * math.cos(lat0) * math.cos(lo - lon0))
    return 6371.0 * math.acos(max(-1.0, min(1.0, c)))
space, reentry, bad = [], 0, []
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r["class"] == "space_launch":
        space.append((r["track_id"], round(r["t"])))
    if r["t"] < 2900 or r["t"] > 3250:
        continue
    reentry += 1
    i = r["impact"]
    if r["class"] != "ballistic" or not i or km(i["lat"], i["lon"]) > 5.0:
        bad.append((r["track_id"], round(r["t"]), r["class"],
                    round(km(i["lat"], i["lon"]), 1) if i else None))
n = sys.argv[3]
assert not space, "%s: space_launch records of a ballistic missile: %d, first %s" % (
    n, len(space), space[:3])
assert reentry >= 20, "%s: re-entry tracked by %d records" % (n, reentry)
assert not bad, "%s: re-entry records not ballistic with an impact within 5 km: %d of %d, " \
    "first %s" % (n, len(bad), reentry, bad[:3])
print("%s: no space_launch record; re-entry ballistic, impact within 5 km (%d records)" %
      (n, reentry))
PY
done
[ "$fails" -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
