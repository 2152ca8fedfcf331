// "On my way" (顺路): the mode switch, the destination (a tap on the map), pasted routes and links
// (parsed by links.js, loaded on demand), and the detour choice. The list is GET /stations/along.
import { t } from './i18n.js';
import { state, els, hideBanner, writeUrl } from './url-state.js';
import { closeDetails } from './details.js';
import { renderList, refresh, updatePickUi } from './list.js';

export function setMode(mode) {
  if (state.mode === mode) return;
  state.mode = mode;
  state.pickMode = false;
  closeDetails();
  state.stations = [];
  state.lastQuery = '';
  renderList();
  updateModeUi();
  writeUrl();
  if (mode === 'near' && els.banner.dataset.kind === 'api') hideBanner();
  refresh({ fit: true });
}

export function updateModeUi() {
  const route = state.mode === 'route';
  els.modeNear.setAttribute('aria-pressed', String(!route));
  els.modeRoute.setAttribute('aria-pressed', String(route));
  els.routePanel.hidden = !route;
  document.body.classList.toggle('route-mode', route);
  els.list.setAttribute('aria-label', t(route ? 'route.list.aria' : 'list.aria'));
  els.detourBtns.forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.m) === state.detour)));
  els.routeClear.hidden = !state.route.dest;
  updatePickUi();
}

export function setDestination(lat, lon) {
  state.route = { dest: { lat, lon }, path: null, via: [], names: [] };
  state.pickMode = false;
  els.pasteMsg.textContent = '';
  updateModeUi();
  writeUrl();
  refresh({ fit: true });
}

export function clearRoute() {
  state.route = { dest: null, path: null, via: [], names: [] };
  els.pasteMsg.textContent = '';
  closeDetails();
  updateModeUi();
  writeUrl();
  refresh();
}

export async function applyPaste() {
  const text = els.pasteText.value;
  const msg = (s, kind) => { els.pasteMsg.textContent = s; els.pasteMsg.className = `paste-msg ${kind}`; };
  try {
    const { parseRouteInput } = await import('./links.js');
    const r = parseRouteInput(text, { crs: els.pasteCrs.value });
    const pts = r.points;
    const last = pts[pts.length - 1];
    state.route = {
      dest: { lat: last[1], lon: last[0] },
      path: r.hasOrigin ? pts : null,
      via: r.hasOrigin ? [] : pts.slice(0, -1),
      names: r.names,
    };
    state.pickMode = false;
    msg(t(r.hasOrigin ? 'route.pasted_path' : 'route.pasted_dest', { n: pts.length }), 'ok');
    updateModeUi();
    writeUrl();
    refresh({ fit: true });
  } catch (e) {
    msg(e && e.key ? t(e.key) : t('route.err.format'), 'error');
  }
}

/** One of the detour buttons: max_distance_m off the route. */
export function setDetour(m) {
  state.detour = m;
  updateModeUi();
  writeUrl();
  refresh();
}
