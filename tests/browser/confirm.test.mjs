// Hosts confirm their own station (未诉先办), in Chromium against the server under test (YZ_BASE_URL, started
// with YIZHAN_ADMIN_TOKEN=test-token by run.sh): the phone page /c/{id}?key= (both flows and a wrong key), and
// the printable QR sheet /admin/qr, whose QR codes are decoded back (jsQR over the screenshot PNG) to the exact
// link GET /api/v1/stations/{id}/confirm-link gives. Saves docs/screenshots/qr-sheet.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { BASE, launch, newPage, apiGet, assertClean } from './helpers.mjs';

const TOKEN = process.env.YZ_ADMIN_TOKEN || 'test-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
const DISTRICT = '朝阳区';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function confirmLink(id) {
  const r = await fetch(`${BASE}/api/v1/stations/${encodeURIComponent(id)}/confirm-link`, { headers: AUTH });
  assert.equal(r.status, 200, `confirm-link of ${id}`);
  return (await r.json()).url;
}

/** Ids of the first stations of a district (GET /api/v1/stations, filtered here). */
async function stationsOf(district, n) {
  const fc = await apiGet('/api/v1/stations?limit=10000');
  return fc.features.filter((f) => f.properties.district === district).slice(0, n);
}

function localDay(offsetDays) {
  const d = new Date(Date.now() + 8 * 3600e3 + offsetDays * 86400e3);
  return d.toISOString().slice(0, 10);
}

test('the host page confirms "open as listed" and shows when', async () => {
  const [station] = await stationsOf(DISTRICT, 1);
  const url = await confirmLink(station.id);
  const { context, page, problems } = await newPage(browser);
  try {
    const res = await page.goto(url);
    assert.equal(res.status(), 200);
    assert.equal(await page.textContent('#station-name'), station.properties.name);
    assert.equal(await page.textContent('#station-id'), station.id);
    await page.click('#btn-open');
    await page.waitForSelector('#result.ok, #result.error:not(:empty)');
    const text = await page.textContent('#result');
    assert.match(text, /已确认 ✓ 营业正常/, text);
    const one = await apiGet(`/api/v1/stations/${encodeURIComponent(station.id)}`);
    const props = (one.properties || one);
    assert.equal(props.status, 'open');
    assert.ok(props.verified_at, 'the station shows verified_at');
    assert.ok(Date.now() - Date.parse(props.verified_at) < 120e3, `verified_at ${props.verified_at} is now`);
    assertClean(problems);
  } finally {
    await context.close();
  }
});

test('the host page reports a temporary closure until a date, with a note', async () => {
  const [, station] = await stationsOf(DISTRICT, 2);
  const url = await confirmLink(station.id);
  const { context, page, problems } = await newPage(browser);
  const day = localDay(3);
  try {
    await page.goto(url);
    assert.equal(await page.getAttribute('#reopens-on', 'min'), localDay(1));
    await page.fill('#reopens-on', day);
    await page.fill('#note', '内部装修 <b>');
    await page.click('#btn-closed');
    await page.waitForSelector('#result.ok, #result.error:not(:empty)');
    const text = await page.textContent('#result');
    assert.match(text, new RegExp(`已确认 ✓ 暂停服务至 ${day}`), text);
    const one = await apiGet(`/api/v1/stations/${encodeURIComponent(station.id)}`);
    const props = (one.properties || one);
    assert.equal(props.status, 'temporarily_closed');
    assert.equal(props.reopens_on, day);
    assert.equal(props.status_note, '内部装修 <b>');
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(join(SHOTS, 'host-confirm.png'), await page.screenshot({ fullPage: true }));
    // Back to open, so other tests see the dataset as it was.
    await page.click('#btn-open');
    await page.waitForFunction(() => /营业正常/.test(document.querySelector('#result').textContent));
    assertClean(problems);
  } finally {
    await context.close();
  }
});

