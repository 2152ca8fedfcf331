// "On my way" (顺路) mode against the real server: the list equals GET /api/v1/stations/along for the same
// path (ids in order), the along/detour figures shown are the API's, and the hand-off links carry GCJ-02.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, TIANANMEN, launch, newPage, apiGet, listIds, assertClean } from './helpers.mjs';
import { wgsToGcj } from './crs-ref.mjs';
import { parseRouteInput } from '../../static/js/links.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const WANGJING = [116.4737, 39.9928]; // lng, lat

/** The page's last query (data-query on the list) once it is a route query. */
async function routeQuery(page, timeout = 10000) {
  await page.waitForFunction(() => {
    const l = document.querySelector('#list');
    const q = JSON.parse(l.dataset.query || '{}');
    return q.mode === 'route' && l.getAttribute('aria-busy') !== 'true';
  }, null, { timeout });
  return JSON.parse(await page.getAttribute('#list', 'data-query'));
}

function alongUrl(q, extra = '') {
  const path = q.path.map(([lng, lat]) => `${lng},${lat}`).join(';');
  const p = new URLSearchParams({ path, max_distance_m: String(q.maxDistanceM), limit: String(q.limit) });
  if (q.amenities?.length) p.set('amenities', q.amenities.join(','));
  if (q.openNow) p.set('open_now', 'true');
  return `/api/v1/stations/along?${p}${extra}`;
}

const fmtLenZh = (m) => (m < 1000 ? `${Math.round(m)} 米` : `${m < 10000 ? (m / 1000).toFixed(1) : Math.round(m / 1000)} 公里`);

/** The list shows exactly the API's answer: ids in order, along_m and distance_m per item, and the texts. */
async function assertListIsApi(page, fc) {
  const expected = fc.features.map((f) => String(f.id));
  await page.waitForFunction((n) => document.querySelectorAll('#list .item').length === n, expected.length);
  assert.deepEqual(await listIds(page), expected);
  const rows = await page.$$eval('#list .item', (els) => els.map((e) => ({
    along: Number(e.dataset.alongM), dist: Number(e.dataset.distanceM),
    alongText: e.querySelector('.item-along')?.textContent, detourText: e.querySelector('.item-detour')?.textContent,
  })));
  fc.features.forEach((f, i) => {
    assert.equal(rows[i].along, f.properties.along_m, `along_m of ${f.id}`);
    assert.equal(rows[i].dist, f.properties.distance_m, `distance_m of ${f.id}`);
    assert.equal(rows[i].alongText, `${fmtLenZh(f.properties.along_m)} 后`);
    assert.equal(rows[i].detourText, `绕行约 ${fmtLenZh(2 * f.properties.distance_m)}`);
  });
  // in the order met: along_m never decreases
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i].along >= rows[i - 1].along);
}

test('tapping a destination on the map lists GET /stations/along for rider → destination, in order', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    await page.goto(`${BASE}/`);
    await page.waitForSelector('#list[data-query] .item');
    await page.click('#mode-route');
    assert.equal(await page.getAttribute('#mode-route', 'aria-pressed'), 'true');
    await page.waitForSelector('#tap-hint:not([hidden])');
    assert.match(await page.textContent('#tap-hint'), /目的地/);
    await page.waitForSelector('#map[data-ready="true"]');
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.2); // north-east of the rider
    const q = await routeQuery(page);
    assert.equal(q.path.length, 2);
    assert.deepEqual(q.path[0], [TIANANMEN.longitude, TIANANMEN.latitude], 'the route starts at the rider');
    assert.ok(q.path[1][0] > TIANANMEN.longitude && q.path[1][1] > TIANANMEN.latitude, JSON.stringify(q.path));
    assert.equal(q.maxDistanceM, 300);
    const fc = await apiGet(alongUrl(q));
    assert.ok(fc.features.length > 0, 'stations near the tapped route');
    await assertListIsApi(page, fc);
    // the route line is drawn, with the destination flag
    assert.ok(await page.$('path.route-line'));
    assert.ok(await page.$('.dest-flag'));
    // the shareable link carries the destination
    const url = new URL(page.url());
    const to = url.searchParams.get('to').split(',').map(Number);
    assert.ok(Math.abs(to[0] - q.path[1][0]) < 1e-5 && Math.abs(to[1] - q.path[1][1]) < 1e-5);
    assertClean(problems);
  } finally { await context.close(); }
});

