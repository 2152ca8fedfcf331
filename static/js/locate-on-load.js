// Whether the page may ask for the rider's location as it opens. Asking without a tap is what browsers (and
// Lighthouse's "geolocation on start" audit) count against a page: a permission prompt nobody asked for. So the
// page locates at once only when the rider has already allowed it (or already refused: then no prompt appears
// and the usual "tap the map" message follows); otherwise the big "use my location" button stays and asks on a
// tap. Browsers without the Permissions API keep the old behaviour (locate at once): they prompt anyway.
// The button is in the page from the start and only ever hidden, so nothing below it jumps when it is decided
// (a banner or a button appearing after the first paint is a layout shift).
import { t } from './i18n.js';
import { state, els } from './url-state.js';
import { locate, setStatus, updatePickUi } from './list.js';
import { showDefaultCenter } from './map.js';

/** `wanted`: the page has no position of its own (no shared link). */
export async function locateOnLoad(wanted) {
  const btn = document.getElementById('btn-locate-big');
  const hide = () => { if (btn) btn.hidden = true; };
  if (!wanted) { hide(); return; }
  let permission = 'unknown';
  try {
    permission = (await navigator.permissions.query({ name: 'geolocation' })).state;
  } catch { /* no Permissions API, or no "geolocation" name in it */ }
  if (state.pos) { hide(); return; } // a tap on the map came first
  if (permission !== 'prompt' || !btn) { hide(); locate(); return; }
  // Not asked yet: taps on the map set the position meanwhile, as when locating failed, but without the
  // warning banner (nothing failed).
  state.geoFailed = true;
  setStatus(t('geo.ask'), false);
  showDefaultCenter();
  updatePickUi();
  btn.addEventListener('click', () => { hide(); locate(); }, { once: true });
  // Any other way to a position (a tap on the map, "locate me" on the map) makes the button moot.
  new MutationObserver((_, obs) => {
    if (!state.pos) return;
    hide();
    obs.disconnect();
  }).observe(els.list, { attributes: true, attributeFilter: ['data-query'] });
}
