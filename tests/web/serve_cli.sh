#!/usr/bin/env bash
# `mwx serve` as a user meets it: usage errors exit 2, a bad recording exits 1 naming the
# file, a taken port exits 3, --help exits 0; a served recording answers /api/picture and
# /api/control (with its token), and SIGINT stops it with status 0. HTTP through bash's
# /dev/tcp, and curl for the Host and token checks (issue #13) and the empty Atom feed
# (issue #12).
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

http_get() { # port path [extra header] -> body on stdout (HTTP/1.0: the server closes)
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s\r\n' "$2" "${3:+$3$'\r\n'}" >&3
  local resp
  resp="$(cat <&3)"
  exec 3<&-
  printf '%s' "$resp"
}

"$MWX" serve "$work/run.mwxr" --port 0 --paused >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
port="$(url_port "$(wait_url "$work/serve.out" "$work/serve.err" $pid "mwx serve")")"
[ -n "$port" ] || fail "mwx serve: no URL"
token="$(sed -n 's/^mwx serve: control token \([0-9a-f]*\) .*/\1/p' "$work/serve.out")"
[ "${#token}" -eq 32 ] || fail "mwx serve printed no control token: $(cat "$work/serve.out")"
ctl() { http_get "$port" "/api/control?$1" "X-Mwx-Token: $token"; }

# Issue #13 item 9, with curl as a rebinding browser would send it: a foreign Host is
# refused everywhere, the bound address and localhost are served; control needs the token.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
base="http://127.0.0.1:$port"
[ "$(code -H 'Host: evil.example' "$base/api/picture")" = 403 ] || fail "foreign Host got the picture"
[ "$(code -H "Host: evil.example:$port" "$base/api/control?cmd=play")" = 403 ] ||
  fail "foreign Host reached control"
[ "$(code -H "Host: evil.example:$port" -H "X-Mwx-Token: $token" "$base/api/control?cmd=play")" = 403 ] ||
  fail "foreign Host with the token reached control"
[ "$(code -H 'Host: 127.0.0.1:1' "$base/")" = 403 ] || fail "Host with another port accepted"
[ "$(code "$base/api/picture")" = 200 ] || fail "own Host refused"
[ "$(code -H "Host: localhost:$port" "$base/")" = 200 ] || fail "localhost refused on loopback"
[ "$(code "$base/api/control?cmd=play")" = 403 ] || fail "control without a token accepted"
[ "$(code -H 'X-Mwx-Token: 0123456789abcdef0123456789abcdef' "$base/api/control?cmd=play")" = 403 ] ||
  fail "control with a wrong token accepted"
[ "$(code "$base/api/control?cmd=play&token=$token")" = 403 ] || fail "token in the URL accepted"
ev="$(curl -s -N --max-time 1 "$base/events" || true)" # a stream: ends at --max-time
grep -q "\"token\":\"$token\"" <<<"$ev" || fail "the page's hello event does not carry the token"
m="$(http_get "$port" /metrics)"
grep -q '^mwx_web_host_refused_total 4' <<<"$m" || fail "refused Hosts not counted: $(echo "$m" | grep host_refused)"
grep -q '^mwx_web_control_refused_total 3' <<<"$m" || fail "refused controls not counted"

