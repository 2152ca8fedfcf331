// Selecting a station (from the list or the map) and its details view: address, phone, hours, amenities,
// navigation links (one leg, or two in "on my way"), and the report button.
import { h, fill } from './h.js';
import { t } from './i18n.js';
import { state, els, routePath } from './store.js';
import { formatDistance, formatLen, walkMinutes, rideMinutes } from './format.js';
import { is24h, hostLabel, badges, amenityChips } from './station.js';
import { navLinks, legLinks } from './navlinks.js';
import { highlightMarker, focusMarker, clearMarkerSelection } from './map.js';
import { openReport } from './report.js';

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
      h('a', { class: 'act-btn nav-btn nav-geo', href: links.geo, text: t('nav.geo') })),
    leg2 ? h('h3', { class: 'details-sub', text: t('route.nav2') }) : null,
    leg2 ? h('div', { class: 'nav-links nav-links-2' },
      h('a', { class: 'act-btn nav-btn nav-amap nav-amap-2', href: leg2.amap, target: '_blank', rel: 'noopener', text: t('nav.amap') }),
      h('a', { class: 'act-btn nav-btn nav-baidu nav-baidu-2', href: leg2.baidu, target: '_blank', rel: 'noopener', text: t('nav.baidu') })) : null,
    leg2 ? h('p', { class: 'nav-note', text: t('route.nav_note') }) : null,
    h('button', { type: 'button', class: 'act-btn report-btn', onclick: () => openReport(f) },
      h('span', { 'aria-hidden': 'true', text: '⚠️ ' }), t('report.button')),
  ];
  fill(els.details, content); // fill() skips the null blocks (no route: no second leg)
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
