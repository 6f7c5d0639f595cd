# Sourced by the web tests (after they define fail()).
# wait_url OUT ERR PID WHAT: wait up to 10 s for the server started as PID to print its
# http://127.0.0.1:PORT/ URL into OUT, and print it; fail (showing ERR) if the server exits
# first or prints none. It runs in $(...), so fail() ends only that subshell: callers
# check for an empty result.
wait_url() {
  local out=$1 err=$2 pid=$3 what=$4 url=""
  for _ in $(seq 1 100); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$out" | head -1 || true)"
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$err" >&2; fail "$what exited"; }
    sleep 0.1
  done
  [ -n "$url" ] || fail "$what printed no URL"
  printf '%s' "$url"
}

# url_port URL: the port of http://127.0.0.1:PORT/
url_port() { local p=${1##*:}; printf '%s' "${p%/}"; }
