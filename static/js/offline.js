// Offline use of the rider page: "save my area" (the stations around the rider, kept in IndexedDB), the nearest
// list computed from it when the network is gone, the offline banner, and registering sw.js.
//
// The saved area lives in IndexedDB (database "yizhan", store "areas", key "saved"):
//   { features, savedAt (ms), datasetVersion, center {lat, lon}, radiusM, bbox [minLon,minLat,maxLon,maxLat],
//     calendar (GET /api/v1/calendar's answer, or null) }.
// Without a network the page lists the nearest saved stations with the server's rules (API.md):
//   - great-circle distance (haversine, R = 6 371 008.8 m), ties by id in byte order (UTF-8);
//   - amenities: every key must be present; "24h" means opening_hours is open at all times ("24/7");
//   - open now: evaluated here for the simple opening_hours forms only (see openAt); anything else is
//     "unknown" — shown as "时间未知" and excluded by the open-now filter, as the server does with unknown hours.
//     The saved calendar makes `PH` rules hold on statutory holidays and gives make-up workdays (调休) Monday's
//     rules, as the server does; `PH` in a year the calendar does not cover is "unknown";
//   - a closure (status temporarily_closed) holds until 00:00 of reopens_on: closed, and out of open-now lists;
//   - open_for=N (the "open ≥ 30 min" chip): open now and at every minute of the next N;
//   - next_change_at is the saved one while it is still ahead (else none): it was right when saved, unless the
//     station's state changed since.
import { t } from './i18n.js';
import { formatLen } from './i18n-rider.js';
import { api, validFeature } from './api.js';
import { state, els, showBanner } from './url-state.js';

const SAVE_RADIUS_M = 5000; // "save my area": stations within ~5 km of the rider

let areaFeatures = null;
let areaCalendar = null; // GET /api/v1/calendar, saved with the area
let summary = null; // the saved area in short: {savedAt, datasetVersion, count, center, radiusM}
let datasetVersion = null; // of the server's last online answer
let saving = false;

async function loadSavedArea() {
  const area = await loadArea();
  areaFeatures = area && Array.isArray(area.features) ? area.features : null;
  areaCalendar = area && area.calendar && typeof area.calendar === 'object' ? area.calendar : null;
  summary = areaFeatures ? {
    savedAt: area.savedAt, datasetVersion: area.datasetVersion, count: areaFeatures.length, center: area.center, radiusM: area.radiusM,
  } : null;
  renderAreaStatus();
  if (datasetVersion) checkSavedVersion(datasetVersion);
  return area;
}

/** The nearest list computed from the saved area, or null when nothing is saved (or IndexedDB is unavailable). */
export async function offlineNearest(query) {
  try { if (!areaFeatures) await loadSavedArea(); } catch (_) { return null; }
  if (!areaFeatures) return null;
  return { type: 'FeatureCollection', offline: true, features: nearestOffline(areaFeatures, { ...query, calendar: areaCalendar }) };
}

export async function saveArea({ silent = false, center = null } = {}) {
  const c = center || (state.pos ? { lat: state.pos.lat, lon: state.pos.lon } : null);
  if (!c) { showBanner(t('offline.need_position'), 'warn', 5000); return; }
  if (saving) return;
  saving = true;
  els.btnSave.disabled = true;
  els.areaStatus.textContent = t('offline.saving');
  els.areaStatus.className = 'area-status busy';
  try {
    const bbox = bboxAround(c.lat, c.lon, SAVE_RADIUS_M);
    const [fc, calendar] = await Promise.all([api.list({ bbox }), api.calendar().catch(() => null)]);
    const features = (fc && Array.isArray(fc.features) ? fc.features : []).filter(validFeature).map(toSaved);
    const area = {
      features, savedAt: Date.now(), datasetVersion: fc.dataset_version || null, center: c, radiusM: SAVE_RADIUS_M, bbox, calendar,
    };
    await storeArea(area);
    areaFeatures = features;
    areaCalendar = calendar;
    summary = { savedAt: area.savedAt, datasetVersion: area.datasetVersion, count: features.length, center: c, radiusM: SAVE_RADIUS_M };
    saving = false;
    els.areaStatus.className = 'area-status';
    renderAreaStatus();
    if (!silent) showBanner(t('offline.saved', { n: features.length }), 'info', 4000);
  } catch (e) {
    els.areaStatus.className = 'area-status error';
    els.areaStatus.textContent = `${t('offline.save_failed')}${e && e.message ? `: ${e.message}` : ''}`;
  } finally {
    saving = false;
    els.btnSave.disabled = false;
  }
}

