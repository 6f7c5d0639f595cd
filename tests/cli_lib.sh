# Sourced by the command-line tests: a private work folder $dir (removed on exit),
# fail() that counts failures in $fails, and expect() that runs mwx and checks its exit
# status and a substring of its stderr. The caller sets `set -u` and names the test:
#   test_name=sim_cli; . "$MWX_SOURCE_DIR/tests/cli_lib.sh"
: "${MWX:?}" "${MWX_SOURCE_DIR:?}" "${MWX_TMPDIR:?}" "${test_name:?}"
dir="$MWX_TMPDIR/$test_name.$$"
rm -rf "$dir"; mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# expect STATUS SUBSTRING -- ARGS...: run mwx, check exit status and stderr text
expect() {
  local want=$1 text=$2; shift 3
  "$MWX" "$@" >"$dir/out" 2>"$dir/err"; local got=$?
  [ "$got" -eq "$want" ] || fail "mwx $*: exit $got, wanted $want: $(cat "$dir/err")"
  if [ -n "$text" ] && ! grep -qF -- "$text" "$dir/err"; then
    fail "mwx $*: stderr lacks '$text': $(cat "$dir/err")"
  fi
}
