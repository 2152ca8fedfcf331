// The trust loop and the calendar on the pages (issues 14 and 15), against the real binary:
//   - a rider files a report, sees its ticket, an admin (API) moves the case along with a reply, and the rider's
//     "My reports" and the ticket view (also opened from a follow link on another phone) show the reply and history;
//   - a station's closure (note, reopening day), "confirmed N days ago", "N riders reported a problem",
//     "closes in N min" / "opens at 09:00" for stations whose hours the test sets, the open-now chip and the
//     "open ≥ 30 min" chip (open_for=30, restored from the URL);
//   - the admin's case queue: mark the station closed, reply, move along, resolve; the "needs attention" list;
//   - the offline subset's closures and calendar (PH, make-up workdays), in Node.
// The dataset and the station state are put back in after(), so the other files see the data they expect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage, apiGet, nearestIds, waitForList, assertClean } from './helpers.mjs';
import { openAt, closedOn, nearestOffline } from '../../static/js/offline.js';

const TOKEN = process.env.YZ_ADMIN_TOKEN || 'test-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const AT = { lat: 39.9087, lon: 116.3975 }; // Tiananmen
const LINK = `/?lat=${AT.lat}&lon=${AT.lon}`;
const DESKTOP = { width: 1280, height: 900 };
const TZ = 'Asia/Shanghai';

let browser;
let original; // GET /api/v1/dataset before these tests
const touched = new Set(); // stations whose state a test set (cleared in after())
const filed = []; // case ids filed by these tests (closed in after(), so open_reports is as before)

before(async () => {
  browser = await launch();
  const res = await fetch(`${BASE}/api/v1/dataset`);
  assert.equal(res.status, 200);
  original = Buffer.from(await res.arrayBuffer());
});

after(async () => {
  try {
    for (const id of filed) await patchCase(id, { status: 'rejected' }).catch(() => {});
    for (const id of touched) {
      await patchStation(id, { status: null, status_note: null, reopens_on: null, verified_at: null });
    }
    if (original) {
      const res = await fetch(`${BASE}/api/v1/stations`, { method: 'PUT', headers: { ...AUTH, 'Content-Type': 'application/geo+json' }, body: original });
      assert.equal(res.status, 200, `restoring the dataset: ${await res.text()}`);
    }
  } finally { await browser?.close(); }
});

async function send(method, path, body, type = 'application/merge-patch+json') {
  const res = await fetch(`${BASE}${path}`, { method, headers: { ...AUTH, 'Content-Type': type }, body: JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path} ${JSON.stringify(body)}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

async function patchStation(id, body) {
  touched.add(id);
  return send('PATCH', `/api/v1/stations/${encodeURIComponent(id)}`, body);
}

const patchCase = (id, body) => send('PATCH', `/api/v1/reports/${encodeURIComponent(id)}`, body);

/** POST a report as a rider would (waits out the per-client quota if another test used it up). */
async function fileReport(stationId, reason, comment) {
  for (let i = 0; i < 8; i++) {
    const res = await fetch(`${BASE}/api/v1/stations/${encodeURIComponent(stationId)}/reports`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reason, comment }),
    });
    if (res.status === 429) { await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('Retry-After') || 6))); continue; }
    const text = await res.text();
    assert.equal(res.status, 202, text);
    const c = JSON.parse(text);
    filed.push(c.id);
    return c;
  }
  throw new Error('the report quota never let a report through');
}

async function caseOfTicket(stationId, ticket) {
  const all = 'received,in_progress,resolved,rejected';
  const res = await fetch(`${BASE}/api/v1/reports?status=${all}&station_id=${encodeURIComponent(stationId)}&limit=1000`, { headers: AUTH });
  const list = await res.json();
  return list.reports.find((c) => c.ticket === ticket);
}

/** Minutes since midnight, weekday (0 = Monday) and the date in the service zone. */
function clock(date = new Date()) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: TZ, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(date);
  const get = (type) => parts.find((p) => p.type === type)?.value;
  return {
    min: Number(get('hour')) * 60 + Number(get('minute')),
    wd: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday')),
    day: `${get('year')}-${get('month')}-${get('day')}`,
  };
}

