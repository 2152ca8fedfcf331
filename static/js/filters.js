// The filter chips (open now, amenities): they change the state and the URL, then the list is asked again.
import { h, fill } from './h.js';
import { t } from './i18n.js';
import { AMENITIES, amenityLabel } from './amenities.js';
import { state, els } from './store.js';
import { writeUrl } from './urlstate.js';
import { setLoading } from './status.js';
import { scheduleRefresh } from './search.js';

export function renderChips() {
  const chips = [
    h('button', {
      type: 'button', class: 'chip chip-open', 'aria-pressed': String(state.openNow), dataset: { key: 'open_now' },
      onclick: () => { state.openNow = !state.openNow; filtersChanged(); },
    }, h('span', { 'aria-hidden': 'true', text: '🟢' }), ' ', t('filter.open_now')),
  ];
  for (const a of AMENITIES) {
    chips.push(h('button', {
      type: 'button', class: 'chip', 'aria-pressed': String(state.amenities.includes(a.key)), dataset: { key: a.key },
      onclick: () => toggleAmenity(a.key),
    }, h('span', { 'aria-hidden': 'true', text: a.icon }), ' ', amenityLabel(a.key)));
  }
  fill(els.chips, chips);
}

function toggleAmenity(key) {
  const set = new Set(state.amenities);
  if (set.has(key)) set.delete(key); else set.add(key);
  const order = AMENITIES.map((a) => a.key);
  state.amenities = [...set].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  filtersChanged();
}

function filtersChanged() {
  renderChips();
  writeUrl();
  if (state.pos) { setLoading(true); scheduleRefresh(); }
}
