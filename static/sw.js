// yizhan service worker: the rider page works offline.
// Served at /sw.js (scope "/"), registered by js/offline.js after the first list is shown.
//
//   - install: precache the page and every file it loads (CACHE is versioned: bump VERSION whenever a
//     file below changes, so that riders get the new files and the old cache is dropped);
//   - activate: delete caches of older versions, take control of open pages;
//   - fetch (same-origin GET only):
//       navigations (the HTML)           network first, cached "/" when offline;
//       /vendor/**                       cache first (Leaflet, markercluster: they never change in place);
//       the page's own files, icons      network first, cache as fallback (fresh after a deploy);
//       /api/**, /admin*, /metrics, …    never touched: not cached, not answered here (the page keeps its
//                                        own saved stations in IndexedDB, see js/offline.js).
//   Cross-origin requests (map tiles) are left to the browser.

const VERSION = '2026-12-02.5';
const CACHE = `yizhan-${VERSION}`;
const PREFIX = 'yizhan-';

const PRECACHE = [
  '/',
  '/app.css',
  '/app.js',
  '/js/i18n.js',
  '/js/i18n-rider.js',
  '/js/h.js',
  '/js/crs.js',
  '/js/api.js',
  '/js/url-state.js',
  '/js/map.js',
  '/js/offline.js',
  '/js/station-state.js',
  '/js/details.js',
  '/js/list.js',
  '/js/route.js',
  '/js/locate-on-load.js',
  '/js/elder.js',
  '/js/links.js', // loaded on the first pasted route
  '/js/tickets.js', // loaded for "My reports" and follow links
  '/manifest.webmanifest',
  '/icons/favicon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/vendor/leaflet/leaflet.css',
  '/vendor/leaflet/leaflet.js',
  '/vendor/leaflet/images/layers.png',
  '/vendor/leaflet/images/layers-2x.png',
  '/vendor/leaflet.markercluster/MarkerCluster.css',
  '/vendor/leaflet.markercluster/MarkerCluster.Default.css',
  '/vendor/leaflet.markercluster/leaflet.markercluster.js',
];

/** Paths this worker must never answer or store. */
function isPrivate(pathname) {
  return pathname.startsWith('/api/')
    || pathname === '/admin' || pathname.startsWith('/admin/') || pathname.startsWith('/admin.')
    || pathname.startsWith('/admin-')
    || pathname === '/metrics' || pathname === '/healthz' || pathname === '/openapi.json'
    || pathname === '/sw.js';
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' skips the HTTP cache (assets are served with max-age=3600).
    await cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

async function put(request, response) {
  if (!response || !response.ok || response.type !== 'basic') return;
  const cache = await caches.open(CACHE);
  await cache.put(request, response);
}

async function networkFirst(request, fallbackKey) {
  try {
    const res = await fetch(request);
    // A page with a first answer (a shared link's place and stations) is no-store: never kept, offline or not.
    if (res.ok && !/no-store/.test(res.headers.get('cache-control') || '')) await put(fallbackKey || request, res.clone());
    return res;
  } catch (e) {
    const cache = await caches.open(CACHE);
    // ignoreVary: the server varies on Accept-Encoding/Origin, which the browser sets below the Request object.
    const hit = await cache.match(fallbackKey || request, { ignoreSearch: !!fallbackKey, ignoreVary: true });
    if (hit) return hit;
    throw e;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreVary: true });
  if (hit) return hit;
  const res = await fetch(request);
  await put(request, res.clone());
  return res;
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || isPrivate(url.pathname)) return;
  if (req.mode === 'navigate') {
    // Only the rider page itself ("/" with any query) is kept for offline use.
    if (url.pathname !== '/' && url.pathname !== '/index.html') return;
    event.respondWith(networkFirst(req, '/'));
    return;
  }
  if (url.pathname.startsWith('/vendor/')) {
    event.respondWith(cacheFirst(req));
    return;
  }
  event.respondWith(networkFirst(req));
});
