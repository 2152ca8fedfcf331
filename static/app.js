// yizhan rider page: nearest rest stations (暖心驿站) for outdoor workers.
// Plain ES modules, no build step. Leaflet + markercluster are loaded with `defer` by index.html;
// this module is `async`, so the first API request starts before Leaflet has been parsed and the
// list can appear even if the map (or its tiles) never loads.
//
// This file only starts the page: it finds the elements, reads the URL and wires the buttons. The work is
// done by the modules in js/, one job each; each imports only modules above it here (no cycles):
//   h.js           the DOM builder (both pages)
//   i18n.js        the zh/en switch and the strings both pages use (both pages)
//   i18n-rider.js  this page's strings; distances, lengths and times as text
//   crs.js         WGS-84 / GCJ-02 / BD-09 conversions
//   api.js         every HTTP call; how a station of an answer is read
//   url-state.js   the shared state and elements, the banner, the URL as shareable state
//   map.js         the map (Leaflet)
//   offline.js     "save my area" (IndexedDB), the nearest list offline, the offline banner, sw.js
//   details.js     selection, the details view, badges and amenities, navigation links, the report dialog
//   station-state.js  a station's closure, confirmation, open reports and next opening/closing as text
//   list.js        position, filter chips, asking for the list, the list, the status line
//   route.js       "on my way" (顺路): mode, destination, pasted routes (links.js, loaded on first paste)
//   locate-on-load.js  locating as the page opens only when already allowed, else a big button
//   tickets.js     "My reports" (我的反馈): the rider's tickets kept on the device, a case's status and history
// index.html preloads all of them except links.js and tickets.js (loaded when needed), so they arrive in
// parallel with the page.

import { t, getLang, setLang, onLangChange, applyI18n, setTitle } from './js/i18n.js';
import './js/i18n-rider.js'; // this page's strings
import { state, els, hideBanner, readUrl, share } from './js/url-state.js';
import { api } from './js/api.js';
import { initMap } from './js/map.js';
import { saveArea, renderAreaStatus, updateOfflineBanner, registerServiceWorker } from './js/offline.js';
import { select, openDetails, closeDetails, closeReport, submitReport, mergeAmenityLabels } from './js/details.js';
import {
  refresh, networkBack, resultStatus, firstListShown, renderList, renderChips, setStatus, locate, setPosition, tapEnabled, updatePickUi,
} from './js/list.js';
import { setMode, updateModeUi, setDestination, clearRoute, applyPaste, setDetour } from './js/route.js';
import { locateOnLoad } from './js/locate-on-load.js';

const $ = (id) => document.getElementById(id);

setTitle((tr) => `${tr('app.title')} · ${tr('app.subtitle')}`);

/** A tap on the map: the destination in "on my way" mode, else the rider's position (when taps set it). */
function onMapClick(p) {
  if (state.mode === 'route' && !state.pickMode) {
    setDestination(p.lat, p.lon);
    return;
  }
  if (!tapEnabled()) return;
  state.pickMode = false;
  hideBanner();
  setPosition(p.lat, p.lon, 'tap');
  updatePickUi();
}

function rerenderForLang() {
  renderChips();
  updateModeUi();
  renderAreaStatus();
  updateOfflineBanner();
  if ((state.pos || state.mode === 'route') && state.lastQuery) { renderList(); setStatus(resultStatus(), false); } else if (state.mode === 'route') {
    setStatus(resultStatus(), false);
  } else if (!state.pos) {
    setStatus(state.geoFailed ? t('status.need_position') : t('status.locating'), !state.geoFailed);
  }
  if (state.selectedId !== null) openDetails(state.selectedId);
  if (!els.banner.hidden && els.banner.dataset.kind === 'warn' && state.geoMessage) els.bannerText.textContent = t(state.geoMessage);
}

