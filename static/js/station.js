// One station (a GeoJSON feature) as small pieces of the page: open status, host, badges, amenity chips.
import { h } from './h.js';
import { t } from './i18n.js';
import { amenityInfo, amenityLabel } from './amenities.js';

export function validFeature(f) {
  const c = f && f.geometry && f.geometry.coordinates;
  return f && f.id !== undefined && Array.isArray(c) && Number.isFinite(c[0]) && Number.isFinite(c[1]);
}

export const is24h = (f) => /^\s*(24\/7|Mo-Su 00:00-24:00)\s*$/i.test(f.properties?.opening_hours || '');

export function openStatus(f) {
  const v = f.properties?.open_now;
  return v === true ? 'open' : v === false ? 'closed' : 'unknown';
}

export function hostLabel(p) {
  const host = p.host_type ? t(`host.${p.host_type}`) : '';
  return host.startsWith('host.') ? p.host_type : host;
}

export function badges(f) {
  const st = openStatus(f);
  const out = [h('span', { class: `badge badge-${st}`, text: t(`badge.${st}`) })];
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
