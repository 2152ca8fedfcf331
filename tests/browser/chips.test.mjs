// The filter chips: the six a rider needs most, the rest behind "more" (so that the list starts above the fold
// on a phone), and a chip that is on stays in sight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage, nearestIds, waitForList, assertClean } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const keys = (page) => page.$$eval('#chips .chip', (els) => els.map((e) => e.dataset.key));

test('"more filters" shows the other amenities; a chosen one stays when the chips fold again', async () => {
  const { page, context, problems } = await newPage(browser, {});
  try {
    await page.goto(`${BASE}/?lat=39.9087&lon=116.3975`);
    await waitForList(page, await nearestIds(39.9087, 116.3975));
    assert.deepEqual(await keys(page), ['open_now', 'open_for', '24h', 'water', 'charging', 'rest', 'more']);
    assert.equal(await page.getAttribute('#chips .chip-more', 'aria-expanded'), 'false');
    // the first item of the list is on screen on a phone
    const top = await page.$eval('#list .item', (e) => e.getBoundingClientRect().top);
    assert.ok(top < 844 - 60, `the list starts at ${top}px`);

    await page.click('#chips .chip-more');
    assert.equal((await keys(page)).length, 2 + 11 + 1);
    assert.equal(await page.getAttribute('#chips .chip-more', 'aria-expanded'), 'true');
    await page.click('#chips .chip[data-key="heating"]');
    await waitForList(page, await nearestIds(39.9087, 116.3975, '&amenities=heating'));
    assert.equal(new URL(page.url()).searchParams.get('amenities'), 'heating');

    await page.click('#chips .chip-more');
    const folded = await keys(page);
    assert.ok(folded.includes('heating'), 'a chosen chip stays in sight');
    assert.ok(!folded.includes('wifi'));
    assert.equal(await page.getAttribute('#chips .chip[data-key="heating"]', 'aria-pressed'), 'true');
    assert.match(await page.textContent('#chips .chip-more'), /更多筛选（6）/);
    assertClean(problems);
  } finally { await context.close(); }
});
