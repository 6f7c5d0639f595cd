#!/usr/bin/python3
"""The chaos test's warning comparison on fixed messages (no network: about 0.1 s).
The case of the flake of issue 14 ("JP M2 impact: a series left open", seed 1, 3 of 7
runs): the impact series' Cancel came at 780 s, when its track's last record (764.6 s)
was 20 s after M2's last truth sample (744.8 s, the impact), so the message was tied to
no launch; the old comparison dropped it from the series, whose last message was then
its Alert, while the reference's Cancel (at 736 s, its track's last record at 734.8 s)
was tied to M2."""
import os
import sys

os.environ.setdefault("MWX", "mwx")  # chaos.py reads it at import; nothing is run here
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos  # noqa: E402

FAILS = 0


def expect(cond, what):
    global FAILS
    if not cond:
        FAILS += 1
        print("FAIL: " + what, file=sys.stderr)


R = {"4201"}
# (series, n, type, t, regions, launch the message's track state names)
ref = [("JP-F2.impact", 4, "Alert", 147.0, R, "M1"), ("JP-F2.impact", 21, "Cancel", 584.0, R, None),
       ("JP-F4.impact", 22, "Alert", 685.0, R, "M2"), ("JP-F4.impact", 24, "Cancel", 736.0, R, "M2")]
run = [("JP-F2.impact", 4, "Alert", 147.0, R, "M1"), ("JP-F2.impact", 21, "Cancel", 583.0, R, "M1"),
       ("JP-F7.impact", 22, "Alert", 686.0, R, "M2"), ("JP-F7.impact", 25, "Cancel", 780.0, R, None)]
wa, sa = chaos.summarize(ref)
wb, sb = chaos.summarize(run)
expect(wb[("M2", "impact")]["all_cancelled"], "M2's impact series ended by its Cancel")
expect(wb[("M2", "impact")]["last_t"] == 780.0, "M2's series ended at 780 s")
expect(wa[("M1", "impact")]["all_cancelled"], "the reference's M1 series ended")
expect(sa == 0 and sb == 0, "no message counted about no launch (%d, %d)" % (sa, sb))
bad = chaos.compare_warnings("JP", wa, wb, {"M1": 554.3, "M2": 744.8})
expect(bad == [], "the comparison passes: %s" % bad)

# a series truly left open is still found, and one about no launch is counted apart
run_open = run[:3] + [("JP-F9.impact", 1, "Alert", 300.0, R, None)]
wc, sc = chaos.summarize(run_open)
bad = chaos.compare_warnings("JP", wa, wc, {"M1": 554.3, "M2": 744.8})
expect(any("M2 impact: a series left open" in b for b in bad), "an open series found: %s" % bad)
expect(sc == 1, "a series about no launch counted (%d)" % sc)
# a series is its majority's launch (a message of it near another missile does not
# split it)
lids = chaos.series_launches([("s", 1, "M2"), ("s", 2, "M3"), ("s", 3, "M3"), ("t", 1, None)])
expect(lids == {"s": "M3", "t": None}, "series launches %s" % lids)
lids = chaos.series_launches([("s", 2, "M3"), ("s", 1, "M2")])
expect(lids == {"s": "M2"}, "a tie goes to the earliest message's launch: %s" % lids)
# a launch a link cut blinded: its first Alert 33 s late and 9 regions different are the
# cut's effect (exempt); left unwarned or open is not
R9 = {"JP-%d" % i for i in range(10, 19)}
late = [("JP-F4.overflight", 8, "Alert", 290.0, R9, "M2"),
        ("JP-F4.overflight", 20, "Cancel", 600.0, R9, "M2")]
refo = [("JP-F4.overflight", 8, "Alert", 257.0, R, "M2"),
        ("JP-F4.overflight", 20, "Cancel", 600.0, R, "M2")]
wr, _ = chaos.summarize(refo)
wl, _ = chaos.summarize(late)
expect(len(chaos.compare_warnings("JP", wr, wl, {"M2": 744.8})) == 2,
       "without a cut: late and regions differ")
expect(chaos.compare_warnings("JP", wr, wl, {"M2": 744.8}, {"M2"}) == [],
       "a cut-blinded launch: exempt")
expect(len(chaos.compare_warnings("JP", wr, {}, {"M2": 744.8}, {"M2"})) == 1,
       "a cut-blinded launch still warned")
# ... unless the node was dead or cut off when the reference sent it (its overflight Alert
# at 257 s): a heading-toward warning needs the boost's reports; not one sent after
expect(chaos.compare_warnings("JP", wr, {}, {"M2": 744.8}, {"M2"}, [(240.0, 300.0)]) == [],
       "an overflight Alert the reference sent while the node was deaf may be missing")
expect(len(chaos.compare_warnings("JP", wr, {}, {"M2": 744.8}, {"M2"}, [(100.0, 250.0)])) == 1,
       "not when it was sent after")
wi, _ = chaos.summarize([("JP-F4.impact", 8, "Alert", 257.0, R, "M2"),
                         ("JP-F4.impact", 20, "Cancel", 760.0, R, "M2")])
expect(len(chaos.compare_warnings("JP", wi, {}, {"M2": 744.8}, {"M2"}, [(240.0, 300.0)])) == 1,
       "nor an impact warning")
expect(len(chaos.compare_warnings("JP", wr, chaos.summarize(late[:1])[0], {"M2": 744.8},
                                  {"M2"})) == 1, "a cut-blinded launch's series still ended")
# the picture: a nation whose own node a fault stopped while it saw the launch may
# contribute in one picture and not the other (its tracker restarted afresh); any other
# nation's contribution must be the same
imp = {"M1": (35.097, 132.597)}
pic_ref = {n: [] for n in chaos.NATIONS}
pic_run = {n: [] for n in chaos.NATIONS}
pic_ref["KR"] = [{"id": "KR-F2", "sources": ["US"], "impact": [35.097, 132.597]}]
pic_run["KR"] = [{"id": "KR-F7", "sources": ["KR", "US"], "impact": [35.098, 132.597]}]
blinded = {n: {"M1"} for n in chaos.NATIONS}
fb, _, _ = chaos.fused_check(pic_ref, pic_run, blinded, imp, {"M1": {"KR"}})
expect(not any("sources" in b for b in fb), "KR's restarted tracker's source allowed: %s" % fb)
fb, _, _ = chaos.fused_check(pic_ref, pic_run, blinded, imp, {"M1": {"JP"}})
expect(any("sources" in b for b in fb), "another nation's source is not: %s" % fb)
fb, _, _ = chaos.fused_check(pic_ref, pic_run, {n: set() for n in chaos.NATIONS}, imp,
                             {"M1": {"KR"}})
expect(any("sources" in b for b in fb), "nor on a launch no fault blinded: %s" % fb)
if FAILS:
    raise SystemExit(1)
print("PASS")
