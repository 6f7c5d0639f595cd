#!/usr/bin/env bash
# `mwx report` (issue #16): on a `mwx run` folder without report.json it writes one whose
# figures equal `mwx score --json`'s, and a self-contained page that Debian's chromium
# renders from file:// with a map and five charts per launch (each nation alone and shared),
# no page error and no request but the file; so does a historic scenario's (with the real
# alerts' lead times). A report.json whose text holds "</script>" cannot break out of
# the page's data block; a node's folder (a recording without truth) still renders.
set -euo pipefail
: "${MWX:?}" "${MWX_SOURCE_DIR:?}" "${MWX_BINARY_DIR:?}" "${MWX_TMPDIR:?}"
CHROMIUM="${MWX_CHROMIUM:-/usr/bin/chromium}"
NM="$MWX_SOURCE_DIR/web/node_modules"
fail() { echo "web_report: FAIL: $*" >&2; exit 1; }
command -v node >/dev/null 2>&1 || fail "node is not installed (run scripts/setup-deps)"
[ -x "$CHROMIUM" ] || fail "$CHROMIUM is missing (run scripts/setup-deps)"
[ -f "$NM/playwright-core/package.json" ] || fail "$NM/playwright-core is missing (scripts/setup-deps)"
work="$(mktemp -d "$MWX_TMPDIR/web_report.XXXXXX")"
trap 'rm -rf "$work"' EXIT

"$MWX" run "$MWX_SOURCE_DIR/scenarios/test-single.json" -o "$work/run" >"$work/run.log" 2>&1 ||
  { cat "$work/run.log" >&2; fail "mwx run"; }
# Without report.json: mwx report writes it, equal to mwx score --json.
mkdir "$work/fresh"
cp "$work/run/run.mwxr" "$work/fresh/"
"$MWX" report "$work/fresh" >"$work/rep.out" 2>"$work/rep.err" || { cat "$work/rep.err" >&2; fail "mwx report"; }
[ -s "$work/fresh/report.json" ] || fail "report.json was not written"
[ -s "$work/fresh/report.html" ] || fail "report.html was not written"
"$MWX" score "$work/run/run.mwxr" "$work/run/run.mwxr" --json >"$work/score.json" || fail "mwx score"
python3 - "$work/fresh/report.json" "$work/score.json" <<'PY' || fail "report.json differs from mwx score --json"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a == b, "differ"
assert a["launches"] and a["launches"][0]["impact_error_km"]["at_ttg_60s"] is not None
PY
# Usage and input errors.
st=0; "$MWX" report >/dev/null 2>&1 || st=$?; [ "$st" -eq 2 ] || fail "no RUN_DIR: exit $st, want 2"
st=0; "$MWX" report "$work/nowhere" >/dev/null 2>&1 || st=$?; [ "$st" -eq 1 ] || fail "missing dir: exit $st, want 1"

# With `mwx run`'s report.json (it has the sharing-benefit table): the page.
"$MWX" report "$work/run" >/dev/null 2>"$work/rep.err" || { cat "$work/rep.err" >&2; fail "mwx report"; }
launches="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["launches"]))' "$work/run/report.json")"
run_page() { # html launches [screenshot]; MWX_ALONE / MWX_REAL_LEADS pass through
  MWX_URL="file://$1" MWX_CHROMIUM="$CHROMIUM" MWX_PROFILE="$work/profile.$RANDOM" MWX_NODE_MODULES="$NM" \
    MWX_LAUNCHES="$2" MWX_SCREENSHOT="${3:-}" \
    timeout 120 node "$MWX_SOURCE_DIR/tests/web/report_test.cjs"
}
# mwx run's sharing benefit carries each nation's impact-error curve alone and shared (the
# alone pass has no recording: the page draws "alone" from these).
python3 - "$work/run/report.json" <<'PY' || fail "no impact-error curves in the sharing benefit"
import json, sys
sb = json.load(open(sys.argv[1]))["sharing_benefit"]
for w in ("alone", "shared"):
    curves = [r[w]["impact_error_curve"] for r in sb if r[w]["impact_error_curve"]]
    assert curves, w
    for c in curves:
        ttg = [p[0] for p in c]
        assert ttg == sorted(ttg, reverse=True) and ttg[-1] >= 0, (w, ttg)
        assert all(p[1] >= 0 for p in c), w
PY
MWX_ALONE=1 run_page "$work/run/report.html" "$launches" "$MWX_BINARY_DIR/report-screenshot.png" ||
  fail "page checks failed"

# A historic scenario's recording (issue 16): report.json has a reference_comparison, so the
# lead-time chart draws the real public alerts' lead times too.
hist="$MWX_SOURCE_DIR/scenarios/historic/2017-08-29-hwasong-12-hokkaido.json"
"$MWX" run "$hist" -o "$work/hist" --quiet >"$work/hist.log" 2>&1 ||
  { cat "$work/hist.log" >&2; fail "mwx run (historic)"; }
"$MWX" report "$work/hist" >/dev/null 2>"$work/hist.err" || { cat "$work/hist.err" >&2; fail "mwx report (historic)"; }
MWX_ALONE=1 MWX_REAL_LEADS=1 run_page "$work/hist/report.html" 1 || fail "page checks failed on the historic recording"

# A hostile report.json: its text is data, never markup or script.
mkdir "$work/evil"
cp "$work/run/run.mwxr" "$work/evil/"
python3 - "$work/run/report.json" "$work/evil/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["sharing_benefit"] = r.get("sharing_benefit") or [{"launch": r["launches"][0]["id"], "nation": "X", "alone": {}, "shared": {}, "own_regions_threatened": 0}]
r["sharing_benefit"][0]["nation"] = "</script><script>window.pwned=1</script><b class=inj>X</b>"
json.dump(r, open(sys.argv[2], "w"))
PY
"$MWX" report "$work/evil" -o "$work/evil/page.html" >/dev/null 2>&1 || fail "mwx report (hostile report.json)"
grep -q '</script><script>window.pwned' "$work/evil/page.html" && fail "</script> from the data reached the page"
run_page "$work/evil/page.html" "$launches" || fail "page checks failed on the hostile report.json"

# A node's folder: node-KR.mwxr only (no truth): rendered without scored figures.
mkdir "$work/node"
"$MWX" cat "$work/run/run.mwxr" >/dev/null || fail "mwx cat"
cp "$work/run/run.mwxr" "$work/node/node-KR.mwxr"
"$MWX" report "$work/node" >/dev/null 2>"$work/node.err" || { cat "$work/node.err" >&2; fail "mwx report on a node folder"; }
[ -s "$work/node/report.html" ] || fail "node folder: no page"
echo "web_report: ok"
