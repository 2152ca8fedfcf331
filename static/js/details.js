// A station on the page: selecting it (from the list or the map), its details view (address, phone, hours,
// amenities, navigation links — one leg, or two in "on my way" — and the report button), the pieces the list
// shows too (badges, host, amenity chips and their labels), the navigation deep links, and the report dialog
// (POST /api/v1/stations/{id}/reports).
import { h, fill } from './h.js';
import { t, getLang } from './i18n.js';
import { formatDistance, formatLen, walkMinutes, rideMinutes } from './i18n-rider.js';
import { api, ApiError, is24h, openStatus, isSuspended } from './api.js';
import { stateBlock } from './station-state.js';
import { state, els, routePath } from './url-state.js';
import { highlightMarker, focusMarker, clearMarkerSelection } from './map.js';
import { wgs84ToGcj02 } from './crs.js';

// ---------------------------------------------------------------------------------------------
// selection and the details view
// ---------------------------------------------------------------------------------------------
/** `from`: 'list' | 'map' (focus moves to the details) or 'refresh'. */
export function select(id, from) {
  state.selectedId = id;
  els.list.querySelectorAll('.item').forEach((li) => {
    const sel = li.dataset.id === id;
    li.classList.toggle('selected', sel);
    const b = li.querySelector('.item-btn');
    if (sel) b.setAttribute('aria-current', 'true'); else b.removeAttribute('aria-current');
    if (sel && from === 'map') li.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  });
  highlightMarker(id);
  if (from === 'list') focusMarker(id);
  openDetails(id, { from });
}

function phoneLinks(phone) {
  return String(phone).split(/[;；,，、/]/).map((s) => s.trim()).filter(Boolean).map((s) => {
    const tel = s.replace(/[^0-9+]/g, '');
    return tel ? h('a', { class: 'tel', href: `tel:${tel}`, text: s }) : h('span', { text: s });
  });
}

export function openDetails(id, { from } = {}) {
  const f = state.stations.find((x) => String(x.id) === id);
  if (!f) return;
  const p = f.properties || {};
  const d = Number(p.distance_m);
  const route = state.mode === 'route';
  const path = route ? routePath() : null;
  // Leg 1 starts at the rider (or at the pasted route's start when there is no GPS position).
  const origin = state.pos || (path ? { lat: path[0][1], lon: path[0][0] } : null);
  const links = navLinks(f, origin, t('nav.origin'));
  const dest = route && path ? { lat: path[path.length - 1][1], lon: path[path.length - 1][0] } : null;
  const leg2 = dest ? legLinks(
    { lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0], name: p.name || id },
    { ...dest, name: state.route.names?.[state.route.names.length - 1] || t('route.dest_name') },
  ) : null;
  const hours = !p.opening_hours ? t('details.hours.unknown') : is24h(f) ? `${t('details.hours.247')} (${p.opening_hours})` : p.opening_hours;
  const kind = p.kind ? t(`kind.${p.kind}`) : '';
  const row = (label, ...value) => [h('dt', { text: label }), h('dd', {}, ...value)];
  const content = [
    h('div', { class: 'details-top' },
      h('button', { type: 'button', class: 'act-btn back-btn', onclick: () => closeDetails(true) },
        h('span', { 'aria-hidden': 'true', text: '← ' }), t('btn.back'))),
    h('h2', { id: 'details-name', class: 'details-name', tabindex: '-1', text: p.name || id }),
    h('p', { class: 'details-kind', text: [kind.startsWith('kind.') ? p.kind : kind, hostLabel(p)].filter(Boolean).join(' · ') }),
    h('p', { class: 'details-badges' }, badges(f),
      route && Number.isFinite(Number(p.along_m)) && Number.isFinite(d)
        ? h('span', { class: 'details-dist', text: `${t('route.after', { d: formatLen(Number(p.along_m)) })} · ${t('route.detour', { d: formatLen(2 * d) })}` })
        : Number.isFinite(d) ? h('span', { class: 'details-dist', text: `${formatDistance(d)} · ${t('dist.walk', { n: walkMinutes(d) })} · ${t('dist.ride', { n: rideMinutes(d) })}` }) : null),
    stateBlock(f, 'details-state'),
    h('dl', { class: 'details-list' },
      row(t('details.address'), (p.address && p.district && !String(p.address).startsWith(p.district)
        ? `${p.district} ${p.address}` : p.address || p.district) || t('details.none')),
      row(t('details.phone'), ...(p.phone ? phoneLinks(p.phone) : [t('details.none')])),
      row(t('details.hours'), hours),
      row(t('details.amenities'), ...(Array.isArray(p.amenities) && p.amenities.length
        ? [h('span', { class: 'am-list' }, amenityChips(p.amenities, 'am am-big'))] : [t('details.none')]))),
    h('h3', { class: 'details-sub', text: t(leg2 ? 'route.nav1' : 'details.navigate') }),
    h('div', { class: 'nav-links' },
      h('a', { class: 'act-btn nav-btn nav-amap', href: links.amap, target: '_blank', rel: 'noopener', text: t('nav.amap') }),
      h('a', { class: 'act-btn nav-btn nav-baidu', href: links.baidu, target: '_blank', rel: 'noopener', text: t('nav.baidu') }),
      h('a', { class: 'act-btn nav-btn nav-geo', href: links.geo, text: t('nav.geo') }),
      h('a', { class: 'act-btn nav-btn nav-share', href: `/s/${encodeURIComponent(f.id)}`, text: t('nav.share') })),
    leg2 ? h('h3', { class: 'details-sub', text: t('route.nav2') }) : null,
    leg2 ? h('div', { class: 'nav-links nav-links-2' },
      h('a', { class: 'act-btn nav-btn nav-amap nav-amap-2', href: leg2.amap, target: '_blank', rel: 'noopener', text: t('nav.amap') }),
      h('a', { class: 'act-btn nav-btn nav-baidu nav-baidu-2', href: leg2.baidu, target: '_blank', rel: 'noopener', text: t('nav.baidu') })) : null,
    leg2 ? h('p', { class: 'nav-note', text: t('route.nav_note') }) : null,
    h('button', { type: 'button', class: 'act-btn report-btn', onclick: () => openReport(f) },
      h('span', { 'aria-hidden': 'true', text: '⚠️ ' }), t('report.button')),
  ];
  fill(els.details, content); // fill() skips the null blocks (no route: no second leg)
  const mine = document.getElementById('mine'); // "My reports" (tickets.js): one sheet at a time
  if (mine) mine.hidden = true;
  els.details.dataset.id = id;
  els.details.hidden = false;
  document.body.classList.add('details-open');
  if (from === 'list' || from === 'map') els.details.querySelector('.details-name').focus({ preventScroll: true });
}

