#!/usr/bin/python3
"""Chaos test of the sharing network (issue 14): a hub nats-server, one leaf server per
nation (JP, KR, US), three `mwx node`s on live sensor feeds (`mwx feed`), all on
loopback, configured by `mwx nats-config --hub-leaf`. Each leaf reaches the hub through a
small TCP proxy of this script, so a leaf's link can be cut while both servers run.

Two copies of the topology run side by side on one scenario clock: the reference, left
alone, and the chaos run, which gets faults drawn at random from a seed:
  node      kill -9 of a node, restarted 1-5 s later;
  hub       kill -9 of the hub, restarted 1-5 s later;
  leaf      kill -9 of a nation's leaf server, restarted 1-4 s later;
  link      a leaf's link to the hub cut (the proxy closes it and refuses new ones) for
            10-15 s (longer runs: 10-40 s).
Checks (each a failure when broken):
  - every envelope a node had accepted when it was killed (its inbox at that moment) is
    in its final recording exactly once;
  - per node and partner, the envelopes accepted are exactly the partner's outbox
    entries labelled for the node, each once (a seq never sent is the only gap allowed:
    a declared one);
  - the final fused picture equals the reference's: per node, the same launches with the
    same contributing nations; a launch no fault blinded has its impact point within 1 m
    of the reference's; one seen by a nation whose sensor feed was lost for a while (its
    node or its leaf down while it tracked the missile: a live feed is not replayed) is
    held to the truth instead (see fused_check);
  - the warnings are the same: per node, the same series (kind, regions ever warned),
    exactly one Alert each, and every series the reference cancels is cancelled.
Prints the counts: faults, envelopes, gap recoveries, time to converge.

Environment: MWX (the binary), MWX_TMPDIR; CHAOS_SEED (default 1), CHAOS_SECONDS (the
scenario's wall duration: the speed is chosen to fit it; default 60), CHAOS_FAULTS
(default: one per 10 s of run), CHAOS_TLS=1 (mutual TLS: needs `mwx nats-config --tls`),
CHAOS_KEEP=1 (keep the folders).
"""
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "node_service"))
import check  # noqa: E402  (the sequence and picture checks of the node service tests)
import warn_check  # noqa: E402

MWX = os.environ["MWX"]
NATIONS = ["JP", "KR", "US"]
LOG = []


