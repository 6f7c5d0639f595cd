#!/usr/bin/env bash
# Issue 11: an impossible stage set is refused with exit 1, the message naming the launch
# and the reason: a space launch of 1 or 4 stages, a stage burning outside 10-1000 s, a
# ballistic "stages" other than 1 or 2, a first stage too long to lift off, upper stages
# too short to reach orbital speed. A possible one still flies.
set -u
test_name=stage_set_cli
. "$MWX_SOURCE_DIR/tests/cli_lib.sh"
sc="$MWX_SOURCE_DIR/scenarios"

# variant NAME SCENARIO LAUNCH_INDEX JSON: the scenario with launches[i] updated by JSON
variant() {
  /usr/bin/python3 - "$2" "$3" "$4" "$dir/$1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["launches"][int(sys.argv[2])].update(json.loads(sys.argv[3]))
json.dump(d, open(sys.argv[4], "w"))
PY
}

variant one "$sc/test-space-launch.json" 0 '{"stages": [{"burn_time_s": 130}]}'
variant four "$sc/test-space-launch.json" 0 '{"stages": [{"burn_time_s": 100}, {"burn_time_s": 100}, {"burn_time_s": 100}, {"burn_time_s": 100}]}'
variant burn0 "$sc/test-space-launch.json" 0 '{"stages": [{"burn_time_s": 0}, {"burn_time_s": 100}]}'
variant burn_long "$sc/test-space-launch.json" 0 '{"stages": [{"burn_time_s": 130}, {"burn_time_s": 1200}]}'
variant lift "$sc/test-space-launch.json" 0 '{"stages": [{"burn_time_s": 1000}, {"burn_time_s": 1000}]}'
variant short "$sc/test-space-launch.json" 0 '{"stages": [{"burn_time_s": 10}, {"burn_time_s": 10}]}'
variant three "$sc/test-staging.json" 1 '{"stages": 3}'
variant zero "$sc/test-staging.json" 0 '{"stages": 0}'

for v in one four burn0 burn_long lift short; do
  expect 1 "launch SL1: impossible stage set" -- sim "$dir/$v.json" -o "$dir/$v.mwxr"
done
expect 1 "stages[1].burn_time_s" -- sim "$dir/burn_long.json" -o "$dir/x.mwxr"
expect 1 "got 4" -- sim "$dir/four.json" -o "$dir/x.mwxr"
expect 1 "launch L2: impossible stage set" -- sim "$dir/three.json" -o "$dir/x.mwxr"
expect 1 "launch L1: impossible stage set" -- sim "$dir/zero.json" -o "$dir/x.mwxr"
for v in one four burn0 burn_long lift short three zero; do
  [ ! -e "$dir/$v.mwxr" ] || fail "$v: a refused scenario left a recording"
done
# the shipped stage sets fly
expect 0 "" -- sim "$sc/test-staging.json" -o "$dir/ok.mwxr"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "stage_set_cli: ok"