export function closeDetails(restoreFocus = false) {
  const id = state.selectedId;
  els.details.hidden = true;
  document.body.classList.remove('details-open');
  state.selectedId = null;
  els.list.querySelectorAll('.item.selected').forEach((li) => {
    li.classList.remove('selected');
    li.querySelector('.item-btn')?.removeAttribute('aria-current');
  });
  clearMarkerSelection();
  if (restoreFocus && id !== null) {
    const b = els.list.querySelector(`.item[data-id="${CSS.escape(id)}"] .item-btn`);
    if (b) b.focus();
  }
}

// ---------------------------------------------------------------------------------------------
// badges, host, amenities (list and details)
// ---------------------------------------------------------------------------------------------
// Amenity keys: built-in labels and icons, replaced by GET /api/v1/amenities when it answers.
export const AMENITIES = [
  { key: '24h', icon: '🕛', zh: '24小时', en: '24h' },
  { key: 'water', icon: '💧', zh: '饮水', en: 'Water' },
  { key: 'charging', icon: '🔌', zh: '充电', en: 'Charging' },
  { key: 'rest', icon: '🪑', zh: '歇脚', en: 'Rest' },
  { key: 'heating', icon: '🔥', zh: '取暖', en: 'Heating' },
  { key: 'cooling', icon: '❄️', zh: '纳凉', en: 'Cooling' },
  { key: 'toilet', icon: '🚻', zh: '卫生间', en: 'Toilet' },
  { key: 'microwave', icon: '🍱', zh: '热饭', en: 'Microwave' },
  { key: 'medicine', icon: '💊', zh: '用药', en: 'Medicine' },
  { key: 'wifi', icon: '📶', zh: '无线网', en: 'Wi-Fi' },
  { key: 'discount_meal', icon: '🍜', zh: '优惠餐', en: 'Discount meal' },
];

export function amenityInfo(key) {
  const a = AMENITIES.find((x) => x.key === key);
  return a || { key, icon: '•', zh: key, en: key };
}

export function amenityLabel(key) {
  const a = amenityInfo(key);
  return getLang() === 'en' ? a.en : a.zh;
}

/** Merge labels from GET /api/v1/amenities ([{key,label_zh,label_en,count}]). Unknown keys are appended. */
export function mergeAmenityLabels(list) {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (!item || typeof item.key !== 'string') continue;
    const a = AMENITIES.find((x) => x.key === item.key);
    if (a) {
      if (item.label_zh) a.zh = String(item.label_zh);
      if (item.label_en) a.en = String(item.label_en);
    } else {
      AMENITIES.push({ key: item.key, icon: '•', zh: String(item.label_zh || item.key), en: String(item.label_en || item.key) });
    }
  }
}

