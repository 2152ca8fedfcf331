// End-to-end tests of the rider page against a running yizhan server (YZ_BASE_URL), in Debian's Chromium.
// Every request that does not go to the server under test (map tiles…) is aborted, so these also prove
// that the list works without tiles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, TIANANMEN, launch, newPage, apiGet, nearestIds, listIds, waitForList,
  assertClean,
} from './helpers.mjs';
import { wgsToGcj } from './crs-ref.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const WANGJING = { latitude: 39.9928, longitude: 116.4737 };

/** Fail on page errors or CSP violations collected during a test. */
test('with geolocation allowed, the list equals GET /stations/nearest for that point (ids in order)', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: WANGJING, permissions: ['geolocation'] });
  try {
    const expected = await nearestIds(WANGJING.latitude, WANGJING.longitude);
    assert.ok(expected.length > 0, 'the server has stations near Wangjing');
    await page.goto(`${BASE}/`);
    await waitForList(page, expected);
    // distances are shown, and every item has exactly one open/closed/unknown badge
    const first = await page.$eval('#list .item', (el) => el.textContent);
    assert.match(first, /\d+(\.\d)? k?m/);
    const badgeCounts = await page.$$eval('#list .item', (els) => els.map((e) => e.querySelectorAll('.badge-open, .badge-closed, .badge-unknown').length));
    assert.ok(badgeCounts.every((n) => n === 1));
    // the URL now carries the position (shareable)
    const url = new URL(page.url());
    assert.ok(Math.abs(Number(url.searchParams.get('lat')) - WANGJING.latitude) < 1e-5);
    assert.ok(Math.abs(Number(url.searchParams.get('lon')) - WANGJING.longitude) < 1e-5);
    // map markers are in sync with the list (clusters may hold some of them, so count ≤)
    await page.waitForSelector('#map[data-ready="true"]');
    assertClean(problems);
  } finally { await context.close(); }
});

test('toggling an amenity chip and "open now" shows the filtered API answer and updates the URL', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    const { latitude: lat, longitude: lon } = TIANANMEN;
    await page.goto(`${BASE}/`);
    await waitForList(page, await nearestIds(lat, lon));

    await page.click('#chips .chip[data-key="charging"]');
    await waitForList(page, await nearestIds(lat, lon, '&amenities=charging'));
    assert.equal(await page.getAttribute('#chips .chip[data-key="charging"]', 'aria-pressed'), 'true');

    await page.click('#chips .chip[data-key="open_now"]');
    await waitForList(page, await nearestIds(lat, lon, '&amenities=charging&open_now=true'));

    await page.click('#chips .chip[data-key="24h"]');
    const both = await nearestIds(lat, lon, '&amenities=24h,charging&open_now=true');
    await waitForList(page, both);
    // every 24h station shows the "24" badge
    const has24 = await page.$$eval('#list .item', (els) => els.map((e) => !!e.querySelector('.badge-24')));
    assert.ok(has24.every(Boolean));

    const url = new URL(page.url());
    assert.equal(url.searchParams.get('amenities'), '24h,charging'); // chip order
    assert.equal(url.searchParams.get('open_now'), 'true');

    await page.click('#chips .chip[data-key="charging"]');
    await page.click('#chips .chip[data-key="24h"]');
    await page.click('#chips .chip[data-key="open_now"]');
    await waitForList(page, await nearestIds(lat, lon));
    assertClean(problems);
  } finally { await context.close(); }
});

