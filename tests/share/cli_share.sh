#!/usr/bin/env bash
# mwx keygen and mwx nats-config from the command line: files, modes, refusals, exit codes.
set -u
fail() { echo "FAIL: $*"; exit 1; }
d="$MWX_TMPDIR/cli-share-$$"
rm -rf "$d"; mkdir -p "$d"
trap 'rm -rf "$d"' EXIT

# keygen
"$MWX" keygen KR -o "$d/keys" >/dev/null || fail "keygen"
[ "$(stat -c %a "$d/keys/KR.key")" = 600 ] || fail "secret key mode"
grep -Eq '^mwx-ed25519-secret-v1 KR [0-9a-f]{128}$' "$d/keys/KR.key" || fail "secret format"
grep -Eq '^mwx-ed25519-public-v1 KR [0-9a-f]{64}$' "$d/keys/KR.pub" || fail "public format"
# the public key is the second half of the secret (libsodium layout seed || pk)
[ "$(cut -d' ' -f3 "$d/keys/KR.key" | cut -c65-)" = "$(cut -d' ' -f3 "$d/keys/KR.pub")" ] ||
  fail "public key does not match the secret key"
before=$(cat "$d/keys/KR.key")
"$MWX" keygen KR -o "$d/keys" 2>"$d/err"; rc=$?
[ $rc = 1 ] || fail "overwrite: exit $rc, expected 1"
grep -q "exists" "$d/err" || fail "overwrite message: $(cat "$d/err")"
[ "$(cat "$d/keys/KR.key")" = "$before" ] || fail "refused overwrite changed the key"
"$MWX" keygen KR -o "$d/keys" --force >/dev/null || fail "--force"
[ "$(cat "$d/keys/KR.key")" != "$before" ] || fail "--force kept the old key"
ls "$d/keys" | grep -q tmp && fail "temporary file left behind"
"$MWX" keygen 'K R' -o "$d/keys" 2>/dev/null; [ $? = 1 ] || fail "bad nation id accepted"
"$MWX" keygen KR 2>/dev/null; [ $? = 2 ] || fail "missing -o: expected usage error"
"$MWX" keygen --help | grep "mwx-ed25519-public-v1" > /dev/null || fail "help"

# nats-config on a scenario (other keys ignored)
cat >"$d/scn.json" <<'JSON'
{"name": "t", "epoch": "2026-11-22T03:00:00Z", "launches": [],
 "nations": [{"id": "JP"}, {"id": "KR"}, {"id": "US"}],
 "sharing": [{"from": "KR", "to": ["US"]}, {"from": "US", "to": ["JP", "KR"]}]}
JSON
"$MWX" nats-config "$d/scn.json" -o "$d/nats" --port 14999 >/dev/null || fail "nats-config"
for n in JP KR US; do
  [ "$(stat -c %a "$d/nats/$n.creds")" = 600 ] || fail "$n.creds mode"
  grep -q "^user=$n$" "$d/nats/$n.creds" || fail "$n.creds user"
  [ "$(stat -c %a "$d/nats/$n-sensors.creds")" = 600 ] || fail "$n-sensors.creds mode"
  grep -q "^user=$n-sensors$" "$d/nats/$n-sensors.creds" || fail "$n-sensors.creds user"
  grep -q "publish: {allow: \[\"mwx-meas.$n\"\]}" "$d/nats/nats-server.conf" || fail "$n-sensors may not publish its feed"
done
[ "$(cut -d= -f2 "$d/nats/JP.creds" | tail -n 1)" != "$(cut -d= -f2 "$d/nats/JP-sensors.creds" | tail -n 1)" ] ||
  fail "the sensors user shares the node's password"
[ "$(stat -c %a "$d/nats/nats-server.conf")" = 600 ] || fail "conf mode"
grep -q '{stream: "mwx.\*.KR.US", accounts: \["US"\]}' "$d/nats/nats-server.conf" || fail "KR->US export"
grep -q 'mwx.\*.KR.JP' "$d/nats/nats-server.conf" && fail "KR->JP must not be exported"
grep -q '127.0.0.1:14999' "$d/nats/nats-server.conf" || fail "port"
nats-server -c "$d/nats/nats-server.conf" -t >/dev/null 2>&1 || fail "nats-server -t rejects the config"
"$MWX" nats-config "$d/scn.json" -o "$d/hl" --hub-leaf --leaf-port 17422 >/dev/null || fail "hub-leaf"
for f in hub leaf-JP leaf-KR leaf-US; do
  nats-server -c "$d/hl/$f.conf" -t >/dev/null 2>&1 || fail "nats-server -t rejects $f.conf"
