#!/usr/bin/env bash
# mwx score from the outside: help and usage (exit 2), unreadable and mismatched inputs
# (exit 1, the file named), the Report's keys and truth figures on a simulated run, and,
# once `mwx track` works, the figures of real tracks against their truth.
set -u
test_name=score_cli
. "$MWX_SOURCE_DIR/tests/cli_lib.sh"
# jqtrue FILE EXPR: the jq expression must be true on FILE
jqtrue() { jq -e "$2" "$1" >/dev/null 2>&1 || fail "$1: not true: $2 ($(jq -c "$2" "$1" 2>&1))"; }

"$MWX" score --help >"$dir/help" || fail "score --help exit $?"
for w in --json --node --regions RUN.mwxr TRACKS.mwxr; do
  grep -qF -- "$w" "$dir/help" || fail "score --help does not mention $w"
done

expect 2 "need RUN.mwxr" -- score
expect 2 "need RUN.mwxr" -- score a.mwxr
expect 2 "unknown option" -- score a.mwxr b.mwxr --frobnicate
expect 2 "too many" -- score a.mwxr b.mwxr c.mwxr
expect 2 "--node needs" -- score a.mwxr b.mwxr --node
expect 1 "$dir/missing.mwxr" -- score "$dir/missing.mwxr" "$dir/missing.mwxr"

sc="$MWX_SOURCE_DIR/scenarios"
if ! "$MWX" sim "$sc/test-single.json" -o "$dir/run.mwxr" 2>"$dir/err"; then
  fail "mwx sim test-single: $(cat "$dir/err")"
  echo "$fails failure(s)"; exit 1
fi
# not a recording: exit 1 naming it
expect 1 "$sc/test-single.json" -- score "$sc/test-single.json" "$dir/run.mwxr"

# Issue #13.4: only a torn tail is a warning; random bytes, a text file, a bad header
# checksum or damage before the end are exit 1 (they once scored "0 tracks, MISSED", exit 0)
head -c 4096 /dev/urandom >"$dir/random.mwxr"
expect 1 "$dir/random.mwxr" -- score "$dir/run.mwxr" "$dir/random.mwxr"
expect 1 "/etc/passwd" -- score "$dir/run.mwxr" /etc/passwd
flip() { # flip FILE OFFSET OUT: OUT is FILE with the byte at OFFSET inverted
  cp "$1" "$3"
  printf "$(printf '\\x%02x' $(( 0xff ^ $(od -An -tu1 -j "$2" -N1 "$1") )))" |
    dd of="$3" bs=1 seek="$2" conv=notrunc status=none
}
flip "$dir/run.mwxr" 5 "$dir/badhdr.mwxr"
expect 1 "header" -- score "$dir/run.mwxr" "$dir/badhdr.mwxr"
size=$(stat -c %s "$dir/run.mwxr")
flip "$dir/run.mwxr" $((size / 2)) "$dir/mid.mwxr"
expect 1 "$dir/mid.mwxr" -- score "$dir/run.mwxr" "$dir/mid.mwxr"
head -c $((size - 5)) "$dir/run.mwxr" >"$dir/torn.mwxr"
expect 0 "warning" -- score "$dir/run.mwxr" "$dir/torn.mwxr"

# The Report of a run without tracks: every key of PRODUCT.md, truth figures, nulls.
expect 0 "" -- score "$dir/run.mwxr" "$dir/run.mwxr" --json
cp "$dir/out" "$dir/r0.json"
jqtrue "$dir/r0.json" '.launches | length == 1'
jqtrue "$dir/r0.json" '.launches[0] | has("id") and has("t_launch") and has("t_impact") and
  has("impact") and has("t_first_detection") and has("t_first_track") and
  has("t_first_shared") and has("impact_error_km") and has("regions") and
  has("missed_regions") and has("false_regions")'
jqtrue "$dir/r0.json" '.launches[0].impact_error_km | has("at_launch_plus_120s") and
  has("at_ttg_300s") and has("at_ttg_60s")'
jqtrue "$dir/r0.json" '.tracking | has("pos_rmse_m") and has("vel_rmse_mps") and has("nees")
  and has("ospa_m") and has("gospa_m")'