# Issue #12 item 5: before the first alert there is no alerts/alerts.atom beside the
# recording; the feed is empty and valid Atom, not a 404 (checked with libxml2's xmllint).
[ ! -e "$work/alerts/alerts.atom" ] || fail "test set-up: a feed already exists"
[ "$(code "$base/alerts.atom")" = 200 ] || fail "no feed before the first alert"
curl -s -D "$work/atom.h" -o "$work/empty.atom" "$base/alerts.atom"
grep -qi '^content-type: application/atom+xml' "$work/atom.h" || fail "empty feed content type"
xmllint --noout "$work/empty.atom" || fail "empty feed is not well-formed XML"
for el in id title updated author; do
  [ "$(xmllint --xpath "count(/*[local-name()='feed' and namespace-uri()='http://www.w3.org/2005/Atom']/*[local-name()='$el'])" "$work/empty.atom")" = 1 ] ||
    fail "empty feed lacks exactly one <$el>"
done
[ "$(xmllint --xpath "count(//*[local-name()='entry'])" "$work/empty.atom")" = 0 ] || fail "empty feed has entries"
grep -Eq '<updated>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})</updated>' "$work/empty.atom" ||
  fail "empty feed <updated> is not RFC 3339: $(cat "$work/empty.atom")"
# Once the writer makes it, the real file is served.
mkdir -p "$work/alerts"
printf '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id></feed>\n' >"$work/alerts/alerts.atom"
curl -s "$base/alerts.atom" | grep '<id>urn:x</id>' >/dev/null || fail "the feed file is not served once it exists"
rm -rf "$work/alerts"

# Paused at the start: the scenario is published, nothing timed yet.
pic="$(http_get "$port" /api/picture)"
grep -q '"mode":"replay"' <<<"$pic" || fail "picture not in replay mode: $pic"
grep -q '"name":"web-browser-test"' <<<"$pic" || fail "scenario not published: $pic"
grep -q '"tracks":\[\]' <<<"$pic" || fail "paused replay already has tracks: $pic"
grep -q '"playing":false' <<<"$pic" || fail "--paused is not paused: $pic"

r="$(ctl 'cmd=speed&x=1000')"
grep -q "200 OK" <<<"$r" || fail "speed control: $r"
r="$(ctl 'cmd=jump')"
grep -q "400 Bad Request" <<<"$r" || fail "bad control not refused: $r"
r="$(ctl 'cmd=play')"
grep -q "200 OK" <<<"$r" || fail "play control: $r"
# At 1000x the 700 s recording ends within a second or so; wait for the end (bounded).
for _ in $(seq 1 100); do
  pic="$(http_get "$port" /api/picture)"
  grep -q '"ended":true' <<<"$pic" && break
  sleep 0.1
done
grep -q '"ended":true' <<<"$pic" || fail "replay did not end: $(echo "$pic" | head -c 300)"
grep -q '"track_id":"KR-1"' <<<"$pic" || fail "no KR-1 track after the replay"
grep -q '"msg_type":"Cancel"' <<<"$pic" || fail "no Cancel alert after the replay"
m="$(http_get "$port" /metrics)"
grep -q '^mwx_web_records_published_total{type="track"} [1-9]' <<<"$m" ||
  fail "metrics do not count the replayed tracks"

# Restart while paused: the picture starts again from the scenario (published twice now).
ctl 'cmd=pause' >/dev/null
r="$(ctl 'cmd=restart')"
grep -q "200 OK" <<<"$r" || fail "restart control: $r"
for _ in $(seq 1 50); do
  m="$(http_get "$port" /metrics)"
  grep -q '^mwx_web_records_published_total{type="scenario"} 2' <<<"$m" && break
  sleep 0.1
done
grep -q '^mwx_web_records_published_total{type="scenario"} 2' <<<"$m" ||
  fail "restart did not publish the scenario again"
pic="$(http_get "$port" /api/picture)"
grep -q '"tracks":\[\]' <<<"$pic" || fail "restarted (paused) replay still has tracks"
grep -q '"ended":false' <<<"$pic" || fail "restarted replay still ended"

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
  grep -q '"msg_type":"Update"' <<<"$pic" && break
  sleep 0.1
done
grep -q '"mode":"live"' <<<"$pic" || fail "--follow is not live: $(echo "$pic" | head -c 300)"
grep -q '"track_id":"JP-1"' <<<"$pic" || fail "--follow: no JP-1 track"
grep -q '"msg_type":"Update"' <<<"$pic" || fail "--follow: records before the tear not served"
grep -q '"msg_type":"Cancel"' <<<"$pic" && fail "--follow: the torn last record was served"
r="$(http_get "$port" '/api/control?cmd=pause')"
grep -q "404 Not Found" <<<"$r" || fail "--follow has no replay control: $r"
# --host: a configured name is served, others still refused.
kill -TERM "$pid"; wait "$pid" || true
"$MWX" serve "$work/live.mwxr" --follow --port 0 --host mwx.example.org >"$work/follow.out" 2>"$work/follow.err" &
pid=$!
port="$(url_port "$(wait_url "$work/follow.out" "$work/follow.err" $pid "mwx serve --follow --host")")"
[ "$(code -H "Host: mwx.example.org:$port" "http://127.0.0.1:$port/api/picture")" = 200 ] ||
  fail "--host name refused"
[ "$(code -H "Host: MWX.example.org" "http://127.0.0.1:$port/")" = 200 ] || fail "--host name is case-sensitive"
[ "$(code -H "Host: other.example.org" "http://127.0.0.1:$port/")" = 403 ] || fail "--host opened every name"
kill -TERM "$pid"
st=0
wait "$pid" || st=$?
pid=""
[ "$st" -eq 0 ] || fail "--follow SIGTERM: exit status $st"
echo "serve_cli: ok"
