/* mwx after-action report (`mwx report`): draws the page from the JSON that mwx embedded
 * in <script id="mwx-data"> (the recording reduced in C, plus report.json). Everything is
 * inline: Leaflet, uPlot, topojson-client and the map data; nothing is fetched.
 * Every text from the data goes into the DOM as text (textContent), never as markup. */
(function () {
  'use strict';

  const NATION_COLOURS = { JP: '#c2185b', KR: '#1565c0', US: '#2e7d32' };
  const EXTRA = ['#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#455a64'];
  const DEG = Math.PI / 180;
  // Range-safety norm for the impact-point error: 0.17 % of the range down-range
  // (docs/TRACKER.md, "range-safety norms").
  const NORM_FRACTION = 0.0017;

  const D = JSON.parse(document.getElementById('mwx-data').textContent);
  const world = JSON.parse(document.getElementById('mwx-world').textContent);
  const regionsGeo = JSON.parse(document.getElementById('mwx-regions').textContent);
  const report = D.report || {};
  const out = { charts: 0, maps: 0, alerts: (D.alerts || []).length, aloneSeries: 0, realLeads: 0, norms: 0, launchAlerts: 0 };
  window.mwxReport = out;

  function colourFor(n) {
    if (NATION_COLOURS[n]) return NATION_COLOURS[n];
    let h = 0;
    for (const ch of String(n)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return EXTRA[h % EXTRA.length];
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function fmt(v, d) { return typeof v === 'number' ? v.toFixed(d) : '—'; }
  function haversineKm(a, b) {
    const R = 6371.0088;
    const p1 = a[0] * DEG, p2 = b[0] * DEG, dp = p2 - p1, dl = (b[1] - a[1]) * DEG;
    const h = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
    return 2 * R * Math.asin(Math.sqrt(h));
  }
  function destination(lat, lon, az, d) {
    const R = 6371008.8, p1 = lat * DEG, l1 = lon * DEG, dr = d / R;
    const p2 = Math.asin(Math.sin(p1) * Math.cos(dr) + Math.cos(p1) * Math.sin(dr) * Math.cos(az));
    const l2 = l1 + Math.atan2(Math.sin(az) * Math.sin(dr) * Math.cos(p1), Math.cos(dr) - Math.sin(p1) * Math.sin(p2));
    return [p2 / DEG, l2 / DEG];
  }
  function ellipse(e) { // [t, lat, lon, a_km, b_km, orientation_deg]
    const a = e[3] * 1000, b = e[4] * 1000, th = e[5] * DEG, pts = [];
    for (let i = 0; i < 48; i++) {
      const u = (i / 48) * 2 * Math.PI;
      const n = a * Math.cos(u) * Math.cos(th) - b * Math.sin(u) * Math.sin(th);
      const ea = a * Math.cos(u) * Math.sin(th) + b * Math.sin(u) * Math.cos(th);
      pts.push(destination(e[1], e[2], Math.atan2(ea, n), Math.hypot(n, ea)));
    }
    return pts;
  }

  /* ------------------------------------------------------------ charts */

  // One uPlot line chart. series: [{label, colour, pts: [[x, y], ...], dash, points}]
  // (uPlot wants one x array: the union, with nulls where a series has no value).
  function chart(parent, title, xlabel, ylabel, series, opts) {
    opts = opts || {};
    const box = el('div', 'chart');
    box.appendChild(el('h4', null, title));
    parent.appendChild(box);
    const xs = [...new Set(series.flatMap((s) => s.pts.map((p) => p[0])))].sort((a, b) => a - b);
    const idx = new Map(xs.map((x, i) => [x, i]));
    const data = [xs];
    for (const s of series) {
      const ys = new Array(xs.length).fill(null);
      for (const p of s.pts) ys[idx.get(p[0])] = p[1];
      if (!s.points && s.pts.length > 1) {
        // Lines: fill the union's other x values between this series' own points, but
        // not across a gap in its data (over 5 × its median spacing): there the line breaks.
        const own = s.pts.slice().sort((a, b) => a[0] - b[0]);
        const d = own.slice(1).map((p, i) => p[0] - own[i][0]).sort((a, b) => a - b);
        const gap = 5 * Math.max(d[d.length >> 1], 1e-9);
        let j = 0;
        for (let i = 0; i < xs.length; i++) {
          const x = xs[i];
          while (j + 1 < own.length && own[j + 1][0] < x) j++;
          const a = own[j], b = own[j + 1];
          if (ys[i] == null && b && a[0] < x && x < b[0] && b[0] - a[0] <= gap) {
            ys[i] = a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0]);
          }
        }
      }
      data.push(ys);
    }
    const u = new uPlot({
      width: opts.width || 560, height: 260,
      scales: { x: { time: false }, y: opts.log ? { distr: 3 } : {} },
      axes: [
        { label: xlabel, values: opts.xvalues },
        { label: ylabel, size: 60, values: opts.yvalues },
      ],
      series: [{ label: xlabel, value: opts.xvalue }].concat(series.map((s) => ({
        label: s.label, stroke: s.colour, width: s.width || 1.5, dash: s.dash,
        spanGaps: false,
        paths: s.points ? () => null : undefined,
        points: s.points ? { show: true, size: 7, fill: s.colour } : { show: false },
      }))),
    }, data, box);
    out.charts++;
    return u;
  }

  /* ------------------------------------------------------------ page */

  const app = document.getElementById('app');
  const head = el('header', 'head');
  head.appendChild(el('h1', null, 'mwx after-action report: ' + (D.name || '(unnamed)')));
  const st = String(D.status || '').toUpperCase();
  head.appendChild(el('div', 'status status-' + (st || 'UNKNOWN'),
    st + (st === 'EXERCISE' || st === 'TEST' ? ' — simulated data, not a real event' : '')));
  head.appendChild(el('p', 'meta', 'epoch ' + D.epoch + ' · recording ' + D.source));
  app.appendChild(head);

  const tk = report.tracking || {};
  const sum = el('p', 'meta', 'tracking: position RMSE ' + fmt(tk.pos_rmse_m, 0) + ' m, NEES ' +
    fmt(tk.nees, 2) + ', OSPA ' + fmt(tk.ospa_m, 0) + ' m, ' + (tk.n_tracks ?? '—') + ' tracks (' +
    (tk.n_false_tracks ?? '—') + ' false)');
  app.appendChild(sum);

  const scnLaunches = (D.scenario && Array.isArray(D.scenario.launches)) ? D.scenario.launches : [];
  const launches = Array.isArray(report.launches) ? report.launches : [];
  const refCmp = report.reference_comparison;

  for (const L_ of launches) {
    const sec = el('section', 'launch');
    sec.id = 'launch-' + String(L_.id).replace(/[^A-Za-z0-9_-]/g, '_');
    sec.appendChild(el('h2', null, 'Launch ' + L_.id + ': t ' + fmt(L_.t_launch, 1) + ' s → impact ' +
      fmt(L_.t_impact, 1) + ' s, first detection ' + fmt(L_.t_first_detection, 1) + ' s'));
    app.appendChild(sec);
    // the launch's objects: its vehicle and its spent stages (report.json `objects`)
    const objs = Array.isArray(L_.objects) && L_.objects.length ? L_.objects : [{ id: L_.id }];
    const objIds = new Set(objs.map((o) => o.id));
    if (objs.length > 1 || objs[0].last_phase === 'orbit') {
      sec.appendChild(el('p', 'meta', 'objects: ' + objs.map((o) => o.id + (o.impact
        ? ' falls at t ' + fmt(o.t_impact, 1) + ' s (' + fmt(o.impact.lat, 3) + ', ' + fmt(o.impact.lon, 3) + ')'
        : o.last_phase === 'orbit' ? ' reaches orbit (no impact; ' + (o.impact_warnings ?? 0) + ' impact warnings)'
          : ' no impact in the recording')).join(' · ')));
    }
    const truth = (D.truth || []).find((o) => o.object === L_.id);
    const tracks = (D.tracks || []).filter((tr) => {
      const n = tr.points.filter((p) => objIds.has(p[8])).length;
      return n > 0 && n >= tr.points.length / 2;
    });
    const scn = scnLaunches.find((s) => s.id === L_.id);
    const site = scn && scn.site ? [scn.site.lat, scn.site.lon] : truth ? [truth.points[0][1], truth.points[0][2]] : null;
    const imp = L_.impact ? [L_.impact.lat, L_.impact.lon] : null;
    const rangeKm = site && imp ? haversineKm(site, imp) : null;

    // This launch's alerts: those whose identifier ("mwx.<node>[.<run>].<track>.<kind>.<seq>",
    // the track id with anything outside [A-Za-z0-9_-] written '_') names one of its
    // tracks; the map and the timeline of a launch show only its own warnings.
    const own = new Set(tracks.map((tr) => tr.node + '|' + String(tr.id).replace(/[^A-Za-z0-9_-]/g, '_')));
    const alertsL = (D.alerts || []).filter((a) => {
      const parts = String(a.identifier).split('.');
      return parts.length >= 5 && own.has(a.node + '|' + parts[parts.length - 3]);
    });
    out.launchAlerts += alertsL.length;
    // First alert time per region.
    const firstAlert = new Map();
    for (const a of alertsL) {
      if (a.msg_type === 'Cancel') continue;
      for (const r of a.regions) if (!firstAlert.has(r) || a.t < firstAlert.get(r)) firstAlert.set(r, a.t);
    }

    /* map */
    const mapDiv = el('div', 'map');
    sec.appendChild(mapDiv);
    const map = L.map(mapDiv, { zoomSnap: 0.25, attributionControl: true });
    map.fitBounds([[24, 117], [47, 150]]); // a view before any layer (Leaflet clips to it)
    map.attributionControl.setPrefix('');
    map.attributionControl.addAttribution('Natural Earth (world-atlas), Leaflet');
    L.geoJSON(topojson.feature(world, world.objects.countries), {
      interactive: false, style: { color: '#6d7a6a', weight: 0.6, fillColor: '#f3f0e6', fillOpacity: 1 },
    }).addTo(map);
    const tFirst = [...firstAlert.values()];
    const t0 = Math.min(...tFirst), t1 = Math.max(...tFirst);
    L.geoJSON(regionsGeo, {
      style: (f) => {
        const t = firstAlert.get(f.properties.id);
        if (t == null) return { color: '#7c8797', weight: 0.5, fillOpacity: 0 };
        const q = t1 > t0 ? (t - t0) / (t1 - t0) : 0; // early = dark red, late = orange
        const c = 'hsl(' + (0 + 35 * q).toFixed(0) + ',85%,' + (35 + 20 * q).toFixed(0) + '%)';
        return { color: '#5a0a0e', weight: 1, fillColor: c, fillOpacity: 0.6, className: 'mwx-region-warned' };
      },
      onEachFeature: (f, layer) => {
        const t = firstAlert.get(f.properties.id);
        const tip = document.createElement('span');
        tip.textContent = f.properties.id + ' ' + f.properties.name + (t != null ? ' — first alert t = ' + t.toFixed(1) + ' s' : '');
        layer.bindTooltip(tip, { sticky: true });
      },
    }).addTo(map);
    const bounds = [];
    if (truth) {
      const ll = truth.points.map((p) => [p[1], p[2]]);
      L.polyline(ll, { color: '#111', weight: 2, dashArray: '5 4', className: 'mwx-truth' }).addTo(map);
      bounds.push(...ll);
    }
    for (const o of objs) {
      if (o.id === L_.id) continue;
      const st = (D.truth || []).find((x) => x.object === o.id);
      if (!st) continue;
      const ll = st.points.map((p) => [p[1], p[2]]);
      L.polyline(ll, { color: '#555', weight: 1.5, dashArray: '2 4', className: 'mwx-truth-stage' }).addTo(map);
      if (o.impact) L.circleMarker([o.impact.lat, o.impact.lon], { radius: 3, color: '#555', fillColor: '#fff', fillOpacity: 1 }).addTo(map);
      bounds.push(...ll);
    }
    for (const tr of tracks) {
      const c = colourFor(tr.node);
      const ll = tr.points.map((p) => [p[1], p[2]]);
      L.polyline(ll, { color: c, weight: 2, opacity: 0.85, className: 'mwx-track' }).addTo(map);
      bounds.push(...ll);
      tr.ellipses.forEach((e, i) => {
        L.polygon(ellipse(e), {
          color: c, weight: 1, fillColor: c, fillOpacity: 0.05 + 0.1 * (i / Math.max(1, tr.ellipses.length - 1)),
          className: 'mwx-ellipse',
        }).addTo(map);
      });
    }
    if (imp) L.circleMarker(imp, { radius: 4, color: '#000', fillColor: '#fff', fillOpacity: 1 }).addTo(map);
    if (bounds.length) map.fitBounds(L.latLngBounds(bounds).pad(0.15)); else map.fitBounds([[24, 117], [47, 150]]);
    const legend = el('p', 'legend', 'dashed black: true path · coloured: each nation\'s tracks (' +
      [...new Set(tracks.map((t) => t.node))].join(', ') + ') with 95 % impact ellipses over time (fainter = earlier) · regions: first alert, dark red = earliest, orange = latest');
    sec.appendChild(legend);
    out.maps++;

    const grid = el('div', 'grid');
    sec.appendChild(grid);
    const nodes = [...new Set(tracks.map((t) => t.node))].sort();

    /* impact error against time to go (x = -ttg so that time runs left to right): each
     * nation alone (dashed) and shared (solid) from the sharing benefit of `mwx run`'s
     * report.json, which scores both passes alike (the alone pass has no recording);
     * without it (a node's folder, a report.json from `mwx score`), each node's tracks of
     * this recording, as the page reduced them. */
    const ser = [];
    const sb = (report.sharing_benefit || []).filter((r) => r.launch === L_.id);
    const curve = (c) => (Array.isArray(c) ? c : []).filter((p) => typeof p[0] === 'number' && typeof p[1] === 'number')
      .map((p) => [-p[0], Math.max(p[1], 1e-3)]).sort((a, b) => a[0] - b[0]);
    const curved = sb.filter((r) => (r.alone && Array.isArray(r.alone.impact_error_curve)) ||
                                    (r.shared && Array.isArray(r.shared.impact_error_curve)));
    if (curved.length) {
      for (const r of curved) {
        const sh = curve(r.shared && r.shared.impact_error_curve), al = curve(r.alone && r.alone.impact_error_curve);
        if (sh.length) ser.push({ label: r.nation + ' shared', colour: colourFor(r.nation), pts: sh });
        if (al.length) {
          ser.push({ label: r.nation + ' alone', colour: colourFor(r.nation), dash: [3, 3], pts: al });
          out.aloneSeries++;
        }
      }
    } else {
      for (const n of nodes) {
        const pts = [];
        for (const tr of tracks.filter((t) => t.node === n)) {
          for (const p of tr.points) if (p[6] != null && p[7] != null && p[6] >= 0) pts.push([-p[6], Math.max(p[7], 1e-3)]);
        }
        pts.sort((a, b) => a[0] - b[0]);
        ser.push({ label: n + ' (this recording)', colour: colourFor(n), pts });
      }
      for (const r of sb) {
        if (r.alone && typeof r.alone.impact_error_km_at_ttg_300s === 'number') {
          ser.push({ label: r.nation + ' alone @300 s', colour: colourFor(r.nation), points: true,
                     pts: [[-300, Math.max(r.alone.impact_error_km_at_ttg_300s, 1e-3)]] });
        }
      }
    }
    if (rangeKm) {
      const xs = ser.flatMap((s) => s.pts.map((p) => p[0]));
      const lo = xs.length ? Math.min(...xs) : -600;
      ser.push({ label: 'range-safety norm (0.17 % of ' + rangeKm.toFixed(0) + ' km)', colour: '#000', dash: [6, 4],
                 pts: [[lo, rangeKm * NORM_FRACTION], [0, rangeKm * NORM_FRACTION]] });
      out.norms++;
    }
    chart(grid, 'Impact-point error against time to go', 'time to go (s)', 'error (km, log)', ser,
          { log: true, xvalues: (u, v) => v.map((x) => (-x).toFixed(0)), xvalue: (u, x) => x == null ? '—' : (-x).toFixed(1) });

    /* position error and NEES against time */
    const perr = [], nees = [];
    for (const n of nodes) {
      const pe = [], ne = [];
      for (const tr of tracks.filter((t) => t.node === n)) {
        for (const p of tr.points) {
          if (p[4] != null) pe.push([p[0], Math.max(p[4], 1e-3)]);
          if (p[5] != null) ne.push([p[0], Math.max(p[5], 1e-3)]);
        }
      }
      pe.sort((a, b) => a[0] - b[0]);
      ne.sort((a, b) => a[0] - b[0]);
      perr.push({ label: n, colour: colourFor(n), pts: pe });
      nees.push({ label: n, colour: colourFor(n), pts: ne });
    }
    chart(grid, 'Track position error', 't (s)', 'error (km, log)', perr, { log: true });
    const allT = nees.flatMap((s) => s.pts.map((p) => p[0]));
    if (allT.length) {
      const a = Math.min(...allT), b = Math.max(...allT);
      nees.push({ label: 'expected (3 dof)', colour: '#000', dash: [6, 4], pts: [[a, 3], [b, 3]] });
      nees.push({ label: '95 % bound (9.35)', colour: '#888', dash: [2, 4], pts: [[a, 9.348], [b, 9.348]] });
    }
    chart(grid, 'Position NEES', 't (s)', 'NEES (log)', nees, { log: true });

    /* lead time per region against the physical limit, and against the real public
     * alert when report.json has a reference_comparison for this launch (docs/SCORING.md:
     * real.lead_s and mwx.lead_s are both to the REAL event, so they compare; the
     * Report's lead_time_s is to the simulated one) */
    const cmp = refCmp && refCmp.launch === L_.id && Array.isArray(refCmp.regions) ? refCmp.regions : [];
    const regs = (L_.regions || []).filter((r) => r.threatened || r.lead_time_s != null).map((r) => r.id);
    for (const r of cmp) {
      const warned = (r.real && r.real.t_alert_s != null) || (r.mwx && r.mwx.t_alert_s != null);
      if (warned && !regs.includes(r.id)) regs.push(r.id);
    }
    const limit = (typeof L_.t_impact === 'number' && typeof L_.t_first_detection === 'number')
      ? L_.t_impact - L_.t_first_detection : null;
    const leadOf = new Map((L_.regions || []).map((r) => [r.id, r.lead_time_s]));
    const lead = regs.map((id, i) => [i, leadOf.get(id)]).filter((p) => typeof p[1] === 'number');
    const leadSer = [{ label: 'mwx lead time (simulated flight)', colour: '#d1141f', points: true, pts: lead }];
    if (limit != null && regs.length) {
      leadSer.push({ label: 'physical limit (impact − first detection)', colour: '#000', dash: [6, 4],
                     pts: [[0, limit], [Math.max(1, regs.length - 1), limit]] });
    }
    if (cmp.length) {
      const real = [], mwxReal = [];
      for (const r of cmp) {
        const i = regs.indexOf(r.id);
        if (i < 0) continue;
        if (r.real && typeof r.real.lead_s === 'number') real.push([i, r.real.lead_s]);
        if (r.mwx && typeof r.mwx.lead_s === 'number') mwxReal.push([i, r.mwx.lead_s]);
      }
      leadSer.push({ label: 'real public alert (to the real event)', colour: '#1565c0', points: true, pts: real });
      leadSer.push({ label: 'mwx (to the real event)', colour: '#ef6c00', points: true, pts: mwxReal });
      out.realLeads += real.length;
    }
    chart(grid, 'Lead time per region' + (regs.length ? '' : ' (no region threatened)'), 'region', 'lead time (s)', leadSer,
          { xvalues: (u, v) => v.map((x) => (Number.isInteger(x) && regs[x] ? regs[x] : '')),
            xvalue: (u, x) => (x != null && regs[x] ? regs[x] : '—') });

    /* alert timeline: one row per region, a mark per Alert / Update / Cancel */
    const rids = [...new Set(alertsL.flatMap((a) => a.regions))].sort();
    const tl = { Alert: [], Update: [], Cancel: [] };
    for (const a of alertsL) for (const r of a.regions) (tl[a.msg_type] || tl.Alert).push([a.t, rids.indexOf(r)]);
    const tlSer = [['Alert', '#d1141f'], ['Update', '#ef6c00'], ['Cancel', '#607d8b']].map(([k, c]) => {
      // one y per x in uPlot: nudge duplicates by a micro-second so every mark is kept
      const seen = new Set();
      const pts = tl[k].map((p) => { let x = p[0]; while (seen.has(x)) x += 1e-6; seen.add(x); return [x, p[1]]; });
      return { label: k, colour: c, points: true, pts };
    });
    chart(grid, 'Alert timeline (Alert / Update / Cancel per region)', 't (s)', 'region', tlSer,
          { yvalues: (u, v) => v.map((y) => (Number.isInteger(y) && rids[y] ? rids[y] : '')) });

    /* the sharing-benefit table */
    const tbl = el('table', 'benefit');
    const hr = el('tr');
    for (const h of ['nation', 'first track after launch (s): alone', 'shared', 'impact error at 300 s to go (km): alone', 'shared', 'min lead time (s): alone', 'shared', 'own regions threatened']) hr.appendChild(el('th', null, h));
    tbl.appendChild(hr);
    for (const r of sb) {
      const tr = el('tr');
      const a = r.alone || {}, s = r.shared || {};
      for (const v of [r.nation, fmt(a.first_track_after_launch_s, 1), fmt(s.first_track_after_launch_s, 1),
                       fmt(a.impact_error_km_at_ttg_300s, 3), fmt(s.impact_error_km_at_ttg_300s, 3),
                       fmt(a.min_lead_time_s, 1), fmt(s.min_lead_time_s, 1), r.own_regions_threatened]) tr.appendChild(el('td', null, v));
      tbl.appendChild(tr);
    }
    const tcap = el('h4', null, 'Sharing benefit' + (sb.length ? '' : ': not in report.json (it comes from `mwx run`, which also flies each nation alone)'));
    sec.appendChild(tcap);
    if (sb.length) sec.appendChild(tbl);

    if (refCmp) {
      sec.appendChild(el('h4', null, 'Against the real public alerts (reference_comparison)'));
      const pre = el('pre', 'refcmp', JSON.stringify(refCmp, null, 1));
      sec.appendChild(pre);
    }
  }
  if (!launches.length) app.appendChild(el('p', null, 'report.json lists no launch.'));
  out.ready = true;
})();
