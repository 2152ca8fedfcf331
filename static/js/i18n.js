// The zh/en switch shared by the rider page and the admin page: one remembered choice (localStorage, so the
// two pages agree), {name} placeholders with a zh fallback, and the data-i18n* attributes:
// data-i18n="key" (textContent), data-i18n-aria="key" (aria-label), data-i18n-title="key" (title) and
// data-i18n-placeholder="key".
// The table is split by page so that each page loads only its own strings: the keys both pages use are here;
// i18n-rider.js (index.html) and i18n-admin.js (admin.html) add the rest with addStrings(). A key lives in
// exactly one of the three files (addStrings reports a duplicate). Placeholders are {name}.

const STRINGS = {
  zh: {
    // both pages (the report reasons: the rider's report dialog, the admin's report list)
    'btn.lang': 'EN',
    'btn.lang.aria': 'EN · Switch to English',
    'reason.closed': '已关闭',
    'reason.moved': '已搬迁',
    'reason.amenity_missing': '设施缺失',
    'reason.wrong_hours': '时间不对',
    'reason.refused_entry': '拒绝进入',
    'reason.other': '其他',
    // a case's status (the rider's "My reports", the admin's case queue)
    'case.received': '已收到',
    'case.in_progress': '处理中',
    'case.resolved': '已解决',
    'case.rejected': '未采纳',
  },
  en: {
    'btn.lang': '中文',
    'btn.lang.aria': '中文 · 切换到中文',
    'reason.closed': 'Closed',
    'reason.moved': 'Moved',
    'reason.amenity_missing': 'Amenity missing',
    'reason.wrong_hours': 'Wrong hours',
    'reason.refused_entry': 'Refused entry',
    'reason.other': 'Other',
    'case.received': 'Received',
    'case.in_progress': 'In progress',
    'case.resolved': 'Resolved',
    'case.rejected': 'Not accepted',
  },
};

const STORE_KEY = 'yizhan.lang';

let lang = 'zh';
try {
  const saved = localStorage.getItem(STORE_KEY);
  if (saved === 'en' || saved === 'zh') lang = saved;
} catch (_) { /* storage blocked: stay zh */ }

const listeners = [];
let titleOf = (tr) => tr('app.title');

/** A page's own strings, {zh: {key: text}, en: {…}}; every key must be new. */
export function addStrings(table) {
  for (const l of ['zh', 'en']) {
    for (const [k, v] of Object.entries(table[l] || {})) {
      if (k in STRINGS[l]) console.error(`i18n: duplicate key ${l}.${k}`);
      STRINGS[l][k] = v;
    }
  }
}

export const getLang = () => lang;

/** Translate `key`, replacing {name} placeholders from `vars`. Falls back to zh, then the key. */
export function t(key, vars) {
  let s = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** Each page says once how its document title is made: `fn(t)` → string. */
export function setTitle(fn) { titleOf = fn; }

export function applyI18n(root) {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  document.title = titleOf(t);
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-aria]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nAria)); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
}

export function setLang(next) {
  if (next !== 'en' && next !== 'zh') return;
  lang = next;
  try { localStorage.setItem(STORE_KEY, next); } catch (_) { /* ignore */ }
  applyI18n(document);
  listeners.forEach((fn) => fn(lang));
}

export function onLangChange(fn) { listeners.push(fn); }
