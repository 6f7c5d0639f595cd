#!/usr/bin/env bash
# Browser test during a live run: `mwx demo` on the landfall scenario with its operator
# page on a free loopback port; chromium (playwright-core) loads the page while the run
# goes on and must see a track, an impact ellipse and an alert. Screenshot:
# $MWX_BINARY_DIR/web-live-screenshot.png. Missing chromium or node_modules FAILS.
set -euo pipefail
: "${MWX:?}" "${MWX_SOURCE_DIR:?}" "${MWX_BINARY_DIR:?}" "${MWX_TMPDIR:?}"
CHROMIUM="${MWX_CHROMIUM:-/usr/bin/chromium}"
NM="$MWX_SOURCE_DIR/web/node_modules"
fail() { echo "web_browser_live: FAIL: $*" >&2; exit 1; }
command -v node >/dev/null 2>&1 || fail "node is not installed (run scripts/setup-deps)"
[ -x "$CHROMIUM" ] || fail "$CHROMIUM is missing (run scripts/setup-deps)"
[ -f "$NM/playwright-core/package.json" ] || fail "$NM/playwright-core is missing (run scripts/setup-deps)"

work="$(mktemp -d "$MWX_TMPDIR/web_live.XXXXXX")"
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# 900 s of scenario at 6x: the impact ellipse lives from about 12 s to 90 s of wall time,
# plenty for a slow browser start; --linger keeps the page up if the checks are slower still
(cd "$work" && exec "$MWX" demo --scenario "$MWX_SOURCE_DIR/scenarios/test-landfall.json" \
   --speed 6 --port "$port" --out out --linger > demo.log 2>&1) &
pid=$!
for _ in $(seq 1 100); do
  grep -q "operator page on" "$work/demo.log" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/demo.log"; fail "mwx demo exited"; }
  sleep 0.1
done
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/demo.log" | head -1 || true)
[ -n "$url" ] || { cat "$work/demo.log"; fail "mwx demo printed no URL"; }
MWX_URL="$url" MWX_CHROMIUM="$CHROMIUM" MWX_PROFILE="$work/profile" \
  MWX_SCREENSHOT="$MWX_BINARY_DIR/web-live-screenshot.png" MWX_NODE_MODULES="$NM" \
  timeout 150 node "$MWX_SOURCE_DIR/tests/web/browser_live.cjs" || fail "browser checks failed"
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || fail "mwx demo did not exit 0 on SIGINT"
pid=""
echo "web_browser_live: ok"
