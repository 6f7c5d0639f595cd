// The operator page during a live `mwx demo` run (not a replay): Debian's chromium,
// headless, fresh profile, driven by npm playwright-core. Asserts that a track, an impact
// ellipse and an alert appear while the run goes on, and that nothing is fetched from
// anywhere but the node itself. Run by browser_live.sh with MWX_URL, MWX_CHROMIUM,
// MWX_PROFILE, MWX_SCREENSHOT, MWX_NODE_MODULES.
'use strict';
const { openPage } = require('./browser_lib.cjs');

const url = process.env.MWX_URL;
(async () => {
  const { ctx, page, foreign, errors } = await openPage(url);
  let ok = true;
  try {
    await page.goto(url, { waitUntil: 'load' });
    const T = { timeout: 120000 };
    await page.waitForFunction(() => window.mwx && window.mwx.state.tracks.size >= 1, null, T);
    console.log('ok   a track appeared');
    await page.waitForFunction(() => document.querySelectorAll('path.mwx-ellipse').length >= 1, null, T);
    console.log('ok   an impact ellipse appeared');
    await page.waitForSelector('#alerts li.alert', T);
    console.log('ok   an alert appeared');
    await page.screenshot({ path: process.env.MWX_SCREENSHOT });
    if (foreign.length) { ok = false; console.log('FAIL requests left the node: ' + foreign.join(' ')); }
    if (errors.length) { ok = false; console.log('FAIL page errors: ' + errors.join(' | ')); }
  } catch (e) {
    ok = false;
    console.log('FAIL ' + e);
    try { await page.screenshot({ path: process.env.MWX_SCREENSHOT }); } catch (_) {}
  }
  await ctx.close();
  process.exit(ok ? 0 : 1);
})();
