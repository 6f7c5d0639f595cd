#!/usr/bin/env python3
"""bench/soak: the scenario blocks of a soak run.

`gen.py DEFAULT_SCENARIO OUT_DIR BLOCKS [BLOCK_S [LAUNCHES]]` writes OUT_DIR/block-K.json (K = 0 ..
BLOCKS-1): the sensors (with their clutter), nations and sharing of DEFAULT_SCENARIO,
BLOCK_S seconds each (default 28800: a scenario may last at most a day and hold at most
64 launches, so a week is 21 blocks fed one after the other with `mwx feed --t-offset
K*BLOCK_S`), epoch shifted by K*BLOCK_S, LAUNCHES (64) launches every BLOCK_S/LAUNCHES s (450 s for 8-hour
blocks) from three North Korean sites at a cycle of aims: Japanese and Korean cities and
one point in the sea (no warning expected). Consecutive aims lie more than 300 km apart,
so a warning can be attributed to its launch by time and place (analyze.py). Also writes
OUT_DIR/launches.json: every launch with its absolute scenario time and aim, and the
nation whose public must be warned (None for the sea)."""
import datetime
import json
import sys

SITES = [(39.20, 125.67), (39.17, 127.48), (39.43, 125.93)]
# (name, lat, lon, nation to warn)
AIMS = [("Matsue", 35.47, 133.05, "JP"), ("Busan", 35.18, 129.08, "KR"),
        ("Niigata", 37.90, 139.02, "JP"), ("Seoul", 37.57, 126.98, "KR"),
        ("Fukuoka", 33.59, 130.40, "JP"), ("Daejeon", 36.35, 127.38, "KR"),
        ("sea", 40.00, 131.40, None), ("Kanazawa", 36.56, 136.65, "JP"),
        ("Gwangju", 35.16, 126.85, "KR")]


def main():
    base = json.load(open(sys.argv[1]))
    out, blocks = sys.argv[2], int(sys.argv[3])
    block_s = float(sys.argv[4]) if len(sys.argv) > 4 else 28800.0
    per = int(sys.argv[5]) if len(sys.argv) > 5 else 64
    every = block_s / per
    epoch0 = datetime.datetime.fromisoformat(base["epoch"].replace("Z", "+00:00"))
    launches = []
    k = 0
    for b in range(blocks):
        sc = {key: base[key] for key in ("status", "physics", "nations", "sharing", "sensors")}
        sc["name"] = "soak-%d" % b
        sc["epoch"] = (epoch0 + datetime.timedelta(seconds=b * block_s)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        sc["duration_s"] = block_s
        sc["seed"] = 1000 + b
        sc["launches"] = []
        for i in range(per):
            t = 120.0 + i * every
            if t + 600 > block_s:  # every flight (< 10 min) ends inside its block
                break
            name, lat, lon, nation = AIMS[k % len(AIMS)]
            site = SITES[k % len(SITES)]
            lid = "B%dL%d" % (b, i)
            sc["launches"].append({"id": lid, "t_launch_s": t,
                                   "site": {"lat": site[0], "lon": site[1]},
                                   "aim": {"lat": lat, "lon": lon},
                                   "burn_time_s": 90, "ballistic_coefficient_kg_m2": 5000})
            launches.append({"id": lid, "t": b * block_s + t, "aim": [lat, lon],
                             "place": name, "warn": nation})
            k += 1
        json.dump(sc, open("%s/block-%d.json" % (out, b), "w"), indent=1)
    json.dump({"block_s": block_s, "blocks": blocks, "launches": launches},
              open("%s/launches.json" % out, "w"), indent=1)


main()
