// The admin page's trust loop: the case queue (riders' reports as cases, 接诉即办: filter, page, reply, move
// along, and mark the station temporarily closed from a case) and the "needs attention" list (未诉先办:
// stations not confirmed for 90 days, stations riders keep reporting closed).
// admin.js owns the token, the HTTP helper and the messages; it hands them over in initCases().
import { h } from './h.js';
import { t } from './i18n.js';

const REASONS = ['closed', 'moved', 'amenity_missing', 'wrong_hours', 'refused_entry', 'other'];
const STATUSES = ['received', 'in_progress', 'resolved', 'rejected'];
const PAGE = 50; // cases per page
const ATTENTION_SHOWN = 20; // unconfirmed stations listed (the title gives the total; usually most stations at first)
const STATION_LOOKUPS = 100; // at most this many distinct station ids are resolved (coordinates for map links)
const $ = (sel) => document.querySelector(sel);

let d = null; // what admin.js hands over: {call, say, problemText, fmtTime, fmtCount, getToken}
const cs = {
  reports: null, // the last page: {count, total, reports}
  offset: 0,
  stations: new Map(), // station id → Feature | null (gone)
  attention: null,
};

function filters() {
  const q = new URLSearchParams({ status: $('#rep-status').value, limit: String(PAGE), offset: String(cs.offset) });
  const district = $('#rep-district').value.trim();
  const station = $('#rep-station').value.trim();
  if (district) q.set('district', district);
  if (station) q.set('station_id', station);
  return q;
}

export async function loadReports() {
  if (!d.getToken()) return;
  try {
    cs.reports = await d.call(`/api/v1/reports?${filters()}`);
    renderReports();
    resolveStations();
  } catch (e) {
    d.say($('#rep-msg'), 'error', () => d.problemText(e));
  }
}

export function clearReports() {
  cs.reports = null;
  cs.attention = null;
  $('#rep-table').hidden = true;
  $('#att-closed').replaceChildren();
  $('#att-unconfirmed').replaceChildren();
  $('#att-closed-title').textContent = '';
  $('#att-unconfirmed-title').textContent = '';
}

function stationCell(x) {
  const id = x.station_id;
  const td = h('td', { class: 'station' }, h('a', { href: `/api/v1/stations/${encodeURIComponent(id)}`, class: 'mono', target: '_blank', rel: 'noopener' }, id));
  const f = cs.stations.get(id);
  const name = x.station_name || f?.properties?.name;
  if (f === null || (x.station_name === null && f === undefined)) td.append(h('span', { class: 'gone' }, ` ${t('rep.gone')}`));
  if (name) td.append(h('br'), h('span', { class: 'st-name' }, name));
  const district = f?.properties?.district;
  if (district) td.append(h('br'), h('span', { class: 'hint' }, district));
  const c = f?.geometry?.coordinates;
  if (Array.isArray(c)) {
    const q = new URLSearchParams({ lat: String(c[1]), lon: String(c[0]) });
    td.append(' ', h('a', { href: `/?${q}`, class: 'map-link', target: '_blank', rel: 'noopener' }, t('rep.map')));
  }
  if (f?.properties?.status === 'temporarily_closed') td.append(h('br'), h('span', { class: 'tag tag-closed' }, `⛔ ${t('rep.closed_now')}`));
  return td;
}

function actions(x) {
  const reply = h('textarea', { class: 'inp reply', rows: '2', maxlength: '500', 'aria-label': t('rep.reply') });
  reply.value = x.reply ?? '';
  const sel = h('select', { class: 'inp status-sel', 'aria-label': t('rep.col.status') },
    ...STATUSES.map((s) => h('option', { value: s, selected: s === x.status }, t(`case.${s}`))));
  const note = h('input', { type: 'text', class: 'inp close-note', maxlength: '200', placeholder: t('rep.close.note'), 'aria-label': t('rep.close.note') });
  const until = h('input', { type: 'date', class: 'inp close-until', 'aria-label': t('rep.close.until') });
  return h('td', { class: 'actions-cell' },
    h('label', { class: 'lbl' }, t('rep.reply'), reply),
    h('div', { class: 'row' }, sel,
      h('button', { type: 'button', class: 'btn btn-small save', onclick: () => update(x, { status: sel.value, reply: reply.value }) }, t('rep.save')),
      h('button', { type: 'button', class: 'btn btn-small btn-primary resolve', onclick: () => update(x, { status: 'resolved', reply: reply.value }) }, t('rep.resolve'))),
    h('div', { class: 'row close-row' }, note, h('label', { class: 'lbl-inline' }, t('rep.close.until'), until),
      h('button', { type: 'button', class: 'btn btn-small btn-danger close-station', onclick: () => closeStation(x, note.value, until.value) }, `⛔ ${t('rep.close')}`)));
}

export function renderReports() {
  const r = cs.reports;
  if (!r) return;
  const list = Array.isArray(r.reports) ? r.reports : [];
  const table = $('#rep-table');
  const total = r.total ?? list.length;
  d.say($('#rep-msg'), 'info', () => (list.length ? t('rep.count', { n: d.fmtCount(total) }) : t('rep.empty')));
  table.hidden = !list.length;
  table.tBodies[0].replaceChildren(...list.map((x) => h('tr', { dataset: { id: x.id, station: x.station_id, reason: x.reason, status: x.status } },
    h('td', { class: 'time' }, d.fmtTime(x.created_at)),
    stationCell(x),
    h('td', null, h('span', { class: `tag reason-${REASONS.includes(x.reason) ? x.reason : 'other'}` }, REASONS.includes(x.reason) ? t(`reason.${x.reason}`) : String(x.reason))),
    h('td', { class: 'comment' }, x.comment ?? '', h('br'), h('span', { class: 'hint mono ticket' }, x.ticket)),
    h('td', { class: 'status' }, h('span', { class: `tag case-${x.status}` }, STATUSES.includes(x.status) ? t(`case.${x.status}`) : String(x.status)),
      x.reply ? h('p', { class: 'cur-reply' }, `${t('rep.reply')}: ${x.reply}`) : null),
    actions(x))));
  const from = list.length ? cs.offset + 1 : 0;
  $('#rep-page').textContent = t('rep.page', { from: d.fmtCount(from), to: d.fmtCount(cs.offset + list.length), total: d.fmtCount(total) });
  $('#rep-prev').disabled = cs.offset <= 0;
  $('#rep-next').disabled = cs.offset + list.length >= total;
}

