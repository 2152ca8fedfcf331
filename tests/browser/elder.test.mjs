// 长辈版 (js/elder.js, the 长辈版 part of app.css): the header toggle turns on larger text, wider line spacing, high contrast and a
// simple one-column layout with the map hidden until asked; the choice survives a reload (applied before the
// first paint), axe finds nothing serious in it, and the toggle turns it off again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, TIANANMEN, launch, newPage } from './helpers.mjs';
import { axeViolations, describe, severe } from './axe.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Root and list-item text sizes, line height ratio of an item's text, whether the map and legend show. */
function looks(page) {
  return page.evaluate(() => {
    const px = (e, p) => parseFloat(getComputedStyle(e)[p]);
    const meta = document.querySelector('#list .item .item-meta') || document.querySelector('#list .item');
    return {
      elder: document.documentElement.classList.contains('elder'),
      pressed: document.querySelector('#btn-elder').getAttribute('aria-pressed'),
      root: px(document.documentElement, 'fontSize'),
      item: px(document.querySelector('#list .item-name'), 'fontSize'),
      lineRatio: px(meta, 'lineHeight') / px(meta, 'fontSize'),
      mapShown: document.querySelector('#map').getBoundingClientRect().height > 0,
      legendShown: document.querySelector('.legend').getBoundingClientRect().height > 0,
      stored: localStorage.getItem('yz.elder'),
    };
  });
}

async function audit(page, view) {
  const found = await axeViolations(page);
  console.log(describe(view, found));
  assert.equal(severe(found).length, 0, describe(view, severe(found)));
}

test('长辈版: on, remembered across a reload, larger text and line spacing, map on request, axe clean, off again', async () => {
  const { page, context, problems } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  try {
    await page.goto(`${BASE}/`);
    await page.waitForSelector('#list[data-query] .item');
    const before = await looks(page);
    assert.equal(before.elder, false);
    assert.equal(before.pressed, 'false');
    assert.ok(before.mapShown && before.legendShown);

    await page.click('#btn-elder');
    const on = await looks(page);
    assert.equal(on.elder, true);
    assert.equal(on.pressed, 'true');
    assert.equal(on.stored, '1');
    assert.ok(on.root >= before.root * 1.25, `text ${before.root}px → ${on.root}px (≥ 1.25×)`);
    assert.ok(on.item >= before.item * 1.25, `station names ${before.item}px → ${on.item}px`);
    assert.ok(on.lineRatio >= 1.5, `line height ${on.lineRatio.toFixed(2)} ≥ 1.5`);
    assert.equal(on.mapShown, false, 'the map waits until asked');
    assert.equal(on.legendShown, false, 'secondary information is hidden');

    // applied before the first paint: the class is on <html> when the first element of <body> is parsed
    await page.addInitScript(() => {
      document.addEventListener('readystatechange', () => {
        if (document.readyState === 'interactive' && window.__elderAtParse === undefined) window.__elderAtParse = 'late';
      });
      new MutationObserver((_, obs) => {
        if (document.body) { window.__elderAtParse = document.documentElement.classList.contains('elder'); obs.disconnect(); }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.reload();
    await page.waitForSelector('#list[data-query] .item');
    assert.equal(await page.evaluate(() => window.__elderAtParse), true, 'elder class set before <body> is parsed');
    const again = await looks(page);
    assert.equal(again.elder, true, 'still on after a reload');
    assert.equal(again.pressed, 'true');
    await audit(page, 'elder list');

    await page.click('#btn-elder-map');
    await page.waitForFunction(() => document.querySelector('#map').getBoundingClientRect().height > 100);
    assert.equal(await page.getAttribute('#btn-elder-map', 'aria-expanded'), 'true');

    await page.click('#list .item:nth-child(1) .item-btn');
    await page.waitForSelector('#details:not([hidden])');
    assert.equal(await page.locator('.leaflet-popup').isVisible().catch(() => false), false, 'no pop-up on the map');
    await audit(page, 'elder details');
    await page.click('.back-btn');

    await page.click('#btn-lang');
    assert.match(await page.textContent('#btn-elder'), /Senior view/);
    await audit(page, 'elder list en');
    await page.click('#btn-lang');
    assert.match(await page.textContent('#btn-elder'), /长辈版/);

    await page.click('#btn-elder');
    const off = await looks(page);
    assert.equal(off.elder, false);
    assert.equal(off.pressed, 'false');
    assert.equal(off.stored, '0');
    assert.equal(off.root, before.root);
    assert.ok(off.mapShown && off.legendShown);
    await page.reload();
    await page.waitForSelector('#list[data-query] .item');
    assert.equal((await looks(page)).elder, false, 'off is remembered too');
    assert.deepEqual(problems, []);
  } finally { await context.close(); }
});