test('navigate links carry GCJ-02 coordinates (Amap, Baidu) and WGS-84 (geo:)', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    const fc = await apiGet(`/api/v1/stations/nearest?lat=${TIANANMEN.latitude}&lon=${TIANANMEN.longitude}&k=20`);
    await page.goto(`${BASE}/`);
    await waitForList(page, fc.features.map((f) => String(f.id)));
    const idx = Math.min(2, fc.features.length - 1);
    const station = fc.features[idx];
    await page.click(`#list .item:nth-child(${idx + 1}) .item-btn`);
    await page.waitForSelector('#details:not([hidden])');
    assert.equal(await page.getAttribute('#details', 'data-id'), String(station.id));
    assert.equal(await page.getAttribute(`#list .item:nth-child(${idx + 1})`, 'class'), 'item selected');

    const [lng, lat] = station.geometry.coordinates;
    const [gLng, gLat] = wgsToGcj([lng, lat]);
    const near = (a, b, what) => assert.ok(Math.abs(a - b) < 2e-6, `${what}: ${a} vs ${b}`);

    const amap = new URL(await page.getAttribute('#details .nav-amap', 'href'));
    assert.equal(amap.origin + amap.pathname, 'https://uri.amap.com/navigation');
    const to = amap.searchParams.get('to').split(',');
    near(Number(to[0]), gLng, 'amap lng');
    near(Number(to[1]), gLat, 'amap lat');
    assert.equal(to.slice(2).join(','), station.properties.name.replace(/,/g, ' '));
    assert.equal(amap.searchParams.get('mode'), 'ride');
    assert.equal(amap.searchParams.get('coordinate'), 'gaode');
    assert.equal(amap.searchParams.get('callnative'), '1');
    // The shift is real: GCJ-02 differs from WGS-84 by hundreds of metres in Beijing.
    assert.ok(Math.abs(Number(to[0]) - lng) > 0.003);

    const baidu = new URL(await page.getAttribute('#details .nav-baidu', 'href'));
    assert.equal(baidu.origin + baidu.pathname, 'https://api.map.baidu.com/direction');
    assert.equal(baidu.searchParams.get('coord_type'), 'gcj02');
    assert.equal(baidu.searchParams.get('mode'), 'riding');
    assert.equal(baidu.searchParams.get('output'), 'html');
    assert.equal(baidu.searchParams.get('src'), 'yizhan');
    const dest = baidu.searchParams.get('destination').match(/^latlng:([\d.]+),([\d.]+)\|name:(.*)$/);
    assert.ok(dest, baidu.searchParams.get('destination'));
    near(Number(dest[1]), gLat, 'baidu lat');
    near(Number(dest[2]), gLng, 'baidu lng');
    const orig = baidu.searchParams.get('origin').match(/^latlng:([\d.]+),([\d.]+)\|name:/);
    const [oLng, oLat] = wgsToGcj([TIANANMEN.longitude, TIANANMEN.latitude]);
    near(Number(orig[1]), oLat, 'baidu origin lat');
    near(Number(orig[2]), oLng, 'baidu origin lng');

    const geo = await page.getAttribute('#details .nav-geo', 'href');
    const g = geo.match(/^geo:([\d.]+),([\d.]+)\?q=([\d.]+),([\d.]+)\((.*)\)$/);
    assert.ok(g, geo);
    near(Number(g[1]), lat, 'geo lat');
    near(Number(g[2]), lng, 'geo lng');
    assert.equal(decodeURIComponent(g[5]), station.properties.name);

    // phone is a tel: link when the station has one
    if (station.properties.phone) {
      const tel = await page.getAttribute('#details a.tel', 'href');
      assert.match(tel, /^tel:[0-9+]+$/);
    }
    // back closes the details and keeps the list
    await page.click('#details .back-btn');
    await page.waitForSelector('#details', { state: 'hidden' });
    assertClean(problems);
  } finally { await context.close(); }
});

test('station details without a route show no "null" or "undefined" (zh and en)', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    const ids = await nearestIds(TIANANMEN.latitude, TIANANMEN.longitude);
    await page.goto(`${BASE}/`);
    await waitForList(page, ids);
    assert.equal(new URL(page.url()).searchParams.get('to'), null, 'no route is set');
    const n = Math.min(3, ids.length);
    for (const lang of ['zh', 'en']) {
      if (lang === 'en') await page.click('#btn-lang');
      for (let i = 1; i <= n; i++) {
        await page.click(`#list .item:nth-child(${i}) .item-btn`);
        await page.waitForSelector('#details:not([hidden])');
        assert.equal(await page.getAttribute('#details', 'data-id'), ids[i - 1]);
        const text = await page.$eval('#details', (el) => el.textContent);
        assert.doesNotMatch(text, /null|undefined/, `details of ${ids[i - 1]} (${lang}): ${text}`);
        // the details are elements only: no stray text between the blocks
        const stray = await page.$eval('#details', (el) => [...el.childNodes].filter((c) => c.nodeType === 3).map((c) => c.data));
        assert.deepEqual(stray, [], `text nodes directly in #details (${lang})`);
        await page.click('#details .back-btn');
        await page.waitForSelector('#details', { state: 'hidden' });
      }
    }
    assertClean(problems);
  } finally { await context.close(); }
});