const hhmm = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const addDays = (ymd, n) => new Date(Date.parse(`${ymd}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
const zhDay = (ymd) => new Intl.DateTimeFormat('zh-CN', { timeZone: 'UTC', month: 'numeric', day: 'numeric', weekday: 'short' })
  .format(new Date(`${ymd}T12:00:00Z`));

const rowState = (page, id, kind) => page.locator(`#list .item[data-id="${id}"] .st-${kind}`);

test('a rider files a report, keeps its ticket and follows the case to the admin\'s reply', async () => {
  const { page, context, problems } = await newPage(browser);
  try {
    const ids = await nearestIds(AT.lat, AT.lon);
    const sid = ids[3];
    await page.goto(`${BASE}${LINK}`);
    await waitForList(page, ids);
    await page.click(`#list .item[data-id="${sid}"] .item-btn`);
    await page.click('#details .report-btn');
    await page.check('#report-form input[value="closed"]');
    await page.fill('#report-comment', '门口贴了暂停营业 trust-test');
    await page.click('#report-submit');
    await page.waitForSelector('#report-done:not([hidden])');
    const ticket = (await page.textContent('#report-ticket')).trim();
    assert.match(ticket, /^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/, 'the ticket is shown prominently');
    assert.ok(await page.isHidden('#report-submit'), 'no second submit of the same report');
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('yizhan.tickets')));
    assert.equal(kept[0].ticket, ticket, 'the ticket is kept on the device');
    assert.equal(kept[0].station_id, sid);
    const c = await caseOfTicket(sid, ticket);
    assert.ok(c, 'the admins see the case');
    filed.push(c.id);

    // The station now says riders reported a problem (the count is the server's: other tests may add theirs).
    const n = (await apiGet(`/api/v1/stations/${encodeURIComponent(sid)}`)).properties.open_reports;
    assert.ok(n >= 1);
    await page.click('#report-cancel');
    await page.reload();
    await waitForList(page, ids);
    assert.equal((await rowState(page, sid, 'reports').textContent()).trim(), `⚠️ ${n} 位骑手反馈了问题`);

    // The admins move the case along and answer.
    await patchCase(c.id, { status: 'in_progress' });
    const reply = '已联系驿站，明天恢复开放';
    await patchCase(c.id, { status: 'resolved', reply });

    // My reports: the ticket with its new status and the reply.
    await page.click('#btn-mine');
    const item = page.locator(`#mine .mine-item[data-ticket="${ticket}"]`);
    await page.waitForSelector(`#mine .mine-item[data-ticket="${ticket}"][data-status="resolved"]`);
    assert.match(await item.textContent(), /已解决/);
    assert.match(await item.textContent(), new RegExp(reply));

    // The ticket view: status, reply, history oldest first.
    await item.locator('.mine-btn').click();
    await page.waitForSelector('#mine .ticket-history li');
    assert.match(await page.textContent('#mine .case-big'), /✅ 已解决/);
    assert.match(await page.textContent('#mine .ticket-reply'), new RegExp(reply));
    const steps = await page.$$eval('#mine .ticket-history li', (els) => els.map((e) => e.dataset.status));
    assert.deepEqual(steps, ['received', 'in_progress', 'resolved']);
    const link = await page.getAttribute('#mine .ticket-link a', 'href');
    assert.equal(link, `${BASE}/?ticket=${encodeURIComponent(ticket)}`);

    // The follow link on another phone (nothing kept there yet) opens the same view, in English too.
    const other = await newPage(browser);
    try {
      await other.page.goto(link);
      await other.page.waitForSelector('#mine .ticket-history li');
      assert.match(await other.page.textContent('#mine .ticket-reply'), new RegExp(reply));
      await other.page.click('#btn-lang');
      await other.page.waitForFunction(() => /Resolved/.test(document.querySelector('#mine .case-big')?.textContent || ''));
      const kept2 = await other.page.evaluate(() => JSON.parse(localStorage.getItem('yizhan.tickets')));
      assert.equal(kept2[0].ticket, ticket, 'a followed ticket is kept too');
      await other.page.click('#btn-lang');
      assertClean(other.problems);
    } finally { await other.context.close(); }
    assertClean(problems);
  } finally { await context.close(); }
});