# test-single: L1 launched at 20 s towards (40.5 N, 134.0 E); the simulator lands on aim.
jqtrue "$dir/r0.json" '.launches[0].id == "L1" and .launches[0].t_launch == 20'
jqtrue "$dir/r0.json" '(.launches[0].impact.lat - 40.5 | fabs) < 0.05 and
  (.launches[0].impact.lon - 134.0 | fabs) < 0.05'
jqtrue "$dir/r0.json" '.launches[0].t_impact > 120 and .launches[0].t_impact < 900'
jqtrue "$dir/r0.json" '.launches[0].t_first_detection >= 20'
jqtrue "$dir/r0.json" '.launches[0].t_first_track == null and .tracking.pos_rmse_m == null'
# the table names the launch
expect 0 "" -- score "$dir/run.mwxr" "$dir/run.mwxr"
grep -q "launch L1" "$dir/out" || fail "table lacks 'launch L1'"

# A recording of another scenario: exit 1 naming it.
"$MWX" sim "$sc/test-salvo.json" -o "$dir/other.mwxr" 2>/dev/null || fail "mwx sim test-salvo"
expect 1 "$dir/other.mwxr" -- score "$dir/run.mwxr" "$dir/other.mwxr"
grep -qF "does not match" "$dir/err" || fail "mismatch message: $(cat "$dir/err")"

# Real tracks, once the tracker's command exists.
if "$MWX" track "$dir/run.mwxr" -o "$dir/tracks.mwxr" 2>"$dir/err"; then
  expect 0 "" -- score "$dir/run.mwxr" "$dir/tracks.mwxr" --json
  cp "$dir/out" "$dir/r1.json"
  jqtrue "$dir/r1.json" '.launches[0].n_tracks >= 1'
  jqtrue "$dir/r1.json" '.launches[0].t_first_track >= .launches[0].t_first_detection'
  jqtrue "$dir/r1.json" '.tracking.pos_rmse_m > 0 and .tracking.pos_rmse_m < 5000'
  jqtrue "$dir/r1.json" '.tracking.ospa_m >= 0 and .tracking.ospa_m <= 10000'
  jqtrue "$dir/r1.json" '.tracking.nees > 0'
  jqtrue "$dir/r1.json" '.launches[0].impact_error_km.at_ttg_60s == null or
    .launches[0].impact_error_km.at_ttg_60s < 50'
  # --node with a node that holds nothing: no tracks scored
  expect 0 "" -- score "$dir/run.mwxr" "$dir/tracks.mwxr" --json --node XX
  jqtrue "$dir/out" '.tracking.n_tracks == 0'
else
  echo "SKIP: mwx track is not available yet ($(head -c 200 "$dir/err"))"
fi

# A `mwx run` recording holds everything: scored alone it gives the run's report.json
# (less the run's own sharing_benefit table), and real tracks meet loose sanity bounds.
if "$MWX" run "$sc/test-single.json" --out "$dir/run" --no-compare --quiet >/dev/null 2>"$dir/err"; then
  expect 0 "" -- score "$dir/run/run.mwxr" "$dir/run/run.mwxr" --json
  cp "$dir/out" "$dir/r2.json"
  jq -S 'del(.sharing_benefit)' "$dir/run/report.json" >"$dir/a.json" 2>/dev/null
  jq -S . "$dir/r2.json" >"$dir/b.json" 2>/dev/null
  cmp -s "$dir/a.json" "$dir/b.json" || fail "mwx score differs from mwx run's report.json"
  jqtrue "$dir/r2.json" '.launches[0].n_tracks >= 1 and .tracking.n_records > 0'
  jqtrue "$dir/r2.json" '.launches[0].t_first_track >= .launches[0].t_first_detection'
  jqtrue "$dir/r2.json" '.tracking.pos_rmse_m > 0 and .tracking.pos_rmse_m < 5000'
  jqtrue "$dir/r2.json" '.tracking.ospa_m >= 0 and .tracking.ospa_m <= 10000'
  jqtrue "$dir/r2.json" '.tracking.gospa_m >= 0'
  jqtrue "$dir/r2.json" '.launches[0].impact_error_km.at_ttg_60s < 5'
  # KR shares with US (test-single's policy): US received a KR track of L1
  jqtrue "$dir/r2.json" '.launches[0].t_first_shared.US >= .launches[0].t_first_track'
else
  echo "SKIP: mwx run is not available yet ($(head -c 200 "$dir/err"))"
fi

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "score_cli: ok"
