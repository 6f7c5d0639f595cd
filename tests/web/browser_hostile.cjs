// Issue #13 item 7: a recording whose every id is HTML markup (web_make_recording
// --hostile), served by `mwx serve`. Every text must reach the DOM as text: after all
// tooltips are opened, no element of class or id "inj" may exist, the markup must be visible
// as literal text, and the page must raise no error. Environment as browser_test.cjs.
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
  try {
    await page.goto(url, { waitUntil: 'load' });
    const T = { timeout: 20000 };
    await page.waitForFunction(() => window.mwx && window.mwx.state.ready &&
      window.mwx.state.tracks.size >= 2 && window.mwx.state.alerts.length >= 1 &&
      document.querySelectorAll('path.mwx-ellipse').length >= 1, null, T);
    await page.click('#pause');
    await page.check('#show-truth');
    await page.waitForSelector('path.mwx-truth', T);
    await page.waitForTimeout(600); // the panel and the track layers redraw on timers
    const n = await page.evaluate(() => {
      let k = 0;
      window.mwx.map.eachLayer((l) => {
        if (l.getTooltip && l.getTooltip()) { l.openTooltip(); k++; }
      });
      return k;
    });
    check(n >= 8, 'tooltips opened: ' + n);
    await page.waitForTimeout(300);
    const tips = await page.$$eval('.leaflet-tooltip', (a) => a.map((t) => t.textContent));
    const joined = tips.join(' | ');
    for (const s of ['<u class=inj>T</u>', '<b class=inj>J</b>', '<i class=inj>K</i>',
                     '<img class=inj src=x>', '<b class=inj>SAT</b>', '<s class=inj>O</s>',
                     '<b class=inj>S</b>', '<b class=inj>ALL CLEAR</b>']) {
      check(joined.includes(s), 'shown as text in a tooltip: ' + s);
    }
    const panel = await page.textContent('body');
    check(panel.includes('<b class=inj>ALL CLEAR</b>'), 'scenario name shown as text');
    check(panel.includes('<b id=inj>'), 'region id of the alert shown as text');
    const inj = await page.$$eval('.inj, #inj', (a) => a.map((e) => e.outerHTML));
    check(inj.length === 0, 'no injected element in the DOM: ' + inj.join(' '));
    check(foreign.length === 0, 'no request left the server: ' + foreign.join(' '));
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
