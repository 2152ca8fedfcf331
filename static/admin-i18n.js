// i18n for the admin page: zh-CN (default) and English, same pattern as /i18n.js (rider page).
// The language choice shares the rider page's localStorage key, so switching once switches both.
// Elements opt in with data-i18n="key" (textContent), data-i18n-aria="key" (aria-label),
// data-i18n-title="key" (title) and data-i18n-placeholder="key".

const STORE_KEY = 'yizhan.lang';

const DICT = {
  zh: {
    'page.title': '驿站数据管理',
    'btn.lang': 'EN',
    'btn.lang.aria': 'Switch to English',
    'nav.map': '返回地图',
    'btn.refresh': '刷新',
    'btn.cancel': '取消',
    'btn.ok': '确定',

    'token.title': '管理令牌',
    'token.label': '管理令牌（粘贴服务器的 YIZHAN_ADMIN_TOKEN）',
    'token.placeholder': '粘贴令牌',
    'token.save': '使用此令牌',
    'token.forget': '忘记令牌',
    'token.show': '显示',
    'token.hint': '令牌只保存在本标签页（sessionStorage），关闭标签页后自动清除。',
    'token.checking': '正在验证令牌…',
    'token.ok': '令牌有效。',
    'token.none': '请先输入管理令牌。',
    'token.wrong': '令牌错误：服务器拒绝了这个令牌（401）。请检查后重新粘贴。',
    'token.disabled': '管理功能未开启（403）：',
    'token.forgotten': '令牌已从本页清除。',

    'ds.title': '当前数据',
    'ds.version': '数据版本',
    'ds.count': '驿站数量',
    'ds.download': '下载当前数据（GeoJSON）',
    'ds.loading': '加载中…',

    'up.title': '上传数据',
    'up.file': '数据文件（.geojson / .json / .csv）',
    'up.choose': '选择文件…',
    'up.file.none': '未选择文件',
    'up.file.info': '{name} · {size} · {type}',
    'up.file.bad_ext': '无法识别的文件类型：请选择 .geojson、.json 或 .csv 文件。',
    'up.mode': '上传方式',
    'up.mode.replace': '替换全部（PUT）',
    'up.mode.replace.hint': '上传的文件成为全部数据，未包含的驿站会被删除。',
    'up.mode.upsert': '合并更新（POST）',
    'up.mode.upsert.hint': '按 id 新增或更新，其他驿站保留。',
    'up.crs': '坐标系',
    'up.crs.wgs84': 'WGS-84（GPS、OpenStreetMap）',
    'up.crs.gcj02': 'GCJ-02（高德、腾讯）',
    'up.crs.bd09': 'BD-09（百度）',
    'up.allow_empty': '允许上传后数据为空',
    'up.gzip': '压缩后上传（gzip）',
    'up.dry': '① 检查（试运行）',
    'up.apply': '② 应用',
    'up.apply.hint': '先检查，检查通过后才能应用。',
    'up.abort': '停止',
    'up.reading': '正在压缩文件…',
    'up.sending': '正在上传… {pct}',
    'up.validating': '服务器正在校验…',
    'up.aborted': '已停止上传。',
    'up.changed': '设置或文件已更改，请重新检查。',
    'up.dry.ok': '检查通过：应用后共有 {count} 个驿站。',
    'up.dry.ok.version': '应用后的数据版本将是 {version}',
    'up.dry.same': '（与当前数据相同）',
    'up.applied': '已应用：新数据版本 {version}，共 {count} 个驿站。',
    'up.warnings': '提醒（{n} 条，不影响上传）',
    'up.invalid': '检查未通过：{n} 个错误，没有任何改动。',
    'up.failed': '上传失败（HTTP {status}）',
    'up.network': '网络连接失败，请重试。',

    'err.filter.field': '按字段筛选',
    'err.filter.all': '全部字段（{n}）',
    'err.filter.text': '搜索 id 或说明',
    'err.col.index': '序号',
    'err.col.index.csv': '数据行',
    'err.col.index.geo': '要素',
    'err.col.line': '文件行',
    'err.col.id': 'id',
    'err.col.field': '字段',
    'err.col.message': '问题说明',
    'err.showing': '显示 {shown} / {total} 条',
    'err.more': '再显示 {n} 条',
    'err.sort': '点击列名排序',

    'ver.title': '历史版本',
    'ver.col.version': '版本',
    'ver.col.count': '驿站数',
    'ver.col.created': '创建时间',
    'ver.col.action': '操作',
    'ver.current': '当前',
    'ver.rollback': '回滚到此版本',
    'ver.confirm': '确定把数据回滚到版本 {version}（{count} 个驿站）吗？',
    'ver.done': '已回滚：当前版本 {version}，共 {count} 个驿站。',
    'ver.empty': '还没有历史版本。',
    'ver.need_token': '输入管理令牌后显示。',

    'rep.title': '骑手报告',
    'rep.col.time': '时间',
    'rep.col.station': '驿站',
    'rep.col.reason': '问题',
    'rep.col.comment': '补充说明',
    'rep.count': '共 {n} 条未处理的报告（最新在前）',
    'rep.empty': '暂无报告。',
    'rep.map': '地图',
    'rep.gone': '（已不存在）',

    'del.title': '删除驿站',
    'del.label': '驿站 id',
    'del.placeholder': '例如 bj-chy-00042',
    'del.button': '删除',
    'del.confirm': '确定删除驿站 {id} 吗？此操作会生成新的数据版本（可回滚）。',
    'del.done': '已删除 {id}：新数据版本 {version}，共 {count} 个驿站。',
    'del.need_id': '请输入要删除的驿站 id。',

    'confirm.title': '请确认',

    'reason.closed': '已关闭',
    'reason.moved': '已搬迁',
    'reason.amenity_missing': '设施缺失',
    'reason.wrong_hours': '时间不对',
    'reason.refused_entry': '拒绝进入',
    'reason.other': '其他',
  },
  en: {
    'page.title': 'Station data admin',
    'btn.lang': '中文',
    'btn.lang.aria': '切换到中文',
    'nav.map': 'Back to map',
    'btn.refresh': 'Refresh',
    'btn.cancel': 'Cancel',
    'btn.ok': 'OK',

    'token.title': 'Admin token',
    'token.label': 'Admin token (paste the server’s YIZHAN_ADMIN_TOKEN)',
    'token.placeholder': 'Paste the token',
    'token.save': 'Use this token',
    'token.forget': 'Forget token',
    'token.show': 'Show',
    'token.hint': 'The token is kept only in this tab (sessionStorage) and is cleared when the tab closes.',
    'token.checking': 'Checking the token…',
    'token.ok': 'Token accepted.',
    'token.none': 'Enter the admin token first.',
    'token.wrong': 'Token wrong: the server rejected this token (401). Check it and paste it again.',
    'token.disabled': 'Admin is disabled on this server (403): ',
    'token.forgotten': 'The token was removed from this page.',

    'ds.title': 'Current dataset',
    'ds.version': 'Dataset version',
    'ds.count': 'Stations',
    'ds.download': 'Download the current data (GeoJSON)',
    'ds.loading': 'Loading…',

    'up.title': 'Upload data',
    'up.file': 'Data file (.geojson / .json / .csv)',
    'up.choose': 'Choose a file…',
    'up.file.none': 'No file chosen',
    'up.file.info': '{name} · {size} · {type}',
    'up.file.bad_ext': 'Unknown file type: choose a .geojson, .json or .csv file.',
    'up.mode': 'Mode',
    'up.mode.replace': 'Replace everything (PUT)',
    'up.mode.replace.hint': 'The file becomes the whole dataset; stations not in it are removed.',
    'up.mode.upsert': 'Merge (POST)',
    'up.mode.upsert.hint': 'Adds or updates stations by id; all others stay.',
    'up.crs': 'Coordinate system',
    'up.crs.wgs84': 'WGS-84 (GPS, OpenStreetMap)',
    'up.crs.gcj02': 'GCJ-02 (Amap, Tencent)',
    'up.crs.bd09': 'BD-09 (Baidu)',
    'up.allow_empty': 'Allow the dataset to become empty',
    'up.gzip': 'Compress before upload (gzip)',
    'up.dry': '① Check (dry run)',
    'up.apply': '② Apply',
    'up.apply.hint': 'Check first; Apply is enabled after a clean check.',
    'up.abort': 'Stop',
    'up.reading': 'Compressing the file…',
    'up.sending': 'Uploading… {pct}',
    'up.validating': 'The server is validating…',
    'up.aborted': 'Upload stopped.',
    'up.changed': 'The file or settings changed: check again.',
    'up.dry.ok': 'Check passed: {count} stations after applying.',
    'up.dry.ok.version': 'The new dataset version will be {version}',
    'up.dry.same': ' (same as the current data)',
    'up.applied': 'Applied: new dataset version {version}, {count} stations.',
    'up.warnings': 'Warnings ({n}; they do not block the upload)',
    'up.invalid': 'Check failed: {n} errors; nothing was changed.',
    'up.failed': 'Upload failed (HTTP {status})',
    'up.network': 'Network error; please try again.',

    'err.filter.field': 'Filter by field',
    'err.filter.all': 'All fields ({n})',
    'err.filter.text': 'Search id or message',
    'err.col.index': 'Index',
    'err.col.index.csv': 'Row',
    'err.col.index.geo': 'Feature',
    'err.col.line': 'Line',
    'err.col.id': 'id',
    'err.col.field': 'Field',
    'err.col.message': 'Message',
    'err.showing': 'Showing {shown} of {total}',
    'err.more': 'Show {n} more',
    'err.sort': 'Click a column name to sort',

    'ver.title': 'Versions',
    'ver.col.version': 'Version',
    'ver.col.count': 'Stations',
    'ver.col.created': 'Created',
    'ver.col.action': 'Action',
    'ver.current': 'current',
    'ver.rollback': 'Roll back to this',
    'ver.confirm': 'Roll the data back to version {version} ({count} stations)?',
    'ver.done': 'Rolled back: current version {version}, {count} stations.',
    'ver.empty': 'No versions yet.',
    'ver.need_token': 'Shown after you enter the admin token.',

    'rep.title': 'Reports from riders',
    'rep.col.time': 'Time',
    'rep.col.station': 'Station',
    'rep.col.reason': 'Problem',
    'rep.col.comment': 'Comment',
    'rep.count': '{n} open reports (newest first)',
    'rep.empty': 'No reports.',
    'rep.map': 'map',
    'rep.gone': '(no longer exists)',

    'del.title': 'Delete a station',
    'del.label': 'Station id',
    'del.placeholder': 'e.g. bj-chy-00042',
    'del.button': 'Delete',
    'del.confirm': 'Delete station {id}? This makes a new dataset version (you can roll back).',
    'del.done': 'Deleted {id}: new dataset version {version}, {count} stations.',
    'del.need_id': 'Enter the id of the station to delete.',

    'confirm.title': 'Please confirm',

    'reason.closed': 'Closed',
    'reason.moved': 'Moved',
    'reason.amenity_missing': 'Amenity missing',
    'reason.wrong_hours': 'Wrong hours',
    'reason.refused_entry': 'Refused entry',
    'reason.other': 'Other',
  },
};

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

export function applyI18n(root) {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  document.title = `${t('page.title')} · yizhan`;
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-aria]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nAria)); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
}
