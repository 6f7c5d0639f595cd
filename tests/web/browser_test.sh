#!/usr/bin/env bash
# Browser test of the operator page: a synthetic recording (web_make_recording: tracks
# with a launch point and a shrinking 95 % impact ellipse, shares, Alert/Update/Cancel),
# replayed by `mwx serve` on a free loopback port, loaded in Debian's headless chromium
# driven by npm playwright-core (tests/web/browser_test.cjs). It asserts that a track, an
# impact ellipse, a warned region and an alert appear, the EXERCISE banner shows, the
# nation view filters, and the replay controls answer; it saves a screenshot in
# $MWX_BINARY_DIR/web-screenshot.png.
#
# Missing chromium or web/node_modules is a FAILURE with a clear message: run
# scripts/setup-deps. It never downloads a browser.
set -euo pipefail

: "${MWX:?}" "${MWX_SOURCE_DIR:?}" "${MWX_BINARY_DIR:?}" "${MWX_TMPDIR:?}"
MAKE_REC="${MWX_MAKE_RECORDING:-$MWX_BINARY_DIR/tests/web/web_make_recording}"
CHROMIUM="${MWX_CHROMIUM:-/usr/bin/chromium}"
NM="$MWX_SOURCE_DIR/web/node_modules"

fail() { echo "web_browser: FAIL: $*" >&2; exit 1; }
. "$MWX_SOURCE_DIR/tests/web/web_lib.sh"

command -v node >/dev/null 2>&1 || fail "node is not installed (run scripts/setup-deps)"
[ -x "$CHROMIUM" ] || fail "$CHROMIUM is missing (run scripts/setup-deps: apt chromium)"
[ -f "$NM/playwright-core/package.json" ] ||
  fail "$NM/playwright-core is missing (run scripts/setup-deps: npm ci in web/)"
[ -f "$MWX_BINARY_DIR/web/vendor/leaflet/leaflet.js" ] ||
  fail "the page's assets are not in $MWX_BINARY_DIR/web (re-run cmake after setup-deps)"
[ -x "$MAKE_REC" ] || fail "$MAKE_REC not built"

work="$(mktemp -d "$MWX_TMPDIR/web_browser.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$MAKE_REC" "$work/run.mwxr" || fail "could not write the test recording"

# --speed 20: the recording's 60..740 s take about 34 s; the checks need far less, so
# the screenshot shows the flight in progress.
"$MWX" serve "$work/run.mwxr" --port 0 --speed 20 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
url="$(wait_url "$work/serve.out" "$work/serve.err" $server_pid "mwx serve")"
[ -n "$url" ] || fail "mwx serve: no URL"
echo "web_browser: serving at $url"

MWX_URL="$url" MWX_CHROMIUM="$CHROMIUM" MWX_PROFILE="$work/profile" \
  MWX_SCREENSHOT="$MWX_BINARY_DIR/web-screenshot.png" MWX_NODE_MODULES="$NM" \
  timeout 120 node "$MWX_SOURCE_DIR/tests/web/browser_test.cjs" || fail "browser checks failed"

# SIGTERM: mwx serve stops cleanly with status 0.
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[ "$status" -eq 0 ] || fail "mwx serve exited with $status on SIGTERM"
grep -q "stopping" "$work/serve.out" || fail "mwx serve did not report stopping"

# A hostile recording (every id is HTML markup): shown as text, never as DOM (issue #13).
"$MAKE_REC" "$work/hostile.mwxr" --hostile || fail "could not write the hostile recording"
"$MWX" serve "$work/hostile.mwxr" --port 0 --speed 50 >"$work/serve2.out" 2>"$work/serve2.err" &
server_pid=$!
url="$(wait_url "$work/serve2.out" "$work/serve2.err" $server_pid "mwx serve")"
[ -n "$url" ] || fail "mwx serve (hostile): no URL"
MWX_URL="$url" MWX_CHROMIUM="$CHROMIUM" MWX_PROFILE="$work/profile2" MWX_NODE_MODULES="$NM" \
  timeout 120 node "$MWX_SOURCE_DIR/tests/web/browser_hostile.cjs" || fail "hostile recording checks failed"
kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
echo "web_browser: ok"