/** After an online answer: when the server's dataset changed since the area was saved, save it again. */
export function checkSavedVersion(version) {
  if (version) datasetVersion = version;
  if (!version || !summary || saving || navigator.onLine === false) return;
  if (summary.datasetVersion && summary.datasetVersion !== version) saveArea({ silent: true, center: summary.center });
}

function ago(ms) {
  const min = Math.max(0, Math.floor((Date.now() - ms) / 60000));
  if (min < 1) return t('ago.now');
  if (min < 60) return t('ago.min', { n: min });
  const hrs = Math.floor(min / 60);
  if (hrs < 48) return t('ago.hour', { n: hrs });
  return t('ago.day', { n: Math.floor(hrs / 24) });
}

export function renderAreaStatus() {
  if (saving) return;
  els.areaStatus.textContent = summary
    ? t('offline.area', { n: summary.count, r: formatLen(summary.radiusM || SAVE_RADIUS_M), ago: ago(summary.savedAt) })
    : t('offline.none_saved');
  els.areaStatus.dataset.count = summary ? String(summary.count) : '0';
}

export function updateOfflineBanner() {
  const off = state.offline || navigator.onLine === false;
  document.body.classList.toggle('is-offline', off);
  if (!off) { els.offBanner.hidden = true; return; }
  els.offText.textContent = summary
    ? `${t('offline.mode')} · ${t('offline.saved_ago', { ago: ago(summary.savedAt) })}`
    : `${t('offline.mode')} · ${t('offline.nothing')}`;
  els.offBanner.hidden = false;
}

/** Register sw.js once the first list is out (or after 4 s), so that precaching never delays it. */
export function registerServiceWorker(firstListShown) {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  const go = () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => { /* offline use just is not available */ });
    loadSavedArea().catch(() => { /* no IndexedDB: nothing saved */ });
  };
  const after = () => Promise.race([firstListShown, new Promise((r) => setTimeout(r, 4000))]).then(() => setTimeout(go, 200));
  if (document.readyState === 'complete') after();
  else window.addEventListener('load', after, { once: true });
}

// ---------------------------------------------------------------------------------------------
// the saved area: distances, opening hours, nearest, IndexedDB
// ---------------------------------------------------------------------------------------------
export const EARTH_R = 6371008.8;
const DB = 'yizhan';
const STORE = 'areas';
const KEY = 'saved';

export function haversine(lat1, lon1, lat2, lon2) {
  const r = Math.PI / 180;
  const dLat = (lat2 - lat1) * r;
  const dLon = (lon2 - lon1) * r;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Bounding box [minLon, minLat, maxLon, maxLat] of a circle (slightly larger than the circle). */
export function bboxAround(lat, lon, radiusM) {
  const dLat = (radiusM / EARTH_R) * (180 / Math.PI);
  const dLon = dLat / Math.max(0.01, Math.cos((lat * Math.PI) / 180));
  const f = (x) => Number(x.toFixed(6));
  return [f(lon - dLon), f(lat - dLat), f(lon + dLon), f(lat + dLat)];
}

const enc = new TextEncoder();
/** Byte order of the UTF-8 encodings, as the server orders ids. */
export function compareIds(a, b) {
  const x = enc.encode(String(a));
  const y = enc.encode(String(b));
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// ---------------------------------------------------------------------------------------------
// opening hours (subset)
// ---------------------------------------------------------------------------------------------
const DAYS = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];
const is24h = (oh) => /^\s*(24\/7|Mo-Su 00:00-24:00)\s*$/i.test(oh || '');

function parseDays(s) {
  const set = new Set();
  for (const tok of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = tok.match(/^([A-Z][a-z])(?:-([A-Z][a-z]))?$/);
    if (!m) return null;
    const a = DAYS.indexOf(m[1]);
    const b = m[2] ? DAYS.indexOf(m[2]) : a;
    if (a < 0 || b < 0) return null;
    for (let i = a; ; i = (i + 1) % 7) { set.add(i); if (i === b) break; }
  }
  return set;
}

const hm = (s) => { const [h, m] = s.split(':').map(Number); return h * 60 + m; };

/** Weekday (0 = Monday), minutes since midnight and the date (YYYY-MM-DD) in Asia/Shanghai (the server's zone). */
export function shanghaiClock(date = new Date()) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Shanghai', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(date);
  const get = (type) => parts.find((p) => p.type === type)?.value;
  const wd = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday'));
  return { wd, min: Number(get('hour')) * 60 + Number(get('minute')), day: `${get('year')}-${get('month')}-${get('day')}` };
}

