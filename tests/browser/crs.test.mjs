// static/js/crs.js and the tests' reference port agree with the published test vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as crs from '../../static/js/crs.js';
import { wgsToGcj, gcjToBd } from './crs-ref.mjs';

const v = JSON.parse(readFileSync(new URL('./fixtures/crs-test-vectors.json', import.meta.url)));
const close = (got, exp, tol, what) => {
  assert.ok(Math.abs(got[0] - exp[0]) < tol && Math.abs(got[1] - exp[1]) < tol, `${what}: got ${got}, expected ${exp}`);
};

test('reference port matches the published WGS-84 → GCJ-02 and GCJ-02 → BD-09 vectors', () => {
  for (const c of v.wgs84_to_gcj02) close(wgsToGcj(c.in), c.out, 1e-9, `ref wgs→gcj ${c.in}`);
  for (const c of v.gcj02_to_bd09) close(gcjToBd(c.in), c.out, 1e-9, `ref gcj→bd ${c.in}`);
  for (const c of v.wgs84_to_bd09) close(gcjToBd(wgsToGcj(c.in)), c.out, 1e-9, `ref wgs→bd ${c.in}`);
});

test('static/js/crs.js matches every published vector', () => {
  for (const c of v.wgs84_to_gcj02) close(crs.wgs84ToGcj02(...c.in), c.out, 1e-9, `wgs→gcj ${c.in}`);
  for (const c of v.gcj02_to_wgs84_iterative) close(crs.gcj02ToWgs84(...c.in), c.out, 1e-9, `gcj→wgs ${c.in}`);
  for (const c of v.gcj02_to_bd09) close(crs.gcj02ToBd09(...c.in), c.out, 1e-9, `gcj→bd ${c.in}`);
  for (const c of v.bd09_to_gcj02) close(crs.bd09ToGcj02(...c.in), c.out, 1e-9, `bd→gcj ${c.in}`);
  for (const c of v.wgs84_to_bd09) close(crs.wgs84ToBd09(...c.in), c.out, 1e-9, `wgs→bd ${c.in}`);
  for (const p of v.outside_china_unchanged) {
    assert.deepEqual(crs.wgs84ToGcj02(...p), p);
    assert.deepEqual(crs.gcj02ToWgs84(...p), p);
  }
});

test('iterative inverse round-trips to well under 1 cm across Beijing', () => {
  for (let i = 0; i < 200; i++) {
    const lng = 115.5 + (i % 20) * 0.1;
    const lat = 39.5 + Math.floor(i / 20) * 0.15;
    const back = crs.gcj02ToWgs84(...crs.wgs84ToGcj02(lng, lat));
    close(back, [lng, lat], 1e-9, `round trip ${lng},${lat}`);
  }
});
