// The "report a problem" dialog of a station (POST /api/v1/stations/{id}/reports).
import { t } from './i18n.js';
import { els } from './store.js';
import { api, ApiError } from './api.js';

const REASONS = ['closed', 'moved', 'amenity_missing', 'wrong_hours', 'refused_entry', 'other'];

let reportStation = null;

export function openReport(f) {
  reportStation = f;
  els.reportForm.reset();
  els.reportCount.textContent = '0';
  els.reportMsg.textContent = '';
  els.reportMsg.className = 'report-msg';
  els.reportSubmit.disabled = false;
  els.reportStation.textContent = f.properties?.name || String(f.id);
  if (typeof els.reportDialog.showModal === 'function') els.reportDialog.showModal();
  else els.reportDialog.setAttribute('open', '');
}

export function closeReport() {
  if (typeof els.reportDialog.close === 'function') els.reportDialog.close();
  else els.reportDialog.removeAttribute('open');
}

export async function submitReport(ev) {
  ev.preventDefault();
  if (!reportStation) return;
  const reason = new FormData(els.reportForm).get('reason');
  const msg = (text, kind) => { els.reportMsg.textContent = text; els.reportMsg.className = `report-msg ${kind}`; };
  if (!REASONS.includes(reason)) { msg(t('report.choose'), 'error'); return; }
  const comment = els.reportComment.value.trim().slice(0, 500);
  els.reportSubmit.disabled = true;
  msg(t('report.sending'), 'busy');
  try {
    await api.report(String(reportStation.id), reason, comment);
    msg(t('report.thanks'), 'ok');
    setTimeout(() => { if (els.reportMsg.classList.contains('ok')) closeReport(); }, 2500);
  } catch (e) {
    els.reportSubmit.disabled = false;
    if (!(e instanceof ApiError)) { msg(t('err.network'), 'error'); return; }
    if (e.status === 429) {
      const secs = Number.parseInt(e.retryAfter || '', 10);
      msg(`${t('report.too_many')}${Number.isFinite(secs) ? ` (${secs} s)` : ''}`, 'error');
    } else if ([404, 405, 501].includes(e.status)) msg(t('report.not_found'), 'error');
    else if (e.status === 0) msg(e.title, 'error');
    else msg(`${t('report.failed')}: ${e.message}`, 'error');
  }
}
