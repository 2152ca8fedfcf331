// What a rider needs to trust a station before riding there, read from the API's state fields (API.md v2
// "Station state"): a closure (暂停服务: status, status_note, reopens_on), when it was last confirmed
// (verified_at), how many riders reported a problem that is still open (open_reports), and when it next opens
// or closes (next_change_at). Every line is an icon and words: colour is never the only signal.
import { h } from './h.js';
import { t, getLang } from './i18n.js';
import { isSuspended } from './api.js';

const TZ = 'Asia/Shanghai'; // the service zone: dates and times are shown as the server counts them
const DAY_MS = 86400000;

const dateFmt = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
const timeFmt = new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** YYYY-MM-DD of `date` in the service zone. */
export const localDate = (date = new Date()) => dateFmt.format(date);

/** Whole days from date string `a` to `b` (both YYYY-MM-DD). */
const daysBetween = (a, b) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);

/** A day (YYYY-MM-DD) as the page's language writes it: "12月8日 周一" / "Mon 8 Dec". */
export function formatDay(ymd) {
  const d = new Date(`${ymd}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return String(ymd);
  const en = getLang() === 'en';
  return new Intl.DateTimeFormat(en ? 'en-GB' : 'zh-CN', {
    timeZone: 'UTC', month: en ? 'short' : 'numeric', day: 'numeric', weekday: 'short',
  }).format(d);
}

/** "12 分钟后关门" / "09:00 开门" / "明天 09:00 开门" …, or '' when the station never changes soon. */
export function nextChangeText(p, now = new Date()) {
  const at = p.next_change_at ? new Date(p.next_change_at) : null;
  if (!at || Number.isNaN(at.getTime()) || at <= now || typeof p.open_now !== 'boolean') return '';
  const mins = Math.ceil((at - now) / 60000);
  const days = daysBetween(localDate(now), localDate(at));
  const time = timeFmt.format(at);
  const when = days === 0 ? time : days === 1 ? t('next.tomorrow', { time }) : `${formatDay(localDate(at))} ${time}`;
  if (p.open_now) return mins <= 60 ? t('next.closes_in', { n: mins }) : t('next.closes_at', { when });
  return mins <= 60 ? t('next.opens_in', { n: mins }) : t('next.opens_at', { when });
}

/** "今天已确认" / "N 天前已确认" / "尚未确认" from verified_at. */
export function verifiedText(p, now = new Date()) {
  if (!p.verified_at) return t('verified.never');
  const at = new Date(p.verified_at);
  if (Number.isNaN(at.getTime())) return '';
  const n = Math.max(0, daysBetween(localDate(at), localDate(now)));
  return n === 0 ? t('verified.today') : n === 1 ? t('verified.yesterday') : t('verified.days', { n });
}

/**
 * The state lines of a station: [{kind, icon, text}], most important first. `short` (list rows) leaves out
 * "not confirmed yet" (most stations, so it would only be noise there).
 */
export function stateLines(f, { short = false, now = new Date() } = {}) {
  const p = f.properties || {};
  const out = [];
  if (isSuspended(f)) {
    const parts = [t('state.suspended')];
    if (p.status_note) parts.push(String(p.status_note));
    parts.push(p.reopens_on ? t('state.reopens', { day: formatDay(p.reopens_on) }) : t('state.reopens_unknown'));
    out.push({ kind: 'closure', icon: '⛔', text: parts.join(' · ') });
  }
  const next = nextChangeText(p, now);
  if (next) out.push({ kind: 'next', icon: p.open_now ? '⏳' : '🕘', text: next });
  const reports = Number(p.open_reports);
  if (reports > 0) out.push({ kind: 'reports', icon: '⚠️', text: t(reports === 1 ? 'state.reports.one' : 'state.reports', { n: reports }) });
  if (!short || p.verified_at) {
    const v = verifiedText(p, now);
    if (v) out.push({ kind: 'verified', icon: p.verified_at ? '✔️' : '❔', text: v });
  }
  return out;
}

/** The lines as elements (class `st-line st-{kind}`), in a wrapper of class `cls`. */
export function stateBlock(f, cls, opts) {
  const lines = stateLines(f, opts);
  if (!lines.length) return null;
  return h('span', { class: cls }, lines.map((l) => h('span', { class: `st-line st-${l.kind}`, dataset: { kind: l.kind } },
    h('span', { class: 'st-icon', 'aria-hidden': 'true', text: l.icon }), ' ', l.text)));
}
