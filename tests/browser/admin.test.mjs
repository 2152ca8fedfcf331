// End-to-end tests of the admin page (/admin) against a running yizhan server (YZ_BASE_URL) started with
// YIZHAN_ADMIN_TOKEN=test-token (tests/browser/run.sh does that), in Debian's Chromium.
// These tests change the dataset; the original bytes are PUT back in after(), so the rider-page tests that
// share the server see the same data whatever the order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage, apiGet, assertClean } from './helpers.mjs';

const TOKEN = process.env.YZ_ADMIN_TOKEN || 'test-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const DESKTOP = { width: 1280, height: 900 };

let browser;
let original; // bytes of GET /api/v1/dataset before these tests
let originalVersion;
let originalCount;

before(async () => {
  browser = await launch();
  const res = await fetch(`${BASE}/api/v1/dataset`);
  assert.equal(res.status, 200, 'GET /api/v1/dataset');
  original = Buffer.from(await res.arrayBuffer());
  const hz = await apiGet('/healthz');
  originalVersion = hz.dataset_version;
  originalCount = hz.stations;
});

after(async () => {
  try {
    if (original) {
      const res = await fetch(`${BASE}/api/v1/stations`, {
        method: 'PUT', headers: { ...AUTH, 'Content-Type': 'application/geo+json' }, body: original,
      });
      assert.equal(res.status, 200, `restoring the original dataset: ${await res.text()}`);
      const hz = await apiGet('/healthz');
      assert.equal(hz.dataset_version, originalVersion, 'the original dataset version is back');
      assert.equal(hz.stations, originalCount);
    }
  } finally {
    await browser?.close();
  }
});

async function health() { return apiGet('/healthz'); }

/** Open /admin and enter the token; waits until the server accepted it. */
async function login(page, token = TOKEN) {
  await page.goto(`${BASE}/admin`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#token', token);
  await page.click('#token-save');
  await page.waitForSelector('#token-msg[data-kind="ok"]');
}

/** Upsert stations through the API (not the page), to set up a test. */
async function apiUpsertCsv(csv) {
  const res = await fetch(`${BASE}/api/v1/stations`, { method: 'POST', headers: { ...AUTH, 'Content-Type': 'text/csv' }, body: csv });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

function feature(id, props, coords = [116.40, 39.91]) {
  return {
    type: 'Feature', id, geometry: { type: 'Point', coordinates: coords },
    properties: { name: `测试驿站 ${id}`, kind: 'station', host_type: 'bank', amenities: ['water'], opening_hours: '24/7', ...props },
  };
}

const CSV_HEADER = 'id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone';

test('a wrong token says so; forgetting the token clears it; the page fits a phone screen', async () => {
  const { page, context, problems } = await newPage(browser);
  try {
    await page.goto(`${BASE}/admin`);
    await page.waitForSelector('body[data-ready="true"]');
    // the current dataset is shown without a token
    await page.waitForFunction((v) => document.querySelector('#ds-version').textContent === v, originalVersion);
    await page.fill('#token', 'definitely-wrong');
    await page.click('#token-save');
    await page.waitForSelector('#token-msg[data-kind="error"]');
    assert.match(await page.textContent('#token-msg'), /令牌错误/);
    assert.equal(await page.getAttribute('#token', 'aria-invalid'), 'true');
    assert.equal(await page.isVisible('#ver-table'), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('yizhan.admin.token')), 'definitely-wrong');

    // switching to English translates the message already shown
    await page.click('#btn-lang');
    await page.waitForFunction(() => /Token wrong/.test(document.querySelector('#token-msg').textContent));
    await page.click('#btn-lang');

    await page.click('#token-forget');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('yizhan.admin.token')), null);
    assert.equal(await page.inputValue('#token'), '');

    // the right token is accepted and kept across a reload (same tab)
    await page.fill('#token', TOKEN);
    await page.click('#token-save');
    await page.waitForSelector('#token-msg[data-kind="ok"]');
    await page.reload();
    await page.waitForSelector('#token-msg[data-kind="ok"]');
    assert.equal(await page.inputValue('#token'), TOKEN);
    await page.waitForSelector('#ver-table tbody tr');

    // no horizontal scrolling on a 390 px wide phone
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
    assertClean(problems);
  } finally { await context.close(); }
});

