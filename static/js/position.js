// The rider's position: geolocation, a shared link, or a tap on the map (when there is no GPS fix, or in
// "pick on map" mode).
import { t } from './i18n.js';
import { state, els } from './store.js';
import { setStatus, showBanner, hideBanner } from './status.js';
import { writeUrl } from './urlstate.js';
import { drawUserMarker, showDefaultCenter } from './map.js';
import { refresh } from './search.js';

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
