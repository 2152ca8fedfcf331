// 长辈版 (the "senior view" of the MIIT 2021 适老化 rules for websites and GB/T 37668): larger text (1.3×), line
// spacing 1.6, high contrast, one simple column with the map hidden until asked, no pop-ups on the map.
// The rider's choice is kept on the device (localStorage). This is a classic script in <head>, not a module:
// it must set the class on <html> before the first paint (a module runs after parsing; the CSP forbids inline
// script), so a rider who chose it never sees the small page flash first. It needs no other module; the
// button's text comes from the string tables (data-i18n, applied by app.js).
(function elder() {
  var KEY = 'yz.elder';
  var root = document.documentElement;

  function stored() {
    try { return localStorage.getItem(KEY) === '1'; } catch (_) { return false; }
  }

  /** Class on <html>, the toggles' aria-pressed; Leaflet is told its box changed. */
  function apply(on, mapShown) {
    root.classList.toggle('elder', on);
    root.classList.toggle('elder-map', on && mapShown);
    var b = document.getElementById('btn-elder');
    if (b) b.setAttribute('aria-pressed', String(on));
    var m = document.getElementById('btn-elder-map');
    if (m) m.setAttribute('aria-expanded', String(on && mapShown));
    // Leaflet re-measures its container on window resize; a map shown again needs that.
    window.dispatchEvent(new Event('resize'));
  }

  root.classList.toggle('elder', stored());

  document.addEventListener('click', function onClick(e) {
    var t = e.target instanceof Element ? e.target : null;
    if (!t) return;
    if (t.closest('#btn-elder')) {
      var on = !root.classList.contains('elder');
      try { localStorage.setItem(KEY, on ? '1' : '0'); } catch (_) { /* private mode: this visit only */ }
      apply(on, false);
    } else if (t.closest('#btn-elder-map')) {
      apply(true, !root.classList.contains('elder-map'));
    }
  });

  function init() { apply(root.classList.contains('elder'), false); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init, { once: true });
  else init();
}());