def say(msg):
    line = "chaos: " + msg
    print(line, flush=True)
    LOG.append(line)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    raise SystemExit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def port_open(p):
    try:
        socket.create_connection(("127.0.0.1", p), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_for(seconds, cond, what):
    end = time.time() + seconds
    while not cond():
        if time.time() > end:
            fail("timed out (%d s) waiting for %s" % (seconds, what))
        time.sleep(0.1)


def mwx_lines(args):
    out = subprocess.run([MWX] + args, check=True, capture_output=True, text=True).stdout
    return [json.loads(x) for x in out.splitlines() if x.strip()]


class Proxy:
    """A TCP proxy from a leaf to the hub's leafnode port. cut() closes every connection
    and refuses new ones until mend(): the leaf sees its link go and retries."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = []
        self.down = False
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            with self.lock:
                if self.down:
                    c.close()
                    continue
            try:
                u = socket.create_connection(("127.0.0.1", self.upstream), timeout=2)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            self.down = True
            self.cuts += 1
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.conns = []

    def mend(self):
        with self.lock:
            self.down = False


class Net:
    """One copy of the topology in folder d."""

    def __init__(self, name, d, keys, scenario, speed, tls):
        self.name, self.d, self.speed, self.tls = name, d, speed, tls
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        shutil.copytree(keys, os.path.join(d, "keys"))
        shutil.copy(scenario, os.path.join(d, "scenario.json"))
        self.hub_port, self.leaf_listen = free_port(), free_port()
        args = [MWX, "nats-config", "scenario.json", "-o", "nats", "--hub-leaf",
                "--port", "4222", "--leaf-port", "7422"]
        if tls:
            args.append("--tls")
        subprocess.run(args, cwd=d, check=True, capture_output=True)
        self.proxy = {n: Proxy(self.leaf_listen) for n in NATIONS}
        self.leaf_port = {n: free_port() for n in NATIONS}
        # the ports of this run: the hub's, its leafnode port, each leaf's client port,
        # and each leaf's remote through its proxy
        hub = open(os.path.join(d, "nats", "hub.conf")).read()
        hub = hub.replace('listen: "127.0.0.1:4222"', 'listen: "127.0.0.1:%d"' % self.hub_port)
        hub = hub.replace('listen: "127.0.0.1:7422"', 'listen: "127.0.0.1:%d"' % self.leaf_listen)
        open(os.path.join(d, "hub.conf"), "w").write(hub)
        for i, n in enumerate(NATIONS):
            c = open(os.path.join(d, "nats", "leaf-%s.conf" % n)).read()
            c = c.replace('listen: "127.0.0.1:%d"' % (4222 + 1 + i),
                          'listen: "127.0.0.1:%d"' % self.leaf_port[n])
            c = c.replace("@127.0.0.1:7422", "@127.0.0.1:%d" % self.proxy[n].port)
            if str(self.leaf_port[n]) not in c or str(self.proxy[n].port) not in c:
                fail("nats-config's leaf-%s.conf has not the expected listen/remote lines" % n)
            open(os.path.join(d, "leaf-%s.conf" % n), "w").write(c)
        self.servers = {}   # "hub" / "leaf-JP" -> Popen
        self.nodes, self.feeds = {}, {}
        self.starts = {n: 0 for n in NATIONS}

    def url(self, n):
        return ("tls" if self.tls else "nats") + "://127.0.0.1:%d" % self.leaf_port[n]

    def start_server(self, which):
        conf = "hub.conf" if which == "hub" else which + ".conf"
        port = self.hub_port if which == "hub" else self.leaf_port[which[5:]]
        log = open(os.path.join(self.d, which + ".log"), "a")
        for _ in range(50):  # a killed server's port may linger a moment
            p = subprocess.Popen(["nats-server", "-c", conf], cwd=self.d, stdout=log,
                                 stderr=subprocess.STDOUT)
            end = time.time() + 10
            while time.time() < end and p.poll() is None and not port_open(port):
                time.sleep(0.05)
            if p.poll() is None and port_open(port):
                self.servers[which] = p
                return
            p.kill()
            p.wait()
            time.sleep(0.2)
        fail("%s: %s would not start" % (self.name, which))

    def kill_server(self, which):
        p = self.servers.pop(which)
        p.kill()
        p.wait()

    def node_config(self, n, start_unix):
        cfg = {"nation": n, "bus": self.url(n), "key": "keys/%s.key" % n,
               "trust": {m: "keys/%s.pub" % m for m in NATIONS},
               "sensors": "scenario.json", "outputs": "out-" + n,
               "creds": "nats/%s.creds" % n, "feed": "bus", "speed": self.speed,
               "start_unix": start_unix}
        if self.tls:  # the files of `mwx nats-config --tls` (issue 14, TLS section)
            cfg["tls"] = {"ca": "nats/ca.pem", "cert": "nats/%s.pem" % n,
                          "key": "nats/%s.key" % n}
        json.dump(cfg, open(os.path.join(self.d, "node-%s.json" % n), "w"))

    def start_node(self, n):
        log = open(os.path.join(self.d, "node-%s.log" % n), "a")
        self.nodes[n] = subprocess.Popen([MWX, "node", "--config", "node-%s.json" % n],
                                         cwd=self.d, stdout=log, stderr=subprocess.STDOUT)
        self.starts[n] += 1

    def start_feed(self, n, start_unix):
        log = open(os.path.join(self.d, "feed-%s.log" % n), "a")
        args = [MWX, "feed", "scenario.json", "--nation", n, "--bus", self.url(n),
                "--creds", "nats/%s-sensors.creds" % n, "--speed", repr(self.speed),
                "--start-unix", repr(start_unix)]
        self.feeds[n] = subprocess.Popen(args, cwd=self.d, stdout=log, stderr=subprocess.STDOUT)

    def log(self, n):
        try:
            return open(os.path.join(self.d, "node-%s.log" % n)).read()
        except OSError:
            return ""

    def alive(self):
        for n, p in self.nodes.items():
            if p.poll() is not None:
                fail("%s: node %s exited %s: %s" % (self.name, n, p.returncode,
                                                    self.log(n)[-600:]))

    def stop(self):
        for n, p in self.nodes.items():
            if p.poll() is None:
                p.terminate()
        for n, p in self.nodes.items():
            rc = p.wait(timeout=60)
            if rc != 0:
                fail("%s: node %s exited %d after SIGTERM: %s" % (self.name, n, rc,
                                                                  self.log(n)[-600:]))

    def teardown(self):
        for p in list(self.nodes.values()) + list(self.feeds.values()) + \
                list(self.servers.values()):
            if p.poll() is None:
                p.kill()
                p.wait()
        for pr in self.proxy.values():
            pr.srv.close()
            pr.cut()


def complete(d):
    """The live sequence check: every node holds every envelope of its partners."""
    with open(os.devnull, "w") as null:
        old = sys.stdout
        sys.stdout = null
        try:
            return check.seqs(d, False, True, math.inf) == 0
        finally:
            sys.stdout = old


def schedule(rng, nfaults, t0, t1, long_run):
    """Faults as (start, end, kind, target), at random times in [t0, t1] (wall seconds
    from the scenario start); one fault per target at a time."""
    kinds = ["node", "node", "hub", "leaf", "link", "link"]
    out = []
    tries = 0
    while len(out) < nfaults and tries < 10000:
        tries += 1
        k = rng.choice(kinds)
        tgt = "hub" if k == "hub" else rng.choice(NATIONS)
        dur = {"node": rng.uniform(1, 5), "hub": rng.uniform(1, 5), "leaf": rng.uniform(1, 4),
               "link": rng.uniform(10, 40 if long_run else 15)}[k]
        s = rng.uniform(t0, max(t0, t1 - dur))
        # a target's faults do not overlap (a node's leaf down while the node is dead is
        # allowed: they are different targets)
        key = (k if k != "node" else "node", tgt)
        if any((f[2], f[3]) == key and s < f[1] + 1 and f[0] < s + dur + 1 for f in out):
            continue
        out.append((s, s + dur, k, tgt))
    return sorted(out)


def truth(scenario):
    """Per launch: truth impact point, and per nation the span of its measurements of it
    (scenario seconds)."""
    tmp = os.path.join(os.path.dirname(scenario), "truth.mwxr")
    subprocess.run([MWX, "sim", scenario, "-o", tmp], check=True, capture_output=True)
    last, seen = {}, {}
    for r in mwx_lines(["cat", tmp, "--type", "truth,meas"]):
        if r["type"] == "truth":
            last[r["object"]] = r
        elif r.get("truth_object"):
            k = (r["truth_object"], r["nation"])
            lo, hi = seen.get(k, (r["t"], r["t"]))
            seen[k] = (min(lo, r["t"]), max(hi, r["t"]))
    return last, seen


def lla_of(r):
    if "lat" in r:
        return r["lat"], r["lon"]
    x, y, z = r["ecef_m"]  # WGS84 geodetic latitude (a few iterations)
    a, e2 = 6378137.0, 6.69437999014e-3
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - e2))
    for _ in range(5):
        nrad = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        h = p / math.cos(lat) - nrad
        lat = math.atan2(z, p * (1 - e2 * nrad / (nrad + h)))
    return math.degrees(lat), math.degrees(math.atan2(y, x))


def fused_check(ref, got, blinded, impact_truth):
    """Per node: the same fused tracks (matched to launches by the nearest truth impact),
    the same contributing nations, and impact points within 1 m of the reference's; for a
    launch some nation was blind to during a fault (listed in blinded[node]), its sensor
    data of that while is lost (a live feed is not replayed), so the estimate differs:
    it must stay as near the truth as the reference's, plus 1 km (issue 14's 1 m holds for
    every launch no fault blinded)."""
    bad, strict, loose = [], 0, 0
    for n in NATIONS:
        def by_launch(pic):
            m = {}
            for f in pic[n]:
                lid = min(impact_truth, key=lambda k: check.km(f["impact"], impact_truth[k]))
                m.setdefault(lid, []).append(f)
            return m
        a, b = by_launch(ref), by_launch(got)
        if not a:
            bad.append("%s: no fused track in the reference" % n)
        for lid in sorted(set(a) | set(b)):
            fa, fb = a.get(lid, []), b.get(lid, [])
            if len(fa) != len(fb):
                bad.append("%s %s: %d fused tracks in the reference, %d under chaos (%s)" % (
                    n, lid, len(fa), len(fb), [f["id"] for f in fb]))
                continue
            for x, y in zip(fa, fb):
                if x["sources"] != y["sources"]:
                    bad.append("%s %s: sources %s in the reference, %s under chaos" % (
                        n, lid, x["sources"], y["sources"]))
                d = check.km(x["impact"], y["impact"])
                if lid in blinded[n]:
                    loose += 1
                    ea = check.km(x["impact"], impact_truth[lid])
                    eb = check.km(y["impact"], impact_truth[lid])
                    if eb > ea + 1.0:
                        bad.append("%s %s (blinded): impact %.3f km from the truth, the "
                                   "reference's %.3f km" % (n, lid, eb, ea))
                else:
                    strict += 1
                    if d > 0.001:
                        bad.append("%s %s: impact %.4f km from the reference's" % (n, lid, d))
    return bad, strict, loose


def warnings(d, n):
    msgs = warn_check.load(os.path.join(d, "out-" + n, "alerts"))
    ser = warn_check.series(msgs)
    out, bad = [], []
    for sid, ms in ser.items():
        alerts = sum(1 for m in ms if m["type"] == "Alert")
        if alerts != 1:
            bad.append("%s: series %s has %d Alerts" % (n, sid, alerts))
        regions = set().union(*[m["regions"] for m in ms])
        out.append((sid.rsplit(".", 1)[-1], tuple(sorted(regions)), ms[-1]["type"]))
    return sorted(out), bad


def main():
    seed = int(os.environ.get("CHAOS_SEED", "1"))
    seconds = float(os.environ.get("CHAOS_SECONDS", "60"))
    tls = os.environ.get("CHAOS_TLS") == "1"
    keep = os.environ.get("CHAOS_KEEP") == "1"
    long_run = seconds > 90
    root = os.path.join(os.environ.get("MWX_TMPDIR", "/tmp"), "chaos-%d" % seed)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    scenario = os.path.join(root, "scenario.json")
    sc = json.load(open(os.path.join(HERE, "scenario.json")))
    json.dump(sc, open(scenario, "w"))
    speed = sc["duration_s"] / seconds
    nfaults = int(os.environ.get("CHAOS_FAULTS", str(max(4, int(seconds / 10)))))
    if tls and "--tls" not in subprocess.run([MWX, "nats-config", "--help"],
                                            capture_output=True, text=True).stdout:
        fail("CHAOS_TLS=1 needs `mwx nats-config --tls`")
    keys = os.path.join(root, "keys")
    os.makedirs(keys)
    for n in NATIONS:
        subprocess.run([MWX, "keygen", n, "-o", keys], check=True, capture_output=True)
    impacts, seen = truth(scenario)
    impact_truth = {k: lla_of(v) for k, v in impacts.items()}

    rng = random.Random(seed)
    plan = schedule(rng, nfaults, 4.0, seconds - 4.0, long_run)
    say("seed %d, %.0f s of scenario at %.1fx (%.0f s wall), %d faults planned%s" % (
        seed, sc["duration_s"], speed, seconds, len(plan), ", TLS" if tls else ""))
    ref = Net("reference", os.path.join(root, "ref"), keys, scenario, speed, tls)
    cha = Net("chaos", os.path.join(root, "chaos"), keys, scenario, speed, tls)
    nets = [ref, cha]
    try:
        for net in nets:
            net.start_server("hub")
            for n in NATIONS:
                net.start_server("leaf-" + n)
        start = time.time() + 4.0
        for net in nets:
            for n in NATIONS:
                net.node_config(n, start)
                net.start_node(n)
                net.start_feed(n, start)
        for net in nets:
            for n in NATIONS:
                wait_for(30, lambda: "live: measurements" in net.log(n), "%s %s live" % (net.name, n))

        # --- the faults, in time order (an end restores what its start broke)
        events = []
        for i, (s, e, k, tgt) in enumerate(plan):
            events += [(s, 0, i, k, tgt), (e, 1, i, k, tgt)]
        events.sort()
        blind = []          # (nation, t0, t1) scenario seconds with its feed lost
        down_at = {}
        snapshots = []      # (nation, inbox entries accepted before the kill)
        counts = {"node": 0, "hub": 0, "leaf": 0, "link": 0}
        last_fault_end = start
        for at, end, i, k, tgt in events:
            while time.time() < start + at:
                for net in nets:
                    net.alive() if net is ref else None
                time.sleep(0.05)
            ts = (time.time() - start) * speed
            if end == 0:
                counts[k] += 1
                down_at[i] = ts
                if k == "node":
                    p = cha.nodes[tgt]
                    p.kill()
                    p.wait()
                    inbox = mwx_lines(["node", "--dump-log",
                                       os.path.join(cha.d, "out-" + tgt, "node-%s.inbox" % tgt)])
                    snapshots.append((tgt, inbox))
                elif k == "hub":
                    cha.kill_server("hub")
                elif k == "leaf":
                    cha.kill_server("leaf-" + tgt)
                else:
                    cha.proxy[tgt].cut()
                say("t = %5.1f s (scenario %4.0f s): %s %s down" % (at, ts, k, tgt))
            else:
                if k == "node":
                    cha.start_node(tgt)
                elif k == "hub":
                    cha.start_server("hub")
                elif k == "leaf":
                    cha.start_server("leaf-" + tgt)
                else:
                    cha.proxy[tgt].mend()
                if k in ("node", "leaf"):
                    blind.append((tgt, down_at[i] - 2.0, ts + 2.0))
                last_fault_end = time.time()
                say("t = %5.1f s (scenario %4.0f s): %s %s back" % (at, ts, k, tgt))
        # --- the end of the scenario, then until every node holds every envelope
        # a live node has no scenario end of its own: its feed's end (and the feed lag,
        # 0.5 s of wall time) is its end
        for net in nets:
            wait_for(seconds + 120, lambda: all(f.poll() is not None for f in net.feeds.values()),
                     "%s: the feeds' end" % net.name)
            for n, f in net.feeds.items():
                if f.returncode != 0:
                    fail("%s: feed %s exited %d" % (net.name, n, f.returncode))
        time.sleep(1.0)
        for net in nets:
            net.alive()
        for net in nets:
            wait_for(180, lambda: (net.alive(), complete(net.d))[1], "%s: complete sequences" % net.name)
        converge = time.time() - last_fault_end
        until = time.time()
        for net in nets:
            net.stop()
    finally:
        for net in nets:
            net.teardown()

    # --- checks on the closed files
    bad = []
    for net in nets:
        if check.seqs(net.d, False, False, until) != 0:
            bad.append("%s: sequences incomplete after stop" % net.name)
    # envelopes accepted before a kill: in the final recording exactly once
    kept = 0
    for n, inbox in snapshots:
        recs = mwx_lines(["cat", os.path.join(cha.d, "out-" + n, "node-%s.mwxr" % n),
                          "--type", "share"])
        have = {}
        for r in recs:
            if r["verified"]:
                have[(r["from"], r["seq"])] = have.get((r["from"], r["seq"]), 0) + 1
        for e in inbox:
            if e["type"] != "track":
                continue
            c = have.get((e["origin"], e["seq"]), 0)
            kept += 1
            if c != 1:
                bad.append("%s: envelope %s/%d accepted before a kill is in the recording %d "
                           "times" % (n, e["origin"], e["seq"], c))
    # the fused pictures
    pa, pb = check.picture(ref.d), check.picture(cha.d)
    # a launch is blinded for node n when some nation contributing to n's picture lost its
    # feed while its sensors saw the missile (seen: scenario seconds of its measurements)
    blinded = {n: set() for n in NATIONS}
    for nat, t0, t1 in blind:
        for lid in impacts:
            lo, hi = seen.get((lid, nat), (None, None))
            if lo is not None and t0 <= hi + 15 and t1 >= lo - 15:
                for n in NATIONS:
                    blinded[n].add(lid)
    fb, strict, loose = fused_check(pa, pb, blinded, impact_truth)
    bad += fb
    for n in NATIONS:
        wa, ba = warnings(ref.d, n)
        wb, bb = warnings(cha.d, n)
        bad += ["reference " + x for x in ba] + bb
        if wa != wb:
            bad.append("%s: warnings differ: reference %s, chaos %s" % (n, wa, wb))
    # --- the counts
    env = sum(len(mwx_lines(["node", "--dump-log", os.path.join(cha.d, "out-" + n,
                                                                 "node-%s.outbox" % n)]))
              for n in NATIONS)
    rec_events, rec_env = 0, 0
    for n in NATIONS:
        for m in re.finditer(r"gap from \w+: seq \d+\.\.\d+ requested, (\d+) envelopes? recovered",
                             cha.log(n)):
            rec_events += 1
            rec_env += int(m.group(1))
    nwarn = sum(len(warnings(cha.d, n)[0]) for n in NATIONS)
    say("faults injected: %d (%s)" % (sum(counts.values()),
                                       ", ".join("%d %s" % (v, k) for k, v in counts.items())))
    say("envelopes sent: %d; accepted before a kill and kept once: %d" % (env, kept))
    say("gap recoveries: %d, %d envelopes recovered" % (rec_events, rec_env))
    say("time to converge after the last fault ended: %.1f s (the scenario ran %.0f s more)"
        % (converge, max(0.0, start + seconds - last_fault_end)))
    say("fused tracks compared: %d within 1 m, %d blinded (held to the truth)" % (strict, loose))
    say("warning series: %d, the same as the reference's" % nwarn if not any(
        "warnings differ" in b for b in bad) else "warning series differ")
    if bad:
        for b in bad:
            print("  " + b, file=sys.stderr)
        print("folders kept in " + root, file=sys.stderr)
        fail("%d check(s) failed (seed %d)" % (len(bad), seed))
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    say("PASS")


if __name__ == "__main__":
    main()
