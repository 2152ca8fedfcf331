// yizhan rider page: nearest rest stations (暖心驿站) for outdoor workers.
// Plain ES module, no build step. Leaflet + markercluster are loaded with `defer` by index.html;
// this module is `async`, so the first API request starts before Leaflet has been parsed and the
// list can appear even if the map (or its tiles) never loads.
//
// Layout of this file:
//   1. constants           4. URL state (shareable link)     7. map (Leaflet)
//   2. api (all HTTP)      5. position (geolocation / tap)   8. details, navigation links, report dialog
//   3. state               6. list + filters rendering       9. boot
// "On my way" (顺路) mode lists GET /stations/along for a route (rider → tapped destination, or a pasted
// path/link parsed by links.js). Offline: sw.js caches the page; offline.js keeps a saved area in IndexedDB
// and answers the nearest list in the browser when the network is gone.

import {
  t, getLang, setLang, onLangChange, applyI18n, AMENITIES, amenityInfo, amenityLabel, mergeAmenityLabels,
} from '/i18n.js';
import { wgs84ToGcj02, gcj02ToWgs84 } from '/crs.js';

// ---------------------------------------------------------------------------------------------
// 1. constants
// ---------------------------------------------------------------------------------------------
const DEFAULT_CENTER = { lat: 39.9087, lon: 116.3975 }; // 天安门, WGS-84
const DEFAULT_TILES = Object.freeze({
  url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
  attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
  crs: 'wgs84',
  max_zoom: 19,
});
const K = 20;
const WALK_M_PER_MIN = 80;
const RIDE_M_PER_MIN = 250; // e-bike
const DEBOUNCE_MS = 250;
const REQUEST_TIMEOUT_MS = 15000;
const CONFIG_WAIT_MS = 2500; // the map waits this long for /api/v1/config before using OSM defaults
const REASONS = ['closed', 'moved', 'amenity_missing', 'wrong_hours', 'refused_entry', 'other'];
const DETOURS = [300, 1000, 3000]; // max_distance_m (off the route) choices of "on my way"; the detour is about twice that
const DEFAULT_DETOUR = 300;
const ALONG_LIMIT = 50;
const SAVE_RADIUS_M = 5000; // "save my area": stations within ~5 km of the rider
const URL_PATH_MAX = 200; // pasted paths longer than this are not written into the shareable link

// ---------------------------------------------------------------------------------------------
// 2. api — every HTTP call of the page goes through here (easy to wrap for a service worker).
// ---------------------------------------------------------------------------------------------
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

function filterParams(params, { amenities = [], openNow = false } = {}) {
  if (amenities.length) params.set('amenities', amenities.join(','));
  if (openNow) params.set('open_now', 'true');
  return params;
}

export const api = {
  /** GET /api/v1/config → {tiles:{url,attribution,crs,max_zoom}} (optional endpoint). */
  config: () => request('/config', { timeoutMs: 8000 }),
  /** GET /api/v1/amenities → [{key,label_zh,label_en,count}] */
  amenities: () => request('/amenities', { timeoutMs: 8000 }),
  /** GET /api/v1/stations/nearest → FeatureCollection, nearest first. Coordinates WGS-84. */
  nearest: ({ lat, lon, k = K, amenities, openNow }, signal) => {
    const q = filterParams(new URLSearchParams({ lat: String(lat), lon: String(lon), k: String(k) }), { amenities, openNow });
    return request(`/stations/nearest?${q}`, { signal });
  },
  /** GET /api/v1/stations/along — "on my way" mode. path: [[lng,lat],…] WGS-84. */
  along: ({ path, maxDistanceM, amenities, openNow, limit }, signal) => {
    const q = filterParams(new URLSearchParams({ path: path.map((p) => `${p[0]},${p[1]}`).join(';') }), { amenities, openNow });
    if (maxDistanceM) q.set('max_distance_m', String(maxDistanceM));
    if (limit) q.set('limit', String(limit));
    return request(`/stations/along?${q}`, { signal });
  },
  /** GET /api/v1/stations?bbox=… → FeatureCollection ordered by id, with dataset_version and total. */
  list: ({ bbox, limit = 10000 }, signal) => request(`/stations?bbox=${bbox.join(',')}&limit=${limit}`, { signal, timeoutMs: 30000 }),
  /** GET /api/v1/stations/{id} */
  station: (id, signal) => request(`/stations/${encodeURIComponent(id)}`, { signal }),
  /** POST /api/v1/stations/{id}/reports {reason, comment} → 202 */
  report: (id, reason, comment) => request(`/stations/${encodeURIComponent(id)}/reports`, {
    method: 'POST', body: JSON.stringify({ reason, comment }),
  }),
};

// ---------------------------------------------------------------------------------------------
// 3. state
// ---------------------------------------------------------------------------------------------
const state = {
  pos: null, // {lat, lon, source: 'gps'|'url'|'tap', accuracy}
  amenities: [], // selected filter keys, in chip order
  openNow: false,
  stations: [], // features of the last answer
  selectedId: null,
  pickMode: false, // tap-on-map sets the position
  geoFailed: false,
  tiles: { ...DEFAULT_TILES },
  lastQuery: '',
  mode: 'near', // 'near' | 'route' (顺路)
  // dest {lat, lon}; path [[lng,lat],…] WGS-84 when the pasted route has its own start; via: points between rider and dest
  route: { dest: null, path: null, via: [], names: [] },
  detour: DEFAULT_DETOUR, // max_distance_m for /stations/along
  offline: false, // the list comes from the saved area
  area: null, // saved area summary {savedAt, datasetVersion, count, center, radiusM}
};

const $ = (id) => document.getElementById(id);
const els = {};

