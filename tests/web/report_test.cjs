// `mwx report`'s page in Debian's chromium (playwright-core): it renders from file://
// with no server, has a map and the five charts per launch, raises no page error and
// makes no request besides the file itself. Environment: MWX_URL (file://...),
// MWX_CHROMIUM, MWX_PROFILE, MWX_NODE_MODULES, MWX_LAUNCHES, MWX_SCREENSHOT, MWX_ALONE,
// MWX_REAL_LEADS.
'use strict';
const { openPage } = require('./browser_lib.cjs');

const url = process.env.MWX_URL;
const launches = Number(process.env.MWX_LAUNCHES);
const problems = [];
function check(cond, what) {
  if (!cond) problems.push(what);
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
}

(async () => {
  const { ctx, page, foreign, errors } = await openPage(url);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => window.mwxReport && window.mwxReport.ready, null, { timeout: 20000 });
    const st = await page.evaluate(() => window.mwxReport);
    check(launches >= 1, 'the run has launches: ' + launches);
    check(st.maps === launches, `one map per launch: ${st.maps}`);
    check(st.charts === 5 * launches, `five charts per launch: ${st.charts}`);
    // MWX_ALONE: report.json has mwx run's sharing benefit, so each nation alone is drawn;
    // MWX_REAL_LEADS: it has a reference_comparison, so the real alerts' lead times are.
    if (process.env.MWX_ALONE) check(st.aloneSeries >= 1, `a nation's alone curve in the impact-error chart: ${st.aloneSeries}`);
    if (process.env.MWX_REAL_LEADS) check(st.realLeads >= 1, `real alerts' lead times drawn: ${st.realLeads}`);
    check(await page.$$eval('.leaflet-container', (a) => a.length) === launches, 'Leaflet maps in the DOM');
    check(await page.$$eval('.uplot canvas', (a) => a.length) >= 5 * launches, 'uPlot canvases in the DOM');
    check(await page.$$eval('.leaflet-overlay-pane path', (a) => a.length) > 20, 'coastlines drawn');
    check(await page.$$eval('path.mwx-truth', (a) => a.length) >= launches, 'true paths drawn');
    check(await page.$$eval('path.mwx-track', (a) => a.length) >= launches, 'tracks drawn');
    check(await page.$$eval('path.mwx-ellipse', (a) => a.length) >= launches, 'impact ellipses drawn');
    const warned = await page.$$eval('path.mwx-region-warned', (a) => a.length);
    check(st.launchAlerts === 0 ? warned === 0 : warned >= 1, `warned regions coloured (${st.launchAlerts} of ${st.alerts} alerts, ${warned} regions)`);
    // each launch's map and timeline have only its own alerts, and every alert is some launch's
    check(st.launchAlerts === st.alerts, `every alert is in its launch's section: ${st.launchAlerts} of ${st.alerts}`);
    check(st.norms >= 1, `the range-safety norm is drawn: ${st.norms}`);
    check(await page.$$eval('table.benefit tr', (a) => a.length) >= 2, 'sharing-benefit table');
    check((await page.textContent('h1')).includes('mwx after-action report'), 'title');
    if (process.env.MWX_SCREENSHOT) await page.screenshot({ path: process.env.MWX_SCREENSHOT, fullPage: false });
    const other = requests.filter((u) => u !== url);
    check(other.length === 0, 'no request besides the file: ' + other.join(' '));
    check(foreign.length === 0, 'no foreign request: ' + foreign.join(' '));
    check(errors.length === 0, 'no page errors: ' + errors.join(' | '));
  } catch (e) {
    problems.push(String(e));
    console.log('FAIL ' + e);
  } finally {
    await ctx.close();
  }
  if (problems.length) {
    console.log(problems.length + ' problem(s)');
    process.exit(1);
  }
})();
