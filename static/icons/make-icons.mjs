// Draws the PWA icons (icon-192.png, icon-512.png, maskable-512.png) without any image tool:
// the favicon's design (white heart on the brand red), rasterised with 4×4 supersampling and
// written as PNG with node:zlib. Run: node static/icons/make-icons.mjs
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const RED = [198, 40, 40];
const WHITE = [255, 255, 255];

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, rgba) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** u, v in [0,1]. `maskable`: full-bleed background, heart inside the 80 % safe zone. */
function sample(u, v, maskable) {
  // background: rounded square (radius 22 %) or full bleed
  const r = 0.22;
  const inBg = maskable || (() => {
    const dx = Math.max(r - u, 0, u - (1 - r));
    const dy = Math.max(r - v, 0, v - (1 - r));
    return dx * dx + dy * dy <= r * r;
  })();
  if (!inBg) return null;
  // heart: (x²+y²-1)³ - x²y³ ≤ 0, x∈[-1.2,1.2], y∈[-1.1,1.3] (y up)
  const scale = maskable ? 0.52 : 0.68;
  const x = ((u - 0.5) / scale) * 2.6;
  const y = -((v - 0.53) / scale) * 2.6;
  const a = x * x + y * y - 1;
  return a * a * a - x * x * y * y * y <= 0 ? WHITE : RED;
}

function draw(size, maskable) {
  const buf = Buffer.alloc(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let rr = 0; let gg = 0; let bb = 0; let n = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const c = sample((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size, maskable);
          if (!c) continue;
          rr += c[0]; gg += c[1]; bb += c[2]; n += 1;
        }
      }
      const o = (py * size + px) * 4;
      if (n) { buf[o] = Math.round(rr / n); buf[o + 1] = Math.round(gg / n); buf[o + 2] = Math.round(bb / n); }
      buf[o + 3] = Math.round((255 * n) / (S * S));
    }
  }
  return png(size, buf);
}

for (const [name, size, maskable] of [['icon-192.png', 192, false], ['icon-512.png', 512, false], ['maskable-512.png', 512, true]]) {
  const out = draw(size, maskable);
  writeFileSync(path.join(here, name), out);
  console.log(`${name}: ${out.length} bytes`);
}