/** Tiny DOM builder: h('span', {class: 'x', text: 'y'}, child…). Text always goes through textContent. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// ---------------------------------------------------------------------------------------------
// 4. URL state: /?lat=&lon=&amenities=water,charging&open_now=true
// ---------------------------------------------------------------------------------------------
function readUrl() {
  const p = new URLSearchParams(location.search);
  const lat = Number.parseFloat(p.get('lat') ?? '');
  const lon = Number.parseFloat(p.get('lon') ?? p.get('lng') ?? '');
  const out = { pos: null, amenities: [], openNow: false };
  if (Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    out.pos = { lat, lon };
  }
  const am = (p.get('amenities') || '').split(',').map((s) => s.trim()).filter((s) => /^[a-z0-9_]+$/.test(s));
  out.amenities = [...new Set(am)];
  out.openNow = ['true', '1', 'yes'].includes((p.get('open_now') || '').toLowerCase());
  // "on my way": /?lat=&lon=&to=LNG,LAT (WGS-84) or &path=LNG,LAT;LNG,LAT;… (WGS-84), &max_distance_m=300|1000|3000
  const pair = (s) => {
    const m = String(s || '').match(/^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/);
    if (!m) return null;
    const lng = Number(m[1]);
    const la = Number(m[2]);
    return Math.abs(lng) <= 180 && Math.abs(la) <= 90 ? [lng, la] : null;
  };
  const to = pair(p.get('to'));
  const path = (p.get('path') || '').split(';').filter(Boolean).map(pair);
  out.route = null;
  if (path.length >= 2 && path.length <= 2000 && path.every(Boolean)) {
    out.route = { path, via: [], names: [], dest: { lat: path[path.length - 1][1], lon: path[path.length - 1][0] } };
  } else if (to) out.route = { path: null, via: [], names: [], dest: { lat: to[1], lon: to[0] } };
  out.mode = out.route || p.get('mode') === 'route' ? 'route' : 'near';
  const det = Number.parseInt(p.get('max_distance_m') || '', 10);
  out.detour = DETOURS.includes(det) ? det : DEFAULT_DETOUR;
  return out;
}

const fmt6 = (x) => x.toFixed(6).replace(/\.?0+$/, '');

function shareUrl() {
  const p = new URLSearchParams();
  if (state.pos) {
    p.set('lat', state.pos.lat.toFixed(6).replace(/\.?0+$/, ''));
    p.set('lon', state.pos.lon.toFixed(6).replace(/\.?0+$/, ''));
  }
  if (state.amenities.length) p.set('amenities', state.amenities.join(','));
  if (state.openNow) p.set('open_now', 'true');
  if (state.mode === 'route') {
    const { path, dest } = state.route;
    if (path && path.length <= URL_PATH_MAX) p.set('path', path.map(([lng, lat]) => `${fmt6(lng)},${fmt6(lat)}`).join(';'));
    else if (dest) p.set('to', `${fmt6(dest.lon)},${fmt6(dest.lat)}`);
    else p.set('mode', 'route');
    if (state.detour !== DEFAULT_DETOUR) p.set('max_distance_m', String(state.detour));
  }
  const qs = p.toString().replace(/%2C/g, ',').replace(/%3B/g, ';');
  return `${location.origin}/${qs ? `?${qs}` : ''}`;
}

function writeUrl() {
  try { history.replaceState(null, '', shareUrl()); } catch (_) { /* ignore (e.g. sandboxed) */ }
}

// ---------------------------------------------------------------------------------------------
// 5. position: geolocation, shared link, or a tap on the map
// ---------------------------------------------------------------------------------------------
function locate() {
  state.pickMode = false;
  updatePickUi();
  if (!('geolocation' in navigator)) { geoFailed('geo.unsupported'); return; }
  setStatus(t('status.locating'), true);
  navigator.geolocation.getCurrentPosition(
    (p) => {
      state.geoFailed = false;
      if (els.banner.dataset.kind === 'warn') hideBanner();
      setPosition(p.coords.latitude, p.coords.longitude, 'gps', p.coords.accuracy);
      updatePickUi();
    },
    (err) => {
      const key = err && err.code === 1 ? 'geo.denied' : err && err.code === 3 ? 'geo.timeout' : 'geo.unavailable';
      geoFailed(key);
    },
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 },
  );
}

function geoFailed(key) {
  state.geoFailed = true;
  state.geoMessage = key;
  showBanner(t(key), 'warn');
  updatePickUi();
  if (!state.pos) {
    setStatus(t('status.need_position'), false);
    if (map) map.setView(toDisplay(DEFAULT_CENTER.lat, DEFAULT_CENTER.lon), 14);
  }
}

function setPosition(lat, lon, source, accuracy) {
  state.pos = { lat, lon, source, accuracy: accuracy || null };
  writeUrl();
  drawUserMarker();
  refresh({ fit: true });
}

function tapEnabled() {
  return state.pickMode || state.geoFailed || !state.pos || state.pos.source !== 'gps';
}

function updatePickUi() {
  const route = state.mode === 'route';
  const on = tapEnabled() || route;
  // Taps always work without a GPS fix; the hint is shown only when the rider needs it.
  const needDest = route && !state.pickMode && !state.route.dest;
  els.tapHint.textContent = t(needDest ? 'route.tap_dest' : 'status.tap_to_set');
  els.tapHint.hidden = !(state.pickMode || needDest || (state.geoFailed && !state.pos));
  els.mapPane.classList.toggle('pick', on);
  els.btnPick.setAttribute('aria-pressed', String(state.pickMode));
}

// ---------------------------------------------------------------------------------------------
// 6. fetching, list and filters
// ---------------------------------------------------------------------------------------------
let inflight = null;
let seq = 0;
let debounceTimer = null;

function scheduleRefresh() {
  clearTimeout(debounceTimer);
  debounceTimer = setTimeout(() => refresh({ fit: true }), DEBOUNCE_MS);
}

/** The route as [[lng, lat], …] WGS-84, or null: a pasted path, or straight from the rider to the destination. */
function routePath() {
  const { path, dest } = state.route;
  if (path) return path;
  if (dest && state.pos) return [[state.pos.lon, state.pos.lat], ...(state.route.via || []), [dest.lon, dest.lat]];
  return null;
}

async function refresh({ fit = false } = {}) {
  clearTimeout(debounceTimer);
  const route = state.mode === 'route';
  const path = route ? routePath() : null;
  drawRoute();
  if (route && !path) {
    if (inflight) { inflight.abort(); inflight = null; }
    seq += 1;
    state.stations = [];
    state.lastQuery = '';
    setLoading(false);
    renderList();
    renderMarkers();
    setStatus(t(state.route.dest ? 'status.need_position' : 'route.need_dest'), false);
    return;
  }
  if (!state.pos && !route) return;
  if (inflight) inflight.abort();
  const ctrl = new AbortController();
  inflight = ctrl;
  const my = ++seq;
  const query = route
    ? { path, maxDistanceM: state.detour, amenities: state.amenities, openNow: state.openNow, limit: ALONG_LIMIT }
    : { lat: state.pos.lat, lon: state.pos.lon, k: K, amenities: state.amenities, openNow: state.openNow };
  setLoading(true);
  try {
    let fc = null;
    if (!route && navigator.onLine === false) fc = await offlineNearest(query);
    if (!fc) {
      try {
        fc = route ? await api.along(query, ctrl.signal) : await api.nearest(query, ctrl.signal);
      } catch (e) {
        // No network: the saved area answers the nearest list; "on my way" needs the server.
        if (route || !(e instanceof ApiError) || e.status !== 0 || my !== seq) throw e;
        fc = await offlineNearest(query);
        if (!fc) throw e;
      }
    }
    if (my !== seq) return;
    const features = fc && Array.isArray(fc.features) ? fc.features.filter(validFeature) : [];
    state.stations = features;
    state.lastQuery = JSON.stringify(route ? { mode: 'route', ...query } : query);
    state.offline = !!fc.offline;
    if (els.banner.dataset.kind === 'api') hideBanner();
    updateOfflineBanner();
    renderResults({ fit });
    if (!fc.offline) checkSavedVersion(fc.dataset_version);
  } catch (e) {
    if (my !== seq || (e && e.name === 'AbortError')) return;
    if (e instanceof ApiError && e.status === 0 && (route || navigator.onLine === false)) {
      state.offline = navigator.onLine === false;
      updateOfflineBanner();
      showBanner(route ? t('route.offline') : t('offline.none'), 'api');
    } else showBanner(e instanceof ApiError ? e.message : String(e), 'api');
    setStatus(e instanceof ApiError ? e.title : t('err.network'), false);
  } finally {
    if (my === seq) { setLoading(false); inflight = null; }
  }
}

