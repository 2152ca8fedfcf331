// "My reports" (我的反馈): the rider's tickets, kept on this device (localStorage, no account), each with the
// case's status and the admins' reply as GET /api/v1/tickets/{ticket} last answered; and one case's view with
// its history, oldest first. A follow link /?ticket=K7Q2-M9XD-3FPA opens that view on any phone.
// Loaded on demand (the "我的反馈" button, a report sent, a follow link): most visits never need it.
import { h, fill } from './h.js';
import { t, getLang, onLangChange } from './i18n.js';
import { api, ApiError } from './api.js';
import { els } from './url-state.js';

const KEY = 'yizhan.tickets';
const MAX_KEPT = 50; // the newest tickets; older ones fall off
export const STATUSES = ['received', 'in_progress', 'resolved', 'rejected'];
const ICONS = { received: '📨', in_progress: '🔧', resolved: '✅', rejected: '✖️', expired: '⌛' };

let view = null; // null | {kind: 'list'} | {kind: 'ticket', ticket, data, error}
let mem = []; // when localStorage is blocked, the tickets live as long as the page

/** The kept tickets, newest first. */
export function kept() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(v) ? v.filter((x) => x && typeof x.ticket === 'string') : [];
  } catch (_) { return mem; }
}

function store(list) {
  mem = list.slice(0, MAX_KEPT);
  try { localStorage.setItem(KEY, JSON.stringify(mem)); } catch (_) { /* blocked: memory only */ }
}

/** Keep (or update) a ticket on the device: the newest first; a known one keeps its place. */
export function remember(c) {
  const list = kept();
  const i = list.findIndex((x) => x.ticket === c.ticket);
  const fields = ['ticket', 'station_id', 'station_name', 'reason', 'status', 'reply', 'created_at', 'updated_at'];
  // Only what this answer says: a status-only update keeps the station; a server answer's `reply: null` clears it.
  const entry = Object.fromEntries(fields.filter((k) => c[k] !== undefined).map((k) => [k, c[k]]));
  if (i >= 0) list[i] = { ...list[i], ...entry };
  else list.unshift(entry);
  store(list);
}

function forget(ticket) {
  store(kept().filter((x) => x.ticket !== ticket));
}

const statusText = (s) => `${ICONS[s] || '•'} ${t(`case.${STATUSES.includes(s) || s === 'expired' ? s : 'received'}`)}`;

function fmtTime(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(d);
}

export const followUrl = (ticket) => `${location.origin}/?ticket=${encodeURIComponent(ticket)}`;

// ---------------------------------------------------------------------------------------------
// the panel (a sheet like the details view)
// ---------------------------------------------------------------------------------------------
function panel() { return document.getElementById('mine'); }

function show(content) {
  const el = panel();
  fill(el, content);
  el.hidden = false;
  els.details.hidden = true; // one sheet at a time
  el.querySelector('h2')?.focus({ preventScroll: true });
}

export function closeMine() {
  view = null;
  panel().hidden = true;
}

const top = (onBack, label) => h('div', { class: 'details-top' },
  h('button', { type: 'button', class: 'act-btn back-btn', onclick: onBack }, h('span', { 'aria-hidden': 'true', text: '← ' }), label));

/** The list of kept tickets; their status is refreshed from the server. */
export async function openMine() {
  view = { kind: 'list' };
  renderList();
  const list = kept();
  await Promise.all(list.slice(0, 20).map(async (x) => {
    try { remember(await api.ticket(x.ticket)); } catch (e) {
      if (e instanceof ApiError && e.status === 404) remember({ ...x, status: 'expired' });
    }
  }));
  if (view && view.kind === 'list') renderList();
}

function renderList() {
  const list = kept();
  const items = list.map((x) => h('li', { class: 'mine-item', dataset: { ticket: x.ticket, status: x.status } },
    h('button', { type: 'button', class: 'mine-btn', onclick: () => openTicket(x.ticket) },
      h('span', { class: 'mine-station', text: x.station_name || x.station_id || '' }),
      h('span', { class: `case-status case-${x.status}`, text: statusText(x.status) }),
      x.reply ? h('span', { class: 'mine-reply', text: t('ticket.reply_line', { reply: x.reply }) }) : null,
      h('span', { class: 'mine-meta' }, h('span', { class: 'ticket-mono', text: x.ticket }), ` · ${fmtTime(x.updated_at || x.created_at)}`))));
  show([
    top(closeMine, t('btn.back')),
    h('h2', { class: 'details-name', tabindex: '-1', text: t('mine.title') }),
    h('p', { class: 'mine-hint', text: t('mine.hint') }),
    items.length ? h('ol', { class: 'mine-list' }, items) : h('p', { class: 'mine-empty', text: t('mine.empty') }),
  ]);
}

