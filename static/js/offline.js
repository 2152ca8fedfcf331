// Offline use of the rider page: "save my area" (saved-area.js keeps it in IndexedDB, loaded on demand),
// the nearest list from it when the network is gone, the offline banner, and registering sw.js.
import { t } from './i18n.js';
import { state, els } from './store.js';
import { api } from './api.js';
import { showBanner } from './status.js';
import { formatLen } from './format.js';
import { validFeature } from './station.js';

const SAVE_RADIUS_M = 5000; // "save my area": stations within ~5 km of the rider

let offlineModule = null;
let areaFeatures = null;
let summary = null; // the saved area in short: {savedAt, datasetVersion, count, center, radiusM}
let datasetVersion = null; // of the server's last online answer
let saving = false;

function offlineLib() {
  if (!offlineModule) offlineModule = import('./saved-area.js').catch((e) => { offlineModule = null; throw e; });
  return offlineModule;
}

async function loadSavedArea() {
  const off = await offlineLib();
  const area = await off.loadArea();
  areaFeatures = area && Array.isArray(area.features) ? area.features : null;
  summary = areaFeatures ? {
    savedAt: area.savedAt, datasetVersion: area.datasetVersion, count: areaFeatures.length, center: area.center, radiusM: area.radiusM,
  } : null;
  renderAreaStatus();
  if (datasetVersion) checkSavedVersion(datasetVersion);
  return area;
}

/** The nearest list computed from the saved area, or null when nothing is saved (or saved-area.js is unavailable). */
export async function offlineNearest(query) {
  let off;
  try { off = await offlineLib(); if (!areaFeatures) await loadSavedArea(); } catch (_) { return null; }
  if (!areaFeatures) return null;
  return { type: 'FeatureCollection', offline: true, features: off.nearestOffline(areaFeatures, query) };
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
    const off = await offlineLib();
    const bbox = off.bboxAround(c.lat, c.lon, SAVE_RADIUS_M);
    const fc = await api.list({ bbox });
    const features = (fc && Array.isArray(fc.features) ? fc.features : []).filter(validFeature).map(off.toSaved);
    const area = {
      features, savedAt: Date.now(), datasetVersion: fc.dataset_version || null, center: c, radiusM: SAVE_RADIUS_M, bbox,
    };
    await off.storeArea(area);
    areaFeatures = features;
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
