// "On my way" input: turn what a rider pastes into WGS-84 points.
// Pure functions (no DOM), also imported by the browser tests' unit checks.
//
// Accepted (anything else gives an Error whose message is an i18n key):
//   1. An Amap-style path "lng,lat;lng,lat;…" (2..2000 points), or one "lng,lat" (a destination). These carry
//      no CRS, so the caller says which (`crs`, default gcj02: paths copied from Amap are GCJ-02).
//   2. Amap Web URI links (https://lbs.amap.com/api/uri-api/guide/travel/route, …/guide/mark/mark):
//        https://uri.amap.com/navigation?from=LNG,LAT[,NAME]&to=LNG,LAT[,NAME][&via=LNG,LAT[,NAME]][&coordinate=gaode|wgs84]
//        https://uri.amap.com/marker?position=LNG,LAT[&coordinate=gaode|wgs84]
//      GCJ-02 unless coordinate=wgs84.
//   3. Amap app URIs (https://lbs.amap.com/api/amap-mobile/guide/android/route):
//        amapuri://route/plan/?slat=&slon=&dlat=&dlon=&dev=0|1   (also androidamap://route, iosamap://path)
//        amapuri://viewMap?lat=&lon=&dev=  androidamap://viewMap?…  iosamap://navi?lat=&lon=&dev=
//      dev=1 means the coordinates are WGS-84 (Amap converts them), otherwise GCJ-02.
//   4. Amap web site directions: https://www.amap.com/dir?from[lnglat]=LNG,LAT&to[lnglat]=LNG,LAT (GCJ-02;
//      also ditu.amap.com).
//   5. Baidu URI API (https://lbsyun.baidu.com/faq/api?title=webapi/uri/web, …/uri/andriod):
//        https://api.map.baidu.com/direction?origin=latlng:LAT,LNG|name:…&destination=latlng:LAT,LNG|name:…&coord_type=…
//        https://api.map.baidu.com/marker?location=LAT,LNG&coord_type=…
//        baidumap://map/direction?… bdapp://map/direction?… baidumap://map/marker?location=… (same parameters)
//      coord_type bd09ll (Baidu's default when absent), gcj02 or wgs84; bd09mc (Mercator metres) is refused.
//      Points given only by name ("origin=天安门") cannot be used without a geocoder: such an origin is dropped
//      (the route starts at the rider), such a destination is an error.
//   6. geo: URIs (RFC 5870): geo:LAT,LNG[?q=…] — WGS-84.
// Short share links (surl.amap.com/…, j.map.baidu.com/…, map.baidu.com/?shareurl…) hide the coordinates
// behind a redirect that this page cannot follow (connect-src 'self'), so they are refused with a hint.
//
// Result: { points: [[lng, lat], …] WGS-84, hasOrigin, source, names }.
// hasOrigin = false means the first point is NOT a start: the route starts at the rider's position.

import { gcj02ToWgs84, bd09ToGcj02 } from './crs.js';

export const MAX_POINTS = 2000;

