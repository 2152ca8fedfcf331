// Writes 390×844 screenshots of the rider page to docs/screenshots/ (list view, details view, English,
// "on my way" with the route line, offline banner + list from the saved area).
// Usage: YZ_BASE_URL=http://127.0.0.1:PORT node screenshots.mjs
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launch, newPage, TIANANMEN, BASE } from './helpers.mjs';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');
await mkdir(out, { recursive: true });
const browser = await launch();
try {
  const { page, context } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  await page.goto(`${BASE}/`);
  await page.waitForSelector('#list[data-query] .item');
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(out, 'list.png') });
  await page.click('#list .item:nth-child(2) .item-btn');
  await page.waitForSelector('#details:not([hidden])');
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(out, 'details.png') });
  await page.click('.report-btn');
  await page.waitForSelector('#report-dialog[open]');
  await page.check('input[value="amenity_missing"]');
  await page.screenshot({ path: path.join(out, 'report.png') });
  await context.close();

  const en = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  await en.page.goto(`${BASE}/?lat=39.9928&lon=116.4737&amenities=charging&open_now=true`);
  await en.page.click('#btn-lang');
  await en.page.waitForSelector('#list[data-query] .item');
  await en.page.waitForTimeout(400);
  await en.page.screenshot({ path: path.join(out, 'list-en-filtered.png') });
  await en.context.close();

  // "on my way": Tiananmen → Wangjing, 1 km off the route
  const rt = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  await rt.page.goto(`${BASE}/?to=116.4737,39.9928&max_distance_m=1000`);
  await rt.page.waitForSelector('#list[data-query] .item');
  await rt.page.waitForSelector('path.route-line');
  await rt.page.waitForTimeout(600);
  await rt.page.screenshot({ path: path.join(out, 'route.png') });
  await rt.context.close();

  // offline: save the area, lose the network, reload
  const off = await newPage(browser, { geolocation: { latitude: 39.9928, longitude: 116.4737 }, permissions: ['geolocation'] });
  await off.page.goto(`${BASE}/`);
  await off.page.waitForSelector('#list[data-query] .item');
  await off.page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await off.page.click('#btn-save');
  await off.page.waitForFunction(() => Number(document.querySelector('#area-status').dataset.count) > 0);
  await off.context.setOffline(true);
  await off.page.reload({ waitUntil: 'domcontentloaded' });
  await off.page.waitForSelector('#offline-banner:not([hidden])');
  await off.page.waitForSelector('#list[data-query] .item');
  await off.page.waitForTimeout(600);
  await off.page.screenshot({ path: path.join(out, 'offline.png') });
  await off.context.close();
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
}
