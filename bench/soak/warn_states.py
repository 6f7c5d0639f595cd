#!/usr/bin/env python3
"""bench/soak: a node's fused track states around a duplicate alert, as the data lines of
the recorded-state warn tests (tests/warn/data/*.txt, read by tests/warn/warn_test_recorded.h):
one state a second per track (the last of each second), in time order; a track's last state
when unconfirmed is the node's report of a fused track it ended (fusion_side_effects in
src/node/node.c gives it to the warning context as an ending, LOST), written with a negative
track number.

usage: mwx cat SEGMENT... --type track | warn_states.py [--all | --arrival] PREFIX T0 T1 NUM...
  PREFIX: the fused ids' prefix (KR-F); NUM: the tracks' numbers (1048 1049 ...);
  --all: every state, not one a second; --arrival: one a second, in the order the node
  took them (a partner's report late by a minute comes after newer ones, as it did)."""
import json, sys

PH = {"boost": 0, "ballistic": 1, "impact": 2, "glide": 3, "orbit": 4}
CL = {"unknown": 0, "thrusting": 1, "ballistic": 2, "lifting": 3, "space_launch": 4,
      "stage": 5, "glide": 6}
LB = {"ballistic": 0, "boost": 1, "fit": 2}


def main():
    args = sys.argv[1:]
    every = args[:1] == ["--all"]
    arrival = args[:1] == ["--arrival"]
    args = args[1:] if every or arrival else args
    prefix, t0, t1 = args[0], float(args[1]), float(args[2])
    keep = {prefix + n: int(n) for n in args[3:]}
    last, order = {}, {}
    for k, line in enumerate(sys.stdin):
        d = json.loads(line)
        if d.get("type") == "track" and d["track_id"] in keep and t0 <= d["t"] <= t1:
            key = k if every else (d["track_id"], int(d["t"]))
            last[key], order[key] = d, k
    if every or arrival:
        rows = [last[key] for key in sorted(last, key=lambda key: order[key])]
    else:
        rows = sorted(last.values(), key=lambda d: d["t"])
    end = {d["track_id"]: i for i, d in enumerate(rows)}
    for i, d in enumerate(rows):
        num = keep[d["track_id"]]
        if end[d["track_id"]] == i and not d["confirmed"]:
            num = -num
        L, I = d.get("launch") or {}, d.get("impact") or {}
        f = [num, "%.3f" % d["t"]] + ["%.1f" % x for x in d["ecef_m"]]
        f += ["%.2f" % x for x in d["vel_mps"]]
        f += ["%.6g" % x for x in d["cov_pos_m2"] + d["cov_vel_m2s2"]]
        f += [PH[d["phase"]], CL[d["class"]], int(d["confirmed"])]
        f += ([1, "%.5f" % L["lat"], "%.5f" % L["lon"], "%.2f" % L["t"], LB[L["basis"]]]
              if L else [0] * 5)
        f += ([1, "%.5f" % I["lat"], "%.5f" % I["lon"], "%.2f" % I["t"],
               "%.2f" % I["semi_major_km"], "%.2f" % I["semi_minor_km"],
               "%.2f" % I["orientation_deg"]] if I else [0] * 7)
        f.append(",".join(d["sources"]) or "-")
        print(" ".join(map(str, f)))


main()