function validFeature(f) {
  const c = f && f.geometry && f.geometry.coordinates;
  return f && f.id !== undefined && Array.isArray(c) && Number.isFinite(c[0]) && Number.isFinite(c[1]);
}

function setLoading(on) {
  els.list.setAttribute('aria-busy', String(on));
  els.list.classList.toggle('loading', on);
  if (on) setStatus(t('status.loading'), true);
}

function setStatus(text, busy) {
  els.status.textContent = text;
  els.status.classList.toggle('busy', !!busy);
}

function resultStatus() {
  if (state.mode === 'route') {
    const path = routePath();
    if (!path) return t(state.route.dest ? 'status.need_position' : 'route.need_dest');
    return t('route.count', { n: state.stations.length, len: formatLen(pathLength(path)), detour: formatLen(2 * state.detour) });
  }
  if (!state.pos) return t('status.need_position');
  if (state.offline) return t('offline.count', { n: state.stations.length });
  return t('status.count', { n: state.stations.length, src: t(`status.src.${state.pos.source}`) });
}

let firstListMarked = false;
let firstListResolve;
const firstListShown = new Promise((r) => { firstListResolve = r; });

function renderResults({ fit = false } = {}) {
  renderList();
  if (!firstListMarked && state.stations.length) {
    firstListMarked = true;
    try { performance.mark('yizhan:first-list'); } catch (_) { /* old browsers */ }
    firstListResolve();
  }
  setStatus(resultStatus(), false);
  renderMarkers({ fit });
  if (state.selectedId !== null) {
    if (state.stations.some((f) => String(f.id) === state.selectedId)) openDetails(state.selectedId, { from: 'refresh' });
    else closeDetails();
  }
}

const is24h = (f) => /^\s*(24\/7|Mo-Su 00:00-24:00)\s*$/i.test(f.properties?.opening_hours || '');

function openStatus(f) {
  const v = f.properties?.open_now;
  return v === true ? 'open' : v === false ? 'closed' : 'unknown';
}

export function formatDistance(m) {
  if (!Number.isFinite(m)) return '';
  if (m < 1000) return `${Math.round(m)} m`;
  if (m < 10000) return `${(m / 1000).toFixed(1)} km`;
  return `${Math.round(m / 1000)} km`;
}

export const walkMinutes = (m) => Math.max(1, Math.ceil(m / WALK_M_PER_MIN));
export const rideMinutes = (m) => Math.max(1, Math.ceil(m / RIDE_M_PER_MIN));

function hostLabel(p) {
  const host = p.host_type ? t(`host.${p.host_type}`) : '';
  return host.startsWith('host.') ? p.host_type : host;
}

function badges(f) {
  const st = openStatus(f);
  const out = [h('span', { class: `badge badge-${st}`, text: t(`badge.${st}`) })];
  if (is24h(f)) out.push(h('span', { class: 'badge badge-24', 'aria-label': t('badge.24h.aria'), title: t('badge.24h.aria'), text: '24' }));
  return out;
}

function amenityChips(keys, cls = 'am') {
  return (Array.isArray(keys) ? keys : []).map((k) => {
    const a = amenityInfo(k);
    return h('span', { class: cls, title: amenityLabel(k) },
      h('span', { class: 'am-icon', 'aria-hidden': 'true', text: a.icon }),
      h('span', { class: 'am-label', text: amenityLabel(k) }));
  });
}

/** A length in the page's language: "850 米" / "1.2 公里", "850 m" / "1.2 km". */
export function formatLen(m) {
  if (!Number.isFinite(m)) return '';
  if (m < 1000) return t('unit.m', { n: Math.round(m) });
  return t('unit.km', { n: m < 10000 ? (m / 1000).toFixed(1) : String(Math.round(m / 1000)) });
}

/** Great-circle length of a path [[lng, lat], …] in metres. */
function pathLength(path) {
  let sum = 0;
  for (let i = 1; i < path.length; i++) sum += haversine(path[i - 1][1], path[i - 1][0], path[i][1], path[i][0]);
  return sum;
}

