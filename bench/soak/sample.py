#!/usr/bin/env python3
"""bench/soak: sample every node's process while the soak runs.

`sample.py DIR PERIOD_S START_UNIX SPEED` appends to DIR/samples.csv, every PERIOD_S:
wall time, scenario time ((wall - START_UNIX) * SPEED), nation, resident memory (bytes,
/proc/PID/status VmRSS), open fds (/proc/PID/fd), bytes under the node's outputs (du),
free bytes of that file system. The node's current pid is DIR/pid-NATION (soak.sh
rewrites it at each restart); a node that is down is not sampled. Stops when DIR/stop
exists."""
import os
import sys
import time

d, period, start, speed = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


with open(os.path.join(d, "samples.csv"), "a") as out:
    if out.tell() == 0:
        out.write("wall,t,nation,pid,rss,fds,disk,free\n")
    while not os.path.exists(os.path.join(d, "stop")):
        now = time.time()
        for n in ("JP", "KR", "US"):
            try:
                pid = int(open(os.path.join(d, "pid-" + n)).read())
                rss = 0
                for line in open("/proc/%d/status" % pid):
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1]) * 1024
                fds = len(os.listdir("/proc/%d/fd" % pid))
            except (OSError, ValueError):
                continue
            outd = os.path.join(d, "out-" + n)
            st = os.statvfs(outd) if os.path.isdir(outd) else None
            out.write("%.2f,%.1f,%s,%d,%d,%d,%d,%d\n" % (
                now, (now - start) * speed, n, pid, rss, fds, du(outd),
                st.f_bavail * st.f_frsize if st else -1))
        out.flush()
        time.sleep(max(0.0, period - (time.time() - now)))
