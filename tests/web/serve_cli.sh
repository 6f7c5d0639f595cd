#!/usr/bin/env bash
# `mwx serve` as a user meets it: usage errors exit 2, a bad recording exits 1 naming the
# file, a taken port exits 3, --help exits 0; a served recording answers /api/picture and
# /api/control, and SIGINT stops it with status 0. HTTP through bash's /dev/tcp (no curl).
set -euo pipefail
: "${MWX:?}" "${MWX_BINARY_DIR:?}" "${MWX_TMPDIR:?}"
MAKE_REC="${MWX_MAKE_RECORDING:-$MWX_BINARY_DIR/tests/web/web_make_recording}"

fail() { echo "serve_cli: FAIL: $*" >&2; exit 1; }
. "$MWX_SOURCE_DIR/tests/web/web_lib.sh"
work="$(mktemp -d "$MWX_TMPDIR/serve_cli.XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

expect_status() { # want, then the command
  local want=$1; shift
  local got=0
  "$@" >"$work/out" 2>"$work/err" || got=$?
  [ "$got" -eq "$want" ] || { cat "$work/err" >&2; fail "'$*' exited $got, want $want"; }
}

expect_status 0 "$MWX" serve --help
grep -q "usage: mwx serve RUN.mwxr" "$work/out" || fail "--help prints no usage"
expect_status 2 "$MWX" serve
expect_status 2 "$MWX" serve a.mwxr b.mwxr
expect_status 2 "$MWX" serve a.mwxr --speed 0
expect_status 2 "$MWX" serve a.mwxr --speed fast
expect_status 2 "$MWX" serve a.mwxr --port 70000
expect_status 2 "$MWX" serve a.mwxr --port
expect_status 2 "$MWX" serve a.mwxr --frobnicate
grep -q "Try 'mwx serve --help'" "$work/err" || fail "usage error does not point to --help"

printf 'this is not a recording\n' >"$work/junk.mwxr"
expect_status 1 "$MWX" serve "$work/junk.mwxr" --port 0
grep -q "junk.mwxr" "$work/err" || fail "bad recording: message does not name the file"

"$MAKE_REC" "$work/run.mwxr" || fail "could not write the test recording"

http_get() { # port path -> body on stdout (HTTP/1.0: the server closes when done)
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  local resp
  resp="$(cat <&3)"
  exec 3<&-
  printf '%s' "$resp"
}

"$MWX" serve "$work/run.mwxr" --port 0 --paused >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
port="$(url_port "$(wait_url "$work/serve.out" "$work/serve.err" $pid "mwx serve")")"
[ -n "$port" ] || fail "mwx serve: no URL"

# Paused at the start: the scenario is published, nothing timed yet.
pic="$(http_get "$port" /api/picture)"
echo "$pic" | grep -q '"mode":"replay"' || fail "picture not in replay mode: $pic"
echo "$pic" | grep -q '"name":"web-browser-test"' || fail "scenario not published: $pic"
echo "$pic" | grep -q '"tracks":\[\]' || fail "paused replay already has tracks: $pic"
echo "$pic" | grep -q '"playing":false' || fail "--paused is not paused: $pic"

r="$(http_get "$port" '/api/control?cmd=speed&x=1000')"
echo "$r" | grep -q "200 OK" || fail "speed control: $r"
r="$(http_get "$port" '/api/control?cmd=jump')"
echo "$r" | grep -q "400 Bad Request" || fail "bad control not refused: $r"
r="$(http_get "$port" '/api/control?cmd=play')"
echo "$r" | grep -q "200 OK" || fail "play control: $r"
# At 1000x the 700 s recording ends within a second or so; wait for the end (bounded).
for _ in $(seq 1 100); do
  pic="$(http_get "$port" /api/picture)"
  echo "$pic" | grep -q '"ended":true' && break
  sleep 0.1
done
echo "$pic" | grep -q '"ended":true' || fail "replay did not end: $(echo "$pic" | head -c 300)"
echo "$pic" | grep -q '"track_id":"KR-1"' || fail "no KR-1 track after the replay"
echo "$pic" | grep -q '"msg_type":"Cancel"' || fail "no Cancel alert after the replay"
m="$(http_get "$port" /metrics)"
echo "$m" | grep -q '^mwx_web_records_published_total{type="track"} [1-9]' ||
  fail "metrics do not count the replayed tracks"

# Restart while paused: the picture starts again from the scenario (published twice now).
http_get "$port" '/api/control?cmd=pause' >/dev/null
r="$(http_get "$port" '/api/control?cmd=restart')"
echo "$r" | grep -q "200 OK" || fail "restart control: $r"
for _ in $(seq 1 50); do
  m="$(http_get "$port" /metrics)"
  echo "$m" | grep -q '^mwx_web_records_published_total{type="scenario"} 2' && break
  sleep 0.1
done
echo "$m" | grep -q '^mwx_web_records_published_total{type="scenario"} 2' ||
  fail "restart did not publish the scenario again"
pic="$(http_get "$port" /api/picture)"
echo "$pic" | grep -q '"tracks":\[\]' || fail "restarted (paused) replay still has tracks"
echo "$pic" | grep -q '"ended":false' || fail "restarted replay still ended"

# A second server on the same port: environment failure, exit 3.
expect_status 3 "$MWX" serve "$work/run.mwxr" --port "$port"

kill -INT "$pid"
st=0
wait "$pid" || st=$?
pid=""
[ "$st" -eq 0 ] || fail "SIGINT: exit status $st"
# --follow: a recording still being written (here: one with a torn tail, as a writer
# mid-record leaves it) is served live, with everything up to the tear.
head -c -7 "$work/run.mwxr" >"$work/live.mwxr"
"$MWX" serve "$work/live.mwxr" --follow --port 0 >"$work/follow.out" 2>"$work/follow.err" &
pid=$!
port="$(url_port "$(wait_url "$work/follow.out" "$work/follow.err" $pid "mwx serve --follow")")"
[ -n "$port" ] || fail "mwx serve --follow: no URL"
for _ in $(seq 1 100); do
  pic="$(http_get "$port" /api/picture)"
  echo "$pic" | grep -q '"msg_type":"Update"' && break
  sleep 0.1
done
echo "$pic" | grep -q '"mode":"live"' || fail "--follow is not live: $(echo "$pic" | head -c 300)"
echo "$pic" | grep -q '"track_id":"JP-1"' || fail "--follow: no JP-1 track"
echo "$pic" | grep -q '"msg_type":"Update"' || fail "--follow: records before the tear not served"
echo "$pic" | grep -q '"msg_type":"Cancel"' && fail "--follow: the torn last record was served"
r="$(http_get "$port" '/api/control?cmd=pause')"
echo "$r" | grep -q "404 Not Found" || fail "--follow has no replay control: $r"
kill -TERM "$pid"
st=0
wait "$pid" || st=$?
pid=""
[ "$st" -eq 0 ] || fail "--follow SIGTERM: exit status $st"
echo "serve_cli: ok"
