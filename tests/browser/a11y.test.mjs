// axe-core on every view, in Chromium against the server under test (YZ_BASE_URL; run.sh starts it with
// YIZHAN_ADMIN_TOKEN=test-token): the rider page's list, details, "on my way" and report dialog (zh and en),
// the admin page after login, the host's confirm page /c/{id} and the station page /s/{id}.
// A view fails on any violation of impact serious or critical; every violation found is printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, TIANANMEN, launch, newPage, apiGet } from './helpers.mjs';
import { axeViolations, describe, severe } from './axe.mjs';

const TOKEN = process.env.YZ_ADMIN_TOKEN || 'test-token';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Runs axe, prints what it found, fails on serious/critical. */
async function audit(page, view) {
  const found = await axeViolations(page);
  console.log(describe(view, found));
  const bad = severe(found);
  assert.equal(bad.length, 0, `${view}: ${bad.length} serious/critical axe violations:\n${describe(view, bad)}`);
}

async function someStationId() {
  const fc = await apiGet(`/api/v1/stations/nearest?lat=${TIANANMEN.latitude}&lon=${TIANANMEN.longitude}&k=1`);
  return String(fc.features[0].id);
}

for (const lang of ['zh', 'en']) {
  test(`rider page (${lang}): list, details, report dialog have no serious/critical axe violations`, async () => {
    const { page, context } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
    try {
      await page.goto(`${BASE}/`);
      if (lang === 'en') await page.click('#btn-lang');
      await page.waitForSelector('#list[data-query] .item');
      await page.waitForSelector('#list:not([aria-busy="true"])');
      await audit(page, `list ${lang}`);

      await page.click('#list .item:nth-child(2) .item-btn');
      await page.waitForSelector('#details:not([hidden])');
      await audit(page, `details ${lang}`);

      await page.click('.report-btn');
      await page.waitForSelector('#report-dialog[open]');
      await page.check('input[value="amenity_missing"]');
      await audit(page, `report dialog ${lang}`);
    } finally { await context.close(); }
  });
}

test('rider page: "on my way" mode with a route has no serious/critical axe violations', async () => {
  const { page, context } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    await page.goto(`${BASE}/?to=116.4737,39.9928&max_distance_m=1000`);
    await page.waitForSelector('#list[data-query] .item');
    await page.waitForSelector('#route-panel:not([hidden])');
    await page.click('.paste summary');
    await audit(page, 'route');
  } finally { await context.close(); }
});

test('rider page without a position (geolocation denied) has no serious/critical axe violations', async () => {
  const { page, context } = await newPage(browser);
  try {
    await page.goto(`${BASE}/`);
    await page.waitForFunction(() => document.querySelector('#status').textContent.trim() !== '');
    await page.waitForTimeout(300);
    await audit(page, 'no position');
  } finally { await context.close(); }
});

test('admin page after login has no serious/critical axe violations', async () => {
  const { page, context } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(`${BASE}/admin`);
    await page.waitForSelector('body[data-ready="true"]');
    await audit(page, 'admin (no token)');
    await page.fill('#token', TOKEN);
    await page.click('#token-save');
    await page.waitForSelector('#token-msg[data-kind="ok"]');
    await page.waitForTimeout(500);
    await audit(page, 'admin');
  } finally { await context.close(); }
});

test('station page /s/{id} and host page /c/{id} have no serious/critical axe violations', async () => {
  const id = await someStationId();
  const { page, context } = await newPage(browser);
  try {
    const res = await page.goto(`${BASE}/s/${encodeURIComponent(id)}`);
    assert.equal(res.status(), 200);
    await audit(page, 'station /s/{id}');

    const r = await fetch(`${BASE}/api/v1/stations/${encodeURIComponent(id)}/confirm-link`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(r.status, 200, 'confirm-link');
    const host = await page.goto((await r.json()).url);
    assert.equal(host.status(), 200);
    await page.waitForSelector('#station-name:not(:empty)');
    await audit(page, 'host /c/{id}');
  } finally { await context.close(); }
});