function boot() {
  Object.assign(els, {
    map: $('map'), mapPane: document.querySelector('.map-pane'), mapMsg: $('map-msg'), tapHint: $('tap-hint'),
    list: $('list'), status: $('status'), chips: $('chips'), details: $('details'),
    banner: $('banner'), bannerText: $('banner-text'),
    btnPick: $('btn-pick'),
    reportDialog: $('report-dialog'), reportForm: $('report-form'), reportMsg: $('report-msg'),
    reportComment: $('report-comment'), reportCount: $('report-count'), reportSubmit: $('report-submit'),
    reportStation: $('report-station'), reportDone: $('report-done'), reportTicket: $('report-ticket'),
    reportFollow: $('report-follow'),
    modeNear: $('mode-near'), modeRoute: $('mode-route'), routePanel: $('route-panel'), routeClear: $('route-clear'),
    detourBtns: [...document.querySelectorAll('#detour .detour-btn')],
    pasteText: $('paste-text'), pasteCrs: $('paste-crs'), pasteMsg: $('paste-msg'),
    offBanner: $('offline-banner'), offText: $('offline-text'), btnSave: $('btn-save'), areaStatus: $('area-status'),
  });

  const fromUrl = readUrl();
  state.amenities = fromUrl.amenities;
  state.openNow = fromUrl.openNow;
  state.openFor = fromUrl.openFor;
  state.mode = fromUrl.mode;
  state.detour = fromUrl.detour;
  if (fromUrl.route) state.route = fromUrl.route;

  // Start the network work first: the list must not wait for Leaflet.
  const configPromise = api.config().catch(() => null);
  if (fromUrl.pos) state.pos = { ...fromUrl.pos, source: 'url', accuracy: null };
  if (fromUrl.pos || (state.mode === 'route' && state.route.path)) refresh({ fit: true });

  applyI18n(document);
  renderChips();
  updateModeUi();
  renderAreaStatus();
  locateOnLoad(!fromUrl.pos);

  api.amenities().then((list) => { mergeAmenityLabels(list); renderChips(); }).catch(() => { /* built-in labels */ });

  $('btn-lang').addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
  onLangChange(rerenderForLang);
  $('btn-share').addEventListener('click', share);
  // "My reports" (tickets.js) is loaded only when asked for: most visits never need it.
  $('btn-mine').addEventListener('click', () => import('./js/tickets.js').then((m) => m.openMine()));
  if (fromUrl.ticket) import('./js/tickets.js').then((m) => m.openTicket(fromUrl.ticket));
  $('btn-locate').addEventListener('click', locate);
  els.btnPick.addEventListener('click', () => {
    state.pickMode = !state.pickMode;
    updatePickUi();
  });
  $('banner-close').addEventListener('click', hideBanner);
  els.modeNear.addEventListener('click', () => setMode('near'));
  els.modeRoute.addEventListener('click', () => setMode('route'));
  els.detourBtns.forEach((b) => b.addEventListener('click', () => setDetour(Number(b.dataset.m))));
  els.routeClear.addEventListener('click', clearRoute);
  $('paste-go').addEventListener('click', applyPaste);
  els.btnSave.addEventListener('click', () => saveArea());
  window.addEventListener('online', () => { updateOfflineBanner(); networkBack(); });
  window.addEventListener('offline', () => { updateOfflineBanner(); if (state.mode === 'near') refresh(); });
  updateOfflineBanner();
  els.reportForm.addEventListener('submit', submitReport);
  $('report-cancel').addEventListener('click', closeReport);
  els.reportComment.addEventListener('input', () => { els.reportCount.textContent = String(els.reportComment.value.length); });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !els.details.hidden && !els.reportDialog.open) closeDetails(true);
  });

  initMap(configPromise, { onClick: onMapClick, onMarkerClick: (id) => select(id, 'map') });
  registerServiceWorker(firstListShown);
}

// The module is `async` and placed after all the markup, so the elements normally exist already;
// do not wait for DOMContentLoaded (that would wait for Leaflet to be parsed first).
if (document.getElementById('report-dialog')) boot();
else document.addEventListener('DOMContentLoaded', boot, { once: true });