test('a shared link /?lat=&lon=&amenities= lists matches without asking for the location', async () => {
  const { page, context, problems } = await newPage(browser, {}); // no geolocation permission at all
  try {
    await page.addInitScript(() => {
      window.__geoCalls = 0;
      if (navigator.geolocation) {
        const orig = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
        navigator.geolocation.getCurrentPosition = (...a) => { window.__geoCalls += 1; return orig(...a); };
      }
    });
    const { latitude: lat, longitude: lon } = WANGJING;
    const expected = await nearestIds(lat, lon, '&amenities=water,charging&open_now=true');
    await page.goto(`${BASE}/?lat=${lat}&lon=${lon}&amenities=water,charging&open_now=true`);
    if (expected.length) await waitForList(page, expected);
    else await page.waitForSelector('#list .empty');
    assert.equal(await page.evaluate(() => window.__geoCalls), 0);
    for (const key of ['water', 'charging', 'open_now']) {
      assert.equal(await page.getAttribute(`#chips .chip[data-key="${key}"]`, 'aria-pressed'), 'true', key);
    }
    assert.equal(await page.isVisible('#banner'), false);
    assertClean(problems);
  } finally { await context.close(); }
});

test('denied geolocation shows a clear message, and tapping the map sets the position', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    // No permission granted: a new context answers "denied", as after a rider tapped "Block" (a cleared
    // permission is "not asked yet", where the page waits for a tap: locate.test.mjs).
    await page.goto(`${BASE}/`);
    await page.waitForSelector('#banner:not([hidden])');
    assert.match(await page.textContent('#banner-text'), /定位|位置/);
    assert.match(await page.textContent('#banner-text'), /点击地图/);
    await page.waitForSelector('#tap-hint:not([hidden])');
    assert.equal(await page.$$eval('#list .item', (els) => els.length), 0);

    await page.waitForSelector('#map[data-ready="true"]');
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.4);
    await page.waitForFunction(() => new URL(location.href).searchParams.has('lat') && !!document.querySelector('#list').dataset.query);
    const q = JSON.parse(await page.getAttribute('#list', 'data-query') || '{}');
    assert.ok(Math.abs(q.lat - 39.9087) < 0.05 && Math.abs(q.lon - 116.3975) < 0.05, `tapped near the default centre: ${JSON.stringify(q)}`);
    assert.ok(q.lat !== 39.9087 || q.lon !== 116.3975);
    await waitForList(page, await nearestIds(q.lat, q.lon));
    assert.match(await page.textContent('#status'), /地图上选/);
    assertClean(problems);
  } finally { await context.close(); }
});

test('reporting a problem posts {reason, comment} and thanks the rider; 429 and 404 are explained', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    const posted = [];
    let mode = 'real';
    await page.route('**/api/v1/stations/*/reports', async (route) => {
      const req = route.request();
      posted.push({ url: req.url(), method: req.method(), body: req.postDataJSON(), type: req.headers()['content-type'] });
      if (mode === '429') return route.fulfill({ status: 429, headers: { 'Retry-After': '30', 'Content-Type': 'application/problem+json' }, body: JSON.stringify({ title: 'Too Many Requests', status: 429 }) });
      if (mode === '404') return route.fulfill({ status: 404, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Not Found', status: 404 }) });
      const res = await route.fetch();
      // The report endpoint may not exist yet on the server under test: stand in with a 202.
      if (res.status() === 404 || res.status() === 405) return route.fulfill({ status: 202, contentType: 'application/json', body: '{"status":"accepted"}' });
      return route.fulfill({ response: res });
    });
    const fc = await apiGet(`/api/v1/stations/nearest?lat=${TIANANMEN.latitude}&lon=${TIANANMEN.longitude}&k=20`);
    await page.goto(`${BASE}/`);
    await waitForList(page, fc.features.map((f) => String(f.id)));
    await page.click('#list .item:first-child .item-btn');
    await page.click('#details .report-btn');
    await page.waitForSelector('#report-dialog[open]');

    // no reason chosen → asked to choose, nothing posted
    await page.click('#report-submit');
    assert.match(await page.textContent('#report-msg'), /选择/);
    assert.equal(posted.length, 0);

    await page.check('#report-form input[value="amenity_missing"]');
    await page.fill('#report-comment', '没有热水 no hot water');
    await page.click('#report-submit');
    await page.waitForSelector('#report-msg.ok');
    assert.match(await page.textContent('#report-msg'), /谢谢/);
    assert.equal(posted.length, 1);
    assert.equal(posted[0].method, 'POST');
    assert.match(posted[0].type, /application\/json/);
    assert.ok(posted[0].url.endsWith(`/api/v1/stations/${encodeURIComponent(String(fc.features[0].id))}/reports`));
    assert.deepEqual(posted[0].body, { reason: 'amenity_missing', comment: '没有热水 no hot water' });
    // The server answers with a ticket (API v2): the dialog stays open to show it (trust.test.mjs follows it).
    await page.waitForSelector('#report-done:not([hidden])');
    assert.match(await page.textContent('#report-ticket'), /^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/);
    await page.click('#report-cancel');
    await page.waitForSelector('#report-dialog', { state: 'hidden', timeout: 5000 });

    mode = '429';
    await page.click('#details .report-btn');
    await page.check('#report-form input[value="closed"]');
    await page.click('#report-submit');
    await page.waitForSelector('#report-msg.error');
    assert.match(await page.textContent('#report-msg'), /太频繁/);

    mode = '404';
    await page.click('#report-submit');
    await page.waitForFunction(() => /找不到/.test(document.querySelector('#report-msg').textContent));
    await page.click('#report-cancel');
    await page.waitForSelector('#report-dialog', { state: 'hidden' });
    // the comment is capped at 500 characters
    await page.click('#details .report-btn');
    await page.fill('#report-comment', 'x'.repeat(600));
    assert.equal((await page.inputValue('#report-comment')).length, 500);
    assertClean(problems);
  } finally { await context.close(); }
});

