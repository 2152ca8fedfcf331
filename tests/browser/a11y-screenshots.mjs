// Writes 390×844 screenshots of the rider page at normal and at 200 % text, in zh and en, and in 长辈版, to
// docs/screenshots/: list-zh.png, list-zh-large.png, list-en.png, list-en-large.png, details-zh-large.png,
// elder-zh.png. "200 % text" is Chromium's default font size doubled (16 → 32 px), as a phone's text-size
// setting does. A CJK font must be installed (scripts/test.sh installs fonts-wqy-zenhei), or Chinese shows as boxes.
// Usage: YZ_BASE_URL=http://127.0.0.1:PORT node a11y-screenshots.mjs
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { launch, newPage, TIANANMEN, BASE } from './helpers.mjs';

let cjk = '';
try { cjk = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim(); } catch { /* no fontconfig */ }
if (!cjk) {
  console.error('a11y-screenshots: no CJK font (fc-list :lang=zh is empty); apt-get install fonts-wqy-zenhei');
  process.exit(2);
}
console.log(`CJK font: ${cjk.split('\n')[0]}`);

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');
await mkdir(out, { recursive: true });

/** A page at Tiananmen in `lang`, with text at 200 % when `large`, in 长辈版 when `elder`; list shown. */
async function open(browser, { lang, large = false, elder = false }) {
  const { page, context } = await newPage(browser, { geolocation: TIANANMEN, permissions: ['geolocation'] });
  await page.addInitScript(([l, e]) => {
    localStorage.setItem('yizhan.lang', l);
    localStorage.setItem('yz.elder', e ? '1' : '0');
  }, [lang, elder]);
  if (large) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Page.setFontSizes', { fontSizes: { standard: 32, fixed: 26 } });
  }
  await page.goto(`${BASE}/`);
  if ((await page.getAttribute('html', 'lang')) !== (lang === 'en' ? 'en' : 'zh-CN')) await page.click('#btn-lang');
  await page.waitForSelector('#list[data-query] .item');
  await page.waitForSelector('#list:not([aria-busy="true"])');
  await page.waitForTimeout(500);
  return { page, context };
}

const browser = await launch();
try {
  for (const [file, opts] of [
    ['list-zh.png', { lang: 'zh' }],
    ['list-zh-large.png', { lang: 'zh', large: true }],
    ['list-en.png', { lang: 'en' }],
    ['list-en-large.png', { lang: 'en', large: true }],
    ['elder-zh.png', { lang: 'zh', elder: true }],
  ]) {
    const { page, context } = await open(browser, opts);
    await page.screenshot({ path: path.join(out, file) });
    await context.close();
  }
  const { page, context } = await open(browser, { lang: 'zh', large: true });
  await page.click('#list .item:nth-child(1) .item-btn');
  await page.waitForSelector('#details:not([hidden])');
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'details-zh-large.png') });
  await context.close();
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
}
