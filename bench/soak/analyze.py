#!/usr/bin/env python3
"""bench/soak: the report of a soak run (soak.sh), and with --assert the short version's
pass/fail (tests/node_service/test_soak.sh).

`analyze.py DIR [--assert [--strict]] [--json OUT]`

Definitions (docs/BENCHMARKS.md, "Soak"):
- Memory and fds: per node process (one pid: a restart starts a new one), resident memory
  (VmRSS) and open fds sampled every PERIOD s. Growth = median of the last third of the
  process's samples over the median of its first third, both after its first 20 % (the
  warm-up: tracker, fusion and sent-log tables filling).
- Disk: bytes under OUTPUTS (recording set, outbox/inbox sets, warning journal, CAP files).
- Share-path latency: for every envelope a partner accepted, its inbox entry's wall time
  minus the envelope's signed send time (one machine, one clock); per scenario hour of
  the envelope (its `t`), first and last hour of the run. Recovered envelopes (by gap
  request after a restart) are in it: their latency is the outage.
- A warning series is one CAP identifier without its message number (node.track.kind).
  It is attributed to launch L when its first message was sent (scenario time) within
  [t_L, t_L + 900 s] and its predicted impact point lies within 250 km of L's aim
  (the closest such launch; consecutive aims are > 300 km apart).
  A chain is an Alert and the Updates and Cancel after it in its series (a restarted node's
  fused ids start again, so one series name may hold several chains). A chain is
  attributed by its Alert: with a predicted impact as above; a launch notice (no impact)
  to the latest launch at most 450 s before it.
- Expected alert: launch L aimed at a city of nation N (gen.py) must give node N at least
  one impact (or overflight) Alert attributed to L. A lost alert is an expected one with
  none; "lost, node down" when N was down or replaying its inbox during L's flight (no
  node warns while it is not running; at 500x a 2 s restart is 1000 s of scenario time),
  "lost after a restart" when it was back live a minute or more before L's impact.
- Duplicate public alert: per node N, launch L, kind (launch notice, impact, overflight,
  drop zone) and region R, every CAP Alert naming R beyond the first (a second siren for
  one missile; a restart that re-warned instead of continuing the chain would make one).
- Also per kind: the Alert chains beyond the first per node and launch
  (extra_alert_chains_by_kind), the (node, launch) pairs that had any, and how many of
  the extra chains came within 900 s of a restart of that node.
- Lost cancel: a chain begun by an Alert whose last message is not a Cancel although its
  predicted impact (or its last message) is more than 900 s before the end of the run.
"""
import bisect
import glob
import json
import math
import os
import re
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET
import datetime

NS = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
NATIONS = ["JP", "KR", "US"]


def ts(s):
    return datetime.datetime.fromisoformat(s).timestamp()