function haversine(lat1, lon1, lat2, lon2) {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2
    + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

function renderList() {
  const route = state.mode === 'route';
  const items = state.stations.map((f, i) => {
    const p = f.properties || {};
    const id = String(f.id);
    const d = Number(p.distance_m);
    const along = Number(p.along_m);
    const meta = [hostLabel(p)];
    if (Number.isFinite(d) && !route) {
      meta.push(formatDistance(d));
    }
    const routeMeta = route && Number.isFinite(along) && Number.isFinite(d) ? h('span', { class: 'item-route' },
      h('span', { class: 'item-along', text: t('route.after', { d: formatLen(along) }) }),
      h('span', { class: 'item-detour', text: t('route.detour', { d: formatLen(2 * d) }) })) : null;
    const btn = h('button', { type: 'button', class: 'item-btn', onclick: () => select(id, 'list') },
      h('span', { class: `st-marker rank st-${openStatus(f)}`, 'aria-hidden': 'true', text: String(i + 1) }),
      h('span', { class: 'item-main' },
        h('span', { class: 'item-name', text: p.name || id }),
        routeMeta,
        h('span', { class: 'item-meta' },
          h('span', { class: 'item-host', text: meta.filter(Boolean).join(' · ') }),
          Number.isFinite(d) && !route ? h('span', { class: 'item-time' },
            h('span', { class: 'walk', 'aria-label': t('dist.walk', { n: walkMinutes(d) }), text: t('dist.walk.short', { n: walkMinutes(d) }) }),
            h('span', { class: 'ride', 'aria-label': t('dist.ride', { n: rideMinutes(d) }), text: t('dist.ride.short', { n: rideMinutes(d) }) })) : null),
        h('span', { class: 'item-badges' }, badges(f), amenityChips(p.amenities))));
    const li = h('li', { class: 'item', dataset: route ? { id, alongM: String(along), distanceM: String(d) } : { id } }, btn);
    if (id === state.selectedId) { li.classList.add('selected'); btn.setAttribute('aria-current', 'true'); }
    return li;
  });
  if (!items.length && (route ? routePath() : state.pos) && state.lastQuery) {
    items.push(h('li', { class: 'empty', text: t(route ? 'route.empty' : 'list.empty') }));
  }
  els.list.replaceChildren(...items);
  els.list.dataset.query = state.lastQuery;
}

function renderChips() {
  const chips = [
    h('button', {
      type: 'button', class: 'chip chip-open', 'aria-pressed': String(state.openNow), dataset: { key: 'open_now' },
      onclick: () => { state.openNow = !state.openNow; filtersChanged(); },
    }, h('span', { 'aria-hidden': 'true', text: '🟢' }), ' ', t('filter.open_now')),
  ];
  for (const a of AMENITIES) {
    chips.push(h('button', {
      type: 'button', class: 'chip', 'aria-pressed': String(state.amenities.includes(a.key)), dataset: { key: a.key },
      onclick: () => toggleAmenity(a.key),
    }, h('span', { 'aria-hidden': 'true', text: a.icon }), ' ', amenityLabel(a.key)));
  }
  els.chips.replaceChildren(...chips);
}

function toggleAmenity(key) {
  const set = new Set(state.amenities);
  if (set.has(key)) set.delete(key); else set.add(key);
  const order = AMENITIES.map((a) => a.key);
  state.amenities = [...set].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  filtersChanged();
}

function filtersChanged() {
  renderChips();
  writeUrl();
  if (state.pos) { setLoading(true); scheduleRefresh(); }
}

// ---------------------------------------------------------------------------------------------
// 7. map (Leaflet). Everything here is optional: without Leaflet or tiles the list still works.
// ---------------------------------------------------------------------------------------------
let map = null;
let cluster = null;
let userLayer = null;
const markers = new Map(); // id → L.Marker
let pendingFit = false;

function gcjTiles() { return state.tiles.crs === 'gcj02'; }

/** WGS-84 → the CRS of the tiles, as a Leaflet LatLng. */
function toDisplay(lat, lon) {
  if (!gcjTiles()) return [lat, lon];
  const [gLng, gLat] = wgs84ToGcj02(lon, lat);
  return [gLat, gLng];
}

/** A map point (tiles' CRS) → WGS-84 {lat, lon}. */
function fromDisplay(ll) {
  if (!gcjTiles()) return { lat: ll.lat, lon: ll.lng };
  const [lng, lat] = gcj02ToWgs84(ll.lng, ll.lat);
  return { lat, lon: lng };
}

function normalizeTiles(cfg) {
  const tl = cfg && cfg.tiles;
  if (!tl || typeof tl.url !== 'string' || !/\{z\}/.test(tl.url) || !/\{x\}/.test(tl.url) || !/\{y\}/.test(tl.url)) {
    return { ...DEFAULT_TILES };
  }
  return {
    url: tl.url,
    attribution: typeof tl.attribution === 'string' ? tl.attribution : '',
    crs: String(tl.crs || 'wgs84').toLowerCase() === 'gcj02' ? 'gcj02' : 'wgs84',
    max_zoom: Number.isInteger(tl.max_zoom) && tl.max_zoom > 0 && tl.max_zoom <= 22 ? tl.max_zoom : 19,
    subdomains: tl.subdomains,
  };
}

function leafletReady() {
  return new Promise((resolve) => {
    const ok = () => !!(window.L && window.L.map);
    if (ok()) { resolve(true); return; }
    let tries = 0;
    const iv = setInterval(() => {
      tries += 1;
      if (ok()) { clearInterval(iv); resolve(true); } else if (tries > 300 || (document.readyState === 'complete' && tries > 20)) {
        clearInterval(iv); resolve(false);
      }
    }, 50);
  });
}

async function initMap(configPromise) {
  const [hasLeaflet, cfg] = await Promise.all([
    leafletReady(),
    Promise.race([configPromise, new Promise((r) => setTimeout(() => r(null), CONFIG_WAIT_MS))]),
  ]);
  state.tiles = normalizeTiles(cfg);
  if (!hasLeaflet) { showMapMsg(t('map.unavailable')); return; }
  const L = window.L;
  const centre = state.pos || DEFAULT_CENTER;
  map = L.map(els.map, { zoomControl: true, maxZoom: state.tiles.max_zoom, tapTolerance: 20 })
    .setView(toDisplay(centre.lat, centre.lon), state.pos ? 15 : 14);
  const opts = { attribution: state.tiles.attribution, maxZoom: state.tiles.max_zoom };
  if (state.tiles.subdomains) opts.subdomains = state.tiles.subdomains;
  const layer = L.tileLayer(state.tiles.url, opts).addTo(map);
  let loaded = 0;
  let failed = 0;
  layer.on('tileload', () => { loaded += 1; els.mapMsg.hidden = true; });
  layer.on('tileerror', () => { failed += 1; if (!loaded && failed >= 2) showMapMsg(t('map.unavailable')); });
  cluster = typeof L.markerClusterGroup === 'function'
    ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 36, disableClusteringAtZoom: 16, spiderfyOnMaxZoom: true })
    : L.layerGroup();
  cluster.addTo(map);
  map.on('click', (e) => {
    if (state.mode === 'route' && !state.pickMode) {
      const d = fromDisplay(e.latlng);
      setDestination(d.lat, d.lon);
      return;
    }
    if (!tapEnabled()) return;
    const p = fromDisplay(e.latlng);
    state.pickMode = false;
    hideBanner();
    setPosition(p.lat, p.lon, 'tap');
    updatePickUi();
  });
  els.map.dataset.ready = 'true';
  drawUserMarker();
  drawRoute();
  renderMarkers({ fit: pendingFit || !!state.stations.length });
}

function showMapMsg(text) {
  els.mapMsg.textContent = text;
  els.mapMsg.hidden = false;
}

function markerIcon(f, i, selected) {
  const st = openStatus(f);
  return window.L.divIcon({
    className: 'st-marker-wrap',
    // Only a number and class names: no user data in this HTML string.
    html: `<span class="st-marker st-${st}${selected ? ' selected' : ''}">${i + 1}</span>`,
    iconSize: [34, 34],
    iconAnchor: [17, 17],
    popupAnchor: [0, -16],
  });
}

function renderMarkers({ fit = false } = {}) {
  if (!map) { pendingFit = pendingFit || fit; return; }
  const L = window.L;
  cluster.clearLayers();
  markers.clear();
  const layers = state.stations.map((f, i) => {
    const [lng, lat] = f.geometry.coordinates;
    const id = String(f.id);
    const m = L.marker(toDisplay(lat, lng), {
      icon: markerIcon(f, i, id === state.selectedId),
      title: f.properties?.name || id,
      alt: f.properties?.name || id,
      keyboard: true,
      zIndexOffset: id === state.selectedId ? 1000 : 0,
    });
    m.bindPopup(() => h('div', { class: 'popup' },
      h('strong', { text: f.properties?.name || id }),
      state.mode === 'route' && Number.isFinite(f.properties?.along_m)
        ? h('span', { text: ` · ${t('route.after', { d: formatLen(f.properties.along_m) })}` })
        : Number.isFinite(f.properties?.distance_m) ? h('span', { text: ` · ${formatDistance(f.properties.distance_m)}` }) : null), { autoPan: true, closeButton: false });
    m.on('click', () => select(id, 'map'));
    markers.set(id, m);
    return m;
  });
  if (cluster.addLayers) cluster.addLayers(layers); else layers.forEach((l) => cluster.addLayer(l));
  if (fit) {
    pendingFit = false;
    const route = state.mode === 'route' ? routePath() : null;
    const pts = route
      ? route.map(([lng, lat]) => toDisplay(lat, lng))
      : state.stations.slice(0, 5).map((f) => toDisplay(f.geometry.coordinates[1], f.geometry.coordinates[0]));
    if (state.pos) pts.push(toDisplay(state.pos.lat, state.pos.lon));
    if (pts.length === 1) map.setView(pts[0], 15);
    else if (pts.length) map.fitBounds(L.latLngBounds(pts), { paddingTopLeft: route ? [40, 48] : [24, 24], paddingBottomRight: [24, 64], maxZoom: 16 });
  }
}

