// The status line above the list, the list's loading flag, and the banner (errors, hints, notices).
import { els } from './store.js';
import { t } from './i18n.js';

export function setStatus(text, busy) {
  els.status.textContent = text;
  els.status.classList.toggle('busy', !!busy);
}

export function setLoading(on) {
  els.list.setAttribute('aria-busy', String(on));
  els.list.classList.toggle('loading', on);
  if (on) setStatus(t('status.loading'), true);
}

let bannerTimer = null;

/** kind: 'error' | 'warn' (geolocation) | 'api' (last request failed) | 'info'. */
export function showBanner(text, kind = 'error', autoHideMs = 0) {
  clearTimeout(bannerTimer);
  els.bannerText.textContent = text;
  els.banner.dataset.kind = kind;
  els.banner.hidden = false;
  if (autoHideMs) bannerTimer = setTimeout(hideBanner, autoHideMs);
}

export function hideBanner() {
  clearTimeout(bannerTimer);
  els.banner.hidden = true;
  els.banner.dataset.kind = '';
}
