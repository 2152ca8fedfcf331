// Amenity keys of the rider page: built-in labels and icons, replaced by GET /api/v1/amenities when it answers.
import { getLang } from './i18n.js';

export const AMENITIES = [
  { key: '24h', icon: '🕛', zh: '24小时', en: '24h' },
  { key: 'water', icon: '💧', zh: '饮水', en: 'Water' },
  { key: 'charging', icon: '🔌', zh: '充电', en: 'Charging' },
  { key: 'rest', icon: '🪑', zh: '歇脚', en: 'Rest' },
  { key: 'heating', icon: '🔥', zh: '取暖', en: 'Heating' },
  { key: 'cooling', icon: '❄️', zh: '纳凉', en: 'Cooling' },
  { key: 'toilet', icon: '🚻', zh: '卫生间', en: 'Toilet' },
  { key: 'microwave', icon: '🍱', zh: '热饭', en: 'Microwave' },
  { key: 'medicine', icon: '💊', zh: '用药', en: 'Medicine' },
  { key: 'wifi', icon: '📶', zh: '无线网', en: 'Wi-Fi' },
  { key: 'discount_meal', icon: '🍜', zh: '优惠餐', en: 'Discount meal' },
];

export function amenityInfo(key) {
  const a = AMENITIES.find((x) => x.key === key);
  return a || { key, icon: '•', zh: key, en: key };
}

export function amenityLabel(key) {
  const a = amenityInfo(key);
  return getLang() === 'en' ? a.en : a.zh;
}

/** Merge labels from GET /api/v1/amenities ([{key,label_zh,label_en,count}]). Unknown keys are appended. */
export function mergeAmenityLabels(list) {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (!item || typeof item.key !== 'string') continue;
    const a = AMENITIES.find((x) => x.key === item.key);
    if (a) {
      if (item.label_zh) a.zh = String(item.label_zh);
      if (item.label_en) a.en = String(item.label_en);
    } else {
      AMENITIES.push({ key: item.key, icon: '•', zh: String(item.label_zh || item.key), en: String(item.label_en || item.key) });
    }
  }
}
