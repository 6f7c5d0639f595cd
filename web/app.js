/* mwx operator page: draws the picture that the server streams over /events.
 *
 * Events (one JSON record a message, keys as in PRODUCT.md):
 *   hello     the stream (re)starts: forget everything, the picture follows
 *   scenario  a run starts: name, epoch, status and (key "scenario") the scenario text,
 *             from which sensors and nations are drawn
 *   trail     {node, track_id, points: [[t, x, y, z], ...]} past positions (replay only)
 *   track     a track update (ECEF position, phase, launch and impact estimates)
 *   share     a track shared from one nation to others (releasability for the views)
 *   alert     a public warning (Alert / Update / Cancel) for region ids
 *   replay    the replay clock {playing, speed, t, t_end, ended}
 *   reset     the replay restarted: forget everything
 *   truth_trail  {object, phase, points} a simulated object's true path so far (replay)
 *   truth     a simulated object's true state: drawn only on request, in the
 *             all-nations view of a simulated run (exercise control)
 *   meas      live only; counted per sensor
 * Everything is local: Leaflet and the map data are served by mwx itself. */
(function () {
  'use strict';

  const NATION_COLOURS = { JP: '#c2185b', KR: '#1565c0', US: '#2e7d32' };
  const EXTRA_COLOURS = ['#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#455a64'];
  const WGS84_A = 6378137.0;
  const WGS84_F = 1 / 298.257223563;
  const WGS84_E2 = WGS84_F * (2 - WGS84_F);
  const DEG = Math.PI / 180;
  const MAX_TRAIL = 4000;

  /* ------------------------------------------------------------ geodesy */

  // ECEF (m) to geodetic: Bowring's start, then a few fixed-point steps (sub-metre).
  function ecefToGeo(x, y, z) {
    const p = Math.hypot(x, y);
    const lon = Math.atan2(y, x);
    let lat = Math.atan2(z, p * (1 - WGS84_E2));
    let alt = 0;
    for (let i = 0; i < 6; i++) {
      const s = Math.sin(lat);
      const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * s * s);
      alt = p / Math.cos(lat) - n;
      lat = Math.atan2(z, p * (1 - WGS84_E2 * n / (n + alt)));
    }
    if (p < 1) { alt = Math.abs(z) - WGS84_A * (1 - WGS84_F); }
    return { lat: lat / DEG, lon: lon / DEG, alt: alt };
  }

  // Point at distance d (m) and azimuth az (rad, clockwise from north) on a sphere.
  function destination(lat, lon, az, d) {
    const R = 6371008.8;
    const p1 = lat * DEG, l1 = lon * DEG, dr = d / R;
    const p2 = Math.asin(Math.sin(p1) * Math.cos(dr) + Math.cos(p1) * Math.sin(dr) * Math.cos(az));
    const l2 = l1 + Math.atan2(Math.sin(az) * Math.sin(dr) * Math.cos(p1),
                               Math.cos(dr) - Math.sin(p1) * Math.sin(p2));
    return [p2 / DEG, l2 / DEG];
  }

  // 95 % ellipse outline: semi-axes in km, orientation = azimuth of the major axis,
  // clockwise from true north (PRODUCT.md).
  function ellipsePoints(imp) {
    const a = imp.semi_major_km * 1000, b = imp.semi_minor_km * 1000;
    const th = imp.orientation_deg * DEG;
    const pts = [];
    for (let i = 0; i < 72; i++) {
      const u = (i / 72) * 2 * Math.PI;
      // along the major axis (north = cos th, east = sin th) and the minor axis
      const n = a * Math.cos(u) * Math.cos(th) - b * Math.sin(u) * Math.sin(th);
      const e = a * Math.cos(u) * Math.sin(th) + b * Math.sin(u) * Math.cos(th);
      pts.push(destination(imp.lat, imp.lon, Math.atan2(e, n), Math.hypot(n, e)));
    }
    return pts;
  }

  /* ------------------------------------------------------------ state */

  const state = {
    scenario: null,
    epochMs: null,
    status: null,
    mode: null,
    replay: null,
    tracks: new Map(),       // "node|track_id" -> {rec, trail: [[lat, lon, t]], layers}
    truth: new Map(),        // object -> {phase, path: [[lat, lon, t]], line}
    sharedTo: new Map(),     // "from|track_id" -> Set(recipient nations)
    alerts: [],              // records, oldest first
    regionState: new Map(),  // region id -> {msg_type, t, node, identifier}
    nations: new Set(),
    measBySensor: new Map(),
    lastT: null,
    events: 0,
    ready: false,
  };
  window.mwx = { state: state, map: null };

  // Leaflet tooltips take HTML: every text from a record or the scenario goes through
  // esc() (a recording is data from others, issue #13), the only markup is our own.
  const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function esc(v) {
    return String(v).replace(/[&<>"']/g, (c) => ESC[c]);
  }
  window.mwx.esc = esc;

  function colourFor(nation) {
    if (NATION_COLOURS[nation]) return NATION_COLOURS[nation];
    let h = 0;
    for (const ch of String(nation)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return EXTRA_COLOURS[h % EXTRA_COLOURS.length];
  }

  /* ------------------------------------------------------------ map */

  const map = L.map('map', { zoomSnap: 0.25, worldCopyJump: false, attributionControl: true });
  window.mwx.map = map;
  map.fitBounds([[24, 117], [47, 150]]);
  map.attributionControl.setPrefix('');
  map.attributionControl.addAttribution('Natural Earth (world-atlas), Leaflet');
  // Above the land fill (overlayPane, 400), below markers.
  map.createPane('regions').style.zIndex = 410;
  map.createPane('coverage').style.zIndex = 420;
  map.createPane('tracks').style.zIndex = 450;

  const coverageLayer = L.layerGroup().addTo(map);
  const trackLayer = L.layerGroup().addTo(map);
  const truthLayer = L.layerGroup().addTo(map);
  let regionLayer = null;
  const regionById = new Map();
  const regionNames = new Map();
  window.mwx.regionById = regionById;

  const Watermark = L.Control.extend({
    onAdd: function () {
      const d = L.DomUtil.create('div', 'mwx-exercise-watermark');
      d.id = 'watermark';
      d.textContent = '';
      return d;
    },
  });
  new Watermark({ position: 'topright' }).addTo(map);

  fetch('/static/vendor/world-atlas/countries-50m.json')
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then((topo) => {
      const land = topojson.feature(topo, topo.objects.countries);
      L.geoJSON(land, {
        interactive: false,
        style: { color: '#6d7a6a', weight: 0.6, fillColor: '#f3f0e6', fillOpacity: 1 },
      }).addTo(map).bringToBack();
      const borders = topojson.mesh(topo, topo.objects.countries, (a, b) => a !== b);
      L.geoJSON(borders, { interactive: false, style: { color: '#8c8c8c', weight: 1, dashArray: '4 3' } }).addTo(map);
    })
    .catch((e) => console.warn('coastlines not loaded', e));

  fetch('/static/data/northeast-asia.geojson')
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then((gj) => {
      regionLayer = L.geoJSON(gj, {
        pane: 'regions',
        style: regionStyle,
        onEachFeature: (f, layer) => {
          regionById.set(f.properties.id, layer);
          regionNames.set(f.properties.id, f.properties.name);
          layer.bindTooltip(esc(f.properties.id + ' ' + f.properties.name), { sticky: true, className: 'mwx-label' });
        },
      }).addTo(map);
      refreshRegions();
      dirty = true;
    })
    .catch((e) => console.warn('regions not loaded', e));

  function regionStyle(feature) {
    const st = visibleRegionState(feature.properties.id);
    if (st && (st.msg_type === 'Alert' || st.msg_type === 'Update')) {
      return { color: '#8e0d14', weight: 1.2, fillColor: '#dc1e28', fillOpacity: 0.55, className: 'mwx-region-warned' };
    }
    if (st && st.msg_type === 'Cancel') {
      return { color: '#5d6577', weight: 0.8, fillColor: '#78829a', fillOpacity: 0.25, className: 'mwx-region-cancelled' };
    }
    return { color: '#7c8797', weight: 0.6, fillColor: '#ffffff', fillOpacity: 0.0 };
  }

  /* ------------------------------------------------------------ nation view */

  const nationSel = document.getElementById('nation');
  function viewNation() { return nationSel.value; }

  // What nation N may see: its own node's tracks and the tracks shared to it.
  function trackVisible(rec) {
    const n = viewNation();
    if (!n) return true;
    if (rec.node === n) return true;
    const to = state.sharedTo.get(rec.node + '|' + rec.track_id);
    return !!(to && to.has(n));
  }
  function alertVisible(a) {
    const n = viewNation();
    return !n || a.node === n;
  }
  function visibleRegionState(id) {
    if (!viewNation()) return state.regionState.get(id);
    let best = null;
    for (const a of state.alerts) {
      if (!alertVisible(a) || !(a.regions || []).includes(id)) continue;
      best = { msg_type: a.msg_type, t: a.t, node: a.node, identifier: a.identifier };
    }
    return best;
  }
  const truthBox = document.getElementById('show-truth');
  function truthShown() {
    return truthBox.checked && !viewNation() && state.status !== 'Actual';
  }
  function drawTruth(o) {
    if (!truthShown()) {
      if (o.line) { truthLayer.removeLayer(o.line); o.line = null; }
      return;
    }
    const ll = o.path.map((p) => [p[0], p[1]]);
    if (!o.line) {
      o.line = L.polyline(ll, {
        pane: 'tracks', color: '#333', weight: 1.5, dashArray: '4 4', opacity: 0.8,
        className: 'mwx-truth',
      }).bindTooltip(esc('truth: ' + o.object + ' (' + o.phase + ')'), { className: 'mwx-label', sticky: true })
        .addTo(truthLayer);
    } else {
      o.line.setLatLngs(ll);
      o.line.setTooltipContent(esc('truth: ' + o.object + ' (' + o.phase + ')'));
    }
  }
  const dirtyTruth = new Set();
  setInterval(() => { for (const o of dirtyTruth) drawTruth(o); dirtyTruth.clear(); }, 500);
  truthBox.addEventListener('change', () => { for (const o of state.truth.values()) drawTruth(o); });
  function truthEntry(id) {
    let o = state.truth.get(id);
    if (!o) { o = { object: id, phase: '', path: [], line: null }; state.truth.set(id, o); }
    return o;
  }
  function onTruthTrail(m) {
    const o = truthEntry(m.object);
    o.phase = m.phase;
    o.path = (m.points || []).map((p) => { const g = ecefToGeo(p[1], p[2], p[3]); return [g.lat, g.lon, p[0]]; });
    dirtyTruth.add(o);
  }
  function onTruth(m) {
    const o = truthEntry(m.object);
    o.phase = m.phase;
    const last = o.path[o.path.length - 1];
    if (!last || m.t > last[2]) {
      const g = ecefToGeo(m.ecef_m[0], m.ecef_m[1], m.ecef_m[2]);
      o.path.push([g.lat, g.lon, m.t]);
      if (o.path.length > MAX_TRAIL) o.path.splice(0, o.path.length - MAX_TRAIL);
    }
    dirtyTruth.add(o);
    noteTime(m.t);
  }

  nationSel.addEventListener('change', () => {
    const n = viewNation();
    document.getElementById('nation-note').textContent = n
      ? 'Tracks held by ' + n + '\'s node and tracks shared to ' + n + '; ' + n + '\'s warnings.'
      : 'Everything published to this page.';
    for (const tr of state.tracks.values()) drawTrack(tr);
    for (const o of state.truth.values()) drawTruth(o);
    refreshRegions();
    dirty = true;
  });
  function addNation(id) {
    if (!id || state.nations.has(id)) return;
    state.nations.add(id);
    const o = document.createElement('option');
    o.value = id;
    o.textContent = id;
    nationSel.appendChild(o);
  }

  /* ------------------------------------------------------------ drawing */

  function resetAll() {
    dirtyTracks.clear();
    for (const o of state.truth.values()) if (o.line) truthLayer.removeLayer(o.line);
    state.truth.clear();
    dirtyTruth.clear();
    for (const tr of state.tracks.values()) removeTrackLayers(tr);
    state.tracks.clear();
    state.sharedTo.clear();
    state.alerts = [];
    state.regionState.clear();
    state.measBySensor.clear();
    state.lastT = null;
    refreshRegions();
    dirty = true;
  }

  function setScenario(rec) {
    resetAll();
    coverageLayer.clearLayers();
    state.scenario = rec;
    state.status = rec.status || null;
    const ms = Date.parse(rec.epoch);
    state.epochMs = isNaN(ms) ? null : ms;
    document.getElementById('scenario-name').textContent = rec.name || '(unnamed scenario)';
    const scn = rec.scenario && typeof rec.scenario === 'object' ? rec.scenario : null;
    if (scn && Array.isArray(scn.nations)) scn.nations.forEach((n) => addNation(n.id));
    if (scn && Array.isArray(scn.sensors)) scn.sensors.forEach(drawSensor);
    setBanner();
    renderReference();
  }

  /* A historic scenario's real public alerts beside mwx's first alert per region
   * (docs/HISTORIC.md): fed by the scenario record and the alerts this page already has. */
  function renderReference() {
    let box = document.getElementById('reference');
    const scn = state.scenario && typeof state.scenario.scenario === 'object' ? state.scenario.scenario : null;
    const ref = scn && scn.reference && typeof scn.reference === 'object' ? scn.reference : null;
    if (!ref) { if (box) box.hidden = true; return; }
    if (!box) {
      box = document.createElement('section');
      box.className = 'box';
      box.id = 'reference';
      const side = document.getElementById('side');
      side.insertBefore(box, side.children[1] || null);
    }
    box.hidden = false;
    const launches = Array.isArray(scn.launches) ? scn.launches : [];
    const l = launches.find((x) => x.id === ref.launch) || launches[0] || {};
    const t0 = typeof l.t_launch_s === 'number' ? l.t_launch_s : 0;
    const rows = new Map();
    const row = (id) => { if (!rows.has(id)) rows.set(id, { real: null, mwx: null, end: '' }); return rows.get(id); };
    for (const a of Array.isArray(ref.alerts) ? ref.alerts : []) {
      for (const id of Array.isArray(a.regions) ? a.regions : []) {
        const r = row(String(id));
        if (a.kind === 'alert' && (r.real == null || a.t_s < r.real)) r.real = a.t_s;
        if (a.kind === 'withdrawn') r.end = 'withdrawn';
        if (a.kind === 'passed' && !r.end) r.end = 'passed';
      }
    }
    for (const a of state.alerts) {
      if (a.msg_type === 'Cancel' || String(a.identifier || '').includes('.launch.')) continue;
      for (const id of a.regions || []) {
        const r = row(id), t = a.t - t0;
        if (r.mwx == null || t < r.mwx) r.mwx = t;
      }
    }
    box.textContent = '';
    const h = document.createElement('h2');
    h.textContent = 'Real alerts vs mwx (s after launch)';
    box.appendChild(h);
    const tab = document.createElement('table');
    tab.className = 'tracks';
    const tr0 = tab.insertRow();
    for (const c of ['region', 'real', 'mwx', 'mwx ahead']) { const th = document.createElement('th'); th.textContent = c; tr0.appendChild(th); }
    const f = (x) => (typeof x === 'number' ? x.toFixed(0) : '—');
    for (const [id, r] of rows) {
      const tr = tab.insertRow();
      const ahead = r.real != null && r.mwx != null ? f(r.real - r.mwx) : (r.real != null ? 'real only' : 'mwx only');
      for (const c of [regionNames.get(id) || id, f(r.real) + (r.end ? ' (' + r.end + ')' : ''), f(r.mwx), ahead]) tr.insertCell().textContent = c;
    }
    box.appendChild(tab);
    if (!rows.size) { const p = document.createElement('p'); p.className = 'small muted'; p.textContent = 'no public alert then, none from mwx yet'; box.appendChild(p); }
  }

  function drawSensor(s) {
    const col = colourFor(s.nation);
    if (s.kind === 'radar' && typeof s.lat === 'number' && typeof s.lon === 'number') {
      L.circleMarker([s.lat, s.lon], {
        pane: 'coverage', radius: 5, color: '#14361f', weight: 1, fillColor: col, fillOpacity: 1,
        className: 'mwx-sensor',
      }).bindTooltip(esc(s.id + ' (' + s.nation + ' radar)'), { className: 'mwx-label' }).addTo(coverageLayer);
      if (typeof s.max_range_km === 'number') {
        L.circle([s.lat, s.lon], {
          pane: 'coverage', radius: s.max_range_km * 1000, color: col, weight: 1, dashArray: '5 5',
          opacity: 0.7, fill: false, interactive: false, className: 'mwx-coverage',
        }).addTo(coverageLayer);
      }
    } else if (typeof s.lon === 'number') {
      // Geostationary IR satellite: its sub-satellite point on the equator.
      L.circleMarker([0, s.lon], {
        pane: 'coverage', radius: 5, color: col, weight: 2, fill: false, className: 'mwx-sensor',
      }).bindTooltip(esc(s.id + ' (' + s.nation + ' IR satellite, GEO ' + s.lon + '°E)'), { className: 'mwx-label' })
        .addTo(coverageLayer);
    }
  }

  function removeTrackLayers(tr) {
    for (const k of Object.keys(tr.layers)) { trackLayer.removeLayer(tr.layers[k]); }
    tr.layers = {};
  }

  function drawTrack(tr) {
    const rec = tr.rec;
    if (!rec || !trackVisible(rec)) { removeTrackLayers(tr); return; }
    const col = colourFor(rec.node);
    const L_ = tr.layers;
    const latlngs = tr.trail.map((p) => [p[0], p[1]]);
    const here = latlngs[latlngs.length - 1];
    if (!L_.trail) {
      L_.trail = L.polyline(latlngs, { pane: 'tracks', color: col, weight: 2, opacity: 0.85, className: 'mwx-trail' }).addTo(trackLayer);
    } else {
      L_.trail.setLatLngs(latlngs);
    }
    const label = esc(rec.track_id + ' · ' + rec.node + ' · ' + rec.phase + ' · ' +
      (tr.alt / 1000).toFixed(0) + ' km' +
      (Array.isArray(rec.sources) && rec.sources.length ? ' · from ' + rec.sources.join('+') : ''));
    if (here) {
      // Phase at a glance: boost has an orange ring, ballistic a dark one; after impact
      // the marker greys out and shrinks.
      const look = rec.phase === 'boost' ? { radius: 7, color: '#ff6f00', weight: 3, fillColor: col }
        : rec.phase === 'impact' ? { radius: 4, color: '#555', weight: 1, fillColor: '#9aa0ab' }
          : { radius: 6, color: '#0b1020', weight: 1.5, fillColor: col };
      if (!L_.pos) {
        L_.pos = L.circleMarker(here, Object.assign({
          pane: 'tracks', fillOpacity: 1, className: 'mwx-track',
        }, look)).bindTooltip(label, { className: 'mwx-label', direction: 'right', offset: [8, 0] }).addTo(trackLayer);
      } else {
        L_.pos.setLatLng(here);
        L_.pos.setStyle(look);
        L_.pos.setRadius(look.radius);
        L_.pos.setTooltipContent(label);
      }
    }
    const la = rec.launch;
    if (la && typeof la.lat === 'number') {
      const html = '<div style="color:' + col + ';font-size:16px;line-height:16px;text-shadow:0 0 2px #fff">▲</div>';
      if (!L_.launch) {
        L_.launch = L.marker([la.lat, la.lon], {
          pane: 'tracks',
          icon: L.divIcon({ className: 'mwx-launch', html: html, iconSize: [16, 16], iconAnchor: [8, 10] }),
        }).bindTooltip(esc('launch point (est.) of ' + rec.track_id + ', t = ' + fmtT(la.t)), { className: 'mwx-label' }).addTo(trackLayer);
      } else {
        L_.launch.setLatLng([la.lat, la.lon]);
      }
    }
    const imp = rec.impact;
    if (imp && typeof imp.lat === 'number' && typeof imp.lon === 'number' && typeof imp.semi_major_km === 'number' &&
        typeof imp.semi_minor_km === 'number' && imp.semi_major_km > 0) {
      const pts = ellipsePoints(imp);
      const tip = esc('predicted impact of ' + rec.track_id + ' (' + rec.node + '): ' +
        imp.lat.toFixed(2) + '°N ' + imp.lon.toFixed(2) + '°E, t = ' + fmtT(imp.t)) +
        '<br>' + esc('95 % ellipse ' + imp.semi_major_km.toFixed(1) + ' × ' +
        imp.semi_minor_km.toFixed(1) + ' km, major axis ' + Number(imp.orientation_deg).toFixed(0) + '°');
      if (!L_.ellipse) {
        L_.ellipse = L.polygon(pts, {
          pane: 'tracks', color: '#d1141f', weight: 2, fillColor: '#d1141f', fillOpacity: 0.15,
          dashArray: rec.node === 'US' ? '6 4' : null, className: 'mwx-ellipse',
        }).bindTooltip(tip, { className: 'mwx-label' }).addTo(trackLayer);
        L_.impact = L.circleMarker([imp.lat, imp.lon], {
          pane: 'tracks', radius: 3, color: '#d1141f', weight: 1, fillColor: '#fff', fillOpacity: 1,
          className: 'mwx-impact',
        }).addTo(trackLayer);
        if (here) {
          L_.path = L.polyline([here, [imp.lat, imp.lon]], {
            pane: 'tracks', color: col, weight: 1, dashArray: '2 6', opacity: 0.8, interactive: false,
          }).addTo(trackLayer);
        }
      } else {
        L_.ellipse.setLatLngs(pts);
        L_.ellipse.setTooltipContent(tip);
        L_.impact.setLatLng([imp.lat, imp.lon]);
        if (L_.path && here) L_.path.setLatLngs([here, [imp.lat, imp.lon]]);
      }
    } else {
      for (const k of ['ellipse', 'impact', 'path']) {
        if (L_[k]) { trackLayer.removeLayer(L_[k]); delete L_[k]; }
      }
    }
  }

  const dirtyTracks = new Set();
  function flushTracks() {
    for (const tr of dirtyTracks) drawTrack(tr);
    dirtyTracks.clear();
  }
  setInterval(flushTracks, 200);

  function trackEntry(node, id) {
    const key = node + '|' + id;
    let tr = state.tracks.get(key);
    if (!tr) {
      tr = { rec: null, trail: [], layers: {}, alt: 0 };
      state.tracks.set(key, tr);
    }
    return tr;
  }

  function onTrail(m) {
    const tr = trackEntry(m.node, m.track_id);
    tr.trail = (m.points || []).map((p) => {
      const g = ecefToGeo(p[1], p[2], p[3]);
      return [g.lat, g.lon, p[0]];
    });
  }

  function onTrack(rec) {
    addNation(rec.node);
    const tr = trackEntry(rec.node, rec.track_id);
    const g = ecefToGeo(rec.ecef_m[0], rec.ecef_m[1], rec.ecef_m[2]);
    tr.alt = g.alt;
    const last = tr.trail[tr.trail.length - 1];
    if (!last || rec.t > last[2]) {
      tr.trail.push([g.lat, g.lon, rec.t]);
      if (tr.trail.length > MAX_TRAIL) tr.trail.splice(0, tr.trail.length - MAX_TRAIL);
    } else if (last && rec.t === last[2]) {
      tr.trail[tr.trail.length - 1] = [g.lat, g.lon, rec.t];
    }
    tr.rec = rec;
    tr.geo = g;
    dirtyTracks.add(tr); // drawn by flushTracks: a fast replay sends hundreds a second
    noteTime(rec.t);
  }

  function onShare(rec) {
    addNation(rec.from);
    (rec.to || []).forEach(addNation);
    if (!rec.verified) return; // only verified shares count as releasable data received
    const key = rec.from + '|' + rec.track_id;
    let set = state.sharedTo.get(key);
    if (!set) { set = new Set(); state.sharedTo.set(key, set); }
    let changed = false;
    for (const n of rec.to || []) { if (!set.has(n)) { set.add(n); changed = true; } }
    if (changed && viewNation()) {
      const tr = state.tracks.get(key);
      if (tr) drawTrack(tr);
    }
    noteTime(rec.t);
  }

  function onAlert(rec) {
    addNation(rec.node);
    state.alerts.push(rec);
    if (state.alerts.length > 1000) state.alerts.shift();
    for (const id of rec.regions || []) {
      state.regionState.set(id, { msg_type: rec.msg_type, t: rec.t, node: rec.node, identifier: rec.identifier });
    }
    refreshRegions();
    renderReference();
    noteTime(rec.t);
    dirty = true;
  }

  function refreshRegions() {
    if (!regionLayer) return;
    regionLayer.setStyle(regionStyle);
    regionLayer.eachLayer((layer) => {
      const p = layer.feature.properties;
      const st = visibleRegionState(p.id);
      layer.setTooltipContent(esc(p.id + ' ' + p.name + (st
        ? ' — ' + (st.msg_type === 'Cancel' ? 'warning cancelled' : 'UNDER WARNING (' + st.msg_type + ')') +
          ' by ' + st.node + ' at t = ' + fmtT(st.t)
        : '')));
    });
  }

  /* ------------------------------------------------------------ side panel */

  function fmtT(t) {
    return typeof t === 'number' ? t.toFixed(1) + ' s' : '—';
  }
  function utcOf(t) {
    if (state.epochMs == null || typeof t !== 'number') return '—';
    return new Date(state.epochMs + t * 1000).toISOString().replace('.000Z', 'Z');
  }
  function noteTime(t) {
    if (typeof t === 'number' && (state.lastT == null || t > state.lastT)) state.lastT = t;
    dirty = true;
  }

  function headline(a) {
    const names = (a.regions || []).map((id) => regionNames.get(id) || id);
    const shown = names.slice(0, 4).join(', ') + (names.length > 4 ? ' +' + (names.length - 4) : '');
    if (a.msg_type === 'Cancel') return 'Warning cancelled: ' + shown;
    if (a.msg_type === 'Update') return 'Missile warning updated: ' + shown;
    return 'Missile warning: ' + shown;
  }

  function setBanner() {
    const b = document.getElementById('banner');
    const s = document.getElementById('banner-status');
    const txt = document.getElementById('banner-text');
    const wm = document.getElementById('watermark');
    const st = state.status;
    b.className = 'banner ' + (st === 'Exercise' ? 'banner-exercise' : st === 'Test' ? 'banner-test'
      : st === 'Actual' ? 'banner-actual' : 'banner-unknown');
    if (st === 'Exercise' || st === 'Test') {
      s.textContent = st.toUpperCase();
      txt.textContent = st.toUpperCase() + ' — simulated data, not a real warning' +
        (state.mode === 'replay' ? ' · replay of a recording' : '');
      if (wm) wm.textContent = st.toUpperCase() + ' · SIMULATED';
    } else if (st === 'Actual') {
      s.textContent = 'ACTUAL';
      txt.textContent = 'live sensor data' + (state.mode === 'replay' ? ' · replay of a recording (past events)' : '');
      if (wm) wm.textContent = state.mode === 'replay' ? 'REPLAY' : '';
    } else {
      s.textContent = 'STATUS UNKNOWN';
      txt.textContent = 'no scenario record yet — treat as TEST';
      if (wm) wm.textContent = 'TEST?';
    }
  }

  let dirty = true;
  function renderPanel() {
    if (!dirty) return;
    dirty = false;
    const t = state.replay && state.mode === 'replay' ? state.replay.t : state.lastT;
    document.getElementById('clock').textContent = 't = ' + fmtT(t);
    document.getElementById('utc').textContent = utcOf(t);
    document.getElementById('mode').textContent = 'mode: ' + (state.mode || '—');

    const list = document.getElementById('alerts');
    const vis = state.alerts.filter(alertVisible);
    document.getElementById('alert-count').textContent = '(' + vis.length + ')';
    list.textContent = '';
    for (const a of vis.slice(-100).reverse()) {
      const li = document.createElement('li');
      li.className = 'alert msg-' + a.msg_type;
      const h = document.createElement('div');
      h.className = 'headline';
      h.textContent = headline(a);
      const m = document.createElement('div');
      m.className = 'meta';
      m.textContent = a.msg_type + ' · ' + a.status + ' · ' + a.node + ' · t = ' + fmtT(a.t) +
        ' · ' + utcOf(a.t) + ' · ' + a.identifier;
      li.appendChild(h);
      li.appendChild(m);
      list.appendChild(li);
    }

    const body = document.querySelector('#tracks tbody');
    body.textContent = '';
    let n = 0;
    for (const tr of state.tracks.values()) {
      if (!tr.rec || !trackVisible(tr.rec)) continue;
      n++;
      const row = document.createElement('tr');
      const imp = tr.rec.impact;
      const cells = [
        [tr.rec.track_id + (tr.rec.node !== tr.rec.track_id.split('-')[0] ? ' (' + tr.rec.node + ')' : ''), ''],
        [tr.rec.phase, ''],
        [(tr.alt / 1000).toFixed(0), 'num'],
        [imp && typeof imp.lat === 'number'
          ? imp.semi_major_km.toFixed(0) + '×' + imp.semi_minor_km.toFixed(0) + ' km' : '—', 'num'],
      ];
      for (const [text, cls] of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        row.appendChild(td);
      }
      const dot = row.firstChild;
      dot.style.borderLeft = '4px solid ' + colourFor(tr.rec.node);
      body.appendChild(row);
    }
    document.getElementById('track-count').textContent = '(' + n + ')';

    const rp = document.getElementById('replay');
    rp.hidden = state.mode !== 'replay';
    if (state.replay) {
      const r = state.replay;
      const prog = document.getElementById('progress');
      prog.max = Math.max(r.t_end, 1);
      prog.value = Math.min(r.t, r.t_end);
      document.getElementById('replay-state').textContent =
        (r.ended ? 'ended' : r.playing ? 'playing' : 'paused') + ' · ' + r.speed + '× · ' +
        fmtT(r.t) + ' / ' + fmtT(r.t_end);
      const sp = document.getElementById('speed');
      if (document.activeElement !== sp) {
        const v = String(r.speed);
        if (![...sp.options].some((o) => o.value === v)) {
          const o = document.createElement('option');
          o.value = v;
          o.textContent = v + '×';
          sp.appendChild(o);
        }
        sp.value = v;
      }
    }
  }
  setInterval(renderPanel, 250);

  /* ------------------------------------------------------------ replay controls */

  function control(query) {
    fetch('/api/control?' + query, { cache: 'no-store', headers: { 'X-Mwx-Token': state.token || '' } })
      .then((r) => r.json())
      .then((j) => { if (j.replay) { state.replay = j.replay; dirty = true; } })
      .catch((e) => console.warn('control failed', e));
  }
  document.getElementById('play').addEventListener('click', () => control('cmd=play'));
  document.getElementById('pause').addEventListener('click', () => control('cmd=pause'));
  document.getElementById('restart').addEventListener('click', () => control('cmd=restart'));
  document.getElementById('speed').addEventListener('change', (e) =>
    control('cmd=speed&x=' + encodeURIComponent(e.target.value)));

  /* ------------------------------------------------------------ the stream */

  const conn = document.getElementById('conn');
  function connected(on) {
    conn.textContent = on ? 'live feed' : 'reconnecting';
    conn.className = 'pill ' + (on ? 'pill-on' : 'pill-off');
  }

  const es = new EventSource('/events');
  function on(name, fn) {
    es.addEventListener(name, (ev) => {
      state.events++;
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { console.warn('bad event', name, e); return; }
      fn(m);
    });
  }
  es.onopen = () => connected(true);
  es.onerror = () => connected(false);
  on('hello', (m) => {
    state.ready = false;
    state.mode = m.mode;
    state.replay = m.replay || null;
    state.token = typeof m.token === 'string' ? m.token : null;
    document.getElementById('atom-link').hidden = !m.atom;
    coverageLayer.clearLayers();
    state.scenario = null;
    state.status = null;
    resetAll();
    setBanner();
  });
  on('scenario', setScenario);
  on('trail', onTrail);
  on('track', onTrack);
  on('share', onShare);
  on('alert', onAlert);
  on('meas', (m) => { state.measBySensor.set(m.sensor, (state.measBySensor.get(m.sensor) || 0) + 1); noteTime(m.t); });
  on('truth', onTruth);
  on('truth_trail', onTruthTrail);
  on('replay', (m) => { state.replay = m; state.mode = 'replay'; dirty = true; });
  on('reset', () => { resetAll(); });
  on('ready', () => { state.ready = true; dirty = true; });
  setBanner();
})();
