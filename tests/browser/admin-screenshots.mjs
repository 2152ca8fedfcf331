// Writes screenshots of the admin page to docs/screenshots/: admin.png (1280×900, a clean dry run),
// admin-errors.png (1280×900, the error table of a bad upload) and admin-phone.png (390×844).
// Only dry runs are sent, so the dataset is not changed.
// Usage: YZ_BASE_URL=http://127.0.0.1:PORT [YZ_ADMIN_TOKEN=test-token] node admin-screenshots.mjs
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launch, BASE, PHONE } from './helpers.mjs';

const TOKEN = process.env.YZ_ADMIN_TOKEN || 'test-token';
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');
await mkdir(out, { recursive: true });

const GOOD_CSV = [
  'id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone',
  'demo-1,示例驿站一,116.4100,39.9100,station,bank,东城区示例路1号,东城区,饮水;充电;歇脚,24/7,010-00000001',
  'demo-2,示例驿站二,116.4200,39.9200,workers_home,union_center,东城区示例路2号,东城区,取暖;卫生间;微波炉,Mo-Fr 08:00-18:00,',
].join('\n');

function feature(id, props, coords = [116.40, 39.91]) {
  return {
    type: 'Feature', id, geometry: { type: 'Point', coordinates: coords },
    properties: { name: `示例驿站 ${id}`, kind: 'station', host_type: 'bank', amenities: ['water'], opening_hours: '24/7', ...props },
  };
}
const BAD = {
  type: 'FeatureCollection',
  features: [
    feature('bj-demo-001', {}),
    feature('bj-demo-002', {}, [216.4, 39.9]),
    feature('bj-demo-003', { name: '' }),
    feature('bj-demo-004', { amenities: ['饮水', '按摩椅'] }),
    feature('bj-demo-005', { kind: 'kiosk' }),
    feature('bj-demo-006', { opening_hours: 'every day 8 to 5' }),
    feature('bj-demo-001', {}),
  ],
};

async function page(browser, viewport, scale) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: scale, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  await context.route('**/*', (r) => (new URL(r.request().url()).hostname === new URL(BASE).hostname ? r.continue() : r.abort()));
  const p = await context.newPage();
  await p.goto(`${BASE}/admin`);
  await p.waitForSelector('body[data-ready="true"]');
  await p.fill('#token', TOKEN);
  await p.click('#token-save');
  await p.waitForSelector('#token-msg[data-kind="ok"]');
  await p.waitForSelector('#rep-msg[data-kind]');
  return { context, p };
}

async function dryRun(p, name, mimeType, text, mode = 'replace') {
  await p.setInputFiles('#up-file', { name, mimeType, buffer: Buffer.from(text) });
  await p.check(`input[name="mode"][value="${mode}"]`);
  await p.click('#btn-dry');
  await p.waitForSelector('#up-result[data-state="dry-ok"], #up-result[data-state="invalid"]');
}

const browser = await launch();
try {
  {
    const { context, p } = await page(browser, { width: 1280, height: 900 }, 1);
    await dryRun(p, 'stations-update.csv', 'text/csv', GOOD_CSV, 'upsert');
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(out, 'admin.png') });

    await dryRun(p, 'stations-bad.geojson', 'application/geo+json', JSON.stringify(BAD));
    await p.locator('#sec-upload').scrollIntoViewIfNeeded();
    await p.evaluate(() => document.querySelector('#up-result').scrollIntoView({ block: 'start' }));
    await p.evaluate(() => window.scrollBy(0, -70));
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(out, 'admin-errors.png') });
    await context.close();
  }
  {
    const { context, p } = await page(browser, PHONE, 2);
    await p.evaluate(() => window.scrollTo(0, 0));
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(out, 'admin-phone.png') });
    await context.close();
  }
  console.log(`admin screenshots written to ${out}`);
} finally {
  await browser.close();
}
