// axe-core in the pages under test. The pages' CSP forbids inline script, so axe.min.js is not added as a
// <script> tag: it is evaluated through the DevTools protocol (page.evaluate), which the CSP does not govern.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The WCAG 2.1 A/AA rules plus axe's best practices (landmarks, headings, target size). */
const RUN_OPTIONS = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
  resultTypes: ['violations'],
  elementRef: true, // for EXEMPT: a marker may have left the DOM (map animation) before the check
};

/**
 * Findings that WCAG itself exempts, as [rule, selector fragment, why]. Map markers of a dense area overlap each
 * other (and do so more while the map flies to a station): WCAG 2.5.8's "Equivalent" exception applies, since
 * every station on the map is also a full-width button in the list.
 */
const EXEMPT = [
  ['target-size', '.leaflet-marker-icon', 'WCAG 2.5.8 "Equivalent": every marker is also a list button'],
];

/** Runs axe on the page as it is now; returns its violations (every impact) less the EXEMPT nodes. */
export async function axeViolations(page) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(`${AXE_SOURCE}\n;void 0`);
  return page.evaluate(([opts, exempt]) => window.axe.run(document, opts).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.filter((n) => !exempt.some(([rule, within]) => rule === v.id
      && n.element?.closest(within)))
      .map((n) => `${n.target.join(' ')} — ${n.failureSummary.replace(/\s+/g, ' ').slice(0, 300)}`),
  })).filter((v) => v.nodes.length > 0)), [RUN_OPTIONS, EXEMPT]);
}

/** One line per violation and node, for the test log. */
export function describe(view, violations) {
  if (!violations.length) return `axe ${view}: no violations`;
  return violations.map((v) => `axe ${view}: [${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 8).join('\n    ')}`
    + (v.nodes.length > 8 ? `\n    … ${v.nodes.length - 8} more` : '')).join('\n');
}

/** The violations a test fails on: impact serious or critical. */
export function severe(violations) {
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
