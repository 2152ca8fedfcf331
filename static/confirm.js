// Host confirmation page (/c/{id}?key=…): two big actions that post to /api/v1/stations/{id}/confirm with the
// key from the address bar. The page text comes from the server (escaped); this script only adds behaviour.
(() => {
  'use strict';
  const main = document.getElementById('confirm');
  if (!main || !main.dataset.id) return;
  const id = main.dataset.id;
  const key = new URLSearchParams(location.search).get('key') || '';
  const result = document.getElementById('result');
  const buttons = Array.from(main.querySelectorAll('button'));
  const reopens = document.getElementById('reopens-on');
  const note = document.getElementById('note');

  function show(kind, zh, en) {
    result.hidden = false;
    result.className = 'result ' + kind;
    result.textContent = zh;
    if (en) {
      result.appendChild(document.createElement('br'));
      const s = document.createElement('span');
      s.lang = 'en';
      s.textContent = en;
      result.appendChild(s);
    }
    result.scrollIntoView({ block: 'nearest' });
  }

  function when(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso || '';
    try {
      return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
    } catch (_) {
      return d.toISOString();
    }
  }

  async function send(body) {
    buttons.forEach((b) => { b.disabled = true; });
    show('info', '正在提交…', 'Sending…');
    try {
      const r = await fetch('/api/v1/stations/' + encodeURIComponent(id) + '/confirm', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(Object.assign({ key }, body)),
      });
      const j = await r.json().catch(() => ({}));
      if (r.ok) {
        const t = when(j.verified_at);
        const now = document.getElementById('station-state');
        if (now) {
          now.textContent = '当前 now: ' + (j.status === 'temporarily_closed'
            ? '暂停服务' + (j.reopens_on ? '至 ' + j.reopens_on : '') + (j.status_note ? '（' + j.status_note + '）' : '')
            : '营业正常 open') + ' · 上次确认 last confirmed ' + t;
        }
        if (j.status === 'temporarily_closed') {
          const until = j.reopens_on ? '至 ' + j.reopens_on : '';
          show('ok', '已确认 ✓ 暂停服务' + until + '（' + t + '）',
            'Verified ✓ temporarily closed' + (j.reopens_on ? ' until ' + j.reopens_on : '') + ' — ' + t);
        } else {
          show('ok', '已确认 ✓ 营业正常（' + t + '）', 'Verified ✓ open as listed — ' + t);
        }
      } else if (r.status === 403) {
        show('error', '此确认链接无效或已过期。请向管理员索取新的二维码。',
          'This confirmation link is not valid. Ask the admin for a new QR code.');
      } else if (r.status === 429) {
        const s = r.headers.get('Retry-After') || '60';
        show('error', '提交过于频繁，请 ' + s + ' 秒后再试。', 'Too many confirmations; retry in ' + s + ' s.');
      } else if (r.status === 422 || r.status === 400) {
        show('error', '请检查输入：' + (j.detail || r.status), 'Please check: ' + (j.detail || r.status));
      } else {
        show('error', '提交失败（' + r.status + '），请稍后重试。', 'Could not save (' + r.status + '); please retry later.');
      }
    } catch (_) {
      show('error', '网络错误，请稍后重试。', 'Network error; please retry.');
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  document.getElementById('btn-open').addEventListener('click', () => send({ status: 'open' }));
  document.getElementById('closed-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const day = reopens.value;
    if (day && ((reopens.min && day < reopens.min) || (reopens.max && day > reopens.max))) {
      show('error', '恢复日期须在 ' + reopens.min + ' 至 ' + reopens.max + ' 之间。',
        'The reopening day must be between ' + reopens.min + ' and ' + reopens.max + '.');
      reopens.focus();
      return;
    }
    const body = { status: 'temporarily_closed' };
    if (day) body.reopens_on = day;
    if (note.value.trim()) body.status_note = note.value.trim();
    send(body);
  });
})();
