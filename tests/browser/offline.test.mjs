// Offline use of the rider page: service worker, "save my area", the nearest list computed in the browser
// with no network (DevTools offline emulation), filters offline, and the way back online. Also the PWA manifest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage, apiGet, nearestIds, listIds, waitForList, assertClean } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const WANGJING = { latitude: 39.9928, longitude: 116.4737 };
const R = 6371008.8;

function haversine(lat1, lon1, lat2, lon2) {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Brute force over the saved set: distance, then id (byte order); amenities all present; "24h" = "24/7". */
function bruteNearest(features, lat, lon, { amenities = [], k = 20 } = {}) {
  return features
    .filter((f) => amenities.every((a) => (a === '24h' ? /^\s*24\/7\s*$/.test(f.properties.opening_hours || '') : (f.properties.amenities || []).includes(a))))
    .map((f) => ({ id: String(f.id), d: haversine(lat, lon, f.geometry.coordinates[1], f.geometry.coordinates[0]) }))
    .sort((a, b) => a.d - b.d || Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)))
    .slice(0, k)
    .map((x) => x.id);
}

/** The saved area as the page stored it in IndexedDB. */
function readSaved(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open('yizhan');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const g = db.transaction('areas').objectStore('areas').get('saved');
      g.onsuccess = () => { resolve(g.result || null); db.close(); };
      g.onerror = () => reject(g.error);
    };
  }));
}