test('a GeoJSON file with 3 bad features: the dry run lists exactly those, Apply stays disabled, nothing changes', async () => {
  const { page, context, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    const before = await health();
    await login(page);
    const fc = {
      type: 'FeatureCollection',
      features: [
        feature('t-bad-0', {}),
        feature('t-bad-1', {}, [200, 39.9]), // longitude out of range
        feature('t-bad-2', {}),
        feature('t-bad-3', { name: '' }), // empty name
        feature('t-bad-4', { amenities: ['water', 'jacuzzi'] }), // unknown amenity
      ],
    };
    await page.setInputFiles('#up-file', { name: 'bad.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(fc)) });
    assert.equal(await page.isDisabled('#btn-apply'), true);
    assert.equal(await page.isChecked('#up-gzip'), true, 'gzip is on by default where CompressionStream exists');
    const sent = page.waitForRequest((r) => r.url().includes('/api/v1/stations?') && r.method() === 'PUT');
    await page.click('#btn-dry');
    const req = await sent;
    assert.match(req.url(), /dry_run=true/);
    const headers = await req.allHeaders();
    assert.equal(headers['content-encoding'], 'gzip');
    assert.equal(headers['content-type'], 'application/geo+json');
    assert.equal(headers.authorization, `Bearer ${TOKEN}`);
    await page.waitForSelector('#up-result[data-state="invalid"]');
    const rows = await page.$$eval('#err-table tbody tr', (trs) => trs.map((tr) => ({
      index: Number(tr.dataset.index), field: tr.dataset.field, id: tr.cells[2].textContent,
    })));
    assert.deepEqual(rows, [
      { index: 1, field: 'geometry', id: 't-bad-1' },
      { index: 3, field: 'name', id: 't-bad-3' },
      { index: 4, field: 'amenities', id: 't-bad-4' },
    ]);
    assert.match(await page.textContent('#up-result'), /3 个错误/);
    assert.equal(await page.isDisabled('#btn-apply'), true, 'Apply stays disabled after a failed dry run');
    assert.equal((await health()).dataset_version, before.dataset_version, 'a dry run changes nothing');

    // filter by field, then sort by field descending
    await page.selectOption('#err-field', 'name');
    assert.deepEqual(await page.$$eval('#err-table tbody tr', (trs) => trs.map((tr) => tr.dataset.field)), ['name']);
    await page.selectOption('#err-field', '');
    await page.click('#err-table .sort[data-key="field"]');
    await page.click('#err-table .sort[data-key="field"]');
    assert.deepEqual(await page.$$eval('#err-table tbody tr', (trs) => trs.map((tr) => tr.dataset.field)), ['name', 'geometry', 'amenities']);

    // unparseable JSON: the problem detail (400) instead of a table
    await page.setInputFiles('#up-file', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"type":"FeatureCollection","features":[') });
    await page.click('#btn-dry');
    await page.waitForSelector('#up-result[data-state="problem"]');
    assert.match(await page.textContent('#up-result'), /HTTP 400/);
    assert.equal(await page.isVisible('#err-wrap'), false);
    assert.equal(await page.isDisabled('#btn-apply'), true);
    assert.equal((await health()).dataset_version, before.dataset_version);
    assertClean(problems);
  } finally { await context.close(); }
});

test('thousands of validation errors render 500 rows at a time', async () => {
  const { page, context, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await login(page);
    const features = Array.from({ length: 1200 }, (_, i) => feature(`t-many-${i}`, { name: '' }));
    await page.setInputFiles('#up-file', { name: 'many.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify({ type: 'FeatureCollection', features })) });
    await page.click('#btn-dry');
    await page.waitForSelector('#up-result[data-state="invalid"]');
    assert.equal(await page.locator('#err-table tbody tr').count(), 500);
    await page.click('#err-more');
    assert.equal(await page.locator('#err-table tbody tr').count(), 1000);
    await page.click('#err-more');
    assert.equal(await page.locator('#err-table tbody tr').count(), 1200);
    assert.equal(await page.isVisible('#err-more'), false);
    await page.fill('#err-text', 't-many-1199');
    await page.waitForFunction(() => document.querySelectorAll('#err-table tbody tr').length === 1);
    assertClean(problems);
  } finally { await context.close(); }
});

test('a good CSV with Chinese amenity aliases: dry run OK → Apply → /healthz has the new version and count', async () => {
  const { page, context, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    const before = await health();
    await login(page);
    const csv = '\uFEFF' + [
      CSV_HEADER,
      't-csv-1,测试驿站一,116.4100,39.9100,station,bank,东城区测试路1号,东城区,饮水;充电;歇脚,24/7,010-00000001',
      't-csv-2,测试驿站二,116.4200,39.9200,workers_home,union_center,东城区测试路2号,东城区,取暖;卫生间;微波炉,Mo-Fr 08:00-18:00,',
      't-csv-3,测试驿站三,116.4300,39.9300,station,supermarket,,东城区,纳凉;无线网,,',
    ].join('\n') + '\n';
    await page.setInputFiles('#up-file', { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.check('input[name="mode"][value="upsert"]');
    await page.selectOption('#up-crs', 'gcj02');
    await page.uncheck('#up-gzip'); // the bad-file test went gzip-compressed; this one goes plain
    await page.click('#btn-dry');
    await page.waitForSelector('#up-result[data-state="dry-ok"]');
    assert.equal(Number(await page.getAttribute('#up-result', 'data-count')), before.stations + 3);
    assert.equal(await page.isEnabled('#btn-apply'), true);
    assert.equal((await health()).dataset_version, before.dataset_version, 'a dry run changes nothing');

    // changing a setting after the dry run disables Apply until the next dry run
    await page.selectOption('#up-crs', 'wgs84');
    assert.equal(await page.isDisabled('#btn-apply'), true);
    await page.selectOption('#up-crs', 'gcj02');
    assert.equal(await page.isDisabled('#btn-apply'), true);
    await page.click('#btn-dry');
    await page.waitForSelector('#up-result[data-state="dry-ok"]');
    const predicted = await page.getAttribute('#up-result', 'data-version');

    await page.click('#btn-apply');
    await page.waitForSelector('#up-result[data-state="applied"]');
    const version = await page.getAttribute('#up-result', 'data-version');
    assert.equal(version, predicted, 'the dry run predicted the version');
    const hz = await health();
    assert.equal(hz.dataset_version, version);
    assert.notEqual(hz.dataset_version, before.dataset_version);
    assert.equal(hz.stations, before.stations + 3);
    assert.match(await page.textContent('#up-result'), new RegExp(version));
    await page.waitForFunction((v) => document.querySelector('#ds-version').textContent === v, version);
    assert.equal(await page.isDisabled('#btn-apply'), true, 'Apply is one-shot');

    const st = await apiGet('/api/v1/stations/t-csv-1');
    assert.deepEqual([...st.properties.amenities].sort(), ['charging', 'rest', 'water']);
    assert.ok(Math.abs(st.geometry.coordinates[0] - 116.41) > 1e-4, 'GCJ-02 input was converted to WGS-84');
    assertClean(problems);
  } finally { await context.close(); }
});

test('deleting one station by id (after confirming)', async () => {
  const { page, context, problems } = await newPage(browser);
  try {
    await apiUpsertCsv(`${CSV_HEADER}\nt-del-1,要删除的驿站,116.45,39.95,station,bank,,,饮水,24/7,\n`);
    const before = await health();
    await login(page);
    await page.fill('#del-id', 't-del-1');
    await page.click('#btn-del');
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-cancel');
    assert.equal((await health()).dataset_version, before.dataset_version, 'cancel changes nothing');
    await page.click('#btn-del');
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-ok');
    await page.waitForSelector('#del-msg[data-kind="ok"]');
    assert.equal((await health()).stations, before.stations - 1);
    assert.equal((await fetch(`${BASE}/api/v1/stations/t-del-1`)).status, 404);
    // deleting it again: the server's 404 detail is shown
    await page.fill('#del-id', 't-del-1');
    await page.click('#btn-del');
    await page.click('#confirm-ok');
    await page.waitForSelector('#del-msg[data-kind="error"]');
    assert.match(await page.textContent('#del-msg'), /404/);
    assertClean(problems);
  } finally { await context.close(); }
});

test('the versions list shows ≥ 2 versions and rolling back restores the original one', async () => {
  const { page, context, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    if ((await health()).dataset_version === originalVersion) {
      await apiUpsertCsv(`${CSV_HEADER}\nt-ver-1,版本测试,116.45,39.95,station,bank,,,饮水,24/7,\n`);
    }
    const changed = await health();
    assert.notEqual(changed.dataset_version, originalVersion);
    await login(page);
    await page.waitForSelector('#ver-table tbody tr');
    const versions = await page.$$eval('#ver-table tbody tr', (trs) => trs.map((tr) => tr.dataset.version));
    assert.ok(versions.length >= 2, `versions: ${versions}`);
    assert.ok(versions.includes(originalVersion));
    assert.equal(await page.getAttribute('#ver-table tr.is-current', 'data-version'), changed.dataset_version);

    const btn = `#ver-table tr[data-version="${originalVersion}"] button.rollback`;
    await page.click(btn);
    await page.waitForSelector('#confirm-dialog[open]');
    assert.match(await page.textContent('#confirm-text'), new RegExp(originalVersion));
    await page.click('#confirm-cancel');
    assert.equal((await health()).dataset_version, changed.dataset_version, 'cancel changes nothing');

    await page.click(btn);
    await page.click('#confirm-ok');
    await page.waitForSelector('#ver-msg[data-kind="ok"]');
    const hz = await health();
    assert.equal(hz.dataset_version, originalVersion);
    assert.equal(hz.stations, originalCount);
    await page.waitForFunction((v) => document.querySelector('#ds-version').textContent === v
      && document.querySelector('#ver-table tr.is-current')?.dataset.version === v, originalVersion);
    assertClean(problems);
  } finally { await context.close(); }
});

test('the reports table shows a report posted by a rider, with the reason in zh and en', async () => {
  const { page, context, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    const [first] = (await apiGet('/api/v1/stations?limit=1')).features;
    const comment = `admin-test 充电桩坏了 ${Date.now()}`;
    const res = await fetch(`${BASE}/api/v1/stations/${encodeURIComponent(first.id)}/reports`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: 'amenity_missing', comment }),
    });
    assert.equal(res.status, 202, await res.text());
    await login(page);
    const row = page.locator('#rep-table tbody tr', { hasText: comment });
    await row.waitFor();
    assert.equal(await row.getAttribute('data-station'), String(first.id));
    assert.match(await row.textContent(), /设施缺失/);
    assert.equal(await row.locator(`a[href="/api/v1/stations/${encodeURIComponent(first.id)}"]`).count(), 1);
    // the newest report is first
    assert.match(await page.locator('#rep-table tbody tr').first().textContent(), new RegExp(comment));
    // station names and map links are filled in
    await row.locator('.st-name').waitFor();
    assert.equal(await row.locator('.st-name').textContent(), first.properties.name);
    await page.click('#btn-lang');
    await page.waitForFunction((c) => [...document.querySelectorAll('#rep-table tbody tr')]
      .some((tr) => tr.textContent.includes(c) && tr.textContent.includes('Amenity missing')), comment);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.click('#btn-lang');
    assertClean(problems);
  } finally { await context.close(); }
});

test('the audit panel lists the newest change first, with who made it, in zh and en', async () => {
  const { page, context, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    const id = `audit-${Date.now()}`;
    await apiUpsertCsv(`${CSV_HEADER}\n${id},审计测试驿站,116.41,39.92,station,bank,,朝阳区,water,24/7,\n`);
    await login(page);
    const top = page.locator('#aud-table tbody tr').first();
    await top.waitFor();
    assert.equal(await top.locator('.actor').textContent(), '管理员（总令牌）');
    assert.equal(await top.locator('.action').textContent(), '增量上传');
    assert.match(await top.textContent(), /新增 1/);
    // the page's own change shows up after a refresh
    const res = await fetch(`${BASE}/api/v1/stations/${id}`, { method: 'DELETE', headers: AUTH });
    assert.equal(res.status, 200, await res.text());
    await page.click('#aud-refresh');
    await page.waitForFunction((x) => {
      const tr = document.querySelector('#aud-table tbody tr');
      return tr && tr.querySelector('.detail').textContent === x;
    }, id);
    await page.click('#btn-lang');
    await page.waitForFunction(() => document.querySelector('#aud-table tbody tr .action')?.textContent === 'Station deleted');
    assert.equal(await page.textContent('#h-audit'), 'Audit trail');
    assert.equal(await top.locator('.actor').textContent(), 'admin (full token)');
    await page.click('#btn-lang');
    assertClean(problems);
  } finally { await context.close(); }
});