done

# --tls: configs nats-server accepts, certificates instead of creds, usage errors
"$MWX" nats-config "$d/scn.json" -o "$d/t1" --tls --tls-name nats.example >/dev/null || fail "--tls"
"$MWX" nats-config "$d/scn.json" -o "$d/t2" --hub-leaf --tls --leaf-port 17423 >/dev/null || fail "--hub-leaf --tls"
nats-server -c "$d/t1/nats-server.conf" -t >/dev/null 2>&1 || fail "nats-server -t rejects the --tls config"
for f in hub leaf-JP leaf-KR leaf-US; do
  nats-server -c "$d/t2/$f.conf" -t >/dev/null 2>&1 || fail "nats-server -t rejects --tls $f.conf"
done
ls "$d"/t1/*.creds >/dev/null 2>&1 && fail "--tls wrote creds"
for f in ca nats node-JP sensors-US; do
  [ "$(stat -c %a "$d/t1/tls/$f.key")" = 600 ] || fail "tls/$f.key mode"
  openssl verify -CAfile "$d/t1/tls/ca.crt" "$d/t1/tls/$f.crt" >/dev/null || fail "tls/$f.crt does not verify"
done
openssl x509 -in "$d/t1/tls/nats.crt" -noout -ext subjectAltName | grep "DNS:nats.example" > /dev/null || fail "--tls-name not in the server certificate"
"$MWX" nats-config "$d/scn.json" -o "$d/x" --tls-name a 2>/dev/null; [ $? = 2 ] || fail "--tls-name without --tls"
"$MWX" nats-config "$d/scn.json" -o "$d/x" --tls --tls-days 0 2>/dev/null; [ $? = 2 ] || fail "--tls-days 0"
"$MWX" feed "$d/scn.json" --nation JP --bus nats://127.0.0.1:1 --tls-cert a --tls-key b 2>/dev/null; [ $? = 2 ] || fail "feed --tls-cert without --tls-ca"
"$MWX" feed "$d/scn.json" --nation JP --bus nats://127.0.0.1:1 --tls-ca "$d/t1/tls/ca.crt" \
  --tls-cert "$d/t1/tls/sensors-JP.crt" --tls-key "$d/t1/tls/nope.key" 2>"$d/err"; rc=$?
[ $rc = 1 ] || fail "feed with a missing key: exit $rc"
grep -q "nope.key" "$d/err" || fail "feed missing key message: $(cat "$d/err")"

# wrong input: exit 1 with the JSON path
echo '{"nations": [{"id": "JP"}], "sharing": [{"from": "JP", "to": ["XX"]}]}' >"$d/bad.json"
"$MWX" nats-config "$d/bad.json" -o "$d/bad" 2>"$d/err"; rc=$?
[ $rc = 1 ] || fail "bad policy: exit $rc"
grep -q 'sharing\[0\].to\[0\]' "$d/err" || fail "bad policy message: $(cat "$d/err")"
"$MWX" nats-config "$d/scn.json" 2>/dev/null; [ $? = 2 ] || fail "missing -o"
"$MWX" nats-config "$d/scn.json" -o "$d/x" --port 0 2>/dev/null; [ $? = 2 ] || fail "bad port"
# mwx feed: usage and environment errors
"$MWX" feed "$d/scn.json" --nation JP 2>/dev/null; [ $? = 2 ] || fail "feed without --bus"
"$MWX" feed "$d/scn.json" --nation JP --bus nats://127.0.0.1:1 --speed 0 2>/dev/null; [ $? = 2 ] || fail "feed --speed 0"
"$MWX" feed "$d/scn.json" --nation 'J P' --bus nats://127.0.0.1:1 2>/dev/null; [ $? = 2 ] || fail "feed bad nation"
"$MWX" feed "$d/scn.json" --nation JP --bus http://x 2>/dev/null; [ $? = 2 ] || fail "feed non-NATS bus"
"$MWX" feed "$d/nope.json" --nation JP --bus nats://127.0.0.1:1 2>"$d/err"; [ $? = 1 ] || fail "feed missing scenario"
"$MWX" feed --help | grep "mwx-meas" > /dev/null || fail "feed help"
"$MWX" feed "$MWX_SOURCE_DIR/tests/node_service/scenario.json" --nation JP --bus nats://127.0.0.1:1 2>"$d/err"
[ $? = 3 ] || fail "feed to no server: expected exit 3"
grep -q "cannot reach the bus" "$d/err" || fail "feed to no server: $(cat "$d/err")"
echo "cli_share: ok"
