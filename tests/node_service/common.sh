# Helpers for the `mwx node` integration tests (sourced). Every wait is on a condition,
# with a generous deadline; nothing is timed.
set -euo pipefail
: "${MWX:?MWX must name the mwx binary}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
command -v nats-server >/dev/null || { echo "FAIL: nats-server not installed" >&2; exit 1; }

PIDS=()
NATS_PID=
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    [ -n "$NATS_PID" ] && kill -9 "$NATS_PID" 2>/dev/null || true
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# below the kernel's ephemeral range (32768 and up), where no outgoing connection can take
# the port between this pick and the server's bind (tests/chaos/chaos.py, free_port)
free_port() {
    "$PY" -c '
import random, socket
for _ in range(1000):
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
else:
    raise SystemExit("no free port in 20000-32000")'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for SECONDS CMD...: until CMD succeeds (polled every 0.1 s)
wait_for() {
    local deadline=$(( $(date +%s) + $1 )); shift
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# start_nats DIR [CONF]: a nats-server on a free loopback port (retried on collision);
# sets NATS_PORT, NATS_PID. With CONF (a file with PORT_PLACEHOLDER), uses that config.
start_nats() {
    local dir=$1 conf=${2:-}
    for attempt in 1 2 3 4 5; do
        NATS_PORT=${FIXED_PORT:-$(free_port)}
        if [ -n "$conf" ]; then
            sed "s/PORT_PLACEHOLDER/$NATS_PORT/" "$conf" > "$dir/nats-run.conf"
            nats-server -c "$dir/nats-run.conf" >> "$dir/nats.log" 2>&1 &
        else
            nats-server -a 127.0.0.1 -p "$NATS_PORT" >> "$dir/nats.log" 2>&1 &
        fi
        NATS_PID=$!
        if wait_for 20 port_open "$NATS_PORT" && kill -0 "$NATS_PID" 2>/dev/null; then
            return 0
        fi
        kill -9 "$NATS_PID" 2>/dev/null || true
        NATS_PID=
    done
    fail "could not start nats-server"
}

stop_nats() {
    kill -9 "$NATS_PID" 2>/dev/null || true
    wait "$NATS_PID" 2>/dev/null || true
    NATS_PID=
}

# write_config DIR NATION URL START [extra json]
write_config() {
    local dir=$1 n=$2 url=$3 start=$4 extra=${5:-}
    cat > "$dir/node-$n.json" <<EOC
{"nation": "$n", "bus": "$url", "key": "keys/$n.key",
 "trust": {"JP": "keys/JP.pub", "KR": "keys/KR.pub", "US": "keys/US.pub"},
 "sensors": "scenario.json", "outputs": "out-$n",
 "speed": 50, "start_unix": $start$extra}
EOC
}

# start_node DIR NATION: runs in the background, stderr appended to DIR/node-N.log
declare -A NODE_PID
start_node() {
    "$MWX" node --config "$1/node-$2.json" 2>> "$1/node-$2.log" &
    NODE_PID[$2]=$!
    PIDS+=("$!")
}

logged() { grep -q -- "$2" "$1"; }

all_ended() {
    local dir=$1
    for n in JP KR US; do
        kill -0 "${NODE_PID[$n]}" 2>/dev/null || fail "node $n died: $(tail -n 3 "$dir/node-$n.log")"
    done
    for n in JP KR US; do logged "$dir/node-$n.log" "scenario ended" || return 1; done
}

# stop_node DIR NATION: SIGTERM, expect exit 0
stop_node() {
    local pid=${NODE_PID[$2]}
    kill -TERM "$pid" 2>/dev/null || true
    local rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || fail "node $2 exited $rc after SIGTERM (log: $(tail -3 "$1/node-$2.log"))"
}

setup_dir() {
    local dir=$1
    rm -rf "$dir"
    mkdir -p "$dir/keys"
    cp "$HERE/scenario.json" "$dir/scenario.json"
    for n in JP KR US; do "$MWX" keygen "$n" -o "$dir/keys" > /dev/null; done
}

start_time() { "$PY" -c 'import time; print("%.3f" % (time.time() + '"${1:-2}"'))'; }

# live_check DIR [check args]: the sequence check on running nodes; CHECK_T = when it
# started (everything sent before it has been received when it passes)
live_check() {
    local d=$1; shift
    CHECK_T=$(date +%s.%N)
    "$PY" "$HERE/check.py" seqs "$d" --quiet "$@"
}

# settle_and_stop DIR [check args]: wait until the check holds on the running nodes, stop
# them all (SIGTERM, exit 0), and check the closed files up to that moment
settle_and_stop() {
    local d=$1; shift
    wait_for 90 live_check "$d" "$@" || fail "the nodes never became complete: $("$PY" "$HERE/check.py" seqs "$d" "$@" 2>&1 | tail -n 5)"
    for n in JP KR US; do kill -TERM "${NODE_PID[$n]}"; done
    for n in JP KR US; do stop_node "$d" $n; done
    "$PY" "$HERE/check.py" seqs "$d" --until "$CHECK_T" "$@" || fail "sequence check after stop"
}
