#!/usr/bin/env bash
# `mwx cat`: JSON Lines, --type, exit codes, the torn-tail warning, corruption, a closed
# pipe, --follow with SIGINT/SIGTERM. Input files come from test_recording_fixture.
set -u
fix="$MWX_BINARY_DIR/tests/core/test_recording_fixture"
# tmpfs when there is one: the fixture fsyncs, slow on a busy disk and not under test
base=$MWX_TMPDIR; [ -w /dev/shm ] && base=/dev/shm
T="$base/test_cat.$$"
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fails=0
check() { # check DESCRIPTION CONDITION...
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
run() { # run ARGS...: sets rc, out, err
    "$MWX" cat "$@" >"$T/out" 2>"$T/err"; rc=$?
    out=$(cat "$T/out"); err=$(cat "$T/err")
}

"$fix" "$T/s.mwxr" sample || exit 1

run --help
check "--help exits 0" test "$rc" -eq 0
check "--help prints usage" grep -q "usage: mwx cat" "$T/out"
run
check "no file: usage, exit 2" test "$rc" -eq 2
run "$T/s.mwxr" "$T/s.mwxr"
check "two files: exit 2" test "$rc" -eq 2
run --bogus "$T/s.mwxr"
check "unknown option: exit 2" test "$rc" -eq 2
run --type nope "$T/s.mwxr"
check "unknown type: exit 2" test "$rc" -eq 2
check "unknown type: says which" grep -q "unknown record type 'nope'" "$T/err"
run --type
check "--type without value: exit 2" test "$rc" -eq 2

run "$T/missing.mwxr"
check "missing file: exit 1" test "$rc" -eq 1
check "missing file: message" grep -qx "mwx cat: $T/missing.mwxr: No such file or directory" "$T/err"
echo '{"type":"truth"}' >"$T/text.mwxr"
run "$T/text.mwxr"
check "not a recording: exit 1" test "$rc" -eq 1
check "not a recording: message" grep -q "not an mwx recording" "$T/err"

run "$T/s.mwxr"
check "sample: exit 0" test "$rc" -eq 0
check "sample: 18 lines" test "$(wc -l <"$T/out")" -eq 18
check "sample: nothing on stderr" test ! -s "$T/err"
check "sample: every line is a JSON object with type and t" \
    test "$(jq -c 'select(type == "object" and has("type") and has("t")) | .type' "$T/out" | wc -l)" -eq 18
check "sample: first record is the scenario" \
    test "$(head -n1 "$T/out" | jq -r '.type + " " + .name + " " + .status')" = "scenario two-launches Exercise"
check "sample: types in order" \
    test "$(jq -r .type "$T/out" | head -n 9 | tr '\n' ' ')" = "scenario truth meas meas track track share alert truth "
check "sample: radar meas keys" \
    test "$(jq -c 'select(.type == "meas" and .kind == "radar") | [has("range_m"), has("az_deg"), has("el_deg"), .truth_object]' "$T/out" | head -n1)" = '[true,true,true,"0123456789abcdef0123456789abcde"]'
check "sample: IR false alarm has los_ecef, truth_object null" \
    test "$(jq -c 'select(.kind == "ir_satellite") | [(.los_ecef | length), .truth_object]' "$T/out" | head -n1)" = '[3,null]'
check "sample: track impact null until predicted" \
    test "$(jq -c 'select(.type == "track") | .impact == null' "$T/out" | head -n2 | tr '\n' ' ')" = "true false "

run --type meas "$T/s.mwxr"
check "--type meas: 4 lines, all meas" test "$(jq -r .type "$T/out" | sort | uniq -c | tr -s ' ')" = " 4 meas"
run --type=track,alert -- "$T/s.mwxr"
check "--type=track,alert" test "$(jq -r .type "$T/out" | sort -u | tr '\n' ' ')" = "alert track "
run -t share -t scenario "$T/s.mwxr"
check "-t twice" test "$(jq -r .type "$T/out" | sort | uniq -c | tr '\n' ' ' | tr -s ' ')" = " 2 scenario 2 share "

at=$("$fix" "$T/t.mwxr" torn) || exit 1
run "$T/t.mwxr"
check "torn tail: exit 0" test "$rc" -eq 0
check "torn tail: 17 whole records" test "$(wc -l <"$T/out")" -eq 17
check "torn tail: warning names the byte offset" \
    grep -q "^mwx cat: warning: $T/t.mwxr: torn record at byte $at ([0-9]* bytes), cut$" "$T/err"

at=$("$fix" "$T/c.mwxr" corrupt) || exit 1
run "$T/c.mwxr"
check "corrupt: exit 1" test "$rc" -eq 1
check "corrupt: the 4 records before it" test "$(wc -l <"$T/out")" -eq 4
check "corrupt: error names the byte offset" \
    grep -q "^mwx cat: $T/c.mwxr: checksum mismatch in record at byte $at$" "$T/err"

"$fix" "$T/b.mwxr" big || exit 1
"$MWX" cat "$T/b.mwxr" 2>"$T/err" | head -n 1 >"$T/out"
st=${PIPESTATUS[0]}
check "closed pipe: exit 0" test "$st" -eq 0
check "closed pipe: quiet" test ! -s "$T/err"
check "closed pipe: the first line came through" test "$(jq -r .type "$T/out")" = scenario

# --follow: a LIVE writer appends 15 records, 20 ms apart; cat prints each as it lands
# and exits 0 on SIGINT (then SIGTERM).
for sig in INT TERM; do
    f="$T/live-$sig.mwxr"
    : >"$f"
    "$MWX" cat --follow "$f" >"$T/fout" 2>"$T/ferr" &
    cat_pid=$!
    "$fix" "$f" slow 15 || exit 1
    for _ in $(seq 100); do
        [ "$(wc -l <"$T/fout")" -ge 15 ] && break
        sleep 0.05
    done
    check "follow: all 15 records (SIG$sig)" test "$(jq -r .t "$T/fout" | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 "
    kill -"$sig" "$cat_pid"
    wait "$cat_pid"; st=$?
    check "follow: SIG$sig exits 0" test "$st" -eq 0
    check "follow: nothing on stderr" test ! -s "$T/ferr"
done

echo "test_cat: $fails failed"
[ "$fails" -eq 0 ]
