// "Save my area" and the offline list: IndexedDB and the nearest list computed in the browser. Loaded on demand by
// js/offline.js (dynamic import), cached by sw.js.
//
// The saved area lives in IndexedDB (database "yizhan", store "areas", key "saved"):
//   { features, savedAt (ms), datasetVersion, center {lat, lon}, radiusM, bbox [minLon,minLat,maxLon,maxLat] }.
// Without a network the page lists the nearest saved stations with the server's rules (API.md):
//   - great-circle distance (haversine, R = 6 371 008.8 m), ties by id in byte order (UTF-8);
//   - amenities: every key must be present; "24h" means opening_hours is open at all times ("24/7");
//   - open now: evaluated here for the simple opening_hours forms only (see openAt); anything else is
//     "unknown" — shown as "时间未知" and excluded by the open-now filter, as the server does with unknown hours.

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
export const is24h = (oh) => /^\s*(24\/7|Mo-Su 00:00-24:00)\s*$/i.test(oh || '');

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

/** Weekday (0 = Monday) and minutes since midnight in Asia/Shanghai (the server's default zone). */
export function shanghaiClock(date = new Date()) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Shanghai', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(date);
  const get = (t) => parts.find((p) => p.type === t)?.value;
  const wd = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday'));
  return { wd, min: Number(get('hour')) * 60 + Number(get('minute')) };
}

/**
 * Is `oh` open at `date`? true / false, or null when unknown.
 * Understood: "24/7"; rules separated by ";" of the form "[DAYS ]HH:MM-HH:MM[,HH:MM-HH:MM…]" or "DAYS off",
 * DAYS = Mo..Su, ranges and lists ("Mo-Fr", "Sa,Su", "Fr-Mo"); a later rule replaces earlier ones on its days
 * (OpenStreetMap semantics); days that no rule names are closed. Times must end after they start (24:00 allowed).
 * Everything else — public holidays (PH), months, weeks, overnight ranges, comments, "+" — gives null.
 */
export function openAt(oh, date = new Date()) {
  if (!oh || typeof oh !== 'string') return null;
  if (/^\s*24\/7\s*$/.test(oh)) return true;
  const { wd, min } = shanghaiClock(date);
  let state = false;
  for (const rule of oh.split(';').map((r) => r.trim()).filter(Boolean)) {
    const m = rule.match(/^(?:([A-Za-z,\- ]+?)\s+)?(off|closed|\d\d:\d\d-\d\d:\d\d(?:\s*,\s*\d\d:\d\d-\d\d:\d\d)*)$/);
    if (!m) return null;
    const days = m[1] ? parseDays(m[1].replace(/\s+/g, '')) : new Set([0, 1, 2, 3, 4, 5, 6]);
    if (!days) return null;
    let ranges = [];
    if (m[2] !== 'off' && m[2] !== 'closed') {
      ranges = m[2].split(',').map((r) => r.trim().split('-').map(hm));
      if (ranges.some(([a, b]) => !(a >= 0 && b <= 1440 && b > a))) return null;
    }
    if (days.has(wd)) state = ranges.some(([a, b]) => min >= a && min < b);
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// nearest, like GET /stations/nearest
// ---------------------------------------------------------------------------------------------
export function matches(f, { amenities = [], openNow = false }, now) {
  const p = f.properties || {};
  const have = Array.isArray(p.amenities) ? p.amenities : [];
  for (const k of amenities) {
    if (k === '24h' ? !is24h(p.opening_hours) : !have.includes(k)) return false;
  }
  return !openNow || openAt(p.opening_hours, now) === true;
}

/** The k nearest matching features, with distance_m (0.1 m) and open_now recomputed. */
export function nearestOffline(features, { lat, lon, k = 20, amenities = [], openNow = false, now = new Date() }) {
  const rows = [];
  for (const f of features) {
    if (!matches(f, { amenities, openNow }, now)) continue;
    const [flon, flat] = f.geometry.coordinates;
    rows.push({ f, d: haversine(lat, lon, flat, flon) });
  }
  rows.sort((a, b) => a.d - b.d || compareIds(a.f.id, b.f.id));
  return rows.slice(0, k).map(({ f, d }) => ({
    ...f,
    properties: { ...f.properties, distance_m: Math.round(d * 10) / 10, open_now: openAt(f.properties?.opening_hours, now) },
  }));
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
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req && req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
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
