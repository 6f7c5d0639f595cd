#!/usr/bin/env python3
"""Feed drops of a bench/soak run by cause (issue 17): each node's log reports its late and
refused measurements cumulatively per process ("dropped N measurement(s) so far", and the
totals when it stops); each increment is put where it was reported:

  bus      within BUS_S wall seconds after the nats-server was killed (its restart: the
           measurements published meanwhile reach the node late or not at all: expected),
  start    within START_S after this node process started (first start or restart: its
           replay and catch-up),
  steady   anywhere else: the node did not keep up with its feed (CPU, scheduling).

The node's warnings are rate-limited: an increment is dated by the report that shows it.
Usage: drop_causes.py SOAK_DIR [BUS_S [START_S]]   (defaults 20 and 30)"""
import re
import sys
from datetime import datetime


def wall(s):
    return datetime.fromisoformat(s).timestamp()


def main():
    d = sys.argv[1]
    bus_s = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    start_s = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
    starts, kills_nats = {}, []
    for line in open(d + "/events.log"):
        p = line.split()
        if len(p) >= 3 and p[1] == "start":
            starts.setdefault(p[2], []).append(float(p[0]))
        if "kill" in line and "nats-server" in line:
            kills_nats.append(float(p[0]))
    tot = {}
    for n in sorted(starts):
        cause = {"bus": 0, "start": 0, "steady": 0}
        last = {}  # process start -> its last cumulative count
        for line in open("%s/node-%s.log" % (d, n)):
            m = re.match(r"(\S+) mwx node \S+: (?:warning: )?sensor feed: (?:dropped \d+ measurement\(s\) so far|\d+ received): \d+ malformed or not ours, (\d+) late, \d+ ahead of the clock, (\d+) queue full", line)
            if not m:
                continue
            t = wall(m.group(1))
            c = int(m.group(2)) + int(m.group(3))
            p0 = max([s for s in starts[n] if s <= t] or [0])
            inc = c - last.get(p0, 0)
            last[p0] = c
            if inc <= 0:
                continue
            if any(0 <= t - k <= bus_s for k in kills_nats):
                cause["bus"] += inc
            elif t - p0 <= start_s:
                cause["start"] += inc
            else:
                cause["steady"] += inc
        tot[n] = cause
        print("%s: bus %d, start %d, steady %d (total %d)" % (n, cause["bus"], cause["start"], cause["steady"], sum(cause.values())))
    print("all: " + ", ".join("%s %d" % (k, sum(c[k] for c in tot.values())) for k in ("bus", "start", "steady")))


main()
