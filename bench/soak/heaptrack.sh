#!/bin/bash
# Run bench/soak's nodes under heaptrack: MWX=bench/soak/heaptrack.sh MWX_REAL=build/mwx
# HT_OUT=/tmp/ht bench/soak/soak.sh. `mwx node` runs with heaptrack's preload library
# writing into a fifo read by heaptrack_interpret; it is exec'ed so that the soak's kill -9
# and SIGTERM reach the node itself. One HT_OUT/ht-node-NATION-UNIXTIME.zst per process
# (heaptrack_print -f FILE; -M FILE.massif for the heap against time). Other commands run as is.
REAL=${MWX_REAL:?set MWX_REAL to the mwx binary}
LIB=${HT_LIB:-/usr/lib/heaptrack}
if [ "$1" = node ] && [ "$2" = --config ]; then
    out_dir=${HT_OUT:-/tmp/mwx-heaptrack}
    mkdir -p "$out_dir"
    n=$(basename "$3" .json)
    f=$(mktemp -u "$out_dir/fifo.XXXX")
    mkfifo "$f"
    ("$LIB/libexec/heaptrack_interpret" < "$f" | zstd -q -1 > "$out_dir/ht-$n-$(date +%s).zst"
     rm -f "$f") &
    LD_PRELOAD="$LIB/libheaptrack_preload.so" DUMP_HEAPTRACK_OUTPUT="$f" exec "$REAL" "$@"
fi
exec "$REAL" "$@"
