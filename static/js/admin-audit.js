// The admin page's audit card: who changed what, newest first (GET /api/v1/audit). Every upload, patch,
// delete, rollback, host confirmation, case change, calendar change and token change is listed with its actor:
// a token's name, `admin` (the full token or the command line) or `host:<station id>`.
// admin.js owns the token, the HTTP helper and the messages; it hands them over in initAudit().
import { h } from './h.js';
import { t } from './i18n.js';

const SHOWN = 50; // entries listed (newest first)
const $ = (sel) => document.querySelector(sel);

let d = null; // {call, say, problemText, fmtTime, getToken}
let entries = null; // the last page, or null

function actorLabel(actor) {
  if (actor === 'admin') return t('aud.actor.admin');
  if (actor.startsWith('host:')) return t('aud.actor.host', { id: actor.slice(5) });
  return actor;
}

function changes(e) {
  const parts = [];
  if (e.added) parts.push(t('aud.added', { n: e.added }));
  if (e.updated) parts.push(t('aud.updated', { n: e.updated }));
  if (e.removed) parts.push(t('aud.removed', { n: e.removed }));
  return parts.join(' · ') || '—';
}

export function renderAudit() {
  const table = $('#aud-table');
  const body = $('#aud-rows');
  if (!entries) { table.hidden = true; return; }
  table.hidden = entries.length === 0;
  if (entries.length === 0) d.say($('#aud-msg'), 'info', () => t('aud.none'));
  else d.say($('#aud-msg'), '', '');
  body.replaceChildren(...entries.map((e) => h('tr', { class: 'aud-row' },
    h('td', { class: 'time' }, d.fmtTime(e.at)),
    h('td', { class: 'actor' }, actorLabel(e.actor)),
    h('td', { class: 'action' }, t(`aud.action.${e.action}`) === `aud.action.${e.action}` ? e.action : t(`aud.action.${e.action}`)),
    h('td', {}, changes(e), e.dataset_version ? h('span', { class: 'hint mono' }, ` ${e.dataset_version}`) : ''),
    h('td', { class: 'detail' }, e.detail || ''))));
  document.body.dataset.auditRows = String(entries.length);
}

export async function loadAudit() {
  if (!d.getToken()) return;
  try {
    entries = await d.call(`/api/v1/audit?limit=${SHOWN}`);
    renderAudit();
  } catch (e) {
    entries = null;
    renderAudit();
    d.say($('#aud-msg'), 'error', () => d.problemText(e));
  }
}

export function initAudit(deps) {
  d = deps;
  $('#aud-refresh').addEventListener('click', loadAudit);
  return { load: loadAudit, retranslate: renderAudit };
}
