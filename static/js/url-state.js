// The rider page's state: one small store that the modules read and write directly (whatever only one
// module needs stays in that module), the elements (looked up once at boot by app.js), the banner (errors,
// hints, notices), and the URL as the shareable form of the state:
// /?lat=&lon=&amenities=water,charging&open_now=true&open_for=30, and for "on my way" &to=LNG,LAT or
// &path=LNG,LAT;LNG,LAT;… (WGS-84) with &max_distance_m=300|1000|3000.
import { t } from './i18n.js';

export const DEFAULT_DETOUR = 300; // max_distance_m of "on my way" unless the link says otherwise

export const state = {
  pos: null, // {lat, lon, source: 'gps'|'url'|'tap', accuracy}
  amenities: [], // selected filter keys, in chip order
  openNow: false,
  openFor: 0, // minutes the station must stay open (the "open ≥ 30 min" chip); 0 = no such filter
  stations: [], // features of the last answer
  selectedId: null,
  pickMode: false, // tap-on-map sets the position
  geoFailed: false,
  geoMessage: null, // i18n key of the last geolocation failure
  lastQuery: '',
  mode: 'near', // 'near' | 'route' (顺路)
  // dest {lat, lon}; path [[lng,lat],…] WGS-84 when the pasted route has its own start; via: points between rider and dest
  route: { dest: null, path: null, via: [], names: [] },
  detour: DEFAULT_DETOUR, // max_distance_m for /stations/along
  offline: false, // the list comes from the saved area
};

/** Elements by role (filled by app.js before anything renders). */
export const els = {};

/** The route as [[lng, lat], …] WGS-84, or null: a pasted path, or straight from the rider to the destination. */
export function routePath() {
  const { path, dest } = state.route;
  if (path) return path;
  if (dest && state.pos) return [[state.pos.lon, state.pos.lat], ...(state.route.via || []), [dest.lon, dest.lat]];
  return null;
}

// ---- the banner

let bannerTimer = null;

/** kind: 'error' | 'warn' (geolocation) | 'api' (last request failed) | 'info'. */
export function showBanner(text, kind = 'error', autoHideMs = 0) {
  clearTimeout(bannerTimer);
  els.bannerText.textContent = text;
  els.banner.dataset.kind = kind;
  els.banner.hidden = false;
  if (autoHideMs) bannerTimer = setTimeout(hideBanner, autoHideMs);
}

export function hideBanner() {
  clearTimeout(bannerTimer);
  els.banner.hidden = true;
  els.banner.dataset.kind = '';
}

// ---- the URL

const DETOURS = [300, 1000, 3000]; // max_distance_m (off the route) choices of "on my way"; the detour is about twice that
const URL_PATH_MAX = 200; // pasted paths longer than this are not written into the shareable link

/** What the address bar asks for: {pos, amenities, openNow, openFor, ticket, route, mode, detour}. */
export function readUrl() {
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
  const openFor = Number.parseInt(p.get('open_for') || '', 10);
  out.openFor = openFor >= 1 && openFor <= 1440 ? openFor : 0;
  out.ticket = /^[A-Za-z0-9-]{4,40}$/.test(p.get('ticket') || '') ? p.get('ticket').toUpperCase() : null;
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

export function shareUrl() {
  const p = new URLSearchParams();
  if (state.pos) {
    p.set('lat', state.pos.lat.toFixed(6).replace(/\.?0+$/, ''));
    p.set('lon', state.pos.lon.toFixed(6).replace(/\.?0+$/, ''));
  }
  if (state.amenities.length) p.set('amenities', state.amenities.join(','));
  if (state.openNow) p.set('open_now', 'true');
  if (state.openFor) p.set('open_for', String(state.openFor));
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

/** Keep the address bar in step with the state (no history entry). */
export function writeUrl() {
  try { history.replaceState(null, '', shareUrl()); } catch (_) { /* ignore (e.g. sandboxed) */ }
}

/** The share button: the system share sheet, else the clipboard, else the link shown to copy by hand. */
export async function share() {
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
