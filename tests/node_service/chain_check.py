#!/usr/bin/env python3
"""Public warning chains of one node, by threat: `chain_check.py RUN_ALERTS [REF_ALERTS]
[--quiet] [--unchanged SNAP...]`.

A chain is an Alert and the Updates and Cancel that reference it (by `references`, not
by series name: a restarted node's tracks may have other ids). The scenarios of the
tests hold one launch, so every chain of one kind (launch, impact, overflight,
dropzone) warns of the same threat, and per kind:
  - duplicate Alerts: the chains beyond one (a second siren for one missile: a restart
    that warned afresh, or a notice cancelled and issued again as tracks flicker);
  - lost Cancels: chains whose last message is not a Cancel;
  - broken references: an Update or Cancel naming no Alert of this node, or a message
    that was never published.
With REF_ALERTS (an undisturbed run): every kind the undisturbed run warned of must be
warned of too, except the overflight of the boost fan, which a node down or rebuilding
its track during the boost cannot give (the regions ever warned per kind are printed).
With `--unchanged SNAP...` (files of "name inode mtime_ns" lines, taken when the node was
stopped): every CAP file published before a restart is still the same file.
Prints the counts; exit 1 when any duplicate, lost Cancel or broken reference is found,
or a kind differs from the reference."""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}


def load(d):
    msgs = []
    for f in glob.glob(os.path.join(d, "*.cap.xml")):
        root = ET.parse(f).getroot()
        ident = root.findtext("c:identifier", namespaces=NS)
        refs = (root.findtext("c:references", default="", namespaces=NS) or "").split()
        m = re.match(r"^(.*)\.([a-z_]+)\.(\d+)$", ident)
        msgs.append({
            "id": ident, "kind": m.group(2), "n": int(m.group(3)),
            "type": root.findtext("c:msgType", namespaces=NS),
            "refs": [r.split(",")[1] for r in refs if r.count(",") >= 2],
            "regions": {g.findtext("c:value", namespaces=NS)
                        for g in root.iterfind(".//c:area/c:geocode", NS)},
        })
    msgs.sort(key=lambda m: m["n"])
    return msgs


def chains(msgs):
    """kind -> list of chains (lists of messages); errors"""
    of, out, errs = {}, {}, []
    ids = {m["id"] for m in msgs}
    for m in msgs:
        if m["type"] == "Alert":
            ch = [m]
            out.setdefault(m["kind"], []).append(ch)
        else:
            heads = [r for r in m["refs"] if r in of]
            if not heads:
                errs.append("%s (%s) references no Alert of this node" % (m["id"], m["type"]))
                continue
            ch = of[heads[0]]
            ch.append(m)
        for r in m["refs"]:
            if r not in ids:
                errs.append("%s references %s, never published" % (m["id"], r))
        of[m["id"]] = ch
    return out, errs


def summary(msgs):
    ch, errs = chains(msgs)
    res = {}
    for kind, v in ch.items():
        res[kind] = {
            "chains": len(v),
            "duplicates": len(v) - 1,
            "lost_cancels": sum(c[-1]["type"] != "Cancel" for c in v),
            "regions": set().union(*(m["regions"] for c in v for m in c if m["type"] != "Cancel")),
            "open": [c[0]["id"] for c in v if c[-1]["type"] != "Cancel"],
            "heads": [c[0]["id"] for c in v],
        }
    return res, errs


def main():
    argv = sys.argv[1:]
    snaps = argv[argv.index("--unchanged") + 1:] if "--unchanged" in argv else []
    if snaps:
        argv = argv[:argv.index("--unchanged")]
    args = [a for a in argv if not a.startswith("--")]
    quiet = "--quiet" in argv
    run, errs = summary(load(args[0]))
    dup = sum(v["duplicates"] for v in run.values())
    lost = sum(v["lost_cancels"] for v in run.values())
    for kind, v in sorted(run.items()):
        if v["duplicates"]:
            errs.append("%s: %d duplicate Alert(s): chains %s" % (kind, v["duplicates"], v["heads"]))
        if v["lost_cancels"]:
            errs.append("%s: %d chain(s) without their Cancel: %s" % (kind, v["lost_cancels"], v["open"]))
    if len(args) > 1:
        ref, _ = summary(load(args[1]))
        missing = set(ref) - set(run) - {"overflight"}
        if missing:
            errs.append("kinds warned %s, undisturbed %s" % (sorted(run), sorted(ref)))
        for kind in sorted(set(ref) & set(run)):
            if ref[kind]["regions"] != run[kind]["regions"] and not quiet:
                print("%s: regions warned %s, undisturbed %s" % (
                    kind, sorted(run[kind]["regions"]), sorted(ref[kind]["regions"])))
    for snap in snaps:
        for line in open(snap):
            name, ino, mtime = line.split()
            try:
                st = os.stat(os.path.join(args[0], name))
            except FileNotFoundError:
                errs.append("%s (published before a restart) is gone" % name)
                continue
            if (st.st_ino, st.st_mtime_ns) != (int(ino), int(mtime)):
                errs.append("%s (published before a restart) was written again" % name)
    if not quiet or errs:
        print("chains: %s; duplicate Alerts %d, lost Cancels %d" % (
            ", ".join("%s %d" % (k, v["chains"]) for k, v in sorted(run.items())), dup, lost))
    for e in errs:
        print("FAIL: " + e, file=sys.stderr)
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