async function update(x, { status, reply }) {
  try {
    const out = await d.call(`/api/v1/reports/${encodeURIComponent(x.id)}`, {
      method: 'PATCH', type: 'application/merge-patch+json', body: { status, reply: reply.trim() },
    });
    d.say($('#rep-done'), 'ok', () => t('rep.saved', { ticket: out.ticket, status: t(`case.${out.status}`) }));
  } catch (e) {
    d.say($('#rep-done'), 'error', () => d.problemText(e));
  }
  await loadReports();
  loadAttention();
}

/** One click from a case: the station is temporarily closed (a merge patch of its state). */
async function closeStation(x, note, until) {
  const patch = { status: 'temporarily_closed', status_note: note.trim() || t('rep.close.default_note') };
  if (until) patch.reopens_on = until;
  try {
    const f = await d.call(`/api/v1/stations/${encodeURIComponent(x.station_id)}`, {
      method: 'PATCH', type: 'application/merge-patch+json', body: patch,
    });
    cs.stations.set(x.station_id, f);
    d.say($('#rep-done'), 'ok', () => t('rep.closed_done', { id: x.station_id }));
  } catch (e) {
    d.say($('#rep-done'), 'error', () => d.problemText(e));
  }
  renderReports();
}

/** Look up the reported stations (coordinates for the map links, state), a few at a time. */
async function resolveStations() {
  const ids = [...new Set((cs.reports?.reports || []).map((x) => x.station_id))]
    .filter((id) => !cs.stations.has(id)).slice(0, STATION_LOOKUPS);
  if (!ids.length) return;
  const worker = async () => {
    while (ids.length) {
      const id = ids.shift();
      try { cs.stations.set(id, await d.call(`/api/v1/stations/${encodeURIComponent(id)}`, { admin: false })); } catch (e) {
        if (e.status === 404) cs.stations.set(id, null);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  renderReports();
}

// ---------------------------------------------------------------------------------------------
// needs attention
// ---------------------------------------------------------------------------------------------
export async function loadAttention() {
  if (!d.getToken()) return;
  try {
    cs.attention = await d.call(`/api/v1/attention?limit=${ATTENTION_SHOWN}`);
    renderAttention();
  } catch (e) {
    d.say($('#att-msg'), 'error', () => d.problemText(e));
  }
}

function stationItem(s, extra, withCases) {
  return h('li', { dataset: { id: s.id } },
    h('a', { href: `/api/v1/stations/${encodeURIComponent(s.id)}`, class: 'mono', target: '_blank', rel: 'noopener' }, s.id), ' ',
    h('b', null, s.name), s.district ? ` · ${s.district}` : '', ' · ', extra,
    withCases ? [' ', h('button', { type: 'button', class: 'btn btn-small show-cases', onclick: () => showCasesOf(s.id) }, t('att.cases'))] : null);
}

function showCasesOf(id) {
  $('#rep-station').value = id;
  $('#rep-status').value = 'received,in_progress';
  cs.offset = 0;
  loadReports();
  $('#sec-reports').scrollIntoView({ block: 'start' });
}

export function renderAttention() {
  const a = cs.attention;
  if (!a) return;
  d.say($('#att-msg'), '', '');
  $('#att-closed-title').textContent = `⚠️ ${t('att.closed', { n: a.min_reports, days: a.reported_closed_days })}`;
  $('#att-unconfirmed-title').textContent = `❔ ${t('att.unconfirmed', { days: a.unconfirmed_days, total: d.fmtCount(a.unconfirmed_total) })}`;
  const none = () => h('li', { class: 'hint' }, t('att.none'));
  const closed = a.reported_closed || [];
  $('#att-closed').replaceChildren(...(closed.length
    ? closed.map((s) => stationItem(s, t('att.reports', { n: s.reports }), true)) : [none()]));
  const unconf = a.unconfirmed || [];
  $('#att-unconfirmed').replaceChildren(...(unconf.length
    ? unconf.map((s) => stationItem(s, s.verified_at ? t('att.verified', { at: d.fmtTime(s.verified_at) }) : t('att.never'), false))
    : [none()]));
  if (a.unconfirmed_total > unconf.length) {
    $('#att-unconfirmed').append(h('li', { class: 'hint' }, t('att.more', { shown: unconf.length, total: d.fmtCount(a.unconfirmed_total) })));
  }
}

export function initCases(deps) {
  d = deps;
  $('#rep-filter').addEventListener('submit', (ev) => { ev.preventDefault(); cs.offset = 0; loadReports(); });
  $('#rep-status').addEventListener('change', () => { cs.offset = 0; loadReports(); });
  $('#rep-prev').addEventListener('click', () => { cs.offset = Math.max(0, cs.offset - PAGE); loadReports(); });
  $('#rep-next').addEventListener('click', () => { cs.offset += PAGE; loadReports(); });
  $('#rep-refresh').addEventListener('click', () => { d.say($('#rep-done'), '', ''); loadReports(); });
  $('#att-refresh').addEventListener('click', loadAttention);
}
