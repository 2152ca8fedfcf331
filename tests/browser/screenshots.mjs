// Writes 390×844 screenshots of the rider page to docs/screenshots/ (list view, details view, English).
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
  await page.waitForSelector('#list .item');
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
  await en.page.waitForSelector('#list .item');
  await en.page.waitForTimeout(400);
  await en.page.screenshot({ path: path.join(out, 'list-en-filtered.png') });
  await en.context.close();
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
}
