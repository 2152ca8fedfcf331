// Distances, lengths and travel times as text, and great-circle lengths.
import { t } from './i18n.js';

const WALK_M_PER_MIN = 80;
const RIDE_M_PER_MIN = 250; // e-bike

export function formatDistance(m) {
  if (!Number.isFinite(m)) return '';
  if (m < 1000) return `${Math.round(m)} m`;
  if (m < 10000) return `${(m / 1000).toFixed(1)} km`;
  return `${Math.round(m / 1000)} km`;
}

export const walkMinutes = (m) => Math.max(1, Math.ceil(m / WALK_M_PER_MIN));
export const rideMinutes = (m) => Math.max(1, Math.ceil(m / RIDE_M_PER_MIN));

/** A length in the page's language: "850 米" / "1.2 公里", "850 m" / "1.2 km". */
export function formatLen(m) {
  if (!Number.isFinite(m)) return '';
  if (m < 1000) return t('unit.m', { n: Math.round(m) });
  return t('unit.km', { n: m < 10000 ? (m / 1000).toFixed(1) : String(Math.round(m / 1000)) });
}

/** Great-circle length of a path [[lng, lat], …] in metres. */
export function pathLength(path) {
  let sum = 0;
  for (let i = 1; i < path.length; i++) sum += haversine(path[i - 1][1], path[i - 1][0], path[i][1], path[i][0]);
  return sum;
}

function haversine(lat1, lon1, lat2, lon2) {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2
    + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}
