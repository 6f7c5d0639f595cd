#!/usr/bin/env python3
"""Course bound: how soon could ANY filter know a boosting body's course from the
measurements a run had? (docs/BENCHMARKS.md "Warning quality", measurement-limited
regions.)

    course_bound.py RUN_DIR OBJECT REGION [--mwx PATH] [--fan-deg 6]

RUN_DIR is `mwx run`'s output (run.mwxr, report.json). For each radar plot of OBJECT
(the simulator's truth_object of the measurement, any nation's radar) from the first one
on, the Cramer-Rao bound of the course over the ground at that time from every radar plot
so far, for a body whose acceleration is KNOWN exactly (so the motion is a known
acceleration plus an unknown position and velocity: 6 parameters, the Fisher information
of a constant-velocity fit). Any unknown thrust or steering only adds parameters and can
only raise the bound, so it is a lower bound for mwx's boost model and for every other.
The course's 95 % half-angle is 2 sigma through the gradient of atan2(v_east, v_north) at
the true velocity. A single IR satellite's line of sight is left out: along its line of
sight a thrusting body's position is unobservable (any motion along it gives the same
angles), and it is that component which the course needs when the satellite looks along
the flight (docs/BENCHMARKS.md).

Prints the first detection (any sensor), the first radar plot, the first time the bound
reaches --fan-deg (the fan's firm course), the region's event (report.json) and the latest
first warning that reaches 0.9 of (event - first detection). The event is warning_quality's: the Report's
t_event, or for an overflight the first truth sample at or above 100 km over the region
(altitude above the ellipsoid approximated to 100 m)."""
import json, math, subprocess, sys

A = 6378137.0
E2 = 6.69437999014e-3


def geo(p):
    x, y, z = p
    lon = math.atan2(y, x)
    r = math.hypot(x, y)
    lat = math.atan2(z, r * (1 - E2))
    for _ in range(6):
        n = A / math.sqrt(1 - E2 * math.sin(lat) ** 2)
        h = r / math.cos(lat) - n
        lat = math.atan2(z, r * (1 - E2 * n / (n + h)))
    return lat, lon


def enu(lat, lon):
    e = [-math.sin(lon), math.cos(lon), 0.0]
    n = [-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)]
    u = [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]
    return e, n, u


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def inv(m):
    n = len(m)
    a = [row[:] + [float(i == j) for j in range(n)] for i, row in enumerate(m)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(a[r][c]))
        a[c], a[p] = a[p], a[c]
        if abs(a[c][c]) < 1e-300:
            return None
        f = a[c][c]
        a[c] = [x / f for x in a[c]]
        for r in range(n):
            if r != c and a[r][c]:
                g = a[r][c]
                a[r] = [x - g * y for x, y in zip(a[r], a[c])]
    return [row[n:] for row in a]


def plot_info(m, pos):
    """Cartesian information (3x3) of one radar plot of a body at pos: the inverse of
    J R J^T, with J the derivative of the position with respect to (range, az, el)."""
    lat, lon = geo(m["sensor_ecef_m"])
    e, n, u = enu(lat, lon)
    d = [pos[i] - m["sensor_ecef_m"][i] for i in range(3)]
    r = math.sqrt(dot(d, d))
    los = [x / r for x in d]
    de, dn, du = dot(d, e), dot(d, n), dot(d, u)
    rh = math.hypot(de, dn)
    # unit directions of increasing azimuth (clockwise from north) and elevation
    a_dir = [(dn * e[i] - de * n[i]) / rh for i in range(3)]
    el_dir = [(-du * (de * e[i] + dn * n[i]) / rh + rh * u[i]) / r for i in range(3)]
    s = [m["sigma_range_m"], r * math.cos(math.asin(du / r)) * math.radians(m["sigma_az_deg"]),
         r * math.radians(m["sigma_el_deg"])]
    info = [[0.0] * 3 for _ in range(3)]
    for vdir, sg in ((los, s[0]), (a_dir, s[1]), (el_dir, s[2])):
        for i in range(3):
            for j in range(3):
                info[i][j] += vdir[i] * vdir[j] / (sg * sg)
    return info


def in_ring(lon, lat, ring):
    c = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            c = not c
    return c


def in_region(lon, lat, geom):
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    for poly in polys:
        if in_ring(lon, lat, poly[0]) and not any(in_ring(lon, lat, h) for h in poly[1:]):
            return True
    return False


