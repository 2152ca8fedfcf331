// Independent reference port of the standard WGS-84 → GCJ-02 → BD-09 formulas, written from the
// published constants (a = 6378245.0, ee = 0.00669342162296594323, x_pi = π·3000/180), used to check
// the links the page builds. Deliberately not importing static/js/crs.js.
const a = 6378245.0;
const ee = 0.00669342162296594323;
const xPi = (Math.PI * 3000.0) / 180.0;
const { sin, cos, sqrt, abs, PI, atan2 } = Math;

export const outside = (lng, lat) => !(lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);

function dLat(x, y) {
  return -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    + (20 * sin(6 * x * PI) + 20 * sin(2 * x * PI)) * 2 / 3
    + (20 * sin(y * PI) + 40 * sin(y / 3 * PI)) * 2 / 3
    + (160 * sin(y / 12 * PI) + 320 * sin(y * PI / 30)) * 2 / 3;
}

function dLng(x, y) {
  return 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    + (20 * sin(6 * x * PI) + 20 * sin(2 * x * PI)) * 2 / 3
    + (20 * sin(x * PI) + 40 * sin(x / 3 * PI)) * 2 / 3
    + (150 * sin(x / 12 * PI) + 300 * sin(x / 30 * PI)) * 2 / 3;
}

export function wgsToGcj([lng, lat]) {
  if (outside(lng, lat)) return [lng, lat];
  const rad = lat / 180 * PI;
  const m = 1 - ee * sin(rad) ** 2;
  const sm = sqrt(m);
  const la = dLat(lng - 105, lat - 35) * 180 / ((a * (1 - ee)) / (m * sm) * PI);
  const lo = dLng(lng - 105, lat - 35) * 180 / (a / sm * cos(rad) * PI);
  return [lng + lo, lat + la];
}

export function gcjToBd([lng, lat]) {
  const z = sqrt(lng * lng + lat * lat) + 0.00002 * sin(lat * xPi);
  const th = atan2(lat, lng) + 0.000003 * cos(lng * xPi);
  return [z * cos(th) + 0.0065, z * sin(th) + 0.006];
}
