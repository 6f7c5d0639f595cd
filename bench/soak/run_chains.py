#!/usr/bin/env python3
"""bench/soak: the Alert chains and duplicate public alerts of a `mwx run` of a soak block,
by analyze.py's definitions (chains by `references`, attributed to a launch by time and
predicted impact point; a duplicate = per node, launch, kind and region, every Alert beyond
the first), without the bus: `mwx run` is deterministic, so a duplicate it shows can be
traced in its recording (docs/BENCHMARKS.md, "Soak").

usage: run_chains.py RUN_DIR SCENARIO.json   (RUN_DIR/alerts/*.cap.xml; a soak node's
       OUTPUTS directory works too). Prints each (node, launch, kind) with more than one
       chain, its messages, then the totals as JSON."""
import sys, os, glob, re, json, math, datetime
import xml.etree.ElementTree as ET
NS = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
def ts(s): return datetime.datetime.fromisoformat(s).timestamp()
def km(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))
d, scn = sys.argv[1], json.load(open(sys.argv[2]))
epoch0 = ts(scn["epoch"].replace("Z", "+00:00"))
launches = [{"id": L["id"], "t": L["t_launch_s"], "aim": [L["aim"]["lat"], L["aim"]["lon"]]} for L in scn["launches"]]
msgs = {}
for f in glob.glob(os.path.join(d, "alerts", "*.cap.xml")):
    root = ET.parse(f).getroot()
    ident = root.findtext("c:identifier", namespaces=NS)
    m = re.match(r"^(.*)\.(\d+)$", ident)
    node = ident.split(".")[1]
    params = {p.findtext("c:valueName", namespaces=NS): p.findtext("c:value", namespaces=NS) for p in root.iterfind(".//c:parameter", NS)}
    regions = {g.findtext("c:value", namespaces=NS) for g in root.iterfind(".//c:area/c:geocode", NS)}
    ip = params.get("mwx:impact_point"); it = params.get("mwx:impact_time")
    refs = (root.findtext("c:references", default="", namespaces=NS) or "").split()
    msgs.setdefault(node, []).append({"series": m.group(1), "n": int(m.group(2)), "id": ident, "file": os.path.basename(f),
        "refs": [r.split(",")[1] for r in refs if r.count(",") >= 2], "type": root.findtext("c:msgType", namespaces=NS),
        "t": ts(root.findtext("c:sent", namespaces=NS)) - epoch0, "track": params.get("mwx:track_id"),
        "impact": tuple(map(float, ip.split(","))) if ip else None,
        "impact_t": ts(it) - epoch0 if it else None, "regions": regions})
att = {}
tot = {"chains": 0, "dup_regions": 0, "extra_chains": {}}
for n, ms in sorted(msgs.items()):
    ms.sort(key=lambda m: m["n"])
    cur, chains, of = {}, [], {}
    for m in ms:
        ch = of.get(m["refs"][0]) if m["type"] != "Alert" and m["refs"] else None
        if ch is None and m["type"] != "Alert": ch = cur.get(m["series"])
        if ch is None: ch = []; chains.append(ch)
        ch.append(m); cur[m["series"]] = ch; of[m["id"]] = ch
    for v in chains:
        tot["chains"] += 1
        head = v[0]; kind = head["series"].rsplit(".", 1)[-1]; best = None
        for L in launches:
            if head["impact"]:
                if L["t"] <= head["t"] <= L["t"] + 900:
                    dist = km(head["impact"], L["aim"])
                    if dist <= 250 and (best is None or dist < best[0]): best = (dist, L["id"])
            elif L["t"] <= head["t"] <= L["t"] + 450:
                if best is None or L["t"] > best[0]: best = (L["t"], L["id"])
        if best: att.setdefault((n, best[1]), []).append((kind, v))
for (n, lid), lst in sorted(att.items()):
    per_region, kinds = {}, {}
    for kind, v in lst:
        for m in v:
            if m["type"] == "Alert":
                for r in m["regions"]: per_region[(kind, r)] = per_region.get((kind, r), 0) + 1
        if v[0]["type"] == "Alert": kinds[kind] = kinds.get(kind, 0) + 1
    dups = sum(c - 1 for c in per_region.values() if c > 1)
    tot["dup_regions"] += dups
    for kind, c in kinds.items():
        if c > 1:
            tot["extra_chains"][kind] = tot["extra_chains"].get(kind, 0) + c - 1
            print("%s %s %s: %d chains" % (n, lid, kind, c))
            for k2, v in lst:
                if k2 == kind:
                    print("   ", " | ".join("%s %s t=%.1f trk=%s n=%d" % (m["type"], m["series"].split(".", 2)[2], m["t"], m["track"], len(m["regions"])) for m in v))
print(json.dumps(tot))
