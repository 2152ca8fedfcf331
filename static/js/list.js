// The station list (nearest, or "on my way" in route order): where from (the rider's position: geolocation,
// a shared link, or a tap on the map), with which filters (the chips), asking for it (GET /stations/nearest,
// GET /stations/along for "on my way", the saved area when offline; one request at a time), and showing the
// answer in the list, on the map and in the status line. Tapping an item selects the station (details.js).
import { h, fill } from './h.js';
import { t } from './i18n.js';
import { formatDistance, formatLen, walkMinutes, rideMinutes } from './i18n-rider.js';
import { api, ApiError, K, validFeature, openStatus, takeFirstAnswer } from './api.js';
import { state, els, routePath, showBanner, hideBanner, writeUrl } from './url-state.js';
import { renderMarkers, drawRoute, drawUserMarker, showDefaultCenter } from './map.js';
import { select, openDetails, closeDetails, AMENITIES, amenityLabel, hostLabel, badges, amenityChips } from './details.js';
import { offlineNearest, updateOfflineBanner, checkSavedVersion, haversine } from './offline.js';
import { stateBlock } from './station-state.js';

/** Minutes of the "open ≥ 30 min" chip (sent as open_for). */
export const OPEN_FOR_CHIP = 30;

// ---------------------------------------------------------------------------------------------
// the status line above the list, the list's loading flag
// ---------------------------------------------------------------------------------------------
export function setStatus(text, busy) {
  els.status.textContent = text;
  els.status.classList.toggle('busy', !!busy);
}

export function setLoading(on) {
  els.list.setAttribute('aria-busy', String(on));
  els.list.classList.toggle('loading', on);
  if (on) setStatus(t('status.loading'), true);
}

// ---------------------------------------------------------------------------------------------
// asking for the list
// ---------------------------------------------------------------------------------------------
const DEBOUNCE_MS = 250;
const ALONG_LIMIT = 50;

let inflight = null;
let seq = 0;
let debounceTimer = null;

// A phone that says it is online can still lose the first requests after a tunnel or a lift (and
// Chromium tells the page `online` before its service worker's fetches go through): when the list had
// to come from the saved area, or from nowhere, although the browser claims a network, ask the server
// again after 1, 2, 4 … 30 s, so the offline banner does not outlive the outage.
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;
let retryTimer = null;
let retryMs = RETRY_MIN_MS;

function retryLater() {
  clearTimeout(retryTimer);
  if (navigator.onLine === false || state.mode === 'route') return;
  retryTimer = setTimeout(() => refresh(), retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

function retrySucceeded() {
  clearTimeout(retryTimer);
  retryMs = RETRY_MIN_MS;
}

/** The browser says the network is back: ask now, and start the backoff afresh. */
export function networkBack() {
  retrySucceeded();
  refresh();
}

export function scheduleRefresh() {
  clearTimeout(debounceTimer);
  debounceTimer = setTimeout(() => refresh({ fit: true }), DEBOUNCE_MS);
}

export async function refresh({ fit = false } = {}) {
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
    ? { path, maxDistanceM: state.detour, amenities: state.amenities, openNow: state.openNow, openFor: state.openFor, limit: ALONG_LIMIT }
    : { lat: state.pos.lat, lon: state.pos.lon, k: K, amenities: state.amenities, openNow: state.openNow, openFor: state.openFor };
  setLoading(true);
  try {
    let fc = null;
    if (!route && navigator.onLine === false) fc = await offlineNearest(query);
    else if (!route) fc = takeFirstAnswer(query);
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
    if (!fc.offline) { retrySucceeded(); checkSavedVersion(fc.dataset_version); } else retryLater();
  } catch (e) {
    if (my !== seq || (e && e.name === 'AbortError')) return;
    const noNetwork = e instanceof ApiError && e.status === 0;
    if (noNetwork) retryLater();
    if (noNetwork && (route || navigator.onLine === false)) {
      state.offline = navigator.onLine === false;
      updateOfflineBanner();
      showBanner(route ? t('route.offline') : t('offline.none'), 'api');
    } else showBanner(e instanceof ApiError ? e.message : String(e), 'api');
    setStatus(e instanceof ApiError ? e.title : t('err.network'), false);
  } finally {
    if (my === seq) { setLoading(false); inflight = null; }
  }
}

export function resultStatus() {
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
/** Resolves when the first non-empty list is on screen (sw.js is registered after it). */
export const firstListShown = new Promise((r) => { firstListResolve = r; });

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

/** Great-circle length of a path [[lng, lat], …] in metres. */
export function pathLength(path) {
  let sum = 0;
  for (let i = 1; i < path.length; i++) sum += haversine(path[i - 1][1], path[i - 1][0], path[i][1], path[i][0]);
  return sum;
}

// ---------------------------------------------------------------------------------------------
// the list
// ---------------------------------------------------------------------------------------------
export function renderList() {
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
        // the first list's first name is what the performance test times (Element Timing), as on the server's list
        h('span', { class: 'item-name', text: p.name || id, elementtiming: i === 0 && !firstListMarked ? 'first-list' : null }),
        routeMeta,
        h('span', { class: 'item-meta' },
          h('span', { class: 'item-host', text: meta.filter(Boolean).join(' · ') }),
          Number.isFinite(d) && !route ? h('span', { class: 'item-time' },
            h('span', { class: 'walk', 'aria-label': t('dist.walk', { n: walkMinutes(d) }), text: t('dist.walk.short', { n: walkMinutes(d) }) }),
            h('span', { class: 'ride', 'aria-label': t('dist.ride', { n: rideMinutes(d) }), text: t('dist.ride.short', { n: rideMinutes(d) }) })) : null),
        h('span', { class: 'item-badges' }, badges(f), amenityChips(p.amenities)),
        stateBlock(f, 'item-state', { short: true })));
    const li = h('li', { class: 'item', dataset: route ? { id, alongM: String(along), distanceM: String(d) } : { id } }, btn);
    if (id === state.selectedId) { li.classList.add('selected'); btn.setAttribute('aria-current', 'true'); }
    return li;
  });
  if (!items.length && (route ? routePath() : state.pos) && state.lastQuery) {
    items.push(h('li', { class: 'empty', text: t(route ? 'route.empty' : 'list.empty') }));
  }
  fill(els.list, items);
  els.list.dataset.query = state.lastQuery;
}