test('a shared /?to= link, detour choice and filters give the API answer; navigation hands off in GCJ-02', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    await page.goto(`${BASE}/?to=${WANGJING[0]},${WANGJING[1]}`);
    let q = await routeQuery(page);
    assert.deepEqual(q.path, [[TIANANMEN.longitude, TIANANMEN.latitude], WANGJING]);
    await assertListIsApi(page, await apiGet(alongUrl(q)));

    await page.click('#detour .detour-btn[data-m="1000"]');
    await page.waitForFunction(() => JSON.parse(document.querySelector('#list').dataset.query || '{}').maxDistanceM === 1000);
    q = await routeQuery(page);
    await assertListIsApi(page, await apiGet(alongUrl(q)));
    assert.equal(new URL(page.url()).searchParams.get('max_distance_m'), '1000');

    await page.click('#chips .chip[data-key="charging"]');
    await page.waitForFunction(() => (JSON.parse(document.querySelector('#list').dataset.query || '{}').amenities || []).includes('charging'));
    q = await routeQuery(page);
    const fc = await apiGet(alongUrl(q));
    assert.ok(fc.features.length >= 2, 'enough charging stations along the route');
    await assertListIsApi(page, fc);

    // details of the second station: leg 1 rider → station, leg 2 station → destination, all GCJ-02
    const station = fc.features[1];
    await page.click('#list .item:nth-child(2) .item-btn');
    await page.waitForSelector('#details:not([hidden])');
    assert.equal(await page.getAttribute('#details', 'data-id'), String(station.id));
    assert.match(await page.textContent('#details .details-dist'), /后 · 绕行约/);
    const [sLng, sLat] = wgsToGcj(station.geometry.coordinates);
    const [dLng, dLat] = wgsToGcj(WANGJING);
    const near = (a, b, what) => assert.ok(Math.abs(a - b) < 2e-6, `${what}: ${a} vs ${b}`);

    const leg1 = new URL(await page.getAttribute('#details .nav-amap', 'href'));
    const to1 = leg1.searchParams.get('to').split(',');
    near(Number(to1[0]), sLng, 'leg 1 amap lng'); near(Number(to1[1]), sLat, 'leg 1 amap lat');
    assert.equal(leg1.searchParams.get('coordinate'), 'gaode');

    const leg2 = new URL(await page.getAttribute('#details .nav-amap-2', 'href'));
    assert.equal(leg2.origin + leg2.pathname, 'https://uri.amap.com/navigation');
    const from2 = leg2.searchParams.get('from').split(',');
    const to2 = leg2.searchParams.get('to').split(',');
    near(Number(from2[0]), sLng, 'leg 2 amap from lng'); near(Number(from2[1]), sLat, 'leg 2 amap from lat');
    near(Number(to2[0]), dLng, 'leg 2 amap to lng'); near(Number(to2[1]), dLat, 'leg 2 amap to lat');
    assert.equal(from2.slice(2).join(','), station.properties.name.replace(/,/g, ' '));
    assert.equal(leg2.searchParams.get('mode'), 'ride');
    assert.equal(leg2.searchParams.get('coordinate'), 'gaode');
    assert.equal(leg2.searchParams.get('via'), null, 'Amap takes via points in car mode only');

    const b2 = new URL(await page.getAttribute('#details .nav-baidu-2', 'href'));
    assert.equal(b2.origin + b2.pathname, 'https://api.map.baidu.com/direction');
    assert.equal(b2.searchParams.get('coord_type'), 'gcj02');
    assert.equal(b2.searchParams.get('mode'), 'riding');
    const o = b2.searchParams.get('origin').match(/^latlng:([\d.]+),([\d.]+)\|name:/);
    const d = b2.searchParams.get('destination').match(/^latlng:([\d.]+),([\d.]+)\|name:/);
    near(Number(o[1]), sLat, 'leg 2 baidu origin lat'); near(Number(o[2]), sLng, 'leg 2 baidu origin lng');
    near(Number(d[1]), dLat, 'leg 2 baidu dest lat'); near(Number(d[2]), dLng, 'leg 2 baidu dest lng');
    assertClean(problems);
  } finally { await context.close(); }
});

