#!/bin/bash
# Warning continuity across restarts: a JP node alone (inproc, exit_at_end, the scenario
# 25x) is killed with -9 at seeded random points of its warnings' lives (after the k-th
# CAP file appeared, plus up to 0.3 s) and started again on the same outputs, until it
# ends; its CAP files are then compared with an undisturbed run's (warn_check.py): the
# same series, no second Alert, the same ends (no lost Cancel), the same regions, and
# references that continue across the restarts, and no CAP file published before a
# restart is ever written again. A clean restart (SIGTERM) is one of the
# disturbances.
source "$(dirname "$0")/common.sh"
ROOT="$MWX_TMPDIR/node_service_warn_restart"
SPEED=25
rm -rf "$ROOT"
mkdir -p "$ROOT"

config() { # DIR START
    cat > "$1/node-JP.json" <<EOC
{"nation": "JP", "bus": "inproc", "key": "keys/JP.key", "sensors": "scenario.json",
 "outputs": "out-JP", "speed": $SPEED, "start_unix": $2, "exit_at_end": true}
EOC
}

ncap() { find "$1/out-JP/alerts" -name '*.cap.xml' 2>/dev/null | wc -l; }
snap() { # DIR: the CAP files as they are (name inode mtime_ns)
    "$PY" -c "import os,sys; d=sys.argv[1]
for f in sorted(os.listdir(d)):
    if f.endswith('.cap.xml'): st=os.stat(os.path.join(d,f)); print(f, st.st_ino, st.st_mtime_ns)" "$1/out-JP/alerts"
}
reached() { [ "$(ncap "$1")" -ge "$2" ] || ! kill -0 "$3" 2>/dev/null; } # DIR K PID

# --- the reference
A="$ROOT/a"
setup_dir "$A"
config "$A" "$(start_time 1)"
# under strace when it works here: every CAP file must be fsynced (the node is durable)
TRACE=()
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
    TRACE=(strace -f -y -qq -e trace=fsync,fdatasync -o "$A/fsync.trace")
fi
"${TRACE[@]}" "$MWX" node --config "$A/node-JP.json" 2> "$A/node-JP.log" || fail "undisturbed run failed"
NREF=$(ncap "$A")
[ "$NREF" -ge 4 ] || fail "the undisturbed run issued only $NREF CAP messages"
echo "undisturbed: $NREF CAP messages"
grep -q '\.launch\.' <(ls "$A/out-JP/alerts") || fail "the undisturbed run sent no launch notice"
if [ ${#TRACE[@]} -gt 0 ]; then
    # the fsynced fds of new files in alerts/ (a CAP file is written into an unnamed
    # inode, or a .cap.xml temporary when O_TMPFILE is missing)
    NSYNC=$(grep -cE 'fsync\([0-9]+</[^>]*/out-JP/alerts/(#[0-9]+>\(deleted\)|[^>]*\.cap\.xml[^>]*>)\) += 0' \
        "$A/fsync.trace" || true)
    [ "$NSYNC" -ge "$NREF" ] ||
        fail "only $NSYNC fsyncs of files in alerts/ for $NREF CAP files (not durable)"
    echo "durable: $NSYNC fsyncs in alerts/ for $NREF CAP files"
else
    echo "strace does not work here: the fsync check is skipped"
fi

# --- disturbed runs: RUN SEED SIGNAL...
disturbed() {
    local name=$1 seed=$2; shift 2
    local B="$ROOT/$name" k delay pid rc sig kills=() sigs=("$@")
    setup_dir "$B"
    config "$B" "$(start_time 1)"
    # the kill points: after the k-th message (distinct k, ascending), plus a delay
    # (seed 0: the first kill right after the first message, the launch notice)
    read -r -a kills <<< "$("$PY" -c "
import random; r = random.Random($seed)
ks = sorted(r.sample(range(2, $NREF), $# - 1) + [1 if $seed == 0 else r.randrange(2, $NREF)])
print(' '.join('%d:%.3f' % (k, 0.0 if $seed == 0 and i == 0 else r.uniform(0, 0.3)) for i, k in enumerate(ks)))")"
    "$MWX" node --config "$B/node-JP.json" 2>> "$B/node-JP.log" &
    pid=$!; PIDS+=("$pid")
    for i in "${!kills[@]}"; do
        k=${kills[$i]%%:*}; delay=${kills[$i]#*:}; sig=${sigs[$i]}
        wait_for 120 reached "$B" "$k" "$pid" ||
            fail "$name: no CAP message $k"
        sleep "$delay"
        kill -0 "$pid" 2>/dev/null || fail "$name: the node ended before kill $((i + 1))"
        kill "-$sig" "$pid"
        rc=0; wait "$pid" || rc=$?
        snap "$B" > "$B/snap-$i.txt"
        echo "$name: SIG$sig after message $k + ${delay} s (exit $rc, $(ncap "$B") CAP files)"
        "$MWX" node --config "$B/node-JP.json" 2>> "$B/node-JP.log" &
        pid=$!; PIDS+=("$pid")
    done
    rc=0; wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || fail "$name: exit $rc ($(tail -n 3 "$B/node-JP.log"))"
    "$PY" "$HERE/warn_check.py" "$A/out-JP/alerts" "$B/out-JP/alerts" --unchanged "$B"/snap-*.txt ||
        fail "$name: warnings differ from the undisturbed run (log: $B/node-JP.log)"
}

disturbed b 0 KILL KILL
disturbed c 2 TERM KILL
echo "warning continuity: every disturbed run continues its series"
