// The rider page's shared state (one small store) and its elements, looked up once at boot (app.js).
// Modules read and write `state` directly; whatever only one module needs stays in that module.

export const DEFAULT_DETOUR = 300; // max_distance_m of "on my way" unless the link says otherwise

export const state = {
  pos: null, // {lat, lon, source: 'gps'|'url'|'tap', accuracy}
  amenities: [], // selected filter keys, in chip order
  openNow: false,
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
