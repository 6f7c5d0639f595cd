#!/usr/bin/env bash
# Every CAP message kind, produced by the library, validates against the OASIS CAP 1.2
# schema with xmllint (independent of the C validation in test_warn_policy); the Atom feed
# and CoT events are well-formed XML and latest.geojson is JSON.
set -euo pipefail
sample="$MWX_BINARY_DIR/tests/warn/warn_sample"
xsd="$MWX_SOURCE_DIR/data/cap/cap12.xsd"
for status in Exercise Test; do
  out="$MWX_TMPDIR/cap-schema-$status-$$"
  rm -rf "$out"; mkdir -p "$out"
  "$sample" "$out" "$status"
  shopt -s nullglob
  caps=("$out"/alerts/*.cap.xml)
  [ ${#caps[@]} -ge 8 ] || { echo "expected at least 8 CAP files, got ${#caps[@]}"; exit 1; }
  xmllint --noout --schema "$xsd" "${caps[@]}"
  for kind in Alert Update Cancel; do
    grep -l "<msgType>$kind</msgType>" "${caps[@]}" >/dev/null || { echo "no $kind"; exit 1; }
  done
  grep -l "<severity>Severe</severity>" "${caps[@]}" >/dev/null || { echo "no overflight"; exit 1; }
  grep -l "<responseType>AllClear</responseType>" "${caps[@]}" >/dev/null || { echo "no all-clear"; exit 1; }
  # the launch notice (issue 12, item 7): kind launch, Monitor, Possible
  notice=$(grep -l "<value>missile-launch</value>" "${caps[@]}" | head -1)
  [ -n "$notice" ] || { echo "no launch notice"; exit 1; }
  grep -q "<responseType>Monitor</responseType>" "$notice" || { echo "launch notice not Monitor"; exit 1; }
  grep -q "<certainty>Possible</certainty>" "$notice" || { echo "launch notice not Possible"; exit 1; }
  # the scenario's status is in every message, and never Actual
  if grep -L "<status>$status</status>" "${caps[@]}" | grep .; then echo "status lost"; exit 1; fi
  if grep -l "<status>Actual</status>" "${caps[@]}"; then echo "Actual from a simulation"; exit 1; fi
  xmllint --noout "$out"/alerts/alerts.atom "$out"/alerts/*.cot.xml
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out/alerts/latest.geojson"
  # atomic writes leave no temporary files
  if ls -a "$out"/alerts | grep '\.tmp$' >/dev/null; then echo "temporary file left"; exit 1; fi
  rm -rf "$out"
done
echo "cap_schema: ok"
