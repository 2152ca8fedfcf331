// Every HTTP call of the rider page goes through here (easy to wrap for a service worker), and how a station
// of an answer is read (valid feature, 24 h, open now).
import { t } from './i18n.js';

export const K = 20; // stations in the nearest list
const REQUEST_TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor(status, title, detail, retryAfter) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status; // 0 = network error / timeout
    this.title = title;
    this.detail = detail || '';
    this.retryAfter = retryAfter || null;
  }
}

async function request(path, { method = 'GET', body, signal, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; ctrl.abort(); }, timeoutMs);
  const onAbort = () => ctrl.abort();
  if (signal) {
    if (signal.aborted) ctrl.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  const headers = { Accept: 'application/json, application/geo+json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body, signal: ctrl.signal, credentials: 'same-origin' });
  } catch (e) {
    if (signal && signal.aborted) throw e; // superseded by a newer request: caller ignores it
    throw new ApiError(0, timedOut ? t('err.timeout') : t('err.network'), '');
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener('abort', onAbort);
  }
  const text = await res.text().catch(() => '');
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch (_) { data = null; } }
  if (!res.ok) {
    const p = data && typeof data === 'object' ? data : {};
    throw new ApiError(
      res.status,
      typeof p.title === 'string' && p.title ? p.title : `${t('err.api')} (HTTP ${res.status})`,
      typeof p.detail === 'string' ? p.detail : '',
      res.headers.get('Retry-After'),
    );
  }
  return data;
}

function filterParams(params, { amenities = [], openNow = false, openFor = 0 } = {}) {
  if (amenities.length) params.set('amenities', amenities.join(','));
  // open_for implies open now (API.md), so one of the two is enough.
  if (openFor > 0) params.set('open_for', String(openFor));
  else if (openNow) params.set('open_now', 'true');
  return params;
}

function nearestParams({ lat, lon, k = K, amenities, openNow, openFor }) {
  return filterParams(new URLSearchParams({ lat: String(lat), lon: String(lon), k: String(k) }), { amenities, openNow, openFor });
}

// A shared link's first answer, put into the page by the server (src/api/first_answer.rs) so that the list
// needs no request of its own: {request: the nearest query string it answers, answer: the FeatureCollection}.
let firstAnswer = (() => {
  try {
    const el = document.getElementById('first-answer');
    return el ? JSON.parse(el.textContent) : null;
  } catch (_) { return null; }
})();

/** The page's first answer when it answers exactly this nearest query; used once, then only the API answers. */
export function takeFirstAnswer(query) {
  const f = firstAnswer;
  firstAnswer = null;
  return f && f.answer && f.request === nearestParams(query).toString() ? f.answer : null;
}

export const api = {
  /** GET /api/v1/config → {tiles:{url,attribution,crs,max_zoom}} (optional endpoint). */
  config: () => request('/config', { timeoutMs: 8000 }),
  /** GET /api/v1/amenities → [{key,label_zh,label_en,count}] */
  amenities: () => request('/amenities', { timeoutMs: 8000 }),
  /** GET /api/v1/stations/nearest → FeatureCollection, nearest first. Coordinates WGS-84. */
  nearest: (query, signal) => request(`/stations/nearest?${nearestParams(query)}`, { signal }),
  /** GET /api/v1/stations/along — "on my way" mode. path: [[lng,lat],…] WGS-84. */
  along: ({ path, maxDistanceM, amenities, openNow, openFor, limit }, signal) => {
    const q = filterParams(new URLSearchParams({ path: path.map((p) => `${p[0]},${p[1]}`).join(';') }), { amenities, openNow, openFor });
    if (maxDistanceM) q.set('max_distance_m', String(maxDistanceM));
    if (limit) q.set('limit', String(limit));
    return request(`/stations/along?${q}`, { signal });
  },
  /** GET /api/v1/stations?bbox=… → FeatureCollection ordered by id, with dataset_version and total. */
  list: ({ bbox, limit = 10000 }, signal) => request(`/stations?bbox=${bbox.join(',')}&limit=${limit}`, { signal, timeoutMs: 30000 }),
  /** GET /api/v1/stations/{id} */
  station: (id, signal) => request(`/stations/${encodeURIComponent(id)}`, { signal }),
  /** POST /api/v1/stations/{id}/reports {reason, comment} → 202 {id, ticket, status, created_at} */
  report: (id, reason, comment) => request(`/stations/${encodeURIComponent(id)}/reports`, {
    method: 'POST', body: JSON.stringify({ reason, comment }),
  }),
  /** GET /api/v1/tickets/{ticket} → the case as its rider sees it (status, reply, history oldest first). */
  ticket: (ticket, signal) => request(`/tickets/${encodeURIComponent(ticket)}`, { signal }),
  /** GET /api/v1/calendar → {timezone, years: {YYYY: {holidays: [...], workdays: [...]}}} (saved with the area). */
  calendar: () => request('/calendar', { timeoutMs: 8000 }),
};

// A station in an answer is a GeoJSON feature (WGS-84); these read it the same way everywhere.

export function validFeature(f) {
  const c = f && f.geometry && f.geometry.coordinates;
  return f && f.id !== undefined && Array.isArray(c) && Number.isFinite(c[0]) && Number.isFinite(c[1]);
}

export const is24h = (f) => /^\s*(24\/7|Mo-Su 00:00-24:00)\s*$/i.test(f.properties?.opening_hours || '');

/** 'open' | 'closed' | 'unknown' (the server's open_now). */
export function openStatus(f) {
  const v = f.properties?.open_now;
  return v === true ? 'open' : v === false ? 'closed' : 'unknown';
}

/** Temporarily closed (暂停服务) now: the server says so (reads show `open` again from `reopens_on` on). */
export const isSuspended = (f) => f.properties?.status === 'temporarily_closed';
