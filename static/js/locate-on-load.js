// Whether the page may ask for the rider's location as it opens. Asking without a tap is what browsers (and
// Lighthouse's "geolocation on start" audit) count against a page: a permission prompt nobody asked for. So the
// page locates at once only when the rider has already allowed it (or already refused: then no prompt appears
// and the usual "tap the map" message follows); otherwise it shows a big "use my location" button and waits.
// Browsers without the Permissions API keep the old behaviour (locate at once): they show the prompt anyway.
import { state, els } from './url-state.js';
import { locate, geoFailed } from './list.js';

/** Locates now if the permission is already decided; otherwise offers the big button. */
export async function locateOnLoad() {
  const btn = document.getElementById('btn-locate-big');
  let permission = 'unknown';
  try {
    permission = (await navigator.permissions.query({ name: 'geolocation' })).state;
  } catch { /* no Permissions API, or no "geolocation" name in it */ }
  if (state.pos) return; // a tap on the map came first
  if (permission !== 'prompt' || !btn) { locate(); return; }
  geoFailed('geo.ask');
  btn.hidden = false;
  btn.addEventListener('click', () => { btn.hidden = true; locate(); }, { once: true });
  // Any other way to a position (a tap on the map, "locate me" up in the map) makes the button moot.
  new MutationObserver((_, obs) => {
    if (!state.pos) return;
    btn.hidden = true;
    obs.disconnect();
  }).observe(els.list, { attributes: true, attributeFilter: ['data-query'] });
}