/** The clock `n` minutes later (Shanghai has no daylight saving time, so days are 1440 minutes). */
function later(clock, n) {
  const total = clock.min + n;
  const days = Math.floor(total / 1440);
  if (!days) return { ...clock, min: total };
  const d = new Date(Date.parse(`${clock.day}T00:00:00Z`) + days * 86400000);
  return { wd: (clock.wd + days) % 7, min: total - days * 1440, day: d.toISOString().slice(0, 10) };
}

/** What the calendar says of a day: {holiday, workday}, or null when it does not cover the day's year. */
function dayKind(calendar, day) {
  const y = calendar && calendar.years && calendar.years[day.slice(0, 4)];
  if (!y) return null;
  const has = (list) => Array.isArray(list) && list.includes(day);
  return { holiday: has(y.holidays), workday: has(y.workdays) };
}

/**
 * Is `oh` open at `date`? true / false, or null when unknown.
 * Understood: "24/7"; rules separated by ";" of the form "[DAYS ]HH:MM-HH:MM[,HH:MM-HH:MM…]" or "DAYS off",
 * DAYS = Mo..Su and PH, ranges and lists ("Mo-Fr", "Sa,Su", "Fr-Mo", "Mo-Fr,PH"); a later rule replaces earlier
 * ones on its days (OpenStreetMap semantics); days that no rule names are closed. Times must end after they
 * start (24:00 allowed). With `calendar` (GET /api/v1/calendar): a make-up workday takes Monday's rules and PH
 * rules hold on holidays; PH without a calendar for the year is unknown. Everything else — months, weeks,
 * overnight ranges, comments, "+" — gives null.
 */
export function openAt(oh, date = new Date(), calendar = null) {
  return openAtClock(oh, date instanceof Date ? shanghaiClock(date) : date, calendar);
}

function openAtClock(oh, clock, calendar) {
  if (!oh || typeof oh !== 'string') return null;
  if (/^\s*24\/7\s*$/.test(oh)) return true;
  const kind = dayKind(calendar, clock.day);
  const wd = kind && kind.workday ? 0 : clock.wd;
  const { min } = clock;
  let open = false;
  for (const rule of oh.split(';').map((r) => r.trim()).filter(Boolean)) {
    const m = rule.match(/^(?:([A-Za-z,\- ]+?)\s+)?(off|closed|\d\d:\d\d-\d\d:\d\d(?:\s*,\s*\d\d:\d\d-\d\d:\d\d)*)$/);
    if (!m) return null;
    const sel = m[1] ? m[1].replace(/\s+/g, '') : '';
    const ph = sel.split(',').includes('PH');
    const weekdays = sel.split(',').filter((x) => x && x !== 'PH').join(',');
    if (ph && !kind) return null; // PH, and no calendar says which days are holidays
    const days = weekdays ? parseDays(weekdays) : ph ? new Set() : new Set([0, 1, 2, 3, 4, 5, 6]);
    if (!days) return null;
    let ranges = [];
    if (m[2] !== 'off' && m[2] !== 'closed') {
      ranges = m[2].split(',').map((r) => r.trim().split('-').map(hm));
      if (ranges.some(([a, b]) => !(a >= 0 && b <= 1440 && b > a))) return null;
    }
    if (days.has(wd) || (ph && kind.holiday)) open = ranges.some(([a, b]) => min >= a && min < b);
  }
  return open;
}