const URL_RE = /(?:https?:\/\/|amapuri:\/\/|androidamap:\/\/|iosamap:\/\/|baidumap:\/\/|bdapp:\/\/|geo:)[^\s"'<>，。）)]+/i;
const SHORT_RE = /^(?:https?:\/\/)?(?:surl\.amap\.com|j\.map\.baidu\.com|dwz\.cn|t\.cn|url\.cn)\//i;

function err(key) { const e = new Error(key); e.key = key; return e; }

function num(s) {
  const v = Number.parseFloat(String(s).trim());
  return Number.isFinite(v) ? v : NaN;
}

function checkLngLat(lng, lat) {
  if (!Number.isFinite(lng) || !Number.isFinite(lat) || Math.abs(lng) > 180 || Math.abs(lat) > 90) {
    throw err('route.err.coords');
  }
  return [lng, lat];
}

/** [lng, lat] in `crs` → WGS-84 [lng, lat]. */
export function toWgs(lng, lat, crs) {
  checkLngLat(lng, lat);
  if (crs === 'wgs84') return [lng, lat];
  if (crs === 'gcj02') return gcj02ToWgs84(lng, lat);
  if (crs === 'bd09') { const [g1, g2] = bd09ToGcj02(lng, lat); return gcj02ToWgs84(g1, g2); }
  throw err('route.err.crs');
}

/** "lng,lat;lng,lat;…" → [[lng, lat], …] (no conversion). */
export function parsePath(text) {
  const parts = String(text).trim().replace(/[；]/g, ';').replace(/[，]/g, ',').split(/\s*;\s*/).filter(Boolean);
  if (!parts.length) throw err('route.err.empty');
  if (parts.length > MAX_POINTS) throw err('route.err.too_long');
  return parts.map((p) => {
    const m = p.match(/^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/);
    if (!m) throw err('route.err.format');
    return checkLngLat(Number(m[1]), Number(m[2]));
  });
}

/** "LNG,LAT[,NAME]" (Amap order) → {pt, name} or null. */
function amapPoint(v) {
  if (!v) return null;
  const [a, b, ...rest] = String(v).split(',');
  const lng = num(a);
  const lat = num(b);
  if (!Number.isFinite(lng) || !Number.isFinite(lat)) return null;
  return { pt: checkLngLat(lng, lat), name: rest.join(',') || '' };
}

/** Baidu point "latlng:LAT,LNG|name:X", "name:X|latlng:LAT,LNG" or "LAT,LNG" → {pt:[lng,lat], name} or null. */
function baiduPoint(v) {
  if (!v) return null;
  const s = String(v);
  let name = '';
  let ll = null;
  for (const part of s.split('|')) {
    const m = part.match(/^\s*(latlng|name|addr)\s*:(.*)$/i);
    if (m && m[1].toLowerCase() === 'latlng') ll = m[2];
    else if (m && m[1].toLowerCase() === 'name') name = m[2];
    else if (!m && /^\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*$/.test(part)) ll = part;
  }
  if (!ll) return null;
  const [a, b] = ll.split(',');
  return { pt: checkLngLat(num(b), num(a)), name };
}

function baiduCrs(params) {
  const c = (params.get('coord_type') || 'bd09ll').toLowerCase();
  if (c === 'bd09ll') return 'bd09';
  if (c === 'gcj02') return 'gcj02';
  if (c === 'wgs84') return 'wgs84';
  throw err('route.err.crs');
}

function finish(list, hasOrigin, source, crs) {
  const pts = list.filter(Boolean);
  if (!pts.length) throw err('route.err.no_coords');
  return {
    points: pts.map((p) => toWgs(p.pt[0], p.pt[1], crs)),
    names: pts.map((p) => p.name || ''),
    hasOrigin: hasOrigin && pts.length > 1,
    source,
  };
}

function parseUrl(raw) {
  // app schemes are not "special" for URL(): give them a host-like form the parser understands
  const u = new URL(raw.replace(/^(amapuri|androidamap|iosamap|baidumap|bdapp):\/\//i, 'https://$1.scheme/'));
  const host = u.hostname.toLowerCase();
  const where = `${host}${u.pathname}`.toLowerCase();
  const p = u.searchParams;

  if (host === 'uri.amap.com') {
    const crs = (p.get('coordinate') || 'gaode').toLowerCase() === 'wgs84' ? 'wgs84' : 'gcj02';
    if (u.pathname.startsWith('/navigation')) {
      const from = amapPoint(p.get('from'));
      const to = amapPoint(p.get('to'));
      if (!to) throw err('route.err.no_coords');
      return finish([from, amapPoint(p.get('via')), to], !!from, 'amap', crs);
    }
    if (u.pathname.startsWith('/marker')) return finish([amapPoint(p.get('position'))], false, 'amap', crs);
    throw err('route.err.unsupported');
  }
  if (host === 'www.amap.com' || host === 'amap.com' || host === 'ditu.amap.com' || host === 'm.amap.com') {
    const from = amapPoint(p.get('from[lnglat]'));
    const to = amapPoint(p.get('to[lnglat]') || p.get('dest'));
    if (!to) throw err('route.err.no_coords');
    return finish([from, to], !!from, 'amap', 'gcj02');
  }
  if (/^(amapuri|androidamap|iosamap)\.scheme$/.test(host)) {
    const crs = p.get('dev') === '1' ? 'wgs84' : 'gcj02';
    const pt = (lat, lon) => (p.get(lat) !== null && p.get(lon) !== null
      ? { pt: checkLngLat(num(p.get(lon)), num(p.get(lat))), name: '' } : null);
    if (/\/(route|path)/.test(u.pathname) || p.get('dlat') !== null) {
      const from = pt('slat', 'slon');
      const to = pt('dlat', 'dlon');
      if (!to) throw err('route.err.no_coords');
      return finish([from, to], !!from, 'amap', crs);
    }
    return finish([pt('lat', 'lon')], false, 'amap', crs);
  }
  if (host === 'api.map.baidu.com' || /^(baidumap|bdapp)\.scheme$/.test(host)) {
    const crs = baiduCrs(p);
    if (where.includes('/direction')) {
      const to = baiduPoint(p.get('destination'));
      if (!to) throw err('route.err.no_coords');
      const from = baiduPoint(p.get('origin'));
      return finish([from, to], !!from, 'baidu', crs);
    }
    if (where.includes('/marker') || where.includes('/geocoder')) {
      return finish([baiduPoint(p.get('location'))], false, 'baidu', crs);
    }
    throw err('route.err.unsupported');
  }
  throw err('route.err.unsupported');
}

/**
 * Parse what the rider pasted. `crs` applies to bare coordinates only (links say their own CRS).
 * @returns {{points: number[][], names: string[], hasOrigin: boolean, source: string}}
 */
export function parseRouteInput(text, { crs = 'gcj02' } = {}) {
  const s = String(text || '').trim();
  if (!s) throw err('route.err.empty');
  if (SHORT_RE.test(s) || /map\.baidu\.com\/\?shareurl|map\.baidu\.com\/mobile\/webapp\/index\/index\/.*shareurl/i.test(s)) {
    throw err('route.err.short');
  }
  const m = s.match(URL_RE);
  if (m) {
    const raw = m[0];
    if (SHORT_RE.test(raw)) throw err('route.err.short');
    if (/^geo:/i.test(raw)) {
      const g = raw.match(/^geo:\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)/i);
      if (!g) throw err('route.err.no_coords');
      return finish([{ pt: checkLngLat(Number(g[2]), Number(g[1])), name: '' }], false, 'geo', 'wgs84');
    }
    let parsed;
    try { parsed = parseUrl(raw); } catch (e) {
      if (e && e.key) throw e;
      throw err('route.err.unsupported');
    }
    return parsed;
  }
  const pts = parsePath(s);
  return {
    points: pts.map(([lng, lat]) => toWgs(lng, lat, crs)),
    names: pts.map(() => ''),
    hasOrigin: pts.length > 1,
    source: 'path',
  };
}