test('a pasted Amap navigation link (GCJ-02) becomes the route; the list equals the API for it', async () => {
  const { page, context, problems } = await newPage(browser, {}); // no geolocation: the link has its own start
  try {
    const from = wgsToGcj([116.3270, 39.9000]);
    const to = wgsToGcj([116.4600, 39.9400]);
    const link = `https://uri.amap.com/navigation?from=${from[0].toFixed(6)},${from[1].toFixed(6)},A&to=${to[0].toFixed(6)},${to[1].toFixed(6)},B&mode=ride&callnative=1`;
    await page.goto(`${BASE}/?mode=route`);
    assert.equal(await page.getAttribute('#mode-route', 'aria-pressed'), 'true');
    await page.click('.paste summary');
    await page.fill('#paste-text', `骑这条路：${link}`);
    await page.click('#paste-go');
    const q = await routeQuery(page);
    assert.equal(q.path.length, 2);
    // the page converted GCJ-02 → WGS-84; the same route asked in GCJ-02 must give the same stations
    const viaGcj = await apiGet(`/api/v1/stations/along?path=${from[0].toFixed(6)},${from[1].toFixed(6)};${to[0].toFixed(6)},${to[1].toFixed(6)}&crs=gcj02&max_distance_m=300&limit=50`);
    const fc = await apiGet(alongUrl(q));
    assert.deepEqual(fc.features.map((f) => String(f.id)), viaGcj.features.map((f) => String(f.id)));
    await assertListIsApi(page, fc);
    assert.match(await page.textContent('#paste-msg'), /路线/);
    assert.ok(new URL(page.url()).searchParams.get('path').split(';').length === 2, 'the path is in the shareable link');

    // a short link is refused with a hint, and the list stays
    await page.fill('#paste-text', 'https://surl.amap.com/abcdef');
    await page.click('#paste-go');
    await page.waitForFunction(() => /短链接/.test(document.querySelector('#paste-msg').textContent));
    assert.deepEqual(await listIds(page), fc.features.map((f) => String(f.id)));
    assertClean(problems);
  } finally { await context.close(); }
});

test('links.js reads Amap/Baidu links and paths into WGS-84 points', () => {
  const close = (a, b) => assert.ok(Math.abs(a[0] - b[0]) < 1e-7 && Math.abs(a[1] - b[1]) < 1e-7, `${a} vs ${b}`);
  const w = [116.4, 39.9];
  const g = wgsToGcj(w);
  let r = parseRouteInput(`${g[0]},${g[1]};${wgsToGcj(WANGJING).join(',')}`);
  assert.equal(r.hasOrigin, true); close(r.points[0], w); close(r.points[1], WANGJING);
  r = parseRouteInput(`${w[0]},${w[1]}`, { crs: 'wgs84' });
  assert.equal(r.hasOrigin, false); close(r.points[0], w);
  r = parseRouteInput(`https://uri.amap.com/marker?position=${g[0]},${g[1]}&name=x`);
  assert.equal(r.hasOrigin, false); close(r.points[0], w);
  r = parseRouteInput(`https://uri.amap.com/navigation?to=${w[0]},${w[1]},x&coordinate=wgs84`);
  close(r.points[0], w);
  r = parseRouteInput(`amapuri://route/plan/?dlat=${g[1]}&dlon=${g[0]}&dev=0&t=3`);
  close(r.points[0], w);
  r = parseRouteInput(`https://api.map.baidu.com/direction?origin=latlng:${g[1]},${g[0]}|name:a&destination=name:b|latlng:${wgsToGcj(WANGJING)[1]},${wgsToGcj(WANGJING)[0]}&coord_type=gcj02&mode=riding`);
  assert.equal(r.hasOrigin, true); close(r.points[0], w); close(r.points[1], WANGJING);
  r = parseRouteInput(`baidumap://map/marker?location=${w[1]},${w[0]}&coord_type=wgs84&title=x`);
  close(r.points[0], w);
  r = parseRouteInput(`geo:${w[1]},${w[0]}?q=x`);
  close(r.points[0], w);
  // Baidu's default is BD-09: the point moves by Baidu's offset (hundreds of metres)
  r = parseRouteInput(`https://api.map.baidu.com/marker?location=${w[1]},${w[0]}&title=x`);
  assert.ok(Math.abs(r.points[0][0] - w[0]) > 0.005);
  for (const bad of ['', 'hello', '200,10;1,1', 'https://example.com/x', 'https://surl.amap.com/x', 'https://api.map.baidu.com/direction?destination=北京站']) {
    assert.throws(() => parseRouteInput(bad), /route\.err\./, bad);
  }
});
