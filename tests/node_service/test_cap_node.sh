#!/bin/bash
# Signed CAP from `mwx node` (issue 16): the node signs with the cap_key / cap_cert of its
# config (the run's --cap-keys is tested in tests/warn/cap_signed.sh). A JP node alone
# (inproc, exit_at_end) with `mwx keygen JP --cap`'s key: every CAP file it writes is
# accepted by the independent xmlsec1 and by `mwx verify-cap` against JP's CA and refused
# against another nation's CA, and the Atom feed links exactly files that verify. A config
# with cap_key but no cap_cert is refused before anything runs; without either, the node
# signs with a demo PKI in OUTPUTS/pki (kept across restarts) and says so in its log.
source "$(dirname "$0")/common.sh"
D="$MWX_TMPDIR/node_service_cap"
setup_dir "$D"
cd "$D"
command -v xmlsec1 >/dev/null || fail "xmlsec1 missing (scripts/setup-deps)"
xverify() { xmlsec1 --verify --enabled-key-data x509 --trusted-pem "$1" "$2" >/dev/null 2>&1; }
for n in JP KR; do "$MWX" keygen "$n" --cap -o "$D/keys" > /dev/null; done

config() { # FILE OUTPUTS [extra json]
    cat > "$1" <<EOC
{"nation": "JP", "bus": "inproc", "key": "keys/JP.key", "sensors": "scenario.json",
 "outputs": "$2", "exit_at_end": true$3}
EOC
}

# --- the nation's key from the config. The feed holds only current warnings (an ended
# series leaves it when its track is forgotten), so it is read while the node runs (paced
# 50x: 12 s); the feed is replaced atomically, so each copy is one whole version.
config "$D/signed.json" out-signed ', "speed": 50, "cap_key": "keys/JP-cap.key", "cap_cert": "keys/JP-cap.pem"'
"$MWX" node --config "$D/signed.json" 2> "$D/signed.log" &
pid=$!
PIDS+=("$pid")
feed="$D/out-signed/alerts/alerts.atom"
while kill -0 "$pid" 2>/dev/null; do
    if [ -f "$feed" ] && cp "$feed" "$D/feed.copy" 2>/dev/null &&
        grep -q 'application/cap+xml' "$D/feed.copy"; then
        cp "$D/feed.copy" "$D/feed.linked"
    fi
    sleep 0.05
done
wait "$pid" || fail "node: $(tail -n 3 "$D/signed.log")"
grep -q "DEMO" "$D/signed.log" && fail "a node with cap_key still says DEMO"
[ ! -e "$D/out-signed/pki" ] || fail "a node with cap_key made a demo PKI"
shopt -s nullglob
caps=("$D"/out-signed/alerts/*.cap.xml)
[ ${#caps[@]} -ge 2 ] || fail "expected CAP files, got ${#caps[@]}"
for f in "${caps[@]}"; do
    xverify "$D/keys/JP-ca.pem" "$f" || fail "xmlsec1 refuses $f"
    if xverify "$D/keys/KR-ca.pem" "$f"; then fail "xmlsec1 accepts $f with KR's CA"; fi
done
"$MWX" verify-cap "${caps[@]}" --ca "$D/keys/JP-ca.pem" > "$D/verify.out" || fail "verify-cap refuses the node's files"
[ "$(grep -c ': ok, signed by /O=mwx JP/CN=JP public alerting' "$D/verify.out")" -eq ${#caps[@]} ] ||
    fail "verify-cap: $(cat "$D/verify.out")"
if "$MWX" verify-cap "${caps[0]}" --ca "$D/keys/KR-ca.pem" 2>/dev/null; then
    fail "verify-cap accepts JP's file with KR's CA"
fi
# the feed links signed files, and only files that exist and verify
[ -f "$D/feed.linked" ] || fail "the feed never linked a CAP file while the node ran"
links=$("$PY" - "$D/feed.linked" <<'EOPY'
import sys, xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
for l in ET.parse(sys.argv[1]).getroot().iter(A + "link"):
    if l.get("type") == "application/cap+xml":
        print(l.get("href"))
EOPY
)
[ -n "$links" ] || fail "the feed links no CAP file"
while read -r h; do
    [ -f "$D/out-signed/alerts/$h" ] || fail "the feed links $h, which is missing"
    xverify "$D/keys/JP-ca.pem" "$D/out-signed/alerts/$h" || fail "the feed links $h, which xmlsec1 refuses"
done <<< "$links"

# --- half a key pair: refused before the run
config "$D/half.json" out-half ', "speed": 1000, "cap_key": "keys/JP-cap.key"'
if "$MWX" node --config "$D/half.json" 2> "$D/half.log"; then fail "cap_key without cap_cert accepted"; fi
grep -q "cap_cert" "$D/half.log" || fail "unclear message: $(cat "$D/half.log")"
[ ! -e "$D/out-half/alerts" ] || fail "the refused node wrote alerts"

# --- no key: a demo PKI in OUTPUTS/pki, said in the log, the same CA after a restart
config "$D/demo.json" out-demo ', "speed": 1000'
"$MWX" node --config "$D/demo.json" 2> "$D/demo.log" || fail "demo node: $(tail -n 3 "$D/demo.log")"
grep -q "warning: no cap_key" "$D/demo.log" || fail "no demo-key warning: $(head -n 5 "$D/demo.log")"
[ "$(stat -c %a "$D/out-demo/pki/demo-ca.key")" = 600 ] || fail "demo CA key mode"
demo=("$D"/out-demo/alerts/*.cap.xml)
[ ${#demo[@]} -ge 2 ] || fail "demo node wrote ${#demo[@]} CAP files"
for f in "${demo[@]}"; do xverify "$D/out-demo/pki/demo-ca.pem" "$f" || fail "xmlsec1 refuses $f"; done
if "$MWX" verify-cap "${demo[0]}" --ca "$D/keys/JP-ca.pem" 2>/dev/null; then
    fail "a demo file verifies with JP's CA"
fi
ca=$(sha256sum < "$D/out-demo/pki/demo-ca.pem")
"$MWX" node --config "$D/demo.json" 2>> "$D/demo.log" || fail "demo node restart"
[ "$(sha256sum < "$D/out-demo/pki/demo-ca.pem")" = "$ca" ] || fail "the demo CA changed on restart"
echo "node_service_cap: ok (${#caps[@]} signed CAP files of a node verified, ${#demo[@]} demo)"
