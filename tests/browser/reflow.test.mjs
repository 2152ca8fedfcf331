// WCAG 1.4.10 reflow and 1.4.4 resize text, in Chromium against the server under test: at 320 CSS px wide
// (a 640 px phone at 200 % zoom, or the narrowest phones), with normal text and with text at 200 % (Chromium's
// default font size doubled, as the OS/browser text-size setting does), the rider page's list, details and
// report dialog and the admin page must not scroll sideways, cut no label, and keep every button, link and
// chip at least 44×44 CSS px. Exempt, as WCAG allows: the map's own markers (each is also a list button),
// inline links inside a sentence (the map's credit line), and the admin's data tables (two-dimensional content,
// scrolled inside their own focusable box).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, TIANANMEN, launch } from './helpers.mjs';

const TOKEN = process.env.YZ_ADMIN_TOKEN || 'test-token';
const NARROW = { width: 320, height: 640 };

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/**
 * A 320×640 page (device scale factor 1) that only talks to the server under test; with `large`, Chromium's
 * default font sizes are doubled (16 → 32 px, monospace 13 → 26 px) before the page loads.
 */
async function narrowPage({ large, elder = false, locale = 'zh-CN' }) {
  const context = await browser.newContext({
    viewport: NARROW, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale, timezoneId: 'Asia/Shanghai',
  });
  const allowed = new URL(BASE).hostname;
  await context.route('**/*', (route) => (new URL(route.request().url()).hostname === allowed
    ? route.continue() : route.abort('blockedbyclient')));
  const page = await context.newPage();
  await page.addInitScript((on) => localStorage.setItem('yz.elder', on ? '1' : '0'), elder);
  if (large) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Page.setFontSizes', { fontSizes: { standard: 32, fixed: 26 } });
  }
  return { context, page };
}

/** Everything this test checks, measured in the page; returns a list of problems (empty = pass). */
function measure() {
  const problems = [];
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && e.closest('[hidden], [inert]') === null;
  };
  const exempt = (e) => e.closest('.leaflet-marker-pane, .table-scroll, .sr-only') !== null;
  const name = (e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.trim().split(/\s+/).join('.')}` : ''} "${(e.textContent || '').trim().slice(0, 30)}"`;
  const se = document.scrollingElement;
  if (se.scrollWidth > se.clientWidth) problems.push(`page scrolls sideways: ${se.scrollWidth} > ${se.clientWidth}`);
  // every scroll box (the side pane, the details sheet, the dialog…) too
  for (const e of document.querySelectorAll('body *')) {
    if (!visible(e) || exempt(e) || e.closest('.leaflet-container')) continue;
    const s = getComputedStyle(e);
    const scrolls = /(auto|scroll)/.test(s.overflowX);
    const hasText = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if ((scrolls || hasText) && s.display !== 'inline' && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) {
      problems.push(`${scrolls ? 'scrolls sideways' : 'cut text'}: ${name(e)} scrollWidth ${e.scrollWidth} > clientWidth ${e.clientWidth}`);
    }
    if (e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.leaflet-container')
      && !getComputedStyle(e).position.includes('fixed') && hasText) {
      problems.push(`off screen to the right: ${name(e)} right ${Math.round(e.getBoundingClientRect().right)}`);
    }
  }
  const targets = 'button, a[href], summary, select, .chip, [role="button"], label:has(> input[type="radio"]), label:has(> input[type="checkbox"])';
  for (const e of document.querySelectorAll(targets)) {
    if (!visible(e) || exempt(e)) continue;
    if (getComputedStyle(e).display === 'inline' && e.matches('a') && e.parentElement.textContent.trim() !== e.textContent.trim()) continue; // inline link in a sentence
    const r = e.getBoundingClientRect();
    if (r.width < 44 || r.height < 44) problems.push(`small target: ${name(e)} ${Math.round(r.width)}×${Math.round(r.height)}`);
  }
  return problems;
}

async function check(page, view) {
  const problems = await page.evaluate(measure);
  console.log(`reflow ${view}: ${problems.length ? `\n  ${problems.join('\n  ')}` : 'ok'}`);
  return problems.map((p) => `${view}: ${p}`);
}

for (const large of [false, true]) {
  const label = large ? '320 px, text 200 %' : '320 px';
  test(`rider page at ${label}: list, details, report dialog reflow (no sideways scroll, no cut label, targets ≥ 44 px)`, async () => {
    const { page, context } = await narrowPage({ large });
    const found = [];
    try {
      await page.goto(`${BASE}/?lat=${TIANANMEN.latitude}&lon=${TIANANMEN.longitude}`);
      await page.waitForSelector('#list[data-query] .item');
      await page.waitForSelector('#list:not([aria-busy="true"])');
      const root = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      if (large) assert.ok(root >= 32, `the text-size setting reaches the page: root font ${root}px`);
      found.push(...await check(page, `list ${label}`));
      await page.click('#mode-route');
      await page.click('.paste summary');
      found.push(...await check(page, `route ${label}`));
      await page.click('#mode-near');
      await page.waitForSelector('#list[data-query] .item');

      await page.click('#list .item:nth-child(1) .item-btn');
      await page.waitForSelector('#details:not([hidden])');
      found.push(...await check(page, `details ${label}`));

      await page.click('.report-btn');
      await page.waitForSelector('#report-dialog[open]');
      found.push(...await check(page, `report ${label}`));
      await page.click('#report-cancel');

      await page.click('#btn-lang');
      await page.waitForSelector('html[lang="en"]');
      await page.waitForTimeout(200);
      found.push(...await check(page, `details en ${label}`));
      await page.click('.back-btn');
      found.push(...await check(page, `list en ${label}`));
      assert.deepEqual(found, [], found.join('\n'));
    } finally { await context.close(); }
  });

  test(`admin page at ${label} reflows`, async () => {
    const { page, context } = await narrowPage({ large });
    try {
      await page.goto(`${BASE}/admin`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.fill('#token', TOKEN);
      await page.click('#token-save');
      await page.waitForSelector('#token-msg[data-kind="ok"]');
      await page.waitForTimeout(500);
      const root = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      if (large) assert.ok(root >= 32, `the text-size setting reaches the page: root font ${root}px`);
      const found = await check(page, `admin ${label}`);
      assert.deepEqual(found, [], found.join('\n'));
    } finally { await context.close(); }
  });
}


test('长辈版 at 320 px with text at 200 %: list and details reflow', async () => {
  const { page, context } = await narrowPage({ large: true, elder: true });
  try {
    await page.goto(`${BASE}/?lat=${TIANANMEN.latitude}&lon=${TIANANMEN.longitude}`);
    await page.waitForSelector('#list[data-query] .item');
    await page.waitForSelector('#list:not([aria-busy="true"])');
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains('elder')));
    const found = [...await check(page, 'elder list 200 %')];
    await page.click('#btn-elder-map');
    found.push(...await check(page, 'elder list + map 200 %'));
    await page.click('#list .item:nth-child(1) .item-btn');
    await page.waitForSelector('#details:not([hidden])');
    found.push(...await check(page, 'elder details 200 %'));
    assert.deepEqual(found, [], found.join('\n'));
  } finally { await context.close(); }
});
