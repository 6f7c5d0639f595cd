// Shared by the browser tests: Debian's chromium (headless, fresh profile, never a
// downloaded browser) driven by npm playwright-core, and a page that records every
// request leaving the node and every page error. Environment (set by the .sh drivers):
//   MWX_URL, MWX_CHROMIUM, MWX_PROFILE, MWX_NODE_MODULES
'use strict';
const path = require('path');
const { chromium } = require(path.join(process.env.MWX_NODE_MODULES, 'playwright-core'));

// Returns { ctx, page, foreign, errors }: foreign lists URLs fetched from anywhere but the
// node itself, errors the page's uncaught exceptions.
async function openPage(url) {
  const ctx = await chromium.launchPersistentContext(process.env.MWX_PROFILE, {
    executablePath: process.env.MWX_CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 900 },
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  const foreign = [], errors = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(url) && !u.startsWith('data:')) foreign.push(u);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { ctx, page, foreign, errors };
}

module.exports = { openPage };