export function hostLabel(p) {
  const host = p.host_type ? t(`host.${p.host_type}`) : '';
  return host.startsWith('host.') ? p.host_type : host;
}

export function badges(f) {
  const st = openStatus(f);
  const out = [isSuspended(f)
    ? h('span', { class: 'badge badge-closed badge-suspended', text: `⛔ ${t('badge.suspended')}` })
    : h('span', { class: `badge badge-${st}`, text: t(`badge.${st}`) })];
  if (is24h(f)) out.push(h('span', { class: 'badge badge-24', 'aria-label': t('badge.24h.aria'), title: t('badge.24h.aria'), text: '24' }));
  return out;
}

export function amenityChips(keys, cls = 'am') {
  return (Array.isArray(keys) ? keys : []).map((k) => {
    const a = amenityInfo(k);
    return h('span', { class: cls, title: amenityLabel(k) },
      h('span', { class: 'am-icon', 'aria-hidden': 'true', text: a.icon }),
      h('span', { class: 'am-label', text: amenityLabel(k) }));
  });
}

// ---------------------------------------------------------------------------------------------
// navigation deep links (Amap, Baidu, the phone's maps app); pure functions, no DOM
// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// the "report a problem" dialog
// ---------------------------------------------------------------------------------------------
const REASONS = ['closed', 'moved', 'amenity_missing', 'wrong_hours', 'refused_entry', 'other'];

let reportStation = null;

export function openReport(f) {
  reportStation = f;
  els.reportForm.reset();
  els.reportCount.textContent = '0';
  els.reportMsg.textContent = '';
  els.reportMsg.className = 'report-msg';
  els.reportSubmit.disabled = false;
  els.reportSubmit.hidden = false;
  els.reportDone.hidden = true;
  setCancelLabel('report.cancel');
  els.reportStation.textContent = f.properties?.name || String(f.id);
  if (typeof els.reportDialog.showModal === 'function') els.reportDialog.showModal();
  else els.reportDialog.setAttribute('open', '');
}

export function closeReport() {
  if (typeof els.reportDialog.close === 'function') els.reportDialog.close();
  else els.reportDialog.removeAttribute('open');
}

/** The dialog's second button: "取消" before sending, "关闭" once the report is in (data-i18n keeps it on a language switch). */
function setCancelLabel(key) {
  const b = document.getElementById('report-cancel');
  if (!b) return;
  b.dataset.i18n = key;
  b.textContent = t(key);
}

function showTicket(out, f) {
  els.reportTicket.textContent = out.ticket;
  els.reportSubmit.hidden = true;
  setCancelLabel('btn.close');
  els.reportDone.hidden = false;
  els.reportFollow.onclick = () => { closeReport(); import('./tickets.js').then((m) => m.openTicket(out.ticket)); };
  import('./tickets.js').then((m) => m.remember({
    ticket: out.ticket, station_id: String(f.id), station_name: f.properties?.name || String(f.id),
    status: out.status || 'received', created_at: out.created_at, updated_at: out.created_at,
  })).catch(() => { /* storage blocked: the ticket is still on screen */ });
  els.reportFollow.focus();
}

export async function submitReport(ev) {
  ev.preventDefault();
  if (!reportStation) return;
  const reason = new FormData(els.reportForm).get('reason');
  const msg = (text, kind) => { els.reportMsg.textContent = text; els.reportMsg.className = `report-msg ${kind}`; };
  if (!REASONS.includes(reason)) { msg(t('report.choose'), 'error'); return; }
  const comment = els.reportComment.value.trim().slice(0, 500);
  els.reportSubmit.disabled = true;
  msg(t('report.sending'), 'busy');
  try {
    const out = await api.report(String(reportStation.id), reason, comment);
    msg(t('report.thanks'), 'ok');
    if (out && typeof out.ticket === 'string' && out.ticket) {
      // The ticket is the rider's only key to the case: show it, keep it on the device, offer to follow it.
      showTicket(out, reportStation);
    } else setTimeout(() => { if (els.reportMsg.classList.contains('ok')) closeReport(); }, 2500);
  } catch (e) {
    els.reportSubmit.disabled = false;
    if (!(e instanceof ApiError)) { msg(t('err.network'), 'error'); return; }
    if (e.status === 429) {
      const secs = Number.parseInt(e.retryAfter || '', 10);
      msg(`${t('report.too_many')}${Number.isFinite(secs) ? ` (${secs} s)` : ''}`, 'error');
    } else if ([404, 405, 501].includes(e.status)) msg(t('report.not_found'), 'error');
    else if (e.status === 0) msg(e.title, 'error');
    else msg(`${t('report.failed')}: ${e.message}`, 'error');
  }
}