function drawUserMarker() {
  if (!map || !state.pos) return;
  const L = window.L;
  const ll = toDisplay(state.pos.lat, state.pos.lon);
  if (userLayer) userLayer.remove();
  userLayer = L.layerGroup();
  if (state.pos.accuracy && state.pos.accuracy < 2000) {
    L.circle(ll, { radius: state.pos.accuracy, className: 'user-accuracy', interactive: false }).addTo(userLayer);
  }
  L.circleMarker(ll, { radius: 10, className: 'user-dot', interactive: false }).addTo(userLayer);
  userLayer.addTo(map);
  // Where the rider is drawn, in the tiles' CRS (read by the browser tests).
  els.map.dataset.user = `${ll[0].toFixed(7)},${ll[1].toFixed(7)}`;
  els.map.dataset.crs = state.tiles.crs;
}

let routeLayer = null;

/** The route line (straight segments, or the pasted path) and the destination flag. */
function drawRoute() {
  if (!map) return;
  if (routeLayer) { routeLayer.remove(); routeLayer = null; }
  const route = state.mode === 'route';
  const path = route ? routePath() : null;
  const dest = route ? state.route.dest : null;
  if (!path && !dest) { delete els.map.dataset.route; return; }
  const L = window.L;
  routeLayer = L.layerGroup();
  if (path) {
    const lls = path.map(([lng, lat]) => toDisplay(lat, lng));
    L.polyline(lls, { className: 'route-casing', color: '#fff', weight: 10, opacity: 0.9, interactive: false }).addTo(routeLayer);
    L.polyline(lls, { className: 'route-line', color: '#0b57a4', weight: 6, opacity: 0.9, dashArray: state.route.path ? null : '12 8', interactive: false }).addTo(routeLayer);
  }
  if (dest) {
    L.marker(toDisplay(dest.lat, dest.lon), {
      icon: L.divIcon({ className: 'dest-wrap', html: '<span class="dest-flag">🏁</span>', iconSize: [34, 34], iconAnchor: [6, 32] }),
      interactive: false, keyboard: false, zIndexOffset: 500,
    }).addTo(routeLayer);
  }
  routeLayer.addTo(map);
  els.map.dataset.route = path ? path.map(([lng, lat]) => `${lng.toFixed(6)},${lat.toFixed(6)}`).join(';') : '';
}

function highlightMarker(id) {
  state.stations.forEach((f, i) => {
    const m = markers.get(String(f.id));
    if (!m) return;
    const sel = String(f.id) === id;
    m.setIcon(markerIcon(f, i, sel));
    m.setZIndexOffset(sel ? 1000 : 0);
  });
}

function focusMarker(id) {
  const m = markers.get(id);
  if (!map || !m) return;
  const open = () => { map.panTo(m.getLatLng()); m.openPopup(); };
  if (cluster && typeof cluster.zoomToShowLayer === 'function') cluster.zoomToShowLayer(m, open);
  else open();
}

// ---------------------------------------------------------------------------------------------
// 8. selection, details, navigation links, report dialog
// ---------------------------------------------------------------------------------------------
function select(id, from) {
  state.selectedId = id;
  els.list.querySelectorAll('.item').forEach((li) => {
    const sel = li.dataset.id === id;
    li.classList.toggle('selected', sel);
    const b = li.querySelector('.item-btn');
    if (sel) b.setAttribute('aria-current', 'true'); else b.removeAttribute('aria-current');
    if (sel && from === 'map') li.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  });
  highlightMarker(id);
  if (from === 'list') focusMarker(id);
  openDetails(id, { from });
}

/**
 * Navigation deep links for one station. `f` has WGS-84 coordinates; `origin` is the rider's WGS-84 position.
 *
 * Amap (高德) URI API, "路线规划/导航" — https://lbs.amap.com/api/uri-api/guide/travel/route
 *   https://uri.amap.com/navigation?to=LNG,LAT,NAME&mode=ride&callnative=1&coordinate=gaode
 *   `coordinate=gaode` means the coordinates are GCJ-02, so they are converted from WGS-84 first.
 *   Without `from` Amap starts at the device's current position. Commas are removed from NAME (field separator).
 * Baidu (百度) URI API, Web "路线规划" — https://lbsyun.baidu.com/faq/api?title=webapi/uri/web
 *   https://api.map.baidu.com/direction?origin=latlng:LAT,LNG|name:ORIGIN&destination=latlng:LAT,LNG|name:NAME
 *     &coord_type=gcj02&mode=riding&region=北京&output=html&src=yizhan
 *   Both points are given in GCJ-02 and declared with coord_type=gcj02 (Baidu converts to BD-09 itself).
 *   Baidu uses lat,lng order here. "|" is removed from names (field separator).
 * Default maps app: geo URI (RFC 5870) with Android's label form,
 *   https://developer.android.com/guide/components/intents-common#Maps
 *   geo:LAT,LNG?q=LAT,LNG(NAME) — WGS-84, as RFC 5870 requires.
 */
export function navLinks(f, origin, originName = '我的位置') {
  const [lng, lat] = f.geometry.coordinates;
  const name = String(f.properties?.name || f.id);
  const [gLng, gLat] = wgs84ToGcj02(lng, lat);
  const n6 = (x) => x.toFixed(6);
  const amap = `https://uri.amap.com/navigation?to=${n6(gLng)},${n6(gLat)},${encodeURIComponent(name.replace(/,/g, ' '))}`
    + '&mode=ride&callnative=1&coordinate=gaode';
  const bName = encodeURIComponent(name.replace(/\|/g, ' '));
  let originPart = '';
  if (origin) {
    const [oLng, oLat] = wgs84ToGcj02(origin.lon, origin.lat);
    originPart = `origin=latlng:${n6(oLat)},${n6(oLng)}|name:${encodeURIComponent(originName.replace(/\|/g, ' '))}&`;
  }
  const baidu = `https://api.map.baidu.com/direction?${originPart}destination=latlng:${n6(gLat)},${n6(gLng)}|name:${bName}`
    + `&coord_type=gcj02&mode=riding&region=${encodeURIComponent('北京')}&output=html&src=yizhan`;
  const geo = `geo:${n6(lat)},${n6(lng)}?q=${n6(lat)},${n6(lng)}(${encodeURIComponent(name)})`;
  return { amap, baidu, geo };
}

