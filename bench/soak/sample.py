#!/usr/bin/env python3
"""bench/soak: sample every node's process while the soak runs.

`sample.py DIR PERIOD_S START_UNIX SPEED` appends to DIR/samples.csv, every PERIOD_S:
wall time, scenario time ((wall - START_UNIX) * SPEED), nation, resident memory (bytes,
/proc/PID/status VmRSS), open fds (/proc/PID/fd), bytes under the node's outputs (du),
free bytes of that file system. The node's current pid is DIR/pid-NATION (soak.sh
rewrites it at each restart); a node that is down is not sampled. Also appends to
DIR/cpu.csv the CPU time (user + system, /proc/PID/stat) of every node, of the running
feed of each nation (DIR/feedpid-NATION) and of the nats-server (DIR/pid-nats): a
process's CPU is its last sample (at most PERIOD_S short). Stops when DIR/stop exists."""
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


TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """user + system CPU seconds of pid (fields 14 and 15 of /proc/PID/stat)"""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    v = st[st.rindex(")") + 2:].split()
    return (int(v[11]) + int(v[12])) / TICK


with open(os.path.join(d, "samples.csv"), "a") as out, \
        open(os.path.join(d, "cpu.csv"), "a") as cpu:
    if out.tell() == 0:
        out.write("wall,t,nation,pid,rss,fds,disk,free\n")
    if cpu.tell() == 0:
        cpu.write("wall,t,name,pid,cpu_s\n")
    while not os.path.exists(os.path.join(d, "stop")):
        now = time.time()
        for name, f in [("node-" + n, "pid-" + n) for n in ("JP", "KR", "US")] + \
                [("feed-" + n, "feedpid-" + n) for n in ("JP", "KR", "US")] + [("nats", "pid-nats")]:
            try:
                pid = int(open(os.path.join(d, f)).read())
                cpu.write("%.2f,%.1f,%s,%d,%.2f\n" % (now, (now - start) * speed, name, pid,
                                                     cpu_s(pid)))
            except (OSError, ValueError, IndexError):
                continue
        cpu.flush()
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
