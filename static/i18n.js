// Tiny i18n: zh-CN (default) and English. The choice is remembered in localStorage.
// Elements opt in with data-i18n="key" (textContent), data-i18n-aria="key" (aria-label),
// data-i18n-title="key" (title) and data-i18n-placeholder="key".

const STORE_KEY = 'yizhan.lang';

const DICT = {
  zh: {
    'app.title': '暖心驿站',
    'app.subtitle': '户外劳动者休息点',
    'btn.lang': 'EN',
    'btn.lang.aria': 'Switch to English',
    'btn.share': '分享',
    'btn.share.aria': '分享当前位置和筛选的链接',
    'btn.locate': '定位我',
    'btn.locate.aria': '用手机定位查找最近的驿站',
    'btn.pick': '在地图上选点',
    'btn.close': '关闭',
    'btn.back': '返回列表',
    'btn.retry': '重试',
    'map.aria': '驿站地图',
    'map.unavailable': '地图暂时无法加载，列表仍可使用。',
    'map.you': '你的位置',
    'filters.aria': '筛选条件',
    'filter.open_now': '正在营业',
    'list.aria': '最近的驿站',
    'list.empty': '附近没有符合条件的驿站。试试减少筛选条件。',
    'status.locating': '正在定位…',
    'status.loading': '正在查找附近的驿站…',
    'status.need_position': '请点“定位我”，或点击地图设置你的位置。',
    'status.tap_to_set': '点击地图设置你的位置',
    'status.count': '{src}最近的 {n} 个驿站',
    'status.src.gps': '离你当前位置（GPS）',
    'status.src.url': '离分享链接中的位置',
    'status.src.tap': '离你在地图上选的位置',
    'geo.denied': '无法使用定位（权限被拒绝）。请点击地图设置你的位置。',
    'geo.unavailable': '当前无法获取定位。请点击地图设置你的位置。',
    'geo.timeout': '定位超时。请点击地图设置你的位置，或稍后再试。',
    'geo.unsupported': '此浏览器不支持定位。请点击地图设置你的位置。',
    'err.network': '网络连接失败，请检查信号后重试。',
    'err.timeout': '请求超时，信号可能较弱，请重试。',
    'err.api': '服务器返回错误',
    'share.copied': '链接已复制',
    'share.manual': '复制此链接：',
    'badge.open': '营业中',
    'badge.closed': '已关门',
    'badge.unknown': '时间未知',
    'badge.24h': '24',
    'badge.24h.aria': '24小时开放',
    'dist.walk': '步行 {n} 分钟',
    'dist.ride': '骑行 {n} 分钟',
    'dist.walk.short': '🚶{n}分',
    'dist.ride.short': '🛵{n}分',
    'details.aria': '驿站详情',
    'details.address': '地址',
    'details.phone': '电话',
    'details.hours': '开放时间',
    'details.hours.unknown': '未知',
    'details.hours.247': '24小时开放',
    'details.amenities': '服务设施',
    'details.none': '无信息',
    'details.navigate': '导航去这里',
    'nav.amap': '高德地图',
    'nav.baidu': '百度地图',
    'nav.geo': '手机地图',
    'nav.origin': '我的位置',
    'report.button': '报告问题',
    'report.title': '报告问题',
    'report.reason': '问题类型',
    'report.comment': '补充说明（可选，最多 500 字）',
    'report.submit': '提交',
    'report.cancel': '取消',
    'report.sending': '正在提交…',
    'report.thanks': '谢谢！我们已收到你的报告。',
    'report.too_many': '报告太频繁了，请稍后再试。',
    'report.not_found': '无法提交：找不到这个驿站，或暂不支持报告。',
    'report.failed': '提交失败',
    'report.choose': '请选择问题类型。',
    'reason.closed': '已关闭',
    'reason.moved': '已搬迁',
    'reason.amenity_missing': '设施缺失',
    'reason.wrong_hours': '时间不对',
    'reason.refused_entry': '拒绝进入',
    'reason.other': '其他',
    'legend.title': '图例',
    'legend.you': '你的位置',
    'legend.station': '驿站（数字 = 列表序号）',
    'legend.open': '现在开放',
    'legend.closed': '现在关闭',
    'legend.unknown': '开放时间未知',
    'legend.24h': '24小时开放',
    'kind.station': '户外劳动者暖心驿站',
    'kind.workers_home': '职工之家',
    'host.bank': '银行',
    'host.restaurant': '餐馆',
    'host.supermarket': '超市',
    'host.property_agency': '物业/中介',
    'host.gas_station': '加油站',
    'host.post_office': '邮局',
    'host.union_center': '工会服务站',
    'host.other': '其他',
  },
  en: {
    'app.title': 'Rest Stations',
    'app.subtitle': 'for outdoor workers',
    'btn.lang': '中文',
    'btn.lang.aria': '切换到中文',
    'btn.share': 'Share',
    'btn.share.aria': 'Share a link to this place and filters',
    'btn.locate': 'Locate me',
    'btn.locate.aria': 'Use my location to find the nearest stations',
    'btn.pick': 'Pick on map',
    'btn.close': 'Close',
    'btn.back': 'Back to list',
    'btn.retry': 'Retry',
    'map.aria': 'Map of stations',
    'map.unavailable': 'The map cannot load right now; the list still works.',
    'map.you': 'You are here',
    'filters.aria': 'Filters',
    'filter.open_now': 'Open now',
    'list.aria': 'Nearest stations',
    'list.empty': 'No matching stations nearby. Try fewer filters.',
    'status.locating': 'Finding your location…',
    'status.loading': 'Looking for nearby stations…',
    'status.need_position': 'Tap “Locate me”, or tap the map to set your position.',
    'status.tap_to_set': 'Tap the map to set your position',
    'status.count': '{n} nearest stations {src}',
    'status.src.gps': 'to your location (GPS)',
    'status.src.url': 'to the shared location',
    'status.src.tap': 'to the point you picked',
    'geo.denied': 'Location is not allowed (permission denied). Tap the map to set your position.',
    'geo.unavailable': 'Your location is not available right now. Tap the map to set your position.',
    'geo.timeout': 'Finding your location took too long. Tap the map to set your position, or try again.',
    'geo.unsupported': 'This browser cannot share your location. Tap the map to set your position.',
    'err.network': 'Network error. Check your signal and try again.',
    'err.timeout': 'The request timed out (weak signal?). Please try again.',
    'err.api': 'The server returned an error',
    'share.copied': 'Link copied',
    'share.manual': 'Copy this link:',
    'badge.open': 'Open now',
    'badge.closed': 'Closed',
    'badge.unknown': 'Hours unknown',
    'badge.24h': '24',
    'badge.24h.aria': 'Open 24 hours',
    'dist.walk': '{n} min walk',
    'dist.ride': '{n} min by e-bike',
    'dist.walk.short': '🚶{n} min',
    'dist.ride.short': '🛵{n} min',
    'details.aria': 'Station details',
    'details.address': 'Address',
    'details.phone': 'Phone',
    'details.hours': 'Opening hours',
    'details.hours.unknown': 'Unknown',
    'details.hours.247': 'Open 24 hours',
    'details.amenities': 'Amenities',
    'details.none': 'No information',
    'details.navigate': 'Navigate here',
    'nav.amap': 'Amap',
    'nav.baidu': 'Baidu Maps',
    'nav.geo': 'Phone maps',
    'nav.origin': 'My location',
    'report.button': 'Report a problem',
    'report.title': 'Report a problem',
    'report.reason': 'What is wrong?',
    'report.comment': 'Comment (optional, up to 500 characters)',
    'report.submit': 'Send',
    'report.cancel': 'Cancel',
    'report.sending': 'Sending…',
    'report.thanks': 'Thank you! Your report was received.',
    'report.too_many': 'Too many reports — please try again later.',
    'report.not_found': 'Could not send: this station was not found, or reports are not available.',
    'report.failed': 'Sending failed',
    'report.choose': 'Please choose what is wrong.',
    'reason.closed': 'Closed',
    'reason.moved': 'Moved',
    'reason.amenity_missing': 'Amenity missing',
    'reason.wrong_hours': 'Wrong hours',
    'reason.refused_entry': 'Refused entry',
    'reason.other': 'Other',
    'legend.title': 'Legend',
    'legend.you': 'Your position',
    'legend.station': 'Station (number = place in list)',
    'legend.open': 'Open now',
    'legend.closed': 'Closed now',
    'legend.unknown': 'Hours unknown',
    'legend.24h': 'Open 24 hours',
    'kind.station': 'Outdoor workers’ rest station',
    'kind.workers_home': 'Workers’ home',
    'host.bank': 'Bank',
    'host.restaurant': 'Restaurant',
    'host.supermarket': 'Supermarket',
    'host.property_agency': 'Property agency',
    'host.gas_station': 'Gas station',
    'host.post_office': 'Post office',
    'host.union_center': 'Trade-union centre',
    'host.other': 'Other',
  },
};