/** One case: status, reply, history oldest first, the follow link. */
export async function openTicket(ticket) {
  view = { kind: 'ticket', ticket, data: null, error: null };
  renderTicket();
  try {
    const data = await api.ticket(ticket);
    remember(data);
    if (view && view.ticket === ticket) { view.data = data; renderTicket(); }
  } catch (e) {
    if (!view || view.ticket !== ticket) return;
    view.error = e instanceof ApiError && e.status === 404 ? t('ticket.unknown') : (e && e.message) || t('err.network');
    if (e instanceof ApiError && e.status === 404 && kept().some((x) => x.ticket === ticket)) remember({ ticket, status: 'expired' });
    renderTicket();
  }
}

function renderTicket() {
  const { ticket, data, error } = view;
  const known = kept().find((x) => x.ticket === ticket);
  const c = data || known || { ticket };
  const history = data && Array.isArray(data.history) ? data.history : [];
  show([
    top(() => openMine(), t('mine.title')),
    h('h2', { class: 'details-name', tabindex: '-1', text: c.station_name || c.station_id || t('ticket.title') }),
    h('p', { class: 'ticket-line' }, `${t('ticket.number')} `, h('strong', { class: 'ticket-mono ticket-code-small', text: ticket })),
    c.status ? h('p', { class: `case-status case-big case-${c.status}`, dataset: { status: c.status }, text: statusText(c.status) }) : null,
    !data && !error ? h('p', { class: 'mine-hint', text: t('ticket.loading') }) : null,
    error ? h('p', { class: 'ticket-error', role: 'alert', text: error }) : null,
    c.reply ? h('div', { class: 'ticket-reply' }, h('h3', { class: 'details-sub', text: t('ticket.reply') }), h('p', { text: c.reply })) : null,
    data ? h('p', { class: 'ticket-what', text: [t(`reason.${data.reason}`), data.comment].filter(Boolean).join(' · ') }) : null,
    history.length ? h('h3', { class: 'details-sub', text: t('ticket.history') }) : null,
    history.length ? h('ol', { class: 'ticket-history' }, history.map((s) => h('li', { dataset: { status: s.status } },
      h('span', { class: `case-status case-${s.status}`, text: statusText(s.status) }),
      h('time', { datetime: s.at, text: ` ${fmtTime(s.at)}` }),
      s.reply ? h('span', { class: 'hist-reply', text: ` — ${s.reply}` }) : null))) : null,
    h('div', { class: 'ticket-actions' },
      h('button', { type: 'button', class: 'act-btn', onclick: () => openTicket(ticket) }, h('span', { 'aria-hidden': 'true', text: '🔄 ' }), t('ticket.refresh')),
      h('button', { type: 'button', class: 'act-btn', onclick: () => shareTicket(ticket) }, h('span', { 'aria-hidden': 'true', text: '🔗 ' }), t('ticket.share')),
      known ? h('button', { type: 'button', class: 'act-btn', onclick: () => { forget(ticket); openMine(); } }, t('ticket.forget')) : null),
    h('p', { class: 'ticket-link' }, h('a', { href: followUrl(ticket), text: followUrl(ticket) })),
  ]);
}

async function shareTicket(ticket) {
  const url = followUrl(ticket);
  if (navigator.share) {
    try { await navigator.share({ title: t('mine.title'), url }); return; } catch (e) { if (e && e.name === 'AbortError') return; }
  }
  try { await navigator.clipboard.writeText(url); } catch (_) { /* the link is on screen to copy by hand */ }
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !panel().hidden && !els.reportDialog.open) closeMine();
});

onLangChange(() => {
  if (!view || panel().hidden) return;
  if (view.kind === 'list') renderList(); else renderTicket();
});
