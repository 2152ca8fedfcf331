// Writes docs/screenshots/station-page.png: the shareable station page /s/{id} on a phone with JavaScript turned
// off (the page must not need it), and fails on any console error (a CSP violation shows there).
// Usage: YZ_BASE_URL=http://127.0.0.1:PORT YZ_STATION=bj-chp-00001 node station-screenshot.mjs
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launch, BASE, PHONE } from './helpers.mjs';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots/station-page.png');
const id = process.env.YZ_STATION || 'bj-chp-00001';
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, javaScriptEnabled: false, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const r = await page.goto(`${BASE}/s/${encodeURIComponent(id)}`);
  if (r.status() !== 200) throw new Error(`status ${r.status()}`);
  await page.screenshot({ path: out, fullPage: true });
  if (errors.length) throw new Error(`console errors: ${errors.join('; ')}`);
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
