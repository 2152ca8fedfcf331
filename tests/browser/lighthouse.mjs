// Lighthouse (mobile emulation and simulated throttling, its defaults) against Debian's Chromium, started by
// chrome-launcher. Used by lighthouse.test.mjs and bench/lighthouse.sh.
// Usage as a script: node lighthouse.mjs URL… — prints the four scores of each URL and its failing audits.
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';

export const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

/**
 * Audits `url` in a fresh Chromium; returns `{ scores: {category: 0..1}, failing: [text] }`, where `failing`
 * names every audit of the four categories that scored below 0.9 (with its display value).
 */
export async function audit(url) {
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROMIUM || '/usr/bin/chromium',
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-quic'],
  });
  try {
    const result = await lighthouse(url, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES });
    const { lhr } = result;
    const scores = Object.fromEntries(CATEGORIES.map((c) => [c, lhr.categories[c].score]));
    const failing = [];
    for (const c of CATEGORIES) {
      for (const ref of lhr.categories[c].auditRefs) {
        const a = lhr.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 0.9) {
          failing.push(`${c}: ${a.id} (${a.score}${a.displayValue ? `, ${a.displayValue}` : ''}): ${a.title}`);
        }
      }
    }
    if (lhr.runtimeError) failing.push(`runtime error: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    return { scores, failing, metrics: metricsOf(lhr) };
  } finally {
    await chrome.kill();
  }
}

function metricsOf(lhr) {
  const m = (id) => lhr.audits[id]?.displayValue;
  return { FCP: m('first-contentful-paint'), LCP: m('largest-contentful-paint'), TBT: m('total-blocking-time'), CLS: m('cumulative-layout-shift'), SI: m('speed-index') };
}

/** "performance 97 · accessibility 100 · best-practices 100 · seo 100". */
export function formatScores(scores) {
  return CATEGORIES.map((c) => `${c} ${scores[c] === null ? 'n/a' : Math.round(scores[c] * 100)}`).join(' · ');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const url of process.argv.slice(2)) {
    const r = await audit(url);
    console.log(`${url}\n  ${formatScores(r.scores)}\n  ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v}`).join(' · ')}`);
    for (const f of r.failing) console.log(`  failing: ${f}`);
  }
}