/**
 * "On my way" hand-off, as two legs: rider → station, then station → destination.
 *
 * Neither web URI takes a via point for riding, so the chosen station cannot be put between the rider and the
 * destination in one link:
 *   - Amap https://uri.amap.com/navigation (https://lbs.amap.com/api/uri-api/guide/travel/route): `via=lon,lat,name`
 *     exists but "最多只支持添加一个途径点 · 途径点只在驾车模式下有效" — one via point, car mode only. Riders get
 *     mode=ride, so the page offers "go to the station" (navLinks above) and "then to the destination" (from=station).
 *   - Baidu https://api.map.baidu.com/direction (https://lbsyun.baidu.com/faq/api?title=webapi/uri/web) has no
 *     via/waypoints parameter at all. `waypoints=` belongs to Baidu's Web *service* (REST, needs a key:
 *     https://api.map.baidu.com/direction/v2/driving, lbsyun.baidu.com/faq/api?title=webapi/direction-api-v2),
 *     which answers JSON, not a navigation screen; the Android app URI baidumap://map/direction takes
 *     `viaPoints={"viaPoints":[{name,lat,lng}]}` in driving mode only (lbsyun.baidu.com/index.php?title=uri/api/android).
 *     So Baidu also gets two riding legs.
 * `from`/`to`: {lat, lon} WGS-84 (converted to GCJ-02 here) and a display name.
 */
export function legLinks(from, to) {
  const n6 = (x) => x.toFixed(6);
  const [fLng, fLat] = wgs84ToGcj02(from.lon, from.lat);
  const [tLng, tLat] = wgs84ToGcj02(to.lon, to.lat);
  const aName = (s) => encodeURIComponent(String(s).replace(/,/g, ' '));
  const bName = (s) => encodeURIComponent(String(s).replace(/\|/g, ' '));
  const amap = `https://uri.amap.com/navigation?from=${n6(fLng)},${n6(fLat)},${aName(from.name)}`
    + `&to=${n6(tLng)},${n6(tLat)},${aName(to.name)}&mode=ride&callnative=1&coordinate=gaode&src=yizhan`;
  const baidu = `https://api.map.baidu.com/direction?origin=latlng:${n6(fLat)},${n6(fLng)}|name:${bName(from.name)}`
    + `&destination=latlng:${n6(tLat)},${n6(tLng)}|name:${bName(to.name)}`
    + `&coord_type=gcj02&mode=riding&region=${encodeURIComponent('北京')}&output=html&src=yizhan`;
  return { amap, baidu };
}

function phoneLinks(phone) {
  return String(phone).split(/[;；,，、/]/).map((s) => s.trim()).filter(Boolean).map((s) => {
    const tel = s.replace(/[^0-9+]/g, '');
    return tel ? h('a', { class: 'tel', href: `tel:${tel}`, text: s }) : h('span', { text: s });
  });
}

function openDetails(id, { from } = {}) {
  const f = state.stations.find((x) => String(x.id) === id);
  if (!f) return;
  const p = f.properties || {};
  const d = Number(p.distance_m);
  const route = state.mode === 'route';
  const path = route ? routePath() : null;
  // Leg 1 starts at the rider (or at the pasted route's start when there is no GPS position).
  const origin = state.pos || (path ? { lat: path[0][1], lon: path[0][0] } : null);
  const links = navLinks(f, origin, t('nav.origin'));
  const dest = route && path ? { lat: path[path.length - 1][1], lon: path[path.length - 1][0] } : null;
  const leg2 = dest ? legLinks(
    { lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0], name: p.name || id },
    { ...dest, name: state.route.names?.[state.route.names.length - 1] || t('route.dest_name') },
  ) : null;
  const hours = !p.opening_hours ? t('details.hours.unknown') : is24h(f) ? `${t('details.hours.247')} (${p.opening_hours})` : p.opening_hours;
  const kind = p.kind ? t(`kind.${p.kind}`) : '';
  const row = (label, ...value) => [h('dt', { text: label }), h('dd', {}, ...value)];
  const content = [
    h('div', { class: 'details-top' },
      h('button', { type: 'button', class: 'act-btn back-btn', onclick: () => closeDetails(true) },
        h('span', { 'aria-hidden': 'true', text: '← ' }), t('btn.back'))),
    h('h2', { id: 'details-name', class: 'details-name', tabindex: '-1', text: p.name || id }),
    h('p', { class: 'details-kind', text: [kind.startsWith('kind.') ? p.kind : kind, hostLabel(p)].filter(Boolean).join(' · ') }),
    h('p', { class: 'details-badges' }, badges(f),
      route && Number.isFinite(Number(p.along_m)) && Number.isFinite(d)
        ? h('span', { class: 'details-dist', text: `${t('route.after', { d: formatLen(Number(p.along_m)) })} · ${t('route.detour', { d: formatLen(2 * d) })}` })
        : Number.isFinite(d) ? h('span', { class: 'details-dist', text: `${formatDistance(d)} · ${t('dist.walk', { n: walkMinutes(d) })} · ${t('dist.ride', { n: rideMinutes(d) })}` }) : null),
    h('dl', { class: 'details-list' },
      row(t('details.address'), (p.address && p.district && !String(p.address).startsWith(p.district)
        ? `${p.district} ${p.address}` : p.address || p.district) || t('details.none')),
      row(t('details.phone'), ...(p.phone ? phoneLinks(p.phone) : [t('details.none')])),
      row(t('details.hours'), hours),
      row(t('details.amenities'), ...(Array.isArray(p.amenities) && p.amenities.length
        ? [h('span', { class: 'am-list' }, amenityChips(p.amenities, 'am am-big'))] : [t('details.none')]))),
    h('h3', { class: 'details-sub', text: t(leg2 ? 'route.nav1' : 'details.navigate') }),
    h('div', { class: 'nav-links' },
      h('a', { class: 'act-btn nav-btn nav-amap', href: links.amap, target: '_blank', rel: 'noopener', text: t('nav.amap') }),
      h('a', { class: 'act-btn nav-btn nav-baidu', href: links.baidu, target: '_blank', rel: 'noopener', text: t('nav.baidu') }),
      h('a', { class: 'act-btn nav-btn nav-geo', href: links.geo, text: t('nav.geo') })),
    leg2 ? h('h3', { class: 'details-sub', text: t('route.nav2') }) : null,
    leg2 ? h('div', { class: 'nav-links nav-links-2' },
      h('a', { class: 'act-btn nav-btn nav-amap nav-amap-2', href: leg2.amap, target: '_blank', rel: 'noopener', text: t('nav.amap') }),
      h('a', { class: 'act-btn nav-btn nav-baidu nav-baidu-2', href: leg2.baidu, target: '_blank', rel: 'noopener', text: t('nav.baidu') })) : null,
    leg2 ? h('p', { class: 'nav-note', text: t('route.nav_note') }) : null,
    h('button', { type: 'button', class: 'act-btn report-btn', onclick: () => openReport(f) },
      h('span', { 'aria-hidden': 'true', text: '⚠️ ' }), t('report.button')),
  ];
  els.details.replaceChildren(...content);
  els.details.dataset.id = id;
  els.details.hidden = false;
  document.body.classList.add('details-open');
  if (from === 'list' || from === 'map') els.details.querySelector('.details-name').focus({ preventScroll: true });
}