def km(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def dump(mwx, path):
    out = subprocess.run([mwx, "node", "--dump-log", path], capture_output=True, text=True)
    return [json.loads(x) for x in out.stdout.splitlines() if x.strip()]


def samples(d):
    rows = []
    with open(os.path.join(d, "samples.csv")) as f:
        next(f)
        for line in f:
            w, t, n, pid, rss, fds, disk, free = line.strip().split(",")
            rows.append((float(w), float(t), n, int(pid), int(rss), int(fds), int(disk), int(free)))
    return rows


def growth(rows):
    """per (nation, pid): (t0, t1, samples, rss first/last third medians, fds min/max after warm-up)"""
    by = {}
    for r in rows:
        by.setdefault((r[2], r[3]), []).append(r)
    out = []
    for (n, pid), v in sorted(by.items(), key=lambda kv: kv[1][0][0]):
        w = v[len(v) // 5:]
        if len(w) < 6:
            continue
        k = len(w) // 3
        r0 = statistics.median(x[4] for x in w[:k])
        r1 = statistics.median(x[4] for x in w[-k:])
        out.append({"nation": n, "pid": pid, "t0": v[0][1], "t1": v[-1][1], "n": len(v),
                    "rss_first_mib": r0 / 2**20, "rss_last_mib": r1 / 2**20,
                    "rss_max_mib": max(x[4] for x in w) / 2**20,
                    # fds: the middle third, not the first: a restarted process still
                    # opening its files and connections (inbox replay under load) can
                    # spend the first third of a short life starting up
                    "fds_first": statistics.median(x[5] for x in w[k:2 * k]),
                    "fds_last": statistics.median(x[5] for x in w[-k:]),
                    "fds_min": min(x[5] for x in w), "fds_max": max(x[5] for x in w)})
    return out


def cap_load(d, n, epoch0):
    msgs = []
    for f in glob.glob(os.path.join(d, "out-" + n, "alerts", "*.cap.xml")):
        root = ET.parse(f).getroot()
        ident = root.findtext("c:identifier", namespaces=NS)
        m = re.match(r"^(.*)\.(\d+)$", ident)
        params = {p.findtext("c:valueName", namespaces=NS): p.findtext("c:value", namespaces=NS)
                  for p in root.iterfind(".//c:parameter", NS)}
        regions = {g.findtext("c:value", namespaces=NS) for g in root.iterfind(".//c:area/c:geocode", NS)}
        ip = params.get("mwx:impact_point")
        it = params.get("mwx:impact_time")
        refs = (root.findtext("c:references", default="", namespaces=NS) or "").split()
        msgs.append({"series": m.group(1), "n": int(m.group(2)), "id": ident,
                     "refs": [r.split(",")[1] for r in refs if r.count(",") >= 2],
                     "type": root.findtext("c:msgType", namespaces=NS),
                     "t": ts(root.findtext("c:sent", namespaces=NS)) - epoch0,
                     "impact": tuple(map(float, ip.split(","))) if ip else None,
                     "impact_t": ts(it) - epoch0 if it else None, "regions": regions})
    return msgs


def events(d, start, speed):
    ev = []
    for line in open(os.path.join(d, "events.log")):
        w, rest = line.split(" ", 1)
        ev.append(((float(w) - start) * speed, rest.strip()))
    return ev


def down_windows(ev, t_end):
    """per nation: scenario-time intervals the node was down"""
    win = {n: [] for n in NATIONS}
    down = {}
    for t, e in ev:
        m = re.match(r"(kill -9|SIGTERM) (\w\w)\b", e)
        if m:
            down[m.group(2)] = t
        m = re.match(r"start (\w\w) ", e)
        if m and m.group(1) in down:
            win[m.group(1)].append((down.pop(m.group(1)), t))
    for n, t in down.items():
        win[n].append((t, t_end))
    return win


def main():
    d = sys.argv[1]
    check = "--assert" in sys.argv
    strict = "--strict" in sys.argv
    mwx = os.environ["MWX"]
    start, speed, block_s, blocks = map(float, open(os.path.join(d, "run.txt")).read().split())
    info = json.load(open(os.path.join(d, "launches.json")))
    sc0 = json.load(open(os.path.join(d, "block-0.json")))
    epoch0 = ts(sc0["epoch"].replace("Z", "+00:00"))
    rep = {"speed": speed, "scenario_s": blocks * block_s, "launches": len(info["launches"])}
    errs = []

    # --- process: memory, fds, disk
    rows = samples(d)
    t_end = max(r[1] for r in rows) if rows else 0
    rep["t_end_s"] = t_end
    rep["processes"] = growth(rows)
    timeline = {}
    for n in NATIONS:
        v = [r for r in rows if r[2] == n]
        if not v:
            continue
        step = max(1, len(v) // 12)
        timeline[n] = [{"t_h": round(r[1] / 3600, 2), "rss_mib": round(r[4] / 2**20, 1), "fds": r[5],
                        "disk_mib": round(r[6] / 2**20, 2)} for r in v[::step]] + \
                      [{"t_h": round(v[-1][1] / 3600, 2), "rss_mib": round(v[-1][4] / 2**20, 1),
                        "fds": v[-1][5], "disk_mib": round(v[-1][6] / 2**20, 2)}]
        rep.setdefault("disk_max_mib", {})[n] = round(max(r[6] for r in v) / 2**20, 2)
    rep["timeline"] = timeline

    # --- share-path latency
    def logs(n, k):  # the log now, and the copy soak.sh took after the first hour
        snap = os.path.join(d, f"snap-{n}.{k}.jsonl")
        old = [json.loads(x) for x in open(snap) if x.strip()] if os.path.exists(snap) else []
        return old + dump(mwx, f"{d}/out-{n}/node-{n}.{k}")

    sent = {}
    for p in NATIONS:
        for e in logs(p, "outbox"):
            sent[(p, e["seq"])] = e
    lat = {}
    for n in NATIONS:
        seen = set()
        for e in logs(n, "inbox"):
            if (e["origin"], e["seq"]) in seen:
                continue
            seen.add((e["origin"], e["seq"]))
            s = sent.get((e["origin"], e["seq"]))
            if not s or e["type"] != "track":
                continue
            lat.setdefault(int(s["t"] // 3600), []).append(e["logged_unix_s"] - e["sent_unix_s"])
    hours = sorted(lat)
    if hours:
        h0, h1 = hours[0], hours[-1]
        rep["latency_ms"] = {
            "first_hour": {"hour": h0, "n": len(lat[h0]), "p50": 1e3 * pct(lat[h0], 50), "p99": 1e3 * pct(lat[h0], 99)},
            "last_hour": {"hour": h1, "n": len(lat[h1]), "p50": 1e3 * pct(lat[h1], 50), "p99": 1e3 * pct(lat[h1], 99)},
            "all": {"n": sum(len(v) for v in lat.values()),
                    "p50": 1e3 * pct([x for v in lat.values() for x in v], 50),
                    "p99": 1e3 * pct([x for v in lat.values() for x in v], 99)}}

    # --- gap recovery from a rotated outbox: JP envelopes KR accepted more than 1 s
    # after they were sent (recovered), that lie in a closed segment of JP's outbox
    closed = set()
    for seg in glob.glob(f"{d}/out-JP/node-JP.outbox.[0-9]*"):
        for e in dump(mwx, seg):
            closed.add(e["seq"])
    recovered = [e for e in dump(mwx, f"{d}/out-KR/node-KR.inbox")
                 if e["origin"] == "JP" and e["logged_unix_s"] - e["sent_unix_s"] > 1.0]
    rep["gap_recovery"] = {"jp_outbox_closed_segments": len(glob.glob(f"{d}/out-JP/node-JP.outbox.[0-9]*")),
                           "kr_recovered_from_jp": len(recovered),
                           "of_them_in_closed_segments": sum(e["seq"] in closed for e in recovered)}

    # --- public warnings
    ev = events(d, start, speed)
    down = down_windows(ev, t_end)
    # a restarted node replays its inbox before it tracks again: counted as down until its
    # "live:" log line; without it, 2 s of wall time
    catch_up = 2.0 * speed
    rep["down_windows_s"] = down
    launches = info["launches"]
    att = {}
    alerts = {"chains": 0, "unattributed": 0, "duplicates": 0, "lost": 0, "lost_node_down": 0,
              "lost_after_restart": 0,
              "lost_cancels": 0, "expected": 0, "alerts": 0}
    dup_list, lost_list, lc_list = [], [], []
    for n in NATIONS:
        msgs = sorted(cap_load(d, n, epoch0), key=lambda m: m["n"])
        alerts["alerts"] += sum(m["type"] == "Alert" for m in msgs)
        # chains: an Alert starts one, the Updates and the Cancel after it (same series)
        # continue it; message numbers count up across a node's messages, restarts too
        # (by `references`: a restarted node's fused ids start again, so two chains may
        # share a series name)
        cur, chains, of = {}, [], {}
        for m in msgs:
            ch = of.get(m["refs"][0]) if m["type"] != "Alert" and m["refs"] else None
            if ch is None and m["type"] != "Alert":
                ch = cur.get(m["series"])
            if ch is None:
                ch = []
                chains.append(ch)
            ch.append(m)
            cur[m["series"]] = ch
            of[m["id"]] = ch
        for v in chains:
            alerts["chains"] += 1
            head = v[0]
            kind = head["series"].rsplit(".", 1)[-1]
            best = None
            for L in launches:
                if head["impact"]:
                    if L["t"] <= head["t"] <= L["t"] + 900:
                        dist = km(head["impact"], L["aim"])
                        if dist <= 250 and (best is None or dist < best[0]):
                            best = (dist, L["id"])
                elif L["t"] <= head["t"] <= L["t"] + 450:
                    if best is None or L["t"] > best[0]:  # the latest launch before it
                        best = (L["t"], L["id"])
            if best is None:
                alerts["unattributed"] += 1
            else:
                att.setdefault((n, best[1]), []).append((kind, v))
            end_t = head["impact_t"] if head["impact_t"] is not None else v[-1]["t"]
            if head["type"] == "Alert" and v[-1]["type"] != "Cancel" and end_t < t_end - 900:
                alerts["lost_cancels"] += 1
                lc_list.append("%s %s.%d ends %s" % (n, head["series"], head["n"], v[-1]["type"]))
    for L in launches:
        for n in NATIONS:
            per_region = {}
            for kind, v in att.get((n, L["id"]), []):
                for m in v:
                    if m["type"] == "Alert":
                        for r in m["regions"]:
                            per_region[(kind, r)] = per_region.get((kind, r), 0) + 1
            kinds = {}
            for kind, v in att.get((n, L["id"]), []):
                if v[0]["type"] == "Alert":
                    kinds[kind] = kinds.get(kind, 0) + 1
            near = any(a - 900 < L["t"] < b + 900 for a, b in down[n])
            for kind, c in kinds.items():
                if c > 1 and near:
                    nk = alerts.setdefault("extra_alert_chains_near_a_restart_by_kind", {})
                    nk[kind] = nk.get(kind, 0) + c - 1
                if c > 1:
                    ek = alerts.setdefault("extra_alert_chains_by_kind", {})
                    ek[kind] = ek.get(kind, 0) + c - 1
                    pk = alerts.setdefault("launch_node_pairs_with_extra_chains_by_kind", {})
                    pk[kind] = pk.get(kind, 0) + 1
            dups = sum(c - 1 for c in per_region.values() if c > 1)
            if dups:
                alerts["duplicates"] += dups
                dup_list.append("%s %s (t %.0f s): %s" % (
                    n, L["id"], L["t"], {"%s %s" % k: c for k, c in per_region.items() if c > 1}))
            if L["warn"] == n:
                if L["t"] + 600 > t_end:
                    continue  # its flight was not over when the run stopped
                alerts["expected"] += 1
                if not any(k[0] != "launch" for k in per_region):
                    # down, or catching up after a restart (inbox replay), during its flight
                    was_down = any(a < L["t"] + 600 and b + catch_up > L["t"] for a, b in down[n])
                    # ... but back a minute or more before its impact (as the other nodes
                    # predicted it; else 600 s after the launch): it had time to warn (the
                    # week soak at 8d869f1: JP, live 237 s after B4L13's launch, never
                    # warned Fukuoka). Counted apart; asserted with --strict only
                    t_imp = [m["impact_t"] for n2 in NATIONS for _, v in att.get((n2, L["id"]), [])
                             for m in v if m["impact_t"] is not None]
                    t_imp = sorted(t_imp)[len(t_imp) // 2] if t_imp else L["t"] + 600
                    back = max((b + catch_up for a, b in down[n] if a < L["t"] + 600
                                and b + catch_up > L["t"]), default=None)
                    after = was_down and back is not None and back < t_imp - 60
                    alerts["lost_after_restart" if after else
                           "lost_node_down" if was_down else "lost"] += 1
                    lost_list.append("%s %s %s (t %.0f s)%s" % (
                        n, L["id"], L["place"], L["t"],
                        " back %.0f s before its impact" % (t_imp - back) if after else
                        " node down" if was_down else ""))
    rep["alerts"] = alerts
    rep["duplicate_list"] = dup_list[:50]
    rep["lost_list"] = lost_list[:50]
    rep["lost_cancel_list"] = lc_list[:50]

    # --- feeds: late or refused measurements (a sign the machine did not keep up)
    drops = {}
    for n in NATIONS:
        last = None
        for line in open(os.path.join(d, f"node-{n}.log")):
            if "sensor feed: dropped" in line:
                last = line.strip()
        drops[n] = last[last.index("sensor feed"):] if last else "none"
    rep["feed_drops_last_log"] = drops
    # every process's last count, summed (a restarted node counts from 0 again)
    total = {}
    for n in NATIONS:
        tot, prev = 0, 0
        for line in open(os.path.join(d, f"node-{n}.log")):
            m = re.search(r"sensor feed: dropped (\d+) measurement", line)
            if not m:
                m = re.search(r"sensor feed: \d+ received, (\d+) malformed or not ours, (\d+) late, "
                              r"(\d+) ahead of the clock, (\d+) queue full", line)
                if not m:
                    continue
                k = sum(int(x) for x in m.groups())
            else:
                k = int(m.group(1))
            if k < prev:
                tot += prev
            prev = k
        total[n] = tot + prev
    rep["feed_drops_total"] = total

    # --- CPU (sample.py's cpu.csv): seconds per process name, summed over its pids (each
    # pid's last sample), and per scenario hour of the run
    cpu_path = os.path.join(d, "cpu.csv")
    if os.path.exists(cpu_path):
        last = {}
        with open(cpu_path) as f:
            next(f)
            for line in f:
                w, t, name, pid, c = line.strip().split(",")
                last[(name, int(pid))] = float(c)
        cpu = {}
        for (name, _), c in last.items():
            cpu[name] = cpu.get(name, 0.0) + c
        hours = max(t_end, 1.0) / 3600
        rep["cpu_s"] = {k: round(v, 1) for k, v in sorted(cpu.items())}
        rep["cpu_s_per_scenario_h"] = {k: round(v / hours, 2) for k, v in sorted(cpu.items())}

    if "--json" in sys.argv:
        json.dump(rep, open(sys.argv[sys.argv.index("--json") + 1], "w"), indent=1)
    print(json.dumps(rep, indent=1))

    if check:
        # Memory: a process's resident memory may grow by 25 % + 8 MiB from its first to
        # its last third after warm-up. A leak of one record or envelope per scan would
        # grow it without bound; the allowance covers malloc arena growth and the tables
        # (fusion, sent log of 8192 envelopes, replay windows) still filling in a short run.
        for p in rep["processes"]:
            if p["rss_last_mib"] > 1.25 * p["rss_first_mib"] + 8:
                errs.append("%s pid %d: resident memory %.1f MiB -> %.1f MiB" % (
                    p["nation"], p["pid"], p["rss_first_mib"], p["rss_last_mib"]))
            # fds: the median of the last third at most 2 above the middle third's, and no
            # sample more than 4 above it (a compaction's two files, a directory fsync, an
            # HTTP connection may be open at a sample; a process shutting down has fewer).
            # A leak per rotation, reconnect or gap request climbs beyond that.
            if p["fds_last"] > p["fds_first"] + 2 or p["fds_max"] > p["fds_first"] + 4:
                errs.append("%s pid %d: open fds %g -> %g (max %d)" % (
                    p["nation"], p["pid"], p["fds_first"], p["fds_last"], p["fds_max"]))
        if not any(p["t1"] - p["t0"] > 0 for p in rep["processes"]):
            errs.append("no process sampled long enough")
        if alerts["lost"]:
            errs.append("lost alerts: %s" % lost_list)
        # Duplicates and lost cancels: asserted with --strict only. bench/soak found that a
        # node restarted on a live feed can warn a threat a second time and leave the first
        # chain without its Cancel (docs/BENCHMARKS.md, "Soak"), and that launch notices
        # flap with or without restarts; both live in the warning context (src/warn), not
        # fixed here. The counts are printed either way.
        if strict and alerts["duplicates"]:
            errs.append("duplicate public alerts: %s" % dup_list)
        if strict and alerts["lost_after_restart"]:
            errs.append("alerts lost by a node back in time to warn: %s" % lost_list)
        if strict and alerts["lost_cancels"]:
            errs.append("lost cancels: %s" % lc_list)
        if alerts["expected"] == 0:
            errs.append("no alert was expected: the run is too short to test anything")
        g = rep["gap_recovery"]
        if g["of_them_in_closed_segments"] == 0:
            errs.append("KR recovered no JP envelope from a rotated outbox segment: %s" % g)
        for e in errs:
            print("FAIL:", e, file=sys.stderr)
        sys.exit(1 if errs else 0)


main()
