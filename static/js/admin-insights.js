// The admin page's insights card: a Leaflet map of demand / unmet-demand H3 cells by hour of the week, and the
// district coverage table (sortable). Counts come from the admin endpoints, which never return a cell with
// fewer than 5 searches.
import { h } from './h.js';
import { t, getLang } from './i18n.js';

const $ = (sel) => document.querySelector(sel);
const ins = { map: null, layer: null, demand: null, rows: [], sortKey: 'unmet_share', sortDir: -1 };

function leafletReady() {
  return new Promise((resolve) => {
    const ok = () => !!(window.L && window.L.map);
    if (ok()) { resolve(true); return; }
    let n = 0;
    const timer = setInterval(() => {
      if (ok() || ++n > 100) { clearInterval(timer); resolve(ok()); }
    }, 50);
  });
}

function howLabel(i) {
  const day = t(`ins.day.${Math.floor(i / 24)}`);
  const hh = String(i % 24).padStart(2, '0');
  const next = String((i % 24) + 1).padStart(2, '0');
  return `${day} ${hh}:00–${next}:00`;
}

function fillHours() {
  const sel = $('#ins-how');
  const keep = sel.value;
  sel.replaceChildren(h('option', { value: '' }, t('ins.how.all')));
  for (let i = 0; i < 168; i++) sel.append(h('option', { value: String(i) }, howLabel(i)));
  sel.value = keep;
}

async function initMap() {
  if (ins.map || !(await leafletReady())) return;
  const L = window.L;
  ins.map = L.map('ins-map', { zoomSnap: 0.5 }).setView([39.95, 116.4], 10);
  let tiles = { url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors' };
  try {
    const cfg = await (await fetch('/api/v1/config')).json();
    if (cfg && cfg.tiles && cfg.tiles.crs === 'wgs84') tiles = cfg.tiles;
  } catch (_) { /* keep the default */ }
  L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: 19 }).addTo(ins.map);
}

function colour(v, max, unmet) {
  const f = max > 0 ? Math.min(1, v / max) : 0;
  const a = (0.15 + 0.7 * f).toFixed(2);
  return { color: unmet ? '#b3261e' : '#0b6e4f', fillColor: unmet ? '#e4572e' : '#1f9e6e', fillOpacity: Number(a), weight: 1 };
}

function drawDemand(fit = false) {
  const L = window.L;
  if (!ins.map || !L) return;
  if (ins.layer) ins.layer.remove();
  const fc = ins.demand || { features: [] };
  const unmet = $('#ins-layer').value === 'unmet';
  const key = unmet ? 'unmet' : 'searches';
  const feats = fc.features.filter((f) => !unmet || f.properties.unmet > 0);
  const max = feats.reduce((m, f) => Math.max(m, f.properties[key]), 0);
  ins.layer = L.geoJSON({ type: 'FeatureCollection', features: feats }, {
    style: (f) => colour(f.properties[key], max, unmet),
    onEachFeature: (f, layer) => {
      const p = f.properties;
      layer.bindTooltip(t('ins.tip', { searches: p.searches, unmet: p.unmet, share: Math.round(p.unmet_share * 100) }));
    },
  }).addTo(ins.map);
  if (fit && feats.length) ins.map.fitBounds(ins.layer.getBounds(), { padding: [24, 24], maxZoom: 14 });
  $('#ins-count').textContent = t('ins.cells', { n: feats.length });
  document.body.dataset.insightsCells = String(feats.length);
}

function renderCoverage() {
  const table = $('#cov-table');
  const k = ins.sortKey;
  const dir = ins.sortDir;
  const name = (r) => (getLang() === 'en' ? r.district_en : r.district);
  const val = (r) => (k === 'district' ? name(r) : r[k]);
  const rows = ins.rows.slice().sort((a, b) => {
    const x = val(a); const y = val(b);
    if (x == null && y == null) return 0;
    if (x == null) return 1; // nulls last either way
    if (y == null) return -1;
    return (typeof x === 'string' ? x.localeCompare(y) : x - y) * dir;
  });
  const num = (v) => (v == null ? '—' : v.toLocaleString(getLang() === 'en' ? 'en' : 'zh-CN'));
  const pct = (v) => (v == null ? '—' : `${Math.round(v * 1000) / 10}%`);
  table.querySelector('tbody').replaceChildren(...rows.map((r) => h('tr', {},
    h('td', {}, name(r)), h('td', { class: 'num' }, num(r.stations)), h('td', { class: 'num' }, num(r.stations_24h)),
    h('td', { class: 'num' }, num(r.population)), h('td', { class: 'num' }, num(r.residents_per_station)),
    h('td', { class: 'num' }, num(r.searches)), h('td', { class: 'num' }, pct(r.unmet_share)))));
  for (const b of table.querySelectorAll('.sort')) {
    const th = b.closest('th');
    if (b.dataset.key === k) th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
  table.hidden = false;
}

async function download(call, path, name) {
  const text = await call(path, { raw: true });
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Sets the card up; `call(path)` is the page's admin fetch (token, problem+json → ApiError). */
export function initInsights({ call, say, problemText, getToken }) {
  fillHours();
  const msg = $('#ins-msg');
  async function load() {
    if (!getToken()) return;
    const how = $('#ins-how').value;
    say(msg, 'info', () => t('ins.loading'));
    try {
      await initMap();
      const [demand, coverage] = await Promise.all([
        call(`/api/v1/insights/demand${how ? `?hour_of_week=${how}` : ''}`),
        call('/api/v1/insights/coverage'),
      ]);
      ins.demand = demand;
      ins.rows = coverage.districts || [];
      drawDemand(!how);
      renderCoverage();
      say(msg, '', '');
      document.body.dataset.insightsReady = 'true';
    } catch (e) {
      say(msg, 'error', () => problemText(e));
    }
  }
  $('#ins-refresh').addEventListener('click', load);
  $('#ins-how').addEventListener('change', load);
  $('#ins-layer').addEventListener('change', () => drawDemand());
  $('#cov-table thead').addEventListener('click', (ev) => {
    const b = ev.target.closest('.sort');
    if (!b) return;
    if (ins.sortKey === b.dataset.key) ins.sortDir = -ins.sortDir;
    else { ins.sortKey = b.dataset.key; ins.sortDir = b.dataset.key === 'district' ? 1 : -1; }
    renderCoverage();
  });
  $('#ins-csv').addEventListener('click', () => {
    const how = $('#ins-how').value;
    download(call, `/api/v1/insights/demand?format=csv${how ? `&hour_of_week=${how}` : ''}`, 'demand.csv')
      .catch((e) => say(msg, 'error', () => problemText(e)));
  });
  $('#cov-csv').addEventListener('click', () => {
    download(call, '/api/v1/insights/coverage?format=csv', 'coverage.csv')
      .catch((e) => say(msg, 'error', () => problemText(e)));
  });
  return {
    load,
    retranslate() { fillHours(); if (ins.demand) drawDemand(false); if (ins.rows.length) renderCoverage(); },
  };
}