function closeDetails(restoreFocus = false) {
  const id = state.selectedId;
  els.details.hidden = true;
  document.body.classList.remove('details-open');
  state.selectedId = null;
  els.list.querySelectorAll('.item.selected').forEach((li) => {
    li.classList.remove('selected');
    li.querySelector('.item-btn')?.removeAttribute('aria-current');
  });
  if (map) { highlightMarker(null); map.closePopup(); }
  if (restoreFocus && id !== null) {
    const b = els.list.querySelector(`.item[data-id="${CSS.escape(id)}"] .item-btn`);
    if (b) b.focus();
  }
}

let reportStation = null;

function openReport(f) {
  reportStation = f;
  els.reportForm.reset();
  els.reportCount.textContent = '0';
  els.reportMsg.textContent = '';
  els.reportMsg.className = 'report-msg';
  els.reportSubmit.disabled = false;
  els.reportStation.textContent = f.properties?.name || String(f.id);
  if (typeof els.reportDialog.showModal === 'function') els.reportDialog.showModal();
  else els.reportDialog.setAttribute('open', '');
}

function closeReport() {
  if (typeof els.reportDialog.close === 'function') els.reportDialog.close();
  else els.reportDialog.removeAttribute('open');
}

async function submitReport(ev) {
  ev.preventDefault();
  if (!reportStation) return;
  const reason = new FormData(els.reportForm).get('reason');
  const msg = (text, kind) => { els.reportMsg.textContent = text; els.reportMsg.className = `report-msg ${kind}`; };
  if (!REASONS.includes(reason)) { msg(t('report.choose'), 'error'); return; }
  const comment = els.reportComment.value.trim().slice(0, 500);
  els.reportSubmit.disabled = true;
  msg(t('report.sending'), 'busy');
  try {
    await api.report(String(reportStation.id), reason, comment);
    msg(t('report.thanks'), 'ok');
    setTimeout(() => { if (els.reportMsg.classList.contains('ok')) closeReport(); }, 2500);
  } catch (e) {
    els.reportSubmit.disabled = false;
    if (!(e instanceof ApiError)) { msg(t('err.network'), 'error'); return; }
    if (e.status === 429) {
      const secs = Number.parseInt(e.retryAfter || '', 10);
      msg(`${t('report.too_many')}${Number.isFinite(secs) ? ` (${secs} s)` : ''}`, 'error');
    } else if ([404, 405, 501].includes(e.status)) msg(t('report.not_found'), 'error');
    else if (e.status === 0) msg(e.title, 'error');
    else msg(`${t('report.failed')}: ${e.message}`, 'error');
  }
}

// ---------------------------------------------------------------------------------------------
// "on my way" (顺路): mode switch, destination, pasted routes, detour choice
// ---------------------------------------------------------------------------------------------
function setMode(mode) {
  if (state.mode === mode) return;
  state.mode = mode;
  state.pickMode = false;
  closeDetails();
  state.stations = [];
  state.lastQuery = '';
  renderList();
  updateModeUi();
  writeUrl();
  if (mode === 'near' && els.banner.dataset.kind === 'api') hideBanner();
  refresh({ fit: true });
}

function updateModeUi() {
  const route = state.mode === 'route';
  els.modeNear.setAttribute('aria-pressed', String(!route));
  els.modeRoute.setAttribute('aria-pressed', String(route));
  els.routePanel.hidden = !route;
  document.body.classList.toggle('route-mode', route);
  els.list.setAttribute('aria-label', t(route ? 'route.list.aria' : 'list.aria'));
  els.detourBtns.forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.m) === state.detour)));
  els.routeClear.hidden = !state.route.dest;
  updatePickUi();
}

function setDestination(lat, lon) {
  state.route = { dest: { lat, lon }, path: null, via: [], names: [] };
  state.pickMode = false;
  els.pasteMsg.textContent = '';
  updateModeUi();
  writeUrl();
  refresh({ fit: true });
}

function clearRoute() {
  state.route = { dest: null, path: null, via: [], names: [] };
  els.pasteMsg.textContent = '';
  closeDetails();
  updateModeUi();
  writeUrl();
  refresh();
}

async function applyPaste() {
  const text = els.pasteText.value;
  const msg = (s, kind) => { els.pasteMsg.textContent = s; els.pasteMsg.className = `paste-msg ${kind}`; };
  try {
    const { parseRouteInput } = await import('./links.js');
    const r = parseRouteInput(text, { crs: els.pasteCrs.value });
    const pts = r.points;
    const last = pts[pts.length - 1];
    state.route = {
      dest: { lat: last[1], lon: last[0] },
      path: r.hasOrigin ? pts : null,
      via: r.hasOrigin ? [] : pts.slice(0, -1),
      names: r.names,
    };
    state.pickMode = false;
    msg(t(r.hasOrigin ? 'route.pasted_path' : 'route.pasted_dest', { n: pts.length }), 'ok');
    updateModeUi();
    writeUrl();
    refresh({ fit: true });
  } catch (e) {
    msg(e && e.key ? t(e.key) : t('route.err.format'), 'error');
  }
}

// ---------------------------------------------------------------------------------------------
// offline: saved area (offline.js, IndexedDB), banner, service worker
// ---------------------------------------------------------------------------------------------
let offlineModule = null;
let areaFeatures = null;
let saving = false;

function offlineLib() {
  if (!offlineModule) offlineModule = import('./offline.js').catch((e) => { offlineModule = null; throw e; });
  return offlineModule;
}

async function loadSavedArea() {
  const off = await offlineLib();
  const area = await off.loadArea();
  areaFeatures = area && Array.isArray(area.features) ? area.features : null;
  state.area = areaFeatures ? {
    savedAt: area.savedAt, datasetVersion: area.datasetVersion, count: areaFeatures.length, center: area.center, radiusM: area.radiusM,
  } : null;
  renderAreaStatus();
  if (state.datasetVersion) checkSavedVersion(state.datasetVersion);
  return area;
}

/** The nearest list computed from the saved area, or null when nothing is saved (or offline.js is unavailable). */
async function offlineNearest(query) {
  let off;
  try { off = await offlineLib(); if (!areaFeatures) await loadSavedArea(); } catch (_) { return null; }
  if (!areaFeatures) return null;
  return { type: 'FeatureCollection', offline: true, features: off.nearestOffline(areaFeatures, query) };
}