test('an API error (problem+json) is shown as a readable banner; the page keeps working', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    let fail = true;
    await page.route('**/api/v1/stations/nearest?*', (route) => (fail
      ? route.fulfill({ status: 400, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Unknown amenity', status: 400, detail: "unknown amenity 'sauna'; valid: water, charging" }) })
      : route.continue()));
    await page.goto(`${BASE}/?lat=39.9087&lon=116.3975&amenities=sauna`);
    await page.waitForSelector('#banner:not([hidden])');
    const text = await page.textContent('#banner-text');
    assert.match(text, /Unknown amenity/);
    assert.match(text, /sauna/);
    fail = false;
    await page.click('#chips .chip[data-key="water"]');
    // still 'sauna' in the query → the real server says 400 too; drop it via a clean link
    await page.goto(`${BASE}/?lat=39.9087&lon=116.3975`);
    await waitForList(page, await nearestIds(39.9087, 116.3975));
    assertClean(problems);
  } finally { await context.close(); }
});

test('English toggle translates the page and is remembered', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    await page.goto(`${BASE}/?lat=39.9087&lon=116.3975`);
    await waitForList(page, await nearestIds(39.9087, 116.3975));
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.match(await page.textContent('#chips .chip[data-key="water"]'), /饮水/);
    await page.click('#btn-lang');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.textContent('#chips .chip[data-key="water"]'), /Water/i);
    assert.match(await page.textContent('#status'), /nearest/);
    await page.reload();
    await page.waitForSelector('#list[data-query] .item');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.textContent('#btn-locate'), /Locate me/);
    assertClean(problems);
  } finally { await context.close(); }
});

test('touch targets are at least 44 px and the page sends no request off the server', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    const offsite = [];
    page.on('request', (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith('data:')) offsite.push(r.url()); });
    await page.goto(`${BASE}/?lat=39.9087&lon=116.3975`);
    await page.waitForSelector('#list[data-query] .item');
    const small = await page.$$eval('button, .chip, .item-btn, .act-btn', (els) => els
      .filter((e) => e.offsetParent !== null)
      .map((e) => ({ id: e.id || e.className, h: e.getBoundingClientRect().height, w: e.getBoundingClientRect().width }))
      .filter((r) => r.h < 44 || r.w < 44));
    assert.deepEqual(small, []);
    // only map tiles may go elsewhere (blocked here); everything the page itself needs is local
    assert.ok(offsite.every((u) => /\{?tile|openstreetmap|amap|autonavi/i.test(u)), offsite.join('\n'));
    assertClean(problems);
  } finally { await context.close(); }
});