test('closure, confirmation, "closes in" / "opens at", and the open-now and open ≥ 30 min chips', async () => {
  const { page, context, problems } = await newPage(browser);
  try {
    const ids = await nearestIds(AT.lat, AT.lon);
    const [closed, closing, opening, confirmed] = [ids[4], ids[5], ids[6], ids[7]];
    const now = clock();
    const reopens = addDays(now.day, 10);
    await patchStation(closed, { status: 'temporarily_closed', status_note: '内部装修', reopens_on: reopens, verified_at: null });
    await patchStation(confirmed, { verified_at: new Date(Date.now() - 3 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z') });
    // Hours the test controls: open since midnight until 12 minutes from now; open only two days ahead, 09:00-10:00.
    const closeAt = now.min + 12;
    const closesToday = closeAt < 1440 - 1;
    if (closesToday) await patchStation(closing, { opening_hours: `Mo-Su 00:00-${hhmm(closeAt)}` });
    const DAYS = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];
    await patchStation(opening, { opening_hours: `${DAYS[(now.wd + 2) % 7]} 09:00-10:00` });

    await page.goto(`${BASE}${LINK}`);
    await waitForList(page, ids);
    // The closure: a badge with words, the note and the reopening day; in the details too.
    assert.match(await page.textContent(`#list .item[data-id="${closed}"] .badge-suspended`), /暂停服务/);
    const closure = (await rowState(page, closed, 'closure').textContent()).trim();
    assert.equal(closure, `⛔ 暂停服务 · 内部装修 · ${zhDay(reopens)} 恢复开放`);
    assert.match(await rowState(page, confirmed, 'verified').textContent(), /3 天前已确认/);
    if (closesToday) assert.match(await rowState(page, closing, 'next').textContent(), /1[12] 分钟后关门/);
    const next = (await apiGet(`/api/v1/stations/${encodeURIComponent(opening)}`)).properties.next_change_at;
    assert.match(next, /T09:00:00\+08:00$/, 'the server agrees: opens at 09:00');
    assert.equal((await rowState(page, opening, 'next').textContent()).trim(), `🕘 ${zhDay(addDays(now.day, 2))} 09:00 开门`);
    await page.click(`#list .item[data-id="${closed}"] .item-btn`);
    assert.match(await page.textContent('#details .details-state .st-closure'), /内部装修/);
    assert.match(await page.textContent('#details .details-state .st-verified'), /尚未确认/);
    await page.click('#details .back-btn');

    // "Open now" hides the closed station; "open ≥ 30 min" sends open_for=30 and hides the one closing in 12 min.
    const asked = [];
    page.on('request', (r) => { if (r.url().includes('/api/v1/stations/nearest')) asked.push(new URL(r.url()).searchParams); });
    await page.click('#chips .chip[data-key="open_now"]');
    const openIds = await nearestIds(AT.lat, AT.lon, '&open_now=true');
    assert.ok(!openIds.includes(closed));
    await waitForList(page, openIds);
    await page.click('#chips .chip[data-key="open_now"]');
    await waitForList(page, ids);
    await page.click('#chips .chip[data-key="open_for"]');
    const for30 = await nearestIds(AT.lat, AT.lon, '&open_for=30');
    if (closesToday) assert.ok(!for30.includes(closing) && openIds.includes(closing));
    await waitForList(page, for30);
    assert.equal(asked.at(-1).get('open_for'), '30');
    assert.match(page.url(), /[?&]open_for=30(&|$)/);
    assert.equal(await page.getAttribute('#chips .chip[data-key="open_for"]', 'aria-pressed'), 'true');
    assert.match(await page.textContent('#chips .chip[data-key="open_for"]'), /营业≥30分钟/);
    // Restored from the URL.
    await page.reload();
    await waitForList(page, for30);
    assert.equal(await page.getAttribute('#chips .chip[data-key="open_for"]', 'aria-pressed'), 'true');
    // English.
    await page.click('#chips .chip[data-key="open_for"]');
    await waitForList(page, ids);
    await page.click('#btn-lang');
    await page.waitForFunction((id) => /Temporarily closed · 内部装修 · reopens/.test(
      document.querySelector(`#list .item[data-id="${id}"] .st-closure`)?.textContent || ''), closed);
    if (closesToday) assert.match(await rowState(page, closing, 'next').textContent(), /Closes in 1[12] min/);
    assert.match(await rowState(page, opening, 'next').textContent(), /Opens at .*09:00/);
    assert.match(await rowState(page, confirmed, 'verified').textContent(), /Confirmed 3 days ago/);
    await page.click('#btn-lang');
    assertClean(problems);
  } finally { await context.close(); }
});

test('the admin case queue: mark the station closed, reply, move along and resolve; needs attention', async () => {
  const { page, context, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    const ids = await nearestIds(AT.lat, AT.lon);
    const sid = ids[8];
    touched.add(sid);
    const comment = `trust-admin ${Date.now()}`;
    const c = await fileReport(sid, 'closed', comment);
    await page.goto(`${BASE}/admin`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#token', TOKEN);
    await page.click('#token-save');
    const row = page.locator('#rep-table tbody tr', { hasText: comment });
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'received');
    assert.match(await row.textContent(), new RegExp(c.ticket));

    // One click from the case: the station is temporarily closed, with the note riders will see.
    await row.locator('.close-note').fill('骑手反馈关门，核实中');
    await row.locator('.close-station').click();
    await page.waitForFunction(() => /已标记为暂停服务/.test(document.querySelector('#rep-done').textContent));
    let st = (await apiGet(`/api/v1/stations/${encodeURIComponent(sid)}`)).properties;
    assert.equal(st.status, 'temporarily_closed');
    assert.equal(st.status_note, '骑手反馈关门，核实中');
    await row.locator('.tag-closed').waitFor();

    // Reply and move to in_progress, then resolve.
    await row.locator('.reply').fill('已派人核实');
    await row.locator('.status-sel').selectOption('in_progress');
    await row.locator('.save').click();
    await page.waitForSelector(`#rep-table tbody tr[data-id="${c.id}"][data-status="in_progress"]`);
    let t = await apiGet(`/api/v1/tickets/${encodeURIComponent(c.ticket)}`);
    assert.equal(t.status, 'in_progress');
    assert.equal(t.reply, '已派人核实');
    const again = page.locator(`#rep-table tbody tr[data-id="${c.id}"]`);
    await again.locator('.reply').fill('驿站已确认暂停，下周恢复');
    await again.locator('.resolve').click();
    await page.waitForFunction(() => /已解决/.test(document.querySelector('#rep-done').textContent));
    // The default filter lists open cases only: the resolved case has left the queue.
    await page.waitForSelector(`#rep-table tbody tr[data-id="${c.id}"]`, { state: 'detached' });
    t = await apiGet(`/api/v1/tickets/${encodeURIComponent(c.ticket)}`);
    assert.equal(t.status, 'resolved');
    assert.deepEqual(t.history.map((s) => s.status), ['received', 'in_progress', 'resolved']);
    // …and is found with the "resolved" filter and the station filter.
    await page.selectOption('#rep-status', 'resolved');
    await page.fill('#rep-station', sid);
    await page.click('#rep-filter button[type="submit"]');
    await page.waitForSelector(`#rep-table tbody tr[data-id="${c.id}"][data-status="resolved"]`);
    assert.match(await page.textContent('#rep-page'), /共 \d+ 条/);

    // Needs attention: three open "closed" reports in a week put a station on the list.
    const hot = ids[9];
    for (let i = 0; i < 3; i++) await fileReport(hot, 'closed', `trust-attention ${i}`);
    const att = await (await fetch(`${BASE}/api/v1/attention`, { headers: AUTH })).json();
    assert.ok(att.reported_closed.some((s) => s.id === hot), JSON.stringify(att.reported_closed));
    await page.click('#att-refresh');
    await page.waitForSelector(`#att-closed li[data-id="${hot}"]`);
    assert.match(await page.textContent(`#att-closed li[data-id="${hot}"]`), /3 条反馈/);
    assert.match(await page.textContent('#att-unconfirmed-title'), new RegExp(`共 ${att.unconfirmed_total.toLocaleString('zh-CN')} 个`));
    assert.ok(await page.locator('#att-unconfirmed li').count() > 0);
    st = (await apiGet(`/api/v1/stations/${encodeURIComponent(sid)}`)).properties;
    assert.equal(st.open_reports, 0, 'the resolved case no longer counts');
    assertClean(problems);
  } finally { await context.close(); }
});

test('offline: closures hold until reopens_on; the saved calendar drives PH and make-up workdays', () => {
  const cal = { years: { 2026: { holidays: ['2026-10-01', '2026-10-02'], workdays: ['2026-10-10'] } } };
  const at = (s) => new Date(`${s}+08:00`);
  // National Day (a Thursday): PH off wins; without a calendar PH is unknown.
  assert.equal(openAt('Mo-Fr 09:00-17:00; PH off', at('2026-10-01T10:00:00'), cal), false);
  assert.equal(openAt('Mo-Fr 09:00-17:00; PH off', at('2026-10-01T10:00:00'), null), null);
  assert.equal(openAt('Mo-Su 08:00-20:00; PH 10:00-12:00', at('2026-10-02T13:00:00'), cal), false);
  assert.equal(openAt('Mo-Su 08:00-20:00; PH 10:00-12:00', at('2026-10-02T11:00:00'), cal), true);
  // A make-up Saturday takes Monday's rules.
  assert.equal(openAt('Mo-Fr 09:00-17:00', at('2026-10-10T10:00:00'), cal), true);
  assert.equal(openAt('Mo-Fr 09:00-17:00', at('2026-10-17T10:00:00'), cal), false);
  // Closures.
  assert.equal(closedOn({ status: 'temporarily_closed', reopens_on: '2026-10-05' }, '2026-10-04'), true);
  assert.equal(closedOn({ status: 'temporarily_closed', reopens_on: '2026-10-05' }, '2026-10-05'), false);
  assert.equal(closedOn({ status: 'temporarily_closed' }, '2030-01-01'), true);
  const f = (id, lon, props) => ({ type: 'Feature', id, geometry: { type: 'Point', coordinates: [lon, 39.9] }, properties: { opening_hours: '24/7', ...props } });
  const saved = [
    f('a', 116.40, { status: 'temporarily_closed', status_note: '装修', reopens_on: '2026-10-05' }),
    f('b', 116.41, {}),
    f('c', 116.42, { opening_hours: 'Mo-Su 00:00-10:20' }),
  ];
  const q = { lat: 39.9, lon: 116.4, calendar: cal, now: at('2026-10-04T10:00:00') };
  const all = nearestOffline(saved, q);
  assert.deepEqual(all.map((x) => [x.id, x.properties.status, x.properties.open_now]),
    [['a', 'temporarily_closed', false], ['b', 'open', true], ['c', 'open', true]]);
  assert.deepEqual(nearestOffline(saved, { ...q, openNow: true }).map((x) => x.id), ['b', 'c']);
  assert.deepEqual(nearestOffline(saved, { ...q, openFor: 30 }).map((x) => x.id), ['b'], 'c closes in 20 min');
  const later = nearestOffline(saved, { ...q, now: at('2026-10-05T00:00:00') });
  assert.deepEqual(later.map((x) => [x.properties.status, x.properties.status_note]).at(0), ['open', undefined]);
});
