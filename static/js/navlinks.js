// Navigation deep links (Amap, Baidu, the phone's maps app) for a station and for the two legs of "on my way".
// Pure functions: no DOM.
import { wgs84ToGcj02 } from './crs.js';

/**
 * Navigation deep links for one station. `f` has WGS-84 coordinates; `origin` is the rider's WGS-84 position.
 *
 * Amap (高德) URI API, "路线规划/导航" — https://lbs.amap.com/api/uri-api/guide/travel/route
 *   https://uri.amap.com/navigation?to=LNG,LAT,NAME&mode=ride&callnative=1&coordinate=gaode
 *   `coordinate=gaode` means the coordinates are GCJ-02, so they are converted from WGS-84 first.
 *   Without `from` Amap starts at the device's current position. Commas are removed from NAME (field separator).
 * Baidu (百度) URI API, Web "路线规划" — https://lbsyun.baidu.com/faq/api?title=webapi/uri/web
 *   https://api.map.baidu.com/direction?origin=latlng:LAT,LNG|name:ORIGIN&destination=latlng:LAT,LNG|name:NAME
 *     &coord_type=gcj02&mode=riding&region=北京&output=html&src=yizhan
 *   Both points are given in GCJ-02 and declared with coord_type=gcj02 (Baidu converts to BD-09 itself).
 *   Baidu uses lat,lng order here. "|" is removed from names (field separator).
 * Default maps app: geo URI (RFC 5870) with Android's label form,
 *   https://developer.android.com/guide/components/intents-common#Maps
 *   geo:LAT,LNG?q=LAT,LNG(NAME) — WGS-84, as RFC 5870 requires.
 */
export function navLinks(f, origin, originName = '我的位置') {
  const [lng, lat] = f.geometry.coordinates;
  const name = String(f.properties?.name || f.id);
  const [gLng, gLat] = wgs84ToGcj02(lng, lat);
  const n6 = (x) => x.toFixed(6);
  const amap = `https://uri.amap.com/navigation?to=${n6(gLng)},${n6(gLat)},${encodeURIComponent(name.replace(/,/g, ' '))}`
    + '&mode=ride&callnative=1&coordinate=gaode';
  const bName = encodeURIComponent(name.replace(/\|/g, ' '));
  let originPart = '';
  if (origin) {
    const [oLng, oLat] = wgs84ToGcj02(origin.lon, origin.lat);
    originPart = `origin=latlng:${n6(oLat)},${n6(oLng)}|name:${encodeURIComponent(originName.replace(/\|/g, ' '))}&`;
  }
  const baidu = `https://api.map.baidu.com/direction?${originPart}destination=latlng:${n6(gLat)},${n6(gLng)}|name:${bName}`
    + `&coord_type=gcj02&mode=riding&region=${encodeURIComponent('北京')}&output=html&src=yizhan`;
  const geo = `geo:${n6(lat)},${n6(lng)}?q=${n6(lat)},${n6(lng)}(${encodeURIComponent(name)})`;
  return { amap, baidu, geo };
}

/**
 * "On my way" hand-off, as two legs: rider → station, then station → destination.
 *
 * Neither web URI takes a via point for riding, so the chosen station cannot be put between the rider and the
 * destination in one link:
 *   - Amap https://uri.amap.com/navigation (https://lbs.amap.com/api/uri-api/guide/travel/route): `via=lon,lat,name`
 *     exists but "最多只支持添加一个途径点 · 途径点只在驾车模式下有效" — one via point, car mode only. Riders get
 *     mode=ride, so the page offers "go to the station" (navLinks above) and "then to the destination" (from=station).
 *   - Baidu https://api.map.baidu.com/direction (https://lbsyun.baidu.com/faq/api?title=webapi/uri/web) has no
 *     via/waypoints parameter at all. `waypoints=` belongs to Baidu's Web *service* (REST, needs a key:
 *     https://api.map.baidu.com/direction/v2/driving, lbsyun.baidu.com/faq/api?title=webapi/direction-api-v2),
 *     which answers JSON, not a navigation screen; the Android app URI baidumap://map/direction takes
 *     `viaPoints={"viaPoints":[{name,lat,lng}]}` in driving mode only (lbsyun.baidu.com/index.php?title=uri/api/android).
 *     So Baidu also gets two riding legs.
 * `from`/`to`: {lat, lon} WGS-84 (converted to GCJ-02 here) and a display name.
 */
export function legLinks(from, to) {
  const n6 = (x) => x.toFixed(6);
  const [fLng, fLat] = wgs84ToGcj02(from.lon, from.lat);
  const [tLng, tLat] = wgs84ToGcj02(to.lon, to.lat);
  const aName = (s) => encodeURIComponent(String(s).replace(/,/g, ' '));
  const bName = (s) => encodeURIComponent(String(s).replace(/\|/g, ' '));
  const amap = `https://uri.amap.com/navigation?from=${n6(fLng)},${n6(fLat)},${aName(from.name)}`
    + `&to=${n6(tLng)},${n6(tLat)},${aName(to.name)}&mode=ride&callnative=1&coordinate=gaode&src=yizhan`;
  const baidu = `https://api.map.baidu.com/direction?origin=latlng:${n6(fLat)},${n6(fLng)}|name:${bName(from.name)}`
    + `&destination=latlng:${n6(tLat)},${n6(tLng)}|name:${bName(to.name)}`
    + `&coord_type=gcj02&mode=riding&region=${encodeURIComponent('北京')}&output=html&src=yizhan`;
  return { amap, baidu };
}