/** Temporarily closed on `day` (YYYY-MM-DD): the closure holds until 00:00 of reopens_on. */
export function closedOn(p, day) {
  return p.status === 'temporarily_closed' && !(typeof p.reopens_on === 'string' && p.reopens_on <= day);
}

/** open_now of a saved station at `clock`: a closure first, then the hours. */
function openNowAt(p, clock, calendar) {
  return closedOn(p, clock.day) ? false : openAtClock(p.opening_hours, clock, calendar);
}

/** Open now and at every minute of the next `minutes` (open_for). */
function openFor(p, clock, calendar, minutes) {
  for (let n = 0; n < minutes; n++) if (openNowAt(p, later(clock, n), calendar) !== true) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// nearest, like GET /stations/nearest
// ---------------------------------------------------------------------------------------------
export function matches(f, { amenities = [], openNow = false, openFor: forMin = 0, calendar = null }, now) {
  const p = f.properties || {};
  const have = Array.isArray(p.amenities) ? p.amenities : [];
  for (const k of amenities) {
    if (k === '24h' ? !is24h(p.opening_hours) : !have.includes(k)) return false;
  }
  const clock = now instanceof Date ? shanghaiClock(now) : now;
  if (forMin > 0) return openFor(p, clock, calendar, forMin);
  return !openNow || openNowAt(p, clock, calendar) === true;
}

/** The k nearest matching features, with distance_m (0.1 m), status and open_now recomputed. */
export function nearestOffline(features, { lat, lon, k = 20, amenities = [], openNow = false, openFor: forMin = 0, calendar = null, now = new Date() }) {
  const clock = shanghaiClock(now);
  const rows = [];
  for (const f of features) {
    if (!matches(f, { amenities, openNow, openFor: forMin, calendar }, clock)) continue;
    const [flon, flat] = f.geometry.coordinates;
    rows.push({ f, d: haversine(lat, lon, flat, flon) });
  }
  rows.sort((a, b) => a.d - b.d || compareIds(a.f.id, b.f.id));
  return rows.slice(0, k).map(({ f, d }) => {
    const p = f.properties || {};
    const closed = closedOn(p, clock.day);
    const next = p.next_change_at && Date.parse(p.next_change_at) > now.getTime() ? p.next_change_at : null;
    return {
      ...f,
      properties: {
        ...p,
        status: closed ? 'temporarily_closed' : 'open',
        status_note: closed ? p.status_note : undefined,
        reopens_on: closed ? p.reopens_on : undefined,
        distance_m: Math.round(d * 10) / 10,
        open_now: openNowAt(p, clock, calendar),
        next_change_at: next,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// IndexedDB
// ---------------------------------------------------------------------------------------------
function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => { req.result.createObjectStore(STORE); };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const txn = db.transaction(STORE, mode);
      const req = fn(txn.objectStore(STORE));
      txn.oncomplete = () => resolve(req && req.result);
      txn.onerror = () => reject(txn.error);
      txn.onabort = () => reject(txn.error);
    });
  } finally { db.close(); }
}

export async function loadArea() {
  try { return (await tx('readonly', (s) => s.get(KEY))) || null; } catch (_) { return null; }
}

export function storeArea(area) { return tx('readwrite', (s) => s.put(area, KEY)); }

export function clearArea() { return tx('readwrite', (s) => s.delete(KEY)); }

/** Strip per-request properties before saving. */
export function toSaved(f) {
  const { distance_m: _d, open_now: _o, along_m: _a, ...props } = f.properties || {};
  return { type: 'Feature', id: f.id, geometry: f.geometry, properties: props };
}
