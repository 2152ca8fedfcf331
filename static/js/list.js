// The station list (nearest, or "on my way" in route order). Tapping an item selects the station.
import { h, fill } from './h.js';
import { t } from './i18n.js';
import { state, els, routePath } from './store.js';
import { formatDistance, formatLen, walkMinutes, rideMinutes } from './format.js';
import { openStatus, hostLabel, badges, amenityChips } from './station.js';
import { select } from './details.js';

export function renderList() {
  const route = state.mode === 'route';
  const items = state.stations.map((f, i) => {
    const p = f.properties || {};
    const id = String(f.id);
    const d = Number(p.distance_m);
    const along = Number(p.along_m);
    const meta = [hostLabel(p)];
    if (Number.isFinite(d) && !route) {
      meta.push(formatDistance(d));
    }
    const routeMeta = route && Number.isFinite(along) && Number.isFinite(d) ? h('span', { class: 'item-route' },
      h('span', { class: 'item-along', text: t('route.after', { d: formatLen(along) }) }),
      h('span', { class: 'item-detour', text: t('route.detour', { d: formatLen(2 * d) }) })) : null;
    const btn = h('button', { type: 'button', class: 'item-btn', onclick: () => select(id, 'list') },
      h('span', { class: `st-marker rank st-${openStatus(f)}`, 'aria-hidden': 'true', text: String(i + 1) }),
      h('span', { class: 'item-main' },
        h('span', { class: 'item-name', text: p.name || id }),
        routeMeta,
        h('span', { class: 'item-meta' },
          h('span', { class: 'item-host', text: meta.filter(Boolean).join(' · ') }),
          Number.isFinite(d) && !route ? h('span', { class: 'item-time' },
            h('span', { class: 'walk', 'aria-label': t('dist.walk', { n: walkMinutes(d) }), text: t('dist.walk.short', { n: walkMinutes(d) }) }),
            h('span', { class: 'ride', 'aria-label': t('dist.ride', { n: rideMinutes(d) }), text: t('dist.ride.short', { n: rideMinutes(d) }) })) : null),
        h('span', { class: 'item-badges' }, badges(f), amenityChips(p.amenities))));
    const li = h('li', { class: 'item', dataset: route ? { id, alongM: String(along), distanceM: String(d) } : { id } }, btn);
    if (id === state.selectedId) { li.classList.add('selected'); btn.setAttribute('aria-current', 'true'); }
    return li;
  });
  if (!items.length && (route ? routePath() : state.pos) && state.lastQuery) {
    items.push(h('li', { class: 'empty', text: t(route ? 'route.empty' : 'list.empty') }));
  }
  fill(els.list, items);
  els.list.dataset.query = state.lastQuery;
}
