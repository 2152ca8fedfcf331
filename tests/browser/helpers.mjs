// Shared helpers for the browser tests: Debian's Chromium driven by playwright-core.
import { chromium } from 'playwright-core';

export const BASE = (process.env.YZ_BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const TIANANMEN = { latitude: 39.9087, longitude: 116.3975 };
export const PHONE = { width: 390, height: 844 };

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A new phone-sized context whose pages may only talk to the server under test (tiles and anything
 * else off 127.0.0.1 are aborted). `problems` collects page errors and CSP violations.
 */
export async function newPage(browser, { geolocation, permissions = [], viewport = PHONE, locale = 'zh-CN' } = {}) {
  const context = await browser.newContext({
    viewport, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale, geolocation, permissions,
    timezoneId: 'Asia/Shanghai',
  });
  const allowed = new URL(BASE);
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1' || u.hostname === allowed.hostname) return route.continue();
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  return { context, page, problems };
}

/** GET a JSON API answer from the server under test. */
export async function apiGet(path) {
  const res = await fetch(`${BASE}${path}`);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

export async function nearestIds(lat, lon, extra = '') {
  const fc = await apiGet(`/api/v1/stations/nearest?lat=${lat}&lon=${lon}&k=20${extra}`);
  return fc.features.map((f) => String(f.id));
}

/** Ids in the rendered list, in order. */
export function listIds(page) {
  return page.$$eval('#list .item', (els) => els.map((e) => e.dataset.id));
}

/** Wait until the rendered list equals `expected` (ids in order). */
export async function waitForList(page, expected, timeout = 10000) {
  await page.waitForFunction(
    (exp) => {
      const ids = [...document.querySelectorAll('#list .item')].map((e) => e.dataset.id);
      // data-query: the script's own list, not the server's first-answer markup (whose buttons do nothing yet)
      const list = document.querySelector('#list');
      return list.getAttribute('aria-busy') !== 'true' && list.dataset.query !== undefined
        && ids.length === exp.length && ids.every((id, i) => id === exp[i]);
    },
    expected,
    { timeout },
  ).catch(async (e) => {
    const got = await listIds(page);
    throw new Error(`list never matched.\nexpected ${JSON.stringify(expected)}\ngot      ${JSON.stringify(got)}\n${e.message}`);
  });
}

/** No page errors or CSP violations were collected by `newPage`. */
export function assertClean(problems) {
  if (problems.length) throw new Error(`page problems:\n${problems.join('\n')}`);
}
