// A shared link's first list comes inside the page (src/api/first_answer.rs): no request to the nearest
// endpoint until the rider changes something, and the same list the API gives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage, nearestIds, waitForList, assertClean } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function nearestRequests(page) {
  const seen = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/stations/nearest')) seen.push(new URL(r.url()).search); });
  return seen;
}

test('a shared link lists its stations from the page itself, then asks the API when a filter changes', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    const seen = await nearestRequests(page);
    await page.goto(`${BASE}/?lat=39.9087&lon=116.3975&amenities=water`);
    await waitForList(page, await nearestIds(39.9087, 116.3975, '&amenities=water'));
    assert.deepEqual(seen, [], 'the first list needed no API request');
    assert.equal(await page.locator('#first-answer').count(), 1);
    // a chip changes the question: now the API answers
    await page.click('#chips .chip[data-key="charging"]');
    await waitForList(page, await nearestIds(39.9087, 116.3975, '&amenities=water%2Ccharging'));
    assert.equal(seen.length, 1, `one API request after the chip: ${seen}`);
    assert.match(seen[0], /amenities=water%2Ccharging/);
    assertClean(problems);
  } finally { await context.close(); }
});

test('a block that answers another question is not used', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    const seen = await nearestRequests(page);
    // the page will ask for these parameters; a block for another place must be ignored
    await page.route('**/?lat=*', async (route) => {
      const res = await route.fetch();
      const html = (await res.text()).replace(/"request":"lat=39\.9087&lon=116\.3975/, '"request":"lat=1&lon=2');
      await route.fulfill({ response: res, body: html });
    });
    await page.goto(`${BASE}/?lat=39.9087&lon=116.3975`);
    await waitForList(page, await nearestIds(39.9087, 116.3975));
    assert.equal(seen.length, 1, 'the page asked the API itself');
    assertClean(problems);
  } finally { await context.close(); }
});

test('without any script the shared link still lists its stations (the server\'s markup)', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  try {
    const page = await context.newPage();
    await page.goto(`${BASE}/?lat=39.9087&lon=116.3975`);
    const ids = await page.$$eval('#list .item', (els) => els.map((e) => e.dataset.id));
    assert.deepEqual(ids, await nearestIds(39.9087, 116.3975));
    const first = await page.textContent('#list .item .item-name');
    assert.ok(first && first.trim().length > 0);
    assert.match(await page.textContent('#list .item .item-host'), /\d+(\.\d)? k?m/);
    assert.equal(await page.locator('#list .item-name[elementtiming="first-list"]').count(), 1);
  } finally { await context.close(); }
});