test('a wrong key shows a clear message and changes nothing', async () => {
  const [station] = await stationsOf(DISTRICT, 1);
  const url = await confirmLink(station.id);
  const bad = url.replace(/key=.*/, 'key=aaaaaaaaaaaaaaaaaaaaaaaa');
  const { context, page, problems } = await newPage(browser);
  try {
    const res = await page.goto(bad);
    assert.equal(res.status(), 403);
    const text = await page.textContent('#result');
    assert.match(text, /此确认链接无效/);
    assert.match(text, /not valid/);
    assert.equal(await page.$('#btn-open'), null, 'no buttons to press');
    assertClean(problems);
  } finally {
    await context.close();
  }
});

test('the QR sheet prints a district on A4 pages and its codes decode to the confirmation links', async () => {
  const { context, page, problems } = await newPage(browser, {
    viewport: { width: 900, height: 1200 }, locale: 'zh-CN',
  });
  try {
    await page.goto(`${BASE}/admin/qr?district=${encodeURIComponent(DISTRICT)}`);
    await page.waitForSelector('body[data-state="token"]');
    await page.fill('#token', TOKEN);
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('body[data-state="ready"]', { timeout: 20000 });
    const cards = await page.$$eval('.sheet:first-child .card', (els) => els.map((e) => ({ id: e.dataset.id, url: e.dataset.url })));
    assert.equal(cards.length, 12, '12 cards on the first A4 page');
    const sheets = await page.$$eval('.sheet', (els) => els.length);
    assert.equal(sheets, 8, '96 stations per batch: 8 pages');
    assert.match(await page.textContent('#range'), /共 \d+ 个/);

    mkdirSync(SHOTS, { recursive: true });
    const png = await page.locator('.sheet').first().screenshot();
    writeFileSync(join(SHOTS, 'qr-sheet.png'), png);

    // Decode three codes from the screenshot (each card cropped out of it) and compare with the API.
    const img = PNG.sync.read(png);
    const boxes = await page.$$eval('.sheet:first-child .card img', (els) => {
      const sheet = els[0].closest('.sheet').getBoundingClientRect();
      return els.map((e) => { const r = e.getBoundingClientRect(); return { x: r.x - sheet.x, y: r.y - sheet.y, w: r.width, h: r.height }; });
    });
    const scale = img.width / (await page.locator('.sheet').first().boundingBox()).width;
    for (const i of [0, 5, 11]) {
      const b = boxes[i];
      const pad = 6;
      const x0 = Math.max(0, Math.floor((b.x - pad) * scale));
      const y0 = Math.max(0, Math.floor((b.y - pad) * scale));
      const w = Math.min(img.width - x0, Math.ceil((b.w + 2 * pad) * scale));
      const h = Math.min(img.height - y0, Math.ceil((b.h + 2 * pad) * scale));
      const crop = new Uint8ClampedArray(w * h * 4);
      for (let y = 0; y < h; y++) {
        const from = ((y0 + y) * img.width + x0) * 4;
        crop.set(img.data.subarray(from, from + w * 4), y * w * 4);
      }
      const code = jsQR(crop, w, h);
      assert.ok(code, `card ${i}: a QR code was found in the screenshot`);
      const want = await confirmLink(cards[i].id);
      assert.equal(code.data, want, `card ${i} (${cards[i].id}) decodes to its confirmation link`);
      assert.equal(cards[i].url, want);
    }

    // Printing: the controls disappear and each batch of 12 is one A4 page.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('.controls'), false);
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
    assert.equal(pages, 8, 'one printed page per sheet');
    assertClean(problems);
  } finally {
    await context.close();
  }
});

test('the QR sheet asks again for a wrong token', async () => {
  const { context, page } = await newPage(browser, { viewport: { width: 900, height: 1200 } });
  try {
    await page.goto(`${BASE}/admin/qr`);
    await page.waitForSelector('body[data-state="token"]');
    await page.fill('#token', 'not-the-token');
    await page.click('#token-form button[type="submit"]');
    await page.waitForFunction(() => document.body.dataset.state === 'token' && document.querySelector('#msg').textContent !== '');
    assert.equal(await page.$$eval('.card', (els) => els.length), 0);
  } finally {
    await context.close();
  }
});
