// yizhan admin page: token, dataset status, upload (dry run → apply), versions/rollback, rider reports, delete.
// Plain ES module, no build step, no inline script or style (the page is served with a strict CSP).
//
// Layout of this file:
//   1. constants + small helpers     4. current dataset (GET /healthz)     7. versions + rollback
//   2. api (fetch + XHR upload)      5. upload (dry run, apply, progress)  8. (the case queue and "needs
//   3. token                         6. validation error table                attention": js/admin-cases.js)
//                                                                          9. delete, confirm dialog, boot

import { h } from './js/h.js';
import { t, getLang, setLang, onLangChange, applyI18n, setTitle } from './js/i18n.js';
import './js/i18n-admin.js'; // this page's strings (the rider's are not loaded here)
import { initCases, loadReports, renderReports, clearReports, loadAttention, renderAttention } from './js/admin-cases.js';
import { initInsights } from './js/admin-insights.js';
import { initAudit } from './js/admin-audit.js';

// ---------------------------------------------------------------------------------------------
// 1. constants + small helpers
// ---------------------------------------------------------------------------------------------
const TOKEN_KEY = 'yizhan.admin.token';
const PAGE = 500; // error-table rows rendered per "show more"
const $ = (sel) => document.querySelector(sel);

function fmtTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? '');
  return new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  }).format(d);
}

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function fmtCount(n) {
  return typeof n === 'number' ? n.toLocaleString(getLang() === 'en' ? 'en' : 'zh-CN') : String(n ?? '—');
}

/**
 * Show a message in a `.msg` element: kind is ok | error | info | '' (clear). `text` may be a function,
 * which is called again when the language changes.
 */
const messages = new Map(); // element → () => string
function say(el, kind, text) {
  if (typeof text === 'function') messages.set(el, text);
  else messages.delete(el);
  const s = typeof text === 'function' ? text() : text;
  el.textContent = s || '';
  if (kind && s) el.dataset.kind = kind;
  else delete el.dataset.kind;
}

function retranslateMessages() {
  for (const [el, fn] of messages) el.textContent = fn();
}

// ---------------------------------------------------------------------------------------------
// 2. api
// ---------------------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, problem) {
    const p = problem && typeof problem === 'object' ? problem : {};
    const title = typeof p.title === 'string' && p.title ? p.title : `HTTP ${status}`;
    const detail = typeof p.detail === 'string' ? p.detail : '';
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
    this.status = status; // 0 = network error
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(p.errors) ? p.errors : null;
    this.type = typeof p.type === 'string' ? p.type : '';
  }
}

/** A person-readable sentence for an error of any admin call. */
function problemText(e) {
  if (!(e instanceof ApiError)) return String(e && e.message ? e.message : e);
  if (e.status === 0) return t('up.network');
  if (e.status === 401) return t('token.wrong');
  if (e.status === 403 && e.type === '/problems/admin-disabled') return t('token.disabled') + (e.detail || e.title);
  if (e.status === 403) {
    // A read-only or district token: say why, and name the rows outside its districts.
    const rows = (e.errors || []).slice(0, 10).map((r) => `${r.id} (${r.district ?? '—'})`).join(', ');
    return `${e.detail || e.title}${rows ? `: ${rows}` : ''}`;
  }
  return e.detail ? `${e.title} (HTTP ${e.status}): ${e.detail}` : `${e.title} (HTTP ${e.status})`;
}

function authHeaders() {
  const tok = getToken();
  return tok ? { Authorization: `Bearer ${tok}` } : {};
}

function parseJson(text) {
  if (!text) return null;
  try { return JSON.parse(text); } catch (_) { return null; }
}

/** An API call; `body` (JSON-encoded here) is sent as `type`. */
async function call(path, { method = 'GET', admin = true, body, type = 'application/json', raw = false } = {}) {
  // Problems (validation errors included) come back in the page's language.
  const headers = { Accept: 'application/json, application/problem+json', 'Accept-Language': getLang(), ...(admin ? authHeaders() : {}) };
  if (body !== undefined) headers['Content-Type'] = type;
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (_) {
    throw new ApiError(0, { title: t('up.network') });
  }
  const text = await res.text().catch(() => '');
  if (raw && res.ok) return text; // a CSV download
  const data = parseJson(text);
  if (!res.ok) {
    const e = new ApiError(res.status, data);
    if (e.status === 401 || e.status === 403) tokenProblem(e);
    throw e;
  }
  return data;
}