/** Built-in amenity labels and icons; labels are replaced by GET /api/v1/amenities when it answers. */
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

let lang = 'zh';
try {
  const saved = localStorage.getItem(STORE_KEY);
  if (saved === 'en' || saved === 'zh') lang = saved;
} catch (_) { /* storage blocked: stay zh */ }

const listeners = [];

export function getLang() { return lang; }

export function setLang(next) {
  if (next !== 'en' && next !== 'zh') return;
  lang = next;
  try { localStorage.setItem(STORE_KEY, next); } catch (_) { /* ignore */ }
  applyI18n(document);
  listeners.forEach((fn) => fn(lang));
}

export function onLangChange(fn) { listeners.push(fn); }

/** Translate `key`, replacing {name} placeholders from `vars`. Falls back to zh, then the key. */
export function t(key, vars) {
  let s = DICT[lang][key] ?? DICT.zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

export function amenityInfo(key) {
  const a = AMENITIES.find((x) => x.key === key);
  return a || { key, icon: '•', zh: key, en: key };
}

export function amenityLabel(key) {
  const a = amenityInfo(key);
  return lang === 'en' ? a.en : a.zh;
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

export function applyI18n(root) {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  document.title = `${t('app.title')} · ${t('app.subtitle')}`;
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-aria]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nAria)); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
}