// ---------------------------------------------------------------------------------------------
// the filter chips (open now, amenities): they change the state and the URL, then the list is asked again
// ---------------------------------------------------------------------------------------------
/** Amenity chips shown before "more" (index.html draws the same chips, so the first paint does not shift). */
const PRIMARY_CHIPS = ['24h', 'water', 'charging', 'rest'];
let chipsExpanded = false;

export function renderChips() {
  const chips = [
    h('button', {
      type: 'button', class: 'chip chip-open', 'aria-pressed': String(state.openNow), dataset: { key: 'open_now' },
      onclick: () => { state.openNow = !state.openNow; filtersChanged(); },
    }, h('span', { 'aria-hidden': 'true', text: '🟢' }), ' ', t('filter.open_now')),
    h('button', {
      type: 'button', class: 'chip chip-open-for', 'aria-pressed': String(state.openFor > 0), dataset: { key: 'open_for' },
      onclick: () => { state.openFor = state.openFor > 0 ? 0 : OPEN_FOR_CHIP; filtersChanged(); },
    }, h('span', { 'aria-hidden': 'true', text: '⏳' }), ' ', t('filter.open_for', { n: state.openFor || OPEN_FOR_CHIP })),
  ];
  // The six a rider needs most are always there; the rest wait behind "more" (unless one of them is on), so
  // that on a phone the list starts above the fold instead of under five rows of chips.
  const hidden = AMENITIES.filter((a) => !PRIMARY_CHIPS.includes(a.key) && !state.amenities.includes(a.key));
  for (const a of AMENITIES) {
    if (!chipsExpanded && hidden.includes(a)) continue;
    chips.push(h('button', {
      type: 'button', class: 'chip', 'aria-pressed': String(state.amenities.includes(a.key)), dataset: { key: a.key },
      onclick: () => toggleAmenity(a.key),
    }, h('span', { 'aria-hidden': 'true', text: a.icon }), ' ', amenityLabel(a.key)));
  }
  if (hidden.length) {
    chips.push(h('button', {
      type: 'button', class: 'chip chip-more', 'aria-expanded': String(chipsExpanded), dataset: { key: 'more' },
      onclick: () => { chipsExpanded = !chipsExpanded; renderChips(); },
    }, chipsExpanded ? t('filter.fewer') : t('filter.more', { n: hidden.length })));
  }
  fill(els.chips, chips);
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
// the rider's position: geolocation, a shared link, or a tap on the map (when there is no GPS fix, or in
// "pick on map" mode)
// ---------------------------------------------------------------------------------------------
export function locate() {
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
    showDefaultCenter();
  }
}

export function setPosition(lat, lon, source, accuracy) {
  state.pos = { lat, lon, source, accuracy: accuracy || null };
  writeUrl();
  drawUserMarker();
  refresh({ fit: true });
}

export function tapEnabled() {
  return state.pickMode || state.geoFailed || !state.pos || state.pos.source !== 'gps';
}

export function updatePickUi() {
  const route = state.mode === 'route';
  const on = tapEnabled() || route;
  // Taps always work without a GPS fix; the hint is shown only when the rider needs it.
  const needDest = route && !state.pickMode && !state.route.dest;
  els.tapHint.textContent = t(needDest ? 'route.tap_dest' : 'status.tap_to_set');
  els.tapHint.hidden = !(state.pickMode || needDest || (state.geoFailed && !state.pos));
  els.mapPane.classList.toggle('pick', on);
  els.btnPick.setAttribute('aria-pressed', String(state.pickMode));
}
