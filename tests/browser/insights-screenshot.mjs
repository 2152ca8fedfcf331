// Writes docs/screenshots/admin-insights.png (1280×900): the admin page's insights card after searches in a
// few Beijing neighbourhoods. Tiles are blocked (no network in CI), so the cells show on a plain background.
// Usage: YZ_TEST_FILES=./insights-screenshot.mjs tests/browser/run.sh target/release/yizhan
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { BASE, launch, newPage } from './helpers.mjs';

const TOKEN = process.env.YZ_ADMIN_TOKEN || 'test-token';
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots/admin-insights.png');

// Busy places with 5–40 searches each; the last few far from stations (unmet).
const places = [[116.4705, 39.992], [116.3975, 39.9087], [116.4346, 39.9087], [116.3106, 39.9834], [116.4818, 39.9062],
  [116.3555, 39.9389], [116.4551, 39.9398], [116.2892, 39.8585], [116.6563, 39.9097], [116.2317, 40.2206], [116.1, 39.75]];
let i = 0;
for (const [lon, lat] of places) {
  const n = 12 + ((i * 7) % 36);
  i += 1;
  for (let k = 0; k < n; k++) {
    const dx = ((k % 3) - 1) * 0.004; const dy = ((k % 2) - 0.5) * 0.004;
    await fetch(`${BASE}/api/v1/stations/nearest?lon=${lon + dx}&lat=${lat + dy}&k=3${k % 4 === 0 ? '&amenities=medicine,microwave,discount_meal,wifi' : ''}`);
  }
}
const browser = await launch();
try {
  const { context, page } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
  await page.goto(`${BASE}/admin`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#token', TOKEN);
  await page.click('#token-save');
  await page.waitForSelector('body[data-insights-ready="true"]');
  await page.click('#cov-table .sort[data-key="searches"]');
  await page.evaluate(() => { document.querySelector('#sec-insights').scrollIntoView({ block: 'start' }); window.scrollBy(0, -70); });
  await page.waitForTimeout(500);
  await page.screenshot({ path: out });
  await context.close();
} finally {
  await browser.close();
}