test('manifest and service worker are served as an installable PWA needs them', async () => {
  const res = await fetch(`${BASE}/manifest.webmanifest`);
  assert.equal(res.status, 200);
  const m = await res.json();
  assert.equal(m.start_url, '/');
  assert.equal(m.display, 'standalone');
  assert.equal(m.lang, 'zh-CN');
  assert.match(m.short_name, /驿站/);
  assert.ok(m.theme_color);
  for (const size of ['192x192', '512x512']) {
    const icon = m.icons.find((i) => i.sizes === size && i.type === 'image/png');
    assert.ok(icon, size);
    const png = Buffer.from(await (await fetch(`${BASE}${icon.src}`)).arrayBuffer());
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.equal(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`, size);
  }
  const sw = await fetch(`${BASE}/sw.js`);
  assert.equal(sw.status, 200);
  assert.match(sw.headers.get('content-type'), /javascript/);
  const html = await (await fetch(`${BASE}/`)).text();
  assert.match(html, /<link rel="manifest" href="\/manifest.webmanifest">/);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
});

test('save my area, go offline, reload: the page comes from the SW cache and lists the nearest saved stations', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: WANGJING, permissions: ['geolocation'] });
  try {
    const { latitude: lat, longitude: lon } = WANGJING;
    const online = await nearestIds(lat, lon);
    await page.goto(`${BASE}/`);
    await waitForList(page, online);
    // the service worker is installed and active (registered by js/offline.js after the first list)
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, `${BASE}/`);
    const caches = await page.evaluate(async () => {
      const names = await window.caches.keys();
      const keys = [];
      for (const n of names) for (const r of await (await window.caches.open(n)).keys()) keys.push(new URL(r.url).pathname);
      return { names, keys };
    });
    assert.equal(caches.names.length, 1);
    assert.match(caches.names[0], /^yizhan-/);
    for (const p of ['/', '/app.js', '/app.css', '/js/i18n.js', '/js/crs.js', '/js/offline.js', '/js/links.js', '/vendor/leaflet/leaflet.js']) {
      assert.ok(caches.keys.includes(p), `${p} is cached`);
    }
    // every module the page preloads is precached (a new module missing from sw.js would break offline use)
    const html = await (await fetch(`${BASE}/`)).text();
    const preloads = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]);
    assert.ok(preloads.length > 1, 'index.html preloads its modules');
    for (const p of preloads) assert.ok(caches.keys.includes(p), `${p} (modulepreload) is cached`);
    assert.ok(!caches.keys.some((p) => p.startsWith('/api/') || p.startsWith('/admin')), 'no API or admin response is cached');

    // save the area
    await page.waitForSelector('#area-status');
    await page.click('#btn-save');
    await page.waitForFunction(() => Number(document.querySelector('#area-status').dataset.count) > 0);
    const saved = await readSaved(page);
    assert.ok(saved && saved.features.length >= 20, 'the saved area has stations');
    const health = await apiGet('/healthz');
    assert.equal(saved.datasetVersion, health.dataset_version);
    assert.ok(Date.now() - saved.savedAt < 60000);
    // the saved set is exactly the API's bbox answer
    const bboxFc = await apiGet(`/api/v1/stations?bbox=${saved.bbox.join(',')}&limit=10000`);
    assert.deepEqual(saved.features.map((f) => String(f.id)), bboxFc.features.map((f) => String(f.id)));
    // and it covers this point: offline brute force equals the server's nearest
    assert.deepEqual(bruteNearest(saved.features, lat, lon), online);

    // no network at all
    await context.setOffline(true);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#offline-banner:not([hidden])');
    assert.match(await page.textContent('#offline-banner'), /离线模式 · 数据保存于 (刚刚|\d+ 分钟前|\d+ 小时前)/);
    await waitForList(page, bruteNearest(saved.features, lat, lon));
    assert.match(await page.textContent('#status'), /已保存/);

    // filters work offline too
    await page.click('#chips .chip[data-key="charging"]');
    const charging = bruteNearest(saved.features, lat, lon, { amenities: ['charging'] });
    assert.notDeepEqual(charging, online);
    await waitForList(page, charging);
    await page.click('#chips .chip[data-key="24h"]');
    await waitForList(page, bruteNearest(saved.features, lat, lon, { amenities: ['24h', 'charging'] }));
    const has24 = await page.$$eval('#list .item', (els) => els.map((e) => !!e.querySelector('.badge-24')));
    assert.ok(has24.length > 0 && has24.every(Boolean));
    // open-now badges are computed offline for the simple opening_hours forms: 24/7 is "open"
    assert.ok(await page.$$eval('#list .item', (els) => els.every((e) => e.querySelector('.badge-open'))));

    // back online: the banner goes away and the list is the server's again
    await context.setOffline(false);
    await page.waitForSelector('#offline-banner', { state: 'hidden' });
    await waitForList(page, await nearestIds(lat, lon, '&amenities=24h,charging'));

    // a saved area from an older dataset is saved again once the page is online
    await page.evaluate(() => new Promise((resolve, reject) => {
      const req = indexedDB.open('yizhan');
      req.onsuccess = () => {
        const db = req.result;
        const t = db.transaction('areas', 'readwrite');
        const s = t.objectStore('areas');
        const g = s.get('saved');
        g.onsuccess = () => { s.put({ ...g.result, datasetVersion: 'older-version', savedAt: Date.now() - 3 * 3600e3 }, 'saved'); };
        t.oncomplete = () => { db.close(); resolve(); };
        t.onerror = () => reject(t.error);
      };
    }));
    await page.reload();
    await page.waitForSelector('#list[data-query] .item');
    const deadline = Date.now() + 10000;
    let again = await readSaved(page);
    while (again.datasetVersion !== health.dataset_version && Date.now() < deadline) {
      await page.waitForTimeout(200);
      again = await readSaved(page);
    }
    assert.equal(again.datasetVersion, health.dataset_version, 'the stale saved area was refreshed');
    assert.ok(Date.now() - again.savedAt < 60000);
    assertClean(problems.filter((p) => !/Failed to load resource/.test(p)));
  } finally { await context.close(); }
});

test('offline without a saved area says so; "on my way" asks for the network', async () => {
  const { page, context } = await newPage(browser, { geolocation: WANGJING, permissions: ['geolocation'] });
  try {
    await page.goto(`${BASE}/`);
    await page.waitForSelector('#list[data-query] .item');
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    await context.setOffline(true);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#offline-banner:not([hidden])');
    assert.match(await page.textContent('#offline-banner'), /没有保存/);
    await page.waitForSelector('#banner:not([hidden])');
    assert.match(await page.textContent('#banner-text'), /保存附近驿站/);
    await page.click('#mode-route');
    await page.waitForSelector('#map[data-ready="true"]');
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.2);
    await page.waitForFunction(() => /顺路模式需要联网/.test(document.querySelector('#banner-text').textContent));
    await context.setOffline(false);
    await page.waitForSelector('#offline-banner', { state: 'hidden' });
    await page.waitForFunction(() => document.querySelectorAll('#list .item').length > 0);
  } finally { await context.close(); }
});
