// The zh/en switch shared by the rider page and the admin page: one remembered choice (localStorage, so the
// two pages agree), {name} placeholders with a zh fallback, and the data-i18n* attributes.
const STORE_KEY = 'yizhan.lang';

/** `dict` is {zh: {...}, en: {...}}; `titleOf(t)` gives the document title. */
export function createI18n(dict, titleOf) {
  let lang = 'zh';
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (saved === 'en' || saved === 'zh') lang = saved;
  } catch (_) { /* storage blocked: stay zh */ }

  const listeners = [];

  /** Translate `key`, replacing {name} placeholders from `vars`. Falls back to zh, then the key. */
  function t(key, vars) {
    let s = dict[lang][key] ?? dict.zh[key] ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  }

  function applyI18n(root) {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    document.title = titleOf(t);
    root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    root.querySelectorAll('[data-i18n-aria]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nAria)); });
    root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
    root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  }

  function setLang(next) {
    if (next !== 'en' && next !== 'zh') return;
    lang = next;
    try { localStorage.setItem(STORE_KEY, next); } catch (_) { /* ignore */ }
    applyI18n(document);
    listeners.forEach((fn) => fn(lang));
  }

  return {
    getLang: () => lang,
    setLang,
    onLangChange: (fn) => { listeners.push(fn); },
    t,
    applyI18n,
  };
}
