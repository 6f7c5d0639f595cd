// Drives Debian's chromium (headless, fresh profile, never a downloaded browser) with npm
// playwright-core against `mwx serve` of the synthetic recording, and checks what an
// operator would see. Run by browser_test.sh, which sets:
//   MWX_URL, MWX_CHROMIUM, MWX_PROFILE, MWX_SCREENSHOT, MWX_NODE_MODULES
'use strict';
const { openPage } = require('./browser_lib.cjs');

const url = process.env.MWX_URL;
const problems = [];
function check(cond, what) {
  if (!cond) problems.push(what);
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
}

(async () => {
  const { ctx, page, foreign, errors } = await openPage(url);
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('requestfailed', (r) => {
    if (!r.url().endsWith('/events')) errors.push('request failed: ' + r.url());
  });

  try {
    await page.goto(url, { waitUntil: 'load' });
    const T = { timeout: 20000 };
    await page.waitForFunction(() => document.getElementById('banner-status').textContent === 'EXERCISE', null, T);
    check(true, 'EXERCISE banner shown');
    check((await page.textContent('#banner-text')).includes('simulated data, not a real warning'),
          'banner says simulated, not a real warning');

    // Both nations' tracks, an impact ellipse, a warned region and an alert.
    await page.waitForFunction(() => window.mwx && window.mwx.state.tracks.size >= 2 &&
      document.querySelectorAll('path.mwx-ellipse').length >= 2, null, T);
    check(true, 'two tracks with impact ellipses drawn');
    await page.waitForSelector('#alerts li.alert', T);
    // The list is newest first; the first Alert (t = 120.5 s) is the oldest entry.
    const items = await page.$$eval('#alerts li.alert', (a) => a.map((li) => li.innerText));
    const first = items[items.length - 1] || '';
    check(/Missile warning: Hokkaido, Aomori, Akita, Iwate/.test(first), 'alert headline names the regions: ' + first);
    check(/Alert · Exercise · JP · t = 120\.5 s · 2026-11-22T03:02:00\.500Z/.test(first),
          'alert meta: msgType, status, node, time: ' + first);
    await page.waitForFunction(() =>
      document.querySelectorAll('.leaflet-regions-pane path[fill="#dc1e28"]').length >= 4, null, T);
    check(true, 'warned regions coloured');
    const tip = await page.evaluate(() => window.mwx.regionById.get('JP-01').getTooltip().getContent());
    check(/^JP-01 Hokkaido — UNDER WARNING \((Alert|Update)\) by JP/.test(tip), 'region tooltip tells its state: ' + tip);
    check(await page.$$eval('path.mwx-track', (a) => a.length) >= 2, 'track markers drawn');
    check(await page.$$eval('path.mwx-trail', (a) => a.length) >= 2, 'track trails drawn');
    check(await page.$$eval('.mwx-launch', (a) => a.length) >= 1, 'launch point drawn');
    check(await page.$$eval('path.mwx-coverage', (a) => a.length) === 2, 'two radar coverage circles');
    check(await page.$$eval('.leaflet-overlay-pane path', (a) => a.length) > 20, 'coastlines drawn');

    // Pause the replay: the picture then holds still for the geometry checks.
    await page.click('#pause');
    await page.waitForFunction(() => document.getElementById('replay-state').textContent.startsWith('paused'), null, T);
    check(true, 'pause control answered');

    // The ellipse: farthest outline point from the centre = semi-major, nearest =
    // semi-minor, and the farthest lies along orientation_deg (clockwise from north).
    const geo = await page.evaluate(() => {
      const m = window.mwx.map;
      const out = [];
      for (const tr of window.mwx.state.tracks.values()) {
        if (!tr.layers.ellipse) continue;
        const imp = tr.rec.impact;
        const c = L.latLng(imp.lat, imp.lon);
        let far = null, dmax = 0, dmin = Infinity;
        for (const p of tr.layers.ellipse.getLatLngs()[0]) {
          const d = m.distance(c, p);
          if (d > dmax) { dmax = d; far = p; }
          dmin = Math.min(dmin, d);
        }
        const r = Math.PI / 180;
        const y = Math.sin((far.lng - c.lng) * r) * Math.cos(far.lat * r);
        const x = Math.cos(c.lat * r) * Math.sin(far.lat * r) -
                  Math.sin(c.lat * r) * Math.cos(far.lat * r) * Math.cos((far.lng - c.lng) * r);
        const az = ((Math.atan2(y, x) / r) + 360) % 180;
        out.push({ id: tr.rec.track_id, a: imp.semi_major_km, b: imp.semi_minor_km,
                   o: imp.orientation_deg % 180, dmax: dmax / 1000, dmin: dmin / 1000, az });
      }
      return out;
    });
    for (const g of geo) {
      check(Math.abs(g.dmax - g.a) / g.a < 0.02, `${g.id} ellipse semi-major ${g.dmax.toFixed(1)} km ~ ${g.a.toFixed(1)}`);
      check(Math.abs(g.dmin - g.b) / g.b < 0.03, `${g.id} ellipse semi-minor ${g.dmin.toFixed(1)} km ~ ${g.b.toFixed(1)}`);
      check(Math.abs(g.az - g.o) < 3, `${g.id} ellipse major axis azimuth ${g.az.toFixed(1)} ~ ${g.o}`);
    }
    check(geo.length >= 2, 'ellipse geometry checked for both tracks');

    await page.screenshot({ path: process.env.MWX_SCREENSHOT });
    console.log('screenshot: ' + process.env.MWX_SCREENSHOT);

    // Nation views: US holds no track of its own here, and KR-1 is shared to it;
    // JP holds JP-1 and receives KR-1; only JP's node issued warnings.
    const view = async (n) => {
      await page.selectOption('#nation', n);
      await page.waitForTimeout(400); // the side panel redraws every 250 ms
      return {
        tracks: await page.$$eval('path.mwx-track', (a) => a.length),
        alerts: await page.$$eval('#alerts li.alert', (a) => a.length),
      };
    };
    // True paths: only on request, only in the all-nations (exercise control) view.
    check(await page.$$eval('path.mwx-truth', (a) => a.length) === 0, 'truth hidden by default');
    await page.check('#show-truth');
    await page.waitForSelector('path.mwx-truth', T);
    check(true, 'truth path shown on request');
    let v = await view('US');
    check(await page.$$eval('path.mwx-truth', (a) => a.length) === 0, 'truth hidden in a nation view');
    check(v.tracks === 1 && v.alerts === 0, `US view: 1 track (KR-1 shared), no alerts: ${JSON.stringify(v)}`);
    v = await view('JP');
    check(v.tracks === 2 && v.alerts >= 1, `JP view: own JP-1 + shared KR-1, JP alerts: ${JSON.stringify(v)}`);
    v = await view('KR');
    check(v.tracks === 1 && v.alerts === 0, `KR view: KR-1 only: ${JSON.stringify(v)}`);
    v = await view('');
    check(v.tracks === 2, 'all-nations view again');
    check(await page.$$eval('path.mwx-truth', (a) => a.length) === 1, 'truth back in the all-nations view');
    await page.uncheck('#show-truth');

    await page.click('#play');
    await page.waitForFunction(() => /^(playing|ended)/.test(document.getElementById('replay-state').textContent), null, T);
    check(true, 'play control answered');

    check(foreign.length === 0, 'no request left the server: ' + foreign.join(' '));
    check(errors.length === 0, 'no page errors: ' + errors.join(' | '));
  } catch (e) {
    problems.push(String(e));
    console.log('FAIL ' + e);
    try { await page.screenshot({ path: process.env.MWX_SCREENSHOT }); } catch (e2) { /* ignore */ }
  } finally {
    await ctx.close();
  }
  if (problems.length) {
    console.log(problems.length + ' problem(s)');
    process.exit(1);
  }
})();