const api = {
  health: () => call('/healthz', { admin: false }),
  versions: () => call('/api/v1/dataset/versions'),
  rollback: (v) => call(`/api/v1/dataset/rollback?version=${encodeURIComponent(v)}`, { method: 'POST' }),
  remove: (id) => call(`/api/v1/stations/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};

/**
 * PUT/POST /api/v1/stations with XMLHttpRequest (for upload progress). Resolves with the JSON answer,
 * rejects with ApiError (status 0 for a network error, -1 when aborted).
 */
function sendUpload({ method, query, body, contentType, gzip }, { onProgress, onSent, xhrRef }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhrRef(xhr);
    xhr.open(method, `/api/v1/stations?${query}`);
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.setRequestHeader('Accept-Language', getLang());
    if (gzip) xhr.setRequestHeader('Content-Encoding', 'gzip');
    const auth = authHeaders().Authorization;
    if (auth) xhr.setRequestHeader('Authorization', auth);
    xhr.upload.addEventListener('progress', (ev) => { if (ev.lengthComputable) onProgress(ev.loaded / ev.total); });
    xhr.upload.addEventListener('load', () => onSent());
    xhr.addEventListener('load', () => {
      const data = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { title: t('up.network') })));
    xhr.addEventListener('abort', () => reject(new ApiError(-1, { title: t('up.aborted') })));
    xhr.send(body);
  });
}

// ---------------------------------------------------------------------------------------------
// 3. token
// ---------------------------------------------------------------------------------------------
function getToken() {
  try { return (sessionStorage.getItem(TOKEN_KEY) || '').trim(); } catch (_) { return memToken; }
}
let memToken = ''; // fallback when sessionStorage is blocked

function setToken(v) {
  memToken = v;
  try {
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) { /* storage blocked: keep it in memory */ }
}

function tokenProblem(e) {
  say($('#token-msg'), 'error', () => problemText(e));
  $('#token').setAttribute('aria-invalid', 'true');
}

async function checkToken() {
  const msg = $('#token-msg');
  if (!getToken()) {
    say(msg, 'info', () => t('token.none'));
    showNeedToken();
    return false;
  }
  say(msg, 'info', () => t('token.checking'));
  try {
    const v = await api.versions();
    say(msg, 'ok', () => t('token.ok'));
    $('#token').removeAttribute('aria-invalid');
    renderVersions(v);
    loadReports();
    loadAttention();
    insights.load();
    audit.load();
    return true;
  } catch (e) {
    if (e.status !== 401 && e.status !== 403) say(msg, 'error', () => problemText(e));
    showNeedToken(e);
    return false;
  }
}

function showNeedToken(e) {
  state.versions = null;
  clearReports();
  $('#ver-table').hidden = true;
  const text = () => (e ? problemText(e) : t('ver.need_token'));
  say($('#ver-msg'), e ? 'error' : 'info', text);
  say($('#rep-msg'), e ? 'error' : 'info', text);
  say($('#att-msg'), e ? 'error' : 'info', text);
}

function initToken() {
  const input = $('#token');
  input.value = getToken();
  $('#token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    checkToken();
  });
  $('#token-forget').addEventListener('click', () => {
    setToken('');
    input.value = '';
    input.removeAttribute('aria-invalid');
    say($('#token-msg'), 'info', () => t('token.forgotten'));
    showNeedToken();
  });
  $('#token-show').addEventListener('change', (ev) => { input.type = ev.target.checked ? 'text' : 'password'; });
}

// ---------------------------------------------------------------------------------------------
// 4. current dataset
// ---------------------------------------------------------------------------------------------
const state = {
  health: null,
  versions: null,
  result: null, // last upload result, re-rendered on language change
};

async function refreshDataset() {
  try {
    const hz = await api.health();
    state.health = hz;
    $('#ds-version').textContent = hz.dataset_version ?? '—';
    $('#ds-count').textContent = fmtCount(hz.stations);
    $('#sec-dataset').dataset.version = hz.dataset_version ?? '';
    say($('#ds-msg'), '', '');
  } catch (e) {
    say($('#ds-msg'), 'error', () => problemText(e));
  }
}

// ---------------------------------------------------------------------------------------------
// 5. upload
// ---------------------------------------------------------------------------------------------
const upload = {
  xhr: null,
  busy: false,
  okSignature: null, // signature of the settings+file of the last clean dry run
  prepared: null, // {signature, gzip, body, contentType}
};

function contentTypeOf(file) {
  const name = file.name.toLowerCase();
  if (name.endsWith('.geojson') || name.endsWith('.json')) return 'application/geo+json';
  if (name.endsWith('.csv')) return 'text/csv';
  if (/^(application\/(geo\+)?json|text\/csv)$/.test(file.type)) return file.type;
  return null;
}

function settings() {
  const file = $('#up-file').files[0] || null;
  return {
    file,
    mode: document.querySelector('input[name="mode"]:checked')?.value === 'upsert' ? 'upsert' : 'replace',
    crs: $('#up-crs').value,
    allowEmpty: $('#up-allow-empty').checked,
    gzip: gzipAvailable && $('#up-gzip').checked,
  };
}

function signature(s) {
  if (!s.file) return null;
  return [s.file.name, s.file.size, s.file.lastModified, s.mode, s.crs, s.allowEmpty].join('|');
}

const gzipAvailable = typeof CompressionStream === 'function';

function syncButtons() {
  const s = settings();
  const sig = signature(s);
  $('#btn-dry').disabled = upload.busy || !s.file || !contentTypeOf(s.file);
  $('#btn-apply').disabled = upload.busy || !sig || sig !== upload.okSignature;
  $('#btn-abort').hidden = !upload.busy;
}

function onSettingsChanged() {
  const s = settings();
  const info = $('#up-file-info');
  if (s.file) {
    const ct = contentTypeOf(s.file);
    info.removeAttribute('data-i18n');
    info.textContent = ct
      ? t('up.file.info', { name: s.file.name, size: fmtSize(s.file.size), type: ct })
      : t('up.file.bad_ext');
    info.dataset.kind = ct ? '' : 'error';
  } else {
    info.dataset.i18n = 'up.file.none';
    info.textContent = t('up.file.none');
    delete info.dataset.kind;
  }
  if (upload.okSignature && signature(s) !== upload.okSignature) {
    upload.okSignature = null;
    showResult({ kind: 'info', state: 'changed', lines: [() => t('up.changed')] });
  }
  syncButtons();
}

async function prepareBody(s) {
  const sig = signature(s);
  if (upload.prepared && upload.prepared.signature === sig && upload.prepared.gzip === s.gzip) return upload.prepared;
  const contentType = contentTypeOf(s.file);
  let body = s.file;
  if (s.gzip) {
    progress(null, t('up.reading'));
    body = await new Response(s.file.stream().pipeThrough(new CompressionStream('gzip'))).blob();
  }
  upload.prepared = { signature: sig, gzip: s.gzip, body, contentType };
  return upload.prepared;
}

/** Show the progress bar: fraction 0..1, or null for "busy, unknown how long". hide with progress(false). */
function progress(fraction, text) {
  const wrap = $('#up-progress-wrap');
  const bar = $('#up-progress');
  if (fraction === false) { wrap.hidden = true; return; }
  wrap.hidden = false;
  if (fraction === null) bar.removeAttribute('value');
  else bar.value = Math.round(fraction * 100);
  $('#up-progress-text').textContent = text || '';
}

async function runUpload(dryRun) {
  const s = settings();
  if (!s.file || upload.busy) return;
  const contentType = contentTypeOf(s.file);
  if (!contentType) {
    showResult({ kind: 'error', state: 'problem', lines: [() => t('up.file.bad_ext')] });
    return;
  }
  if (!dryRun && signature(s) !== upload.okSignature) return; // Apply only after a clean dry run
  upload.busy = true;
  syncButtons();
  if (dryRun) { upload.okSignature = null; hideErrors(); }
  $('#up-result').hidden = true;
  const q = new URLSearchParams();
  if (s.crs !== 'wgs84') q.set('crs', s.crs);
  if (s.allowEmpty) q.set('allow_empty', 'true');
  if (dryRun) q.set('dry_run', 'true');
  try {
    const prep = await prepareBody(s);
    progress(0, t('up.sending', { pct: '0%' }));
    const out = await sendUpload(
      { method: s.mode === 'upsert' ? 'POST' : 'PUT', query: q.toString(), body: prep.body, contentType, gzip: prep.gzip },
      {
        onProgress: (f) => progress(f, t('up.sending', { pct: `${Math.round(f * 100)}%` })),
        onSent: () => progress(null, t('up.validating')),
        xhrRef: (x) => { upload.xhr = x; },
      },
    );
    const warnings = Array.isArray(out?.warnings) ? out.warnings : [];
    if (dryRun) {
      upload.okSignature = signature(s);
      const same = state.health && out.dataset_version === state.health.dataset_version;
      showResult({
        kind: 'ok', state: 'dry-ok', version: out.dataset_version, count: out.count, warnings,
        lines: [
          () => t('up.dry.ok', { count: fmtCount(out.count) }),
          () => t('up.dry.ok.version', { version: out.dataset_version }) + (same ? t('up.dry.same') : ''),
        ],
      });
    } else {
      upload.okSignature = null;
      upload.prepared = null;
      showResult({
        kind: 'ok', state: 'applied', version: out.dataset_version, count: out.count, warnings,
        lines: [() => t('up.applied', { version: out.dataset_version, count: fmtCount(out.count) })],
      });
      refreshDataset();
      if (getToken()) api.versions().then(renderVersions, () => {});
    }
  } catch (e) {
    if (!(e instanceof ApiError)) e = new ApiError(0, { title: String(e?.message || e) });
    if (e.status === 401 || e.status === 403) tokenProblem(e);
    if (e.status === -1) {
      showResult({ kind: 'info', state: 'aborted', lines: [() => t('up.aborted')] });
    } else if (e.status === 422 && e.errors && e.errors.length) {
      showResult({ kind: 'error', state: 'invalid', lines: [() => t('up.invalid', { n: fmtCount(e.errors.length) })] });
      showErrors(e.errors);
    } else {
      showResult({
        kind: 'error', state: 'problem', status: e.status,
        lines: [() => (e.status > 0 ? t('up.failed', { status: e.status }) : ''), () => problemText(e)],
      });
    }
  } finally {
    upload.busy = false;
    upload.xhr = null;
    progress(false);
    syncButtons();
  }
}

/** The result box under the upload form. `lines` are functions so a language switch can re-render them. */
function showResult(r) {
  state.result = r;
  renderResult();
}

function renderResult() {
  const box = $('#up-result');
  const r = state.result;
  if (!r) { box.hidden = true; return; }
  box.hidden = false;
  box.dataset.kind = r.kind;
  box.dataset.state = r.state;
  if (r.version) box.dataset.version = r.version; else delete box.dataset.version;
  if (r.count !== undefined) box.dataset.count = String(r.count); else delete box.dataset.count;
  const ps = r.lines.map((f) => f()).filter(Boolean).map((s, i) => h('p', { class: i === 0 ? 'result-head' : 'result-line' }, s));
  box.replaceChildren(...ps);
  if (r.warnings && r.warnings.length) {
    box.append(h('details', { class: 'warnings', open: r.warnings.length <= 10 },
      h('summary', null, t('up.warnings', { n: r.warnings.length })),
      h('ul', null, ...r.warnings.slice(0, 1000).map((w) => h('li', null, String(w))))));
  }
}

function initUpload() {
  if (gzipAvailable) {
    $('#up-gzip-wrap').hidden = false;
    $('#up-gzip').checked = true;
  }
  $('#up-form').addEventListener('submit', (ev) => { ev.preventDefault(); runUpload(true); });
  $('#btn-apply').addEventListener('click', () => runUpload(false));
  $('#btn-abort').addEventListener('click', () => upload.xhr?.abort());
  for (const el of [$('#up-file'), $('#up-crs'), $('#up-allow-empty'), ...document.querySelectorAll('input[name="mode"]')]) {
    el.addEventListener('change', onSettingsChanged);
  }
  $('#up-file').addEventListener('change', () => { upload.prepared = null; });
  syncButtons();
}

// ---------------------------------------------------------------------------------------------
// 6. validation error table (thousands of rows: filter + sort in memory, render PAGE rows at a time)
// ---------------------------------------------------------------------------------------------
const errs = {
  all: [],
  view: [],
  shown: PAGE,
  sortKey: 'index',
  sortDir: 1,
  field: '',
  text: '',
  hasLine: false,
};

function showErrors(list) {
  errs.all = list.map((e) => ({
    index: Number.isFinite(e.index) ? e.index : -1,
    line: Number.isFinite(e.line) ? e.line : null,
    id: e.id == null ? '' : String(e.id),
    field: String(e.field ?? ''),
    message: String(e.message ?? ''),
  }));
  errs.hasLine = errs.all.some((e) => e.line !== null);
  errs.sortKey = 'index';
  errs.sortDir = 1;
  errs.field = '';
  errs.text = '';
  $('#err-text').value = '';
  renderFieldFilter();
  $('#err-wrap').hidden = false;
  applyErrorView();
}

function hideErrors() {
  errs.all = [];
  errs.view = [];
  $('#err-wrap').hidden = true;
  $('#err-table tbody').replaceChildren();
}

function renderFieldFilter() {
  const counts = new Map();
  for (const e of errs.all) counts.set(e.field, (counts.get(e.field) || 0) + 1);
  const sel = $('#err-field');
  sel.replaceChildren(
    h('option', { value: '' }, t('err.filter.all', { n: errs.all.length })),
    ...[...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]))
      .map(([f, n]) => h('option', { value: f }, `${f} (${n})`)),
  );
  sel.value = errs.field;
}

function applyErrorView() {
  const text = errs.text.trim().toLowerCase();
  let v = errs.all;
  if (errs.field) v = v.filter((e) => e.field === errs.field);
  if (text) v = v.filter((e) => e.id.toLowerCase().includes(text) || e.message.toLowerCase().includes(text));
  const k = errs.sortKey;
  const dir = errs.sortDir;
  const numeric = k === 'index' || k === 'line';
  v = v.slice().sort((a, b) => {
    let c;
    if (numeric) c = (a[k] ?? -1) - (b[k] ?? -1);
    else c = a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0;
    return c * dir || a.index - b.index;
  });
  errs.view = v;
  errs.shown = PAGE;
  renderErrorRows();
}

function renderErrorRows() {
  const table = $('#err-table');
  table.classList.toggle('no-line', !errs.hasLine);
  const idxBtn = table.querySelector('.sort[data-key="index"]');
  idxBtn.textContent = t(errs.hasLine ? 'err.col.index.csv' : 'err.col.index.geo');
  for (const b of table.querySelectorAll('.sort')) {
    const th = b.parentElement;
    if (b.dataset.key === errs.sortKey) th.setAttribute('aria-sort', errs.sortDir > 0 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
  const rows = errs.view.slice(0, errs.shown);
  const frag = document.createDocumentFragment();
  for (const e of rows) {
    frag.append(h('tr', { dataset: { index: e.index, field: e.field } },
      h('td', { class: 'num' }, e.index >= 0 ? String(e.index) : ''),
      h('td', { class: 'num col-line' }, e.line ?? ''),
      h('td', { class: 'mono' }, e.id),
      h('td', null, h('span', { class: 'tag' }, e.field)),
      h('td', { class: 'msg-cell' }, e.message)));
  }
  table.tBodies[0].replaceChildren(frag);
  $('#err-showing').textContent = t('err.showing', { shown: fmtCount(rows.length), total: fmtCount(errs.view.length) });
  const more = $('#err-more');
  const left = errs.view.length - rows.length;
  more.hidden = left <= 0;
  more.textContent = t('err.more', { n: fmtCount(Math.min(PAGE, left)) });
}

function initErrorTable() {
  $('#err-field').addEventListener('change', (ev) => { errs.field = ev.target.value; applyErrorView(); });
  let timer = 0;
  $('#err-text').addEventListener('input', (ev) => {
    clearTimeout(timer);
    timer = setTimeout(() => { errs.text = ev.target.value; applyErrorView(); }, 150);
  });
  $('#err-table thead').addEventListener('click', (ev) => {
    const b = ev.target.closest('.sort');
    if (!b) return;
    if (errs.sortKey === b.dataset.key) errs.sortDir = -errs.sortDir;
    else { errs.sortKey = b.dataset.key; errs.sortDir = 1; }
    applyErrorView();
  });
  $('#err-more').addEventListener('click', () => { errs.shown += PAGE; renderErrorRows(); });
}

// ---------------------------------------------------------------------------------------------
// 7. versions + rollback
// ---------------------------------------------------------------------------------------------
function renderVersions(data) {
  if (data) state.versions = data;
  const v = state.versions;
  if (!v) return;
  const list = Array.isArray(v.versions) ? v.versions : [];
  const table = $('#ver-table');
  if (!list.length) {
    table.hidden = true;
    say($('#ver-msg'), 'info', () => t('ver.empty'));
    return;
  }
  if ($('#ver-msg').dataset.kind !== 'ok') say($('#ver-msg'), '', '');
  table.hidden = false;
  table.tBodies[0].replaceChildren(...list.map((x) => {
    const current = x.current || x.version === v.current;
    return h('tr', { dataset: { version: x.version }, class: current ? 'is-current' : null },
      h('td', { class: 'mono ver' }, x.version, current ? h('span', { class: 'badge' }, t('ver.current')) : null),
      h('td', { class: 'num' }, fmtCount(x.count)),
      h('td', null, fmtTime(x.created_at)),
      h('td', null, current ? null : h('button', {
        type: 'button', class: 'btn btn-small rollback', dataset: { version: x.version, count: x.count },
      }, t('ver.rollback'))));
  }));
}

async function loadVersions() {
  if (!getToken()) { showNeedToken(); return; }
  try { renderVersions(await api.versions()); } catch (e) { say($('#ver-msg'), 'error', () => problemText(e)); }
}

/** After this page changed the dataset (rollback, delete), a merge dry run no longer predicts the result. */
function datasetChanged() {
  if (upload.okSignature) {
    upload.okSignature = null;
    showResult({ kind: 'info', state: 'changed', lines: [() => t('up.changed')] });
    syncButtons();
  }
}

async function rollback(version, count) {
  if (!(await confirmDialog(t('ver.confirm', { version, count: fmtCount(Number(count)) })))) return;
  try {
    const out = await api.rollback(version);
    say($('#ver-msg'), 'ok', () => t('ver.done', { version: out.dataset_version, count: fmtCount(out.count) }));
    datasetChanged();
    await Promise.all([refreshDataset(), loadVersions()]);
  } catch (e) {
    say($('#ver-msg'), 'error', () => problemText(e));
  }
}

function initVersions() {
  $('#ver-refresh').addEventListener('click', () => { say($('#ver-msg'), '', ''); loadVersions(); });
  $('#ver-table').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.rollback');
    if (b) rollback(b.dataset.version, b.dataset.count);
  });
}

// ---------------------------------------------------------------------------------------------
// 9. delete, confirm dialog, boot
// ---------------------------------------------------------------------------------------------
function confirmDialog(text) {
  const dlg = $('#confirm-dialog');
  $('#confirm-text').textContent = text;
  if (typeof dlg.showModal !== 'function') return Promise.resolve(window.confirm(text));
  dlg.returnValue = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.showModal();
    $('#confirm-cancel').focus();
  });
}

function initDelete() {
  $('#del-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const msg = $('#del-msg');
    const id = $('#del-id').value.trim();
    if (!id) { say(msg, 'error', () => t('del.need_id')); return; }
    if (!(await confirmDialog(t('del.confirm', { id })))) return;
    try {
      const out = await api.remove(id);
      say(msg, 'ok', () => t('del.done', { id, version: out.dataset_version, count: fmtCount(out.count) }));
      $('#del-id').value = '';
      datasetChanged();
      refreshDataset();
      loadVersions();
    } catch (e) {
      say(msg, 'error', () => problemText(e));
    }
  });
}

let insights = { load() {}, retranslate() {} };
let audit = { load() {}, retranslate() {} };

function boot() {
  setTitle((tr) => `${tr('page.title')} · yizhan`);
  applyI18n(document);
  $('#btn-lang').addEventListener('click', () => setLang(getLang() === 'en' ? 'zh' : 'en'));
  onLangChange(() => {
    retranslateMessages();
    $('#ds-count').textContent = state.health ? fmtCount(state.health.stations) : '…';
    onSettingsChanged();
    renderResult();
    if (errs.all.length) { renderFieldFilter(); renderErrorRows(); }
    renderVersions();
    renderReports();
    renderAttention();
    insights.retranslate();
    audit.retranslate();
    if (!getToken()) showNeedToken();
  });
  $('#ds-refresh').addEventListener('click', refreshDataset);
  initToken();
  initUpload();
  initErrorTable();
  initVersions();
  initDelete();
  initCases({ call, say, problemText, fmtTime, fmtCount, getToken });
  insights = initInsights({ call, say, problemText, getToken });
  audit = initAudit({ call, say, problemText, fmtTime, getToken });
  refreshDataset();
  if (getToken()) checkToken();
  else showNeedToken();
  document.body.dataset.ready = 'true';
}

boot();
