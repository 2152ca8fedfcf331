// The admin page's insights card (issue 18): demand cells on the map, the hour-of-week selector, the
// district table and its sorting. Searches are made through the API first (they only add counts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage } from './helpers.mjs';

const TOKEN = process.env.YZ_ADMIN_TOKEN || 'test-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const DESKTOP = { width: 1280, height: 900 };

/** Points in three cells: 8, 6 and 3 searches (the last stays under the floor of 5). */
export const SEARCHES = [[116.4705, 39.992, 8], [116.3975, 39.9087, 6], [116.3, 39.96, 3]];

export async function makeSearches() {
  for (const [lon, lat, n] of SEARCHES) {
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${BASE}/api/v1/stations/nearest?lon=${lon}&lat=${lat}&k=3`);
      assert.equal(r.status, 200);
    }
  }
}

let browser;
before(async () => { browser = await launch(); await makeSearches(); });
after(async () => { await browser?.close(); });

async function demandCells(query = '', unmetOnly = false) {
  const r = await fetch(`${BASE}/api/v1/insights/demand${query}`, { headers: AUTH });
  assert.equal(r.status, 200);
  return (await r.json()).features.filter((f) => !unmetOnly || f.properties.unmet > 0).length;
}

test('the insights card draws the demand cells, filters by hour of week and sorts the districts', async () => {
  const want = await demandCells();
  assert.ok(want >= 2, `at least the two cells with 5+ searches: ${want}`);
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await page.goto(`${BASE}/admin`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#token', TOKEN);
    await page.click('#token-save');
    await page.waitForSelector('body[data-insights-ready="true"]');
    // One SVG path per cell on the map.
    assert.equal(await page.locator('#ins-map path.leaflet-interactive').count(), want);
    assert.equal(await page.getAttribute('body', 'data-insights-cells'), String(want));
    // The district table: 16 rows; sorting by population puts Chaoyang (3.45 M) first, then Yanqing (0.35 M).
    assert.equal(await page.locator('#cov-table tbody tr').count(), 16);
    await page.click('#cov-table .sort[data-key="population"]');
    assert.equal(await page.locator('#cov-table tbody tr:first-child td:first-child').textContent(), '朝阳区');
    await page.click('#cov-table .sort[data-key="population"]');
    assert.equal(await page.locator('#cov-table tbody tr:first-child td:first-child').textContent(), '延庆区');
    // The hour of week after this one has no searches yet: no cells.
    const now = new Date(new Date().toLocaleString('en-US', { timeZone: 'Asia/Shanghai' }));
    const how = ((now.getDay() + 6) % 7) * 24 + now.getHours();
    await page.selectOption('#ins-how', String((how + 1) % 168));
    await page.waitForFunction(() => document.body.dataset.insightsCells === '0');
    assert.equal(await page.locator('#ins-map path.leaflet-interactive').count(), 0);
    await page.selectOption('#ins-how', String(how));
    await page.waitForFunction((n) => document.body.dataset.insightsCells === n, String(want));
    // The unmet layer shows only the cells with unmet searches (as the API counts them).
    const unmet = await demandCells(`?hour_of_week=${how}`, true);
    assert.ok(unmet < want, 'our three points all have stations within 1 km');
    await page.selectOption('#ins-layer', 'unmet');
    assert.equal(await page.getAttribute('body', 'data-insights-cells'), String(unmet));
    // English labels.
    await page.click('#btn-lang');
    assert.equal(await page.locator('#h-insights').textContent(), 'Demand and coverage');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
