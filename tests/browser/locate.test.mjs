// The page asks for the rider's location as it opens only when the rider already allowed it
// (js/locate-on-load.js); otherwise it offers a big "use my location" button and asks on that tap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, TIANANMEN, launch, newPage, nearestIds, waitForList } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Counts getCurrentPosition calls in window.__geoCalls. */
async function countGeoCalls(page) {
  await page.addInitScript(() => {
    window.__geoCalls = 0;
    const orig = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
    navigator.geolocation.getCurrentPosition = (...a) => { window.__geoCalls += 1; return orig(...a); };
  });
}

test('permission not decided yet: no prompt on load, a big "use my location" button asks on tap', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    await context.clearPermissions(); // "prompt" (a new context without permissions says "denied")
    await countGeoCalls(page);
    await page.goto(`${BASE}/`);
    await page.waitForSelector('#btn-locate-big:not([hidden])');
    assert.equal(await page.evaluate(() => window.__geoCalls), 0, 'no geolocation request without a tap');
    assert.match(await page.textContent('#btn-locate-big'), /使用我的位置/);
    assert.match(await page.textContent('#status'), /使用我的位置/);
    assert.equal(await page.isVisible('#banner'), false, 'nothing failed: no warning banner (and no layout shift)');
    const box = await page.locator('#btn-locate-big').boundingBox();
    assert.ok(box.height >= 48 && box.width >= 200, `a big button: ${JSON.stringify(box)}`);

    await context.grantPermissions(['geolocation']);
    await context.setGeolocation(TIANANMEN);
    await page.click('#btn-locate-big');
    await waitForList(page, await nearestIds(TIANANMEN.latitude, TIANANMEN.longitude));
    assert.equal(await page.evaluate(() => window.__geoCalls), 1);
    assert.equal(await page.isVisible('#btn-locate-big'), false);
    assert.deepEqual(problems, []);
  } finally { await context.close(); }
});

test('permission not decided: a tap on the map also hides the big button', async () => {
  const { page, context } = await newPage(browser, {});
  try {
    await context.clearPermissions();
    await page.goto(`${BASE}/`);
    await page.waitForSelector('#btn-locate-big:not([hidden])');
    await page.waitForSelector('#map[data-ready="true"]');
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.4);
    await page.waitForSelector('#list[data-query] .item');
    await page.waitForSelector('#btn-locate-big', { state: 'hidden' });
  } finally { await context.close(); }
});

test('permission already refused: no big button, the "tap the map" message at once', async () => {
  const { page, context } = await newPage(browser, {}); // a new context without permissions: "denied"
  try {
    await page.goto(`${BASE}/`);
    await page.waitForSelector('#banner:not([hidden])');
    assert.match(await page.textContent('#banner-text'), /点击地图/);
    assert.equal(await page.isVisible('#btn-locate-big'), false);
  } finally { await context.close(); }
});

test('permission already granted: the page locates at once and shows no big button', async () => {
  const { page, context } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    await countGeoCalls(page);
    await page.goto(`${BASE}/`);
    await waitForList(page, await nearestIds(TIANANMEN.latitude, TIANANMEN.longitude));
    assert.equal(await page.evaluate(() => window.__geoCalls), 1);
    assert.equal(await page.isVisible('#btn-locate-big'), false);
  } finally { await context.close(); }
});
