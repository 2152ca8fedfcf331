// The map (Leaflet + markercluster, loaded with `defer` by index.html). Everything here is optional:
// without Leaflet or tiles the list still works. Stations and the rider are WGS-84; the tiles may be
// GCJ-02 (GET /api/v1/config), so every point is converted on the way in and out.
import { h } from './h.js';
import { t } from './i18n.js';
import { formatDistance, formatLen } from './i18n-rider.js';
import { openStatus } from './api.js';
import { state, els, routePath } from './url-state.js';
import { wgs84ToGcj02, gcj02ToWgs84 } from './crs.js';

const DEFAULT_CENTER = { lat: 39.9087, lon: 116.3975 }; // 天安门, WGS-84
const DEFAULT_TILES = Object.freeze({
  url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
  attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
  crs: 'wgs84',
  max_zoom: 19,
});
const CONFIG_WAIT_MS = 2500; // the map waits this long for /api/v1/config before using OSM defaults

let map = null;
let cluster = null;
let userLayer = null;
let routeLayer = null;
let tiles = { ...DEFAULT_TILES };
const markers = new Map(); // id → L.Marker
let pendingFit = false;
let onMarker = () => {};

function gcjTiles() { return tiles.crs === 'gcj02'; }

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

// Leaflet (the map) is loaded by this module, not by the page: as render-blocking stylesheets and deferred
// scripts it shared a phone's bandwidth with the page's own stylesheet and delayed the first list by about half
// a second on "Fast 3G"; the list never needs it. Scripts inserted with async=false still run in order.
const LEAFLET_CSS = ['/vendor/leaflet/leaflet.css', '/vendor/leaflet.markercluster/MarkerCluster.css',
  '/vendor/leaflet.markercluster/MarkerCluster.Default.css'];
const LEAFLET_JS = ['/vendor/leaflet/leaflet.js', '/vendor/leaflet.markercluster/leaflet.markercluster.js'];

/** Loads Leaflet and its cluster plugin; true when Leaflet itself is usable (the clusters are optional). Waits
 * for the stylesheets too: a map built before its styles arrive jumps when they do (a layout shift). */
function leafletReady() {
  if (window.L && window.L.map) return Promise.resolve(true);
  const loaded = (el) => new Promise((resolve) => {
    el.onload = () => resolve(true);
    el.onerror = () => resolve(false);
    document.head.append(el);
  });
  const css = LEAFLET_CSS.map((href) => loaded(h('link', { rel: 'stylesheet', href })));
  const js = LEAFLET_JS.map((src) => {
    const s = document.createElement('script');
    s.src = src;
    s.async = false;
    return loaded(s);
  });
  return Promise.all([...js, ...css]).then(([leaflet]) => leaflet && !!(window.L && window.L.map));
}

/**
 * Build the map once Leaflet and the tile config are there. `onClick(p)` gets a tap as WGS-84 {lat, lon};
 * `onMarkerClick(id)` a tapped station.
 */
export async function initMap(configPromise, { onClick, onMarkerClick }) {
  onMarker = onMarkerClick;
  const [hasLeaflet, cfg] = await Promise.all([
    leafletReady(),
    Promise.race([configPromise, new Promise((r) => setTimeout(() => r(null), CONFIG_WAIT_MS))]),
  ]);
  tiles = normalizeTiles(cfg);
  if (!hasLeaflet) { showMapMsg(t('map.unavailable')); return; }
  const L = window.L;
  const centre = state.pos || DEFAULT_CENTER;
  map = L.map(els.map, { zoomControl: true, maxZoom: tiles.max_zoom, tapTolerance: 20 })
    .setView(toDisplay(centre.lat, centre.lon), state.pos ? 15 : 14);
  const opts = { attribution: tiles.attribution, maxZoom: tiles.max_zoom };
  if (tiles.subdomains) opts.subdomains = tiles.subdomains;
  const layer = L.tileLayer(tiles.url, opts).addTo(map);
  let loaded = 0;
  let failed = 0;
  layer.on('tileload', () => { loaded += 1; els.mapMsg.hidden = true; });
  layer.on('tileerror', () => { failed += 1; if (!loaded && failed >= 2) showMapMsg(t('map.unavailable')); });
  cluster = typeof L.markerClusterGroup === 'function'
    ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 36, disableClusteringAtZoom: 16, spiderfyOnMaxZoom: true })
    : L.layerGroup();
  cluster.addTo(map);
  map.on('click', (e) => onClick(fromDisplay(e.latlng)));
  els.map.dataset.ready = 'true';
  drawUserMarker();
  drawRoute();
  renderMarkers({ fit: pendingFit || !!state.stations.length });
}

function showMapMsg(text) {
  els.mapMsg.textContent = text;
  els.mapMsg.hidden = false;
}

/** Without a position: show central Beijing. */
export function showDefaultCenter() {
  if (map) map.setView(toDisplay(DEFAULT_CENTER.lat, DEFAULT_CENTER.lon), 14);
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

export function renderMarkers({ fit = false } = {}) {
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
    m.on('click', () => onMarker(id));
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

export function drawUserMarker() {
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
  els.map.dataset.crs = tiles.crs;
}

/** The route line (straight segments, or the pasted path) and the destination flag. */
export function drawRoute() {
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

/** Draw station `id` as selected (null: none). */
export function highlightMarker(id) {
  state.stations.forEach((f, i) => {
    const m = markers.get(String(f.id));
    if (!m) return;
    const sel = String(f.id) === id;
    m.setIcon(markerIcon(f, i, sel));
    m.setZIndexOffset(sel ? 1000 : 0);
  });
}

/** No station selected on the map: plain markers, popup closed. */
export function clearMarkerSelection() {
  if (map) { highlightMarker(null); map.closePopup(); }
}

export function focusMarker(id) {
  const m = markers.get(id);
  if (!map || !m) return;
  // The popup opens when the pan is over. Opened during the pan, its autoPan stops the pan; the clusters
  // redrawn on that 'moveend' can take the marker (and the popup) off the map in the middle of openPopup(),
  // and Leaflet 1.9.4 then throws "Cannot read properties of null (reading 'layerPointToContainerPoint')",
  // so select() never opened the details (a quick tap on the next item after "back").
  const open = () => {
    map.once('moveend', () => { if (state.selectedId === id && map.hasLayer(m)) m.openPopup(); });
    map.panTo(m.getLatLng());
  };
  if (cluster && typeof cluster.zoomToShowLayer === 'function') cluster.zoomToShowLayer(m, open);
  else open();
}