def main():
    args = sys.argv[1:]
    mwx, fan, regions = "build/mwx", 6.0, "data/regions/northeast-asia.geojson"
    if "--mwx" in args:
        i = args.index("--mwx"); mwx = args[i + 1]; del args[i:i + 2]
    if "--fan-deg" in args:
        i = args.index("--fan-deg"); fan = float(args[i + 1]); del args[i:i + 2]
    run, obj, region = args
    rep = json.load(open(run + "/report.json"))
    t_event, kind = None, None
    for la in rep["launches"]:
        for rg in la["regions"]:
            if rg["id"] == region and rg.get("t_event") is not None:
                t_event, kind = rg["t_event"], rg["kind"]
    out = subprocess.run([mwx, "cat", run + "/run.mwxr", "-t", "truth,meas"], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    truth, plots, t_det = [], [], None
    launch = obj.split("-S")[0]
    for line in out:
        r = json.loads(line)
        if r["type"] == "truth" and r["object"] == obj:
            truth.append((r["t"], r["ecef_m"], r["vel_mps"]))
        elif r["type"] == "meas" and r.get("truth_object", "") and \
                r["truth_object"].split("-S")[0] == launch:
            if t_det is None:
                t_det = r["t"]
            if r["kind"] == "radar" and r["truth_object"] == obj:
                plots.append(r)

    if kind == "overflight":  # warning_quality's event: the first sample >= 100 km over it
        geom = [f["geometry"] for f in json.load(open(regions))["features"]
                if f["properties"]["id"] == region][0]
        for t, p, _ in truth:
            lat, lon = geo(p)
            if math.sqrt(dot(p, p)) - A * (1 - E2 * math.sin(lat) ** 2 / 2) >= 100e3 and \
                    in_region(math.degrees(lon), math.degrees(lat), geom):
                t_event = t
                break

    def state(t):
        for k in range(1, len(truth)):
            if truth[k][0] >= t:
                t0, p0, v0 = truth[k - 1]
                t1, p1, v1 = truth[k]
                f = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
                return ([p0[i] + f * (p1[i] - p0[i]) for i in range(3)],
                        [v0[i] + f * (v1[i] - v0[i]) for i in range(3)])
        return truth[-1][1], truth[-1][2]

    print("first detection (any sensor) %.1f s, first radar plot %.1f s (%s), event %s" %
          (t_det, plots[0]["t"], plots[0]["sensor"],
           "%.1f s" % t_event if t_event else "not in report.json"))
    if t_event:
        print("0.9 of the limit needs the first warning by %.1f s" %
              (t_event - 0.9 * (t_event - t_det)))
    infos = [(p["t"], plot_info(p, state(p["t"])[0])) for p in plots]
    firm = None
    for k in range(1, len(infos)):
        t = infos[k][0]
        if t > plots[0]["t"] + 40:
            break
        J = [[0.0] * 6 for _ in range(6)]
        for tk, I3 in infos[:k + 1]:
            dt = tk - t
            for i in range(3):
                for j in range(3):
                    J[i][j] += I3[i][j]
                    J[i][3 + j] += I3[i][j] * dt
                    J[3 + i][j] += I3[i][j] * dt
                    J[3 + i][3 + j] += I3[i][j] * dt * dt
        C = inv(J)
        if not C:
            continue
        pos, vel = state(t)
        lat, lon = geo(pos)
        e, n, _ = enu(lat, lon)
        ve, vn = dot(vel, e), dot(vel, n)
        vh2 = ve * ve + vn * vn
        g = [(vn * e[i] - ve * n[i]) / vh2 for i in range(3)]
        var = sum(g[i] * C[3 + i][3 + j] * g[j] for i in range(3) for j in range(3))
        half = 2 * math.degrees(math.sqrt(var))
        print("  %.1f s: %d plots, course 95%% half-angle >= %.1f deg (ground speed %.0f m/s)" %
              (t, k + 1, half, math.sqrt(vh2)))
        if half <= fan and firm is None:
            firm = t
    if firm is not None:
        print("course bound reaches %.0f deg at %.1f s (first radar plot + %.1f s)%s" %
              (fan, firm, firm - plots[0]["t"],
               ": lead at most %.1f / %.1f = %.3f" % (t_event - firm, t_event - t_det,
                                                       (t_event - firm) / (t_event - t_det))
               if t_event else ""))


if __name__ == "__main__":
    main()
