#!/usr/bin/env python3
"""Compare the public warnings (CAP files) of a node run disturbed by restarts with an
undisturbed run's: `warn_check.py REF_ALERTS_DIR RUN_ALERTS_DIR [--quiet]`.

Per alert series (identifier without its message number: prefix.track.kind):
  - the same series exist in both runs;
  - as many Alerts as the undisturbed run (a restart never warns afresh);
  - the series ends the same way (Cancel, all-clear or not; a restart never loses one);
  - the same regions were ever warned;
  - every Update/Cancel references the series' Alert and every earlier message it names
    exists (continuity of `references`); message numbers grow with `sent`.
With `--unchanged SNAP...` (files of "name inode mtime_ns" lines, taken when the node was
killed): every CAP file published before a restart is still the same file, never written
again (a restarted node that re-decided a message would publish it a second time, even
under the same identifier).
Exit 1 with the reasons on any difference."""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}


def load(d):
    msgs = {}
    for f in glob.glob(os.path.join(d, "*.cap.xml")):
        root = ET.parse(f).getroot()
        ident = root.findtext("c:identifier", namespaces=NS)
        if os.path.basename(f) != ident + ".cap.xml":
            raise SystemExit("FAIL: %s holds identifier %s" % (f, ident))
        refs = (root.findtext("c:references", default="", namespaces=NS) or "").split()
        info = root.find("c:info", NS)
        regions = set()
        for g in root.iterfind(".//c:area/c:geocode", NS):
            regions.add(g.findtext("c:value", namespaces=NS))
        m = re.match(r"^(.*)\.(\d+)$", ident)
        msgs[ident] = {
            "series": m.group(1),
            "n": int(m.group(2)),
            "type": root.findtext("c:msgType", namespaces=NS),
            "sent": root.findtext("c:sent", namespaces=NS),
            "refs": [r.split(",")[1] for r in refs],
            "response": info.findtext("c:responseType", namespaces=NS) if info is not None
            else None,
            "regions": regions,
        }
    return msgs


def series(msgs):
    out = {}
    for ident, m in msgs.items():
        out.setdefault(m["series"], []).append(m | {"id": ident})
    for v in out.values():
        v.sort(key=lambda m: m["n"])
    return out


def main():
    ref, run = sys.argv[1], sys.argv[2]
    quiet = "--quiet" in sys.argv
    snaps = sys.argv[sys.argv.index("--unchanged") + 1:] if "--unchanged" in sys.argv else []
    a, b = load(ref), load(run)
    sa, sb = series(a), series(b)
    errs = []
    if set(sa) != set(sb):
        errs.append("series differ: only undisturbed %s, only disturbed %s" %
                    (sorted(set(sa) - set(sb)), sorted(set(sb) - set(sa))))
    for k in sorted(set(sa) & set(sb)):
        ma, mb = sa[k], sb[k]
        na = sum(m["type"] == "Alert" for m in ma)
        nb = sum(m["type"] == "Alert" for m in mb)
        if na != nb:
            errs.append("%s: %d Alert(s), undisturbed %d" % (k, nb, na))
        la, lb = ma[-1], mb[-1]
        if (la["type"], la["response"]) != (lb["type"], lb["response"]):
            errs.append("%s: ends with %s/%s, undisturbed %s/%s" %
                        (k, lb["type"], lb["response"], la["type"], la["response"]))
        ra = set().union(*(m["regions"] for m in ma if m["type"] != "Cancel"))
        rb = set().union(*(m["regions"] for m in mb if m["type"] != "Cancel"))
        if ra != rb:
            errs.append("%s: regions warned %s, undisturbed %s" % (k, sorted(rb), sorted(ra)))
        alert = None
        for i, m in enumerate(mb):
            if m["type"] == "Alert":
                alert = m["id"]
                if m["refs"]:
                    errs.append("%s: an Alert with references" % m["id"])
                continue
            if alert is None or alert not in m["refs"]:
                errs.append("%s: %s does not reference the series' Alert" % (m["id"], m["type"]))
            for r in m["refs"]:
                if r not in b:
                    errs.append("%s references %s, which was never published" % (m["id"], r))
            if i and m["sent"] < mb[i - 1]["sent"]:
                errs.append("%s: sent %s before the previous message (%s)" %
                            (m["id"], m["sent"], mb[i - 1]["sent"]))
    n_kept = 0
    for snap in snaps:
        for line in open(snap):
            name, ino, mtime = line.split()
            try:
                st = os.stat(os.path.join(run, name))
            except FileNotFoundError:
                errs.append("%s (published before a restart) is gone" % name)
                continue
            if (st.st_ino, st.st_mtime_ns) != (int(ino), int(mtime)):
                errs.append("%s (published before a restart) was written again" % name)
            n_kept += 1
    if errs:
        for e in errs:
            print("FAIL: " + e, file=sys.stderr)
        sys.exit(1)
    if not quiet:
        print("warnings: %d series, %d messages (undisturbed %d): same Alerts, same ends, "
              "same regions, references continuous; %d files published before restarts never "
              "written again" % (len(sb), len(b), len(a), n_kept))


if __name__ == "__main__":
    main()