async function saveArea({ silent = false, center = null } = {}) {
  const c = center || (state.pos ? { lat: state.pos.lat, lon: state.pos.lon } : null);
  if (!c) { showBanner(t('offline.need_position'), 'warn', 5000); return; }
  if (saving) return;
  saving = true;
  els.btnSave.disabled = true;
  els.areaStatus.textContent = t('offline.saving');
  els.areaStatus.className = 'area-status busy';
  try {
    const off = await offlineLib();
    const bbox = off.bboxAround(c.lat, c.lon, SAVE_RADIUS_M);
    const fc = await api.list({ bbox });
    const features = (fc && Array.isArray(fc.features) ? fc.features : []).filter(validFeature).map(off.toSaved);
    const area = {
      features, savedAt: Date.now(), datasetVersion: fc.dataset_version || null, center: c, radiusM: SAVE_RADIUS_M, bbox,
    };
    await off.storeArea(area);
    areaFeatures = features;
    state.area = { savedAt: area.savedAt, datasetVersion: area.datasetVersion, count: features.length, center: c, radiusM: SAVE_RADIUS_M };
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
function checkSavedVersion(version) {
  if (version) state.datasetVersion = version;
  if (!version || !state.area || saving || navigator.onLine === false) return;
  if (state.area.datasetVersion && state.area.datasetVersion !== version) saveArea({ silent: true, center: state.area.center });
}

function ago(ms) {
  const min = Math.max(0, Math.floor((Date.now() - ms) / 60000));
  if (min < 1) return t('ago.now');
  if (min < 60) return t('ago.min', { n: min });
  const hrs = Math.floor(min / 60);
  if (hrs < 48) return t('ago.hour', { n: hrs });
  return t('ago.day', { n: Math.floor(hrs / 24) });
}

function renderAreaStatus() {
  if (saving) return;
  els.areaStatus.textContent = state.area
    ? t('offline.area', { n: state.area.count, r: formatLen(state.area.radiusM || SAVE_RADIUS_M), ago: ago(state.area.savedAt) })
    : t('offline.none_saved');
  els.areaStatus.dataset.count = state.area ? String(state.area.count) : '0';
}

function updateOfflineBanner() {
  const off = state.offline || navigator.onLine === false;
  document.body.classList.toggle('is-offline', off);
  if (!off) { els.offBanner.hidden = true; return; }
  els.offText.textContent = state.area
    ? `${t('offline.mode')} · ${t('offline.saved_ago', { ago: ago(state.area.savedAt) })}`
    : `${t('offline.mode')} · ${t('offline.nothing')}`;
  els.offBanner.hidden = false;
}

/** Register sw.js once the first list is out (or after 4 s), so that precaching never delays it. */
function registerServiceWorker() {
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
// banner, share, language
// ---------------------------------------------------------------------------------------------
let bannerTimer = null;

function showBanner(text, kind = 'error', autoHideMs = 0) {
  clearTimeout(bannerTimer);
  els.bannerText.textContent = text;
  els.banner.dataset.kind = kind;
  els.banner.hidden = false;
  if (autoHideMs) bannerTimer = setTimeout(hideBanner, autoHideMs);
}

function hideBanner() {
  clearTimeout(bannerTimer);
  els.banner.hidden = true;
  els.banner.dataset.kind = '';
}

async function share() {
  const url = shareUrl();
  if (navigator.share) {
    try { await navigator.share({ title: t('app.title'), url }); return; } catch (e) {
      if (e && e.name === 'AbortError') return;
    }
  }
  try {
    await navigator.clipboard.writeText(url);
    showBanner(`${t('share.copied')}: ${url}`, 'info', 4000);
  } catch (_) {
    showBanner(`${t('share.manual')} ${url}`, 'info');
  }
}

function rerenderForLang() {
  renderChips();
  updateModeUi();
  renderAreaStatus();
  updateOfflineBanner();
  if ((state.pos || state.mode === 'route') && state.lastQuery) { renderList(); setStatus(resultStatus(), false); } else if (state.mode === 'route') {
    setStatus(resultStatus(), false);
  } else if (!state.pos) {
    setStatus(state.geoFailed ? t('status.need_position') : t('status.locating'), !state.geoFailed);
  }
  if (state.selectedId !== null) openDetails(state.selectedId);
  if (!els.banner.hidden && els.banner.dataset.kind === 'warn' && state.geoMessage) els.bannerText.textContent = t(state.geoMessage);
}

// ---------------------------------------------------------------------------------------------
// 9. boot
// ---------------------------------------------------------------------------------------------
function boot() {
  Object.assign(els, {
    map: $('map'), mapPane: document.querySelector('.map-pane'), mapMsg: $('map-msg'), tapHint: $('tap-hint'),
    list: $('list'), status: $('status'), chips: $('chips'), details: $('details'),
    banner: $('banner'), bannerText: $('banner-text'),
    btnPick: $('btn-pick'),
    reportDialog: $('report-dialog'), reportForm: $('report-form'), reportMsg: $('report-msg'),
    reportComment: $('report-comment'), reportCount: $('report-count'), reportSubmit: $('report-submit'),
    reportStation: $('report-station'),
    modeNear: $('mode-near'), modeRoute: $('mode-route'), routePanel: $('route-panel'), routeClear: $('route-clear'),
    detourBtns: [...document.querySelectorAll('#detour .detour-btn')],
    pasteText: $('paste-text'), pasteCrs: $('paste-crs'), pasteMsg: $('paste-msg'),
    offBanner: $('offline-banner'), offText: $('offline-text'), btnSave: $('btn-save'), areaStatus: $('area-status'),
  });

  const fromUrl = readUrl();
  state.amenities = fromUrl.amenities;
  state.openNow = fromUrl.openNow;
  state.mode = fromUrl.mode;
  state.detour = fromUrl.detour;
  if (fromUrl.route) state.route = fromUrl.route;

  // Start the network work first: the list must not wait for Leaflet.
  const configPromise = api.config().catch(() => null);
  if (fromUrl.pos) state.pos = { ...fromUrl.pos, source: 'url', accuracy: null };
  if (fromUrl.pos || (state.mode === 'route' && state.route.path)) refresh({ fit: true });

  applyI18n(document);
  renderChips();
  updateModeUi();
  renderAreaStatus();
  if (!fromUrl.pos) locate();

  api.amenities().then((list) => { mergeAmenityLabels(list); renderChips(); }).catch(() => { /* built-in labels */ });

  $('btn-lang').addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
  onLangChange(rerenderForLang);
  $('btn-share').addEventListener('click', share);
  $('btn-locate').addEventListener('click', locate);
  els.btnPick.addEventListener('click', () => {
    state.pickMode = !state.pickMode;
    updatePickUi();
  });
  $('banner-close').addEventListener('click', hideBanner);
  els.modeNear.addEventListener('click', () => setMode('near'));
  els.modeRoute.addEventListener('click', () => setMode('route'));
  els.detourBtns.forEach((b) => b.addEventListener('click', () => {
    state.detour = Number(b.dataset.m);
    updateModeUi();
    writeUrl();
    refresh();
  }));
  els.routeClear.addEventListener('click', clearRoute);
  $('paste-go').addEventListener('click', applyPaste);
  els.btnSave.addEventListener('click', () => saveArea());
  window.addEventListener('online', () => { updateOfflineBanner(); refresh(); });
  window.addEventListener('offline', () => { updateOfflineBanner(); if (state.mode === 'near') refresh(); });
  updateOfflineBanner();
  els.reportForm.addEventListener('submit', submitReport);
  $('report-cancel').addEventListener('click', closeReport);
  els.reportComment.addEventListener('input', () => { els.reportCount.textContent = String(els.reportComment.value.length); });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !els.details.hidden && !els.reportDialog.open) closeDetails(true);
  });

  initMap(configPromise);
  registerServiceWorker();
}

// The module is `async` and placed after all the markup, so the elements normally exist already;
// do not wait for DOMContentLoaded (that would wait for Leaflet to be parsed first).
if (document.getElementById('report-dialog')) boot();
else document.addEventListener('DOMContentLoaded', boot, { once: true });
