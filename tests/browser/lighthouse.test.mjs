// Lighthouse (mobile emulation, simulated throttling: its defaults) on the rider page `/` and a station page
// `/s/{id}`, in Debian's Chromium (lighthouse.mjs). Accessibility, best practices and SEO must score ≥ 0.95,
// performance ≥ 0.80 (noisy on shared CI machines). All four scores and every failing audit are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, TIANANMEN, apiGet } from './helpers.mjs';
import { audit, formatScores } from './lighthouse.mjs';

const MIN = { performance: 0.8, accessibility: 0.95, 'best-practices': 0.95, seo: 0.95 };

async function once(url) {
  const r = await audit(url);
  console.log(`lighthouse ${url}: ${formatScores(r.scores)}`);
  console.log(`  ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v}`).join(' · ')}`);
  for (const f of r.failing) console.log(`  failing audit: ${f}`);
  return r;
}

/** Audits `url`; a performance score under the bar gets one more run (a busy machine), the better one counts. */
async function check(url) {
  let { scores, failing } = await once(url);
  if (scores.performance !== null && scores.performance < MIN.performance) {
    console.log('  performance under the bar: once more');
    const again = await once(url);
    if (again.scores.performance > scores.performance) ({ scores, failing } = again);
  }
  for (const [c, min] of Object.entries(MIN)) {
    assert.ok(scores[c] !== null && scores[c] >= min, `${url}: ${c} ${scores[c]} < ${min}\n${failing.join('\n')}`);
  }
  return failing;
}

test('Lighthouse on / : a11y, best practices, SEO ≥ 95, performance ≥ 80; no geolocation prompt on load', { timeout: 300e3 }, async () => {
  const failing = await check(`${BASE}/`);
  assert.ok(!failing.some((f) => f.includes('geolocation-on-start')), 'the page must not ask for the location on load');
});

test('Lighthouse on /s/{id}: a11y, best practices, SEO ≥ 95, performance ≥ 80', { timeout: 300e3 }, async () => {
  const fc = await apiGet(`/api/v1/stations/nearest?lat=${TIANANMEN.latitude}&lon=${TIANANMEN.longitude}&k=1`);
  await check(`${BASE}/s/${encodeURIComponent(fc.features[0].id)}`);
});
