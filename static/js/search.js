// Asking for the list: GET /stations/nearest (or /stations/along for "on my way"; the saved area when
// offline), one request at a time, and showing the answer in the list, on the map and in the status line.
import { t } from './i18n.js';
import { state, els, routePath } from './store.js';
import { api, ApiError, K } from './api.js';
import { setStatus, setLoading, showBanner, hideBanner } from './status.js';
import { formatLen, pathLength } from './format.js';
import { validFeature } from './station.js';
import { renderList } from './list.js';
import { renderMarkers, drawRoute } from './map.js';
import { openDetails, closeDetails } from './details.js';
import { offlineNearest, updateOfflineBanner, checkSavedVersion } from './offline.js';

const DEBOUNCE_MS = 250;
const ALONG_LIMIT = 50;

let inflight = null;
let seq = 0;
let debounceTimer = null;

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
