#!/usr/bin/env bash
# Issue 12, item 1: sharing never makes a nation's picture worse. For every shipped
# scenario (scenarios/*.json) and several seeds, mwx run's sharing_benefit gives each
# nation's impact error alone and with partners' shared tracks at each checkpoint
# (launch + 120 s, 300 s and 60 s to go): the shared error is at most the alone error
# + 2 km. A dropped track's last prediction once made it 609 km against 2 km alone.
# The default scenario (40 s a run) runs with two seeds, the small ones with three.
set -euo pipefail
: "${MWX:?}" "${MWX_SOURCE_DIR:?}" "${MWX_TMPDIR:?}"
work="$MWX_TMPDIR/sharing_no_worse"; rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

n=0
for sc in "$MWX_SOURCE_DIR"/scenarios/*.json; do
  name=$(basename "$sc" .json)
  seeds="own 2 3"
  [ "$name" = default ] && seeds="own 2"
  for seed in $seeds; do
    out="$work/$name-$seed"
    args=()
    [ "$seed" = own ] || args=(--seed "$seed")
    "$MWX" run "$sc" --out "$out" --quiet "${args[@]}" > "$out.txt" 2>&1 \
      || { cat "$out.txt"; fail "mwx run $name seed $seed"; }
    n=$((n + 1))
  done
done
[ "$n" -ge 6 ] || fail "only $n runs: scenarios missing?"

/usr/bin/python3 - "$work" "$MWX_SOURCE_DIR/scenarios" <<'PY'
import glob, json, os, sys
bad, checked, lifting_worse = [], 0, []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*", "report.json"))):
    run = os.path.basename(os.path.dirname(path))
    r = json.load(open(path))
    assert r.get("sharing_benefit"), f"{run}: no sharing_benefit"
    # Lifting bodies (glide; depressed below 80 km: quasi-ballistic, issue 11) are not
    # yet modelled by the tracker (no lift or manoeuvre mode): their comparisons are
    # printed, not asserted, until it is.
    scen = json.load(open(os.path.join(sys.argv[2], run.rsplit("-", 1)[0] + ".json")))
    lifting = {l["id"] for l in scen["launches"]
               if l.get("profile") == "glide" or
               (l.get("profile") == "depressed" and l.get("apogee_km", 1e9) < 80)}
    for b in r["sharing_benefit"]:
        a, s = b["alone"]["impact_error_km"], b["shared"]["impact_error_km"]
        assert set(a) == {"at_launch_plus_120s", "at_ttg_300s", "at_ttg_60s"}, a
        for k in a:
            if a[k] is None or s[k] is None:  # no prediction alone: nothing to compare
                continue
            line = (f"{run}: {b['nation']} {b['launch']} {k}: alone {a[k]:.2f} km, "
                    f"shared {s[k]:.2f} km")
            if b["launch"] in lifting:
                if s[k] > a[k] + 2.0:
                    lifting_worse.append(line)
                continue
            checked += 1
            if s[k] > a[k] + 2.0:
                bad.append(line)
print(f"{checked} checkpoints compared")
if lifting_worse:
    print("lifting bodies, not asserted (shared > alone + 2 km):\n  " + "\n  ".join(lifting_worse))
assert checked >= 20, "too few checkpoints compared"
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
echo "sharing_no_worse: ok ($n runs)"