test('GCJ-02 tiles from /api/v1/config shift the drawn position, and a tap maps back to WGS-84', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    const tileHosts = [];
    page.on('request', (r) => { if (/\/\d+\/\d+\/\d+\.png/.test(r.url())) tileHosts.push(new URL(r.url()).host); });
    await page.route('**/api/v1/config', (route) => route.fulfill({
      status: 200, contentType: 'application/json',
      body: JSON.stringify({ tiles: { url: 'http://127.0.0.1:9/gcj/{z}/{x}/{y}.png', attribution: 'test tiles', crs: 'gcj02', max_zoom: 18 } }),
    }));
    const pos = [116.4737, 39.9928];
    await page.goto(`${BASE}/?lat=${pos[1]}&lon=${pos[0]}`);
    await waitForList(page, await nearestIds(pos[1], pos[0]));
    await page.waitForSelector('#map[data-user]');
    assert.equal(await page.getAttribute('#map', 'data-crs'), 'gcj02');
    const [dLat, dLng] = (await page.getAttribute('#map', 'data-user')).split(',').map(Number);
    const [gLng, gLat] = wgsToGcj(pos);
    assert.ok(Math.abs(dLat - gLat) < 1e-6 && Math.abs(dLng - gLng) < 1e-6, `drawn at ${dLat},${dLng}; GCJ-02 is ${gLat},${gLng}`);
    assert.ok(tileHosts.includes('127.0.0.1:9'), 'tiles come from the configured URL');
    assert.match(await page.textContent('.leaflet-control-attribution'), /test tiles/);

    // Tap exactly on the drawn dot: the position sent to the API is the WGS-84 point again (± a pixel).
    // The map may still be panning to fit the list's markers: measure the dot once it has stopped moving.
    const dot = page.locator('path.user-dot');
    let box = await dot.boundingBox();
    for (let i = 0; i < 40; i++) {
      await page.waitForTimeout(150);
      const next = await dot.boundingBox();
      const still = Math.abs(next.x - box.x) < 0.5 && Math.abs(next.y - box.y) < 0.5;
      box = next;
      if (still) break;
    }
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(() => JSON.parse(document.querySelector('#list').dataset.query || '{}').lat !== 39.9928);
    const q = JSON.parse(await page.getAttribute('#list', 'data-query'));
    const metres = Math.hypot((q.lat - pos[1]) * 111195, (q.lon - pos[0]) * 111195 * Math.cos(pos[1] * Math.PI / 180));
    // The GCJ-02 shift here is ~600 m; a tap is accurate to a pixel or two (≈ 15 m at zoom 13).
    const shift = Math.hypot((gLat - pos[1]) * 111195, (gLng - pos[0]) * 111195 * Math.cos(pos[1] * Math.PI / 180));
    assert.ok(shift > 300, `shift ${shift}`);
    assert.ok(metres < 50, `tap on the dot came back ${metres.toFixed(1)} m away`);
    assertClean(problems);
  } finally { await context.close(); }
});

test('without /api/v1/config the map falls back to OpenStreetMap tiles in WGS-84', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    const tiles = [];
    page.on('request', (r) => { if (/\/\d+\/\d+\/\d+\.png/.test(r.url())) tiles.push(r.url()); });
    await page.route('**/api/v1/config', (route) => route.fulfill({ status: 404, contentType: 'application/problem+json', body: '{"title":"Not Found","status":404}' }));
    await page.goto(`${BASE}/?lat=39.9087&lon=116.3975`);
    await waitForList(page, await nearestIds(39.9087, 116.3975));
    await page.waitForSelector('#map[data-user]');
    assert.equal(await page.getAttribute('#map', 'data-crs'), 'wgs84');
    assert.equal(await page.getAttribute('#map', 'data-user'), '39.9087000,116.3975000');
    await page.waitForFunction(() => document.querySelectorAll('.leaflet-tile').length > 0);
    assert.ok(tiles.length > 0 && tiles.every((u) => u.startsWith('https://tile.openstreetmap.org/')), tiles.slice(0, 3).join('\n'));
    // tiles are blocked here: the page says so, and the list is still there
    await page.waitForSelector('#map-msg:not([hidden])');
    assert.ok((await listIds(page)).length > 0);
    assertClean(problems);
  } finally { await context.close(); }
});

test('switching between "nearby" and "on my way" keeps the nearest list and the shareable link right', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    const { latitude: lat, longitude: lon } = TIANANMEN;
    const nearest = await nearestIds(lat, lon);
    await page.goto(`${BASE}/?to=116.4737,39.9928`);
    await page.waitForFunction(() => JSON.parse(document.querySelector('#list').dataset.query || '{}').mode === 'route');
    assert.equal(await page.isVisible('#route-panel'), true);
    await page.click('#mode-near');
    await waitForList(page, nearest);
    assert.equal(await page.isVisible('#route-panel'), false);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('to'), null);
    assert.equal(await page.$('path.route-line'), null);
    await page.click('#mode-route');
    await page.waitForFunction(() => JSON.parse(document.querySelector('#list').dataset.query || '{}').mode === 'route');
    assert.equal(new URL(page.url()).searchParams.get('to'), '116.4737,39.9928');
    assertClean(problems);
  } finally { await context.close(); }
});
