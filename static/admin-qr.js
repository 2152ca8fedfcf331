// The printable sheet of confirmation QR codes (/admin/qr?district=&offset=&limit=). The admin token is the one
// the admin page keeps in this tab's sessionStorage (or typed here); the cards come from GET /api/v1/qr-sheet.
(() => {
  'use strict';
  const TOKEN_KEY = 'yizhan.admin.token';
  const PER_PAGE = 12;
  const $ = (s) => document.querySelector(s);
  const params = new URLSearchParams(location.search);
  const state = {
    district: params.get('district') || '',
    offset: Math.max(0, parseInt(params.get('offset') || '0', 10) || 0),
    limit: Math.min(240, Math.max(1, parseInt(params.get('limit') || '96', 10) || 96)),
    total: 0,
  };
  let memToken = '';

  function token() {
    try { return (sessionStorage.getItem(TOKEN_KEY) || '').trim(); } catch (_) { return memToken; }
  }

  function setToken(v) {
    memToken = v;
    try { sessionStorage.setItem(TOKEN_KEY, v); } catch (_) { /* blocked: kept in memory */ }
  }

  function say(text) { $('#msg').textContent = text || ''; }

  function askToken(text) {
    $('#token-form').hidden = false;
    say(text);
    $('#token').focus();
  }

  function syncUrl() {
    const p = new URLSearchParams();
    if (state.district) p.set('district', state.district);
    if (state.offset) p.set('offset', String(state.offset));
    if (state.limit !== 96) p.set('limit', String(state.limit));
    const qs = p.toString();
    history.replaceState(null, '', '/admin/qr' + (qs ? '?' + qs : ''));
  }

  function fillDistricts(list) {
    const sel = $('#district');
    sel.textContent = '';
    const all = document.createElement('option');
    all.value = '';
    all.textContent = '全部 All';
    sel.appendChild(all);
    for (const d of list) {
      const o = document.createElement('option');
      o.value = d.district;
      o.textContent = d.district + ' (' + d.count + ')';
      sel.appendChild(o);
    }
    sel.value = state.district;
  }

  function card(s) {
    const c = document.createElement('div');
    c.className = 'card';
    c.dataset.id = s.id;
    c.dataset.url = s.url;
    const img = document.createElement('img');
    img.alt = '二维码 QR ' + s.id;
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(s.svg);
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = s.name;
    const sub = document.createElement('div');
    sub.className = 'sub';
    sub.textContent = (s.district ? s.district + ' · ' : '') + s.id;
    const cta = document.createElement('div');
    cta.className = 'cta';
    cta.textContent = '驿站工作人员扫码确认营业状态';
    c.append(img, title, sub, cta);
    return c;
  }

  async function render(stations) {
    const root = $('#sheets');
    root.textContent = '';
    for (let i = 0; i < stations.length; i += PER_PAGE) {
      const sheet = document.createElement('section');
      sheet.className = 'sheet';
      for (const s of stations.slice(i, i + PER_PAGE)) sheet.appendChild(card(s));
      root.appendChild(sheet);
    }
    await Promise.all(Array.from(root.querySelectorAll('img')).map((im) => im.decode().catch(() => {})));
  }

  async function load() {
    document.body.dataset.state = 'loading';
    const tok = token();
    if (!tok) { askToken('请输入管理令牌。 Enter the admin token.'); document.body.dataset.state = 'token'; return; }
    const p = new URLSearchParams({ offset: String(state.offset), limit: String(state.limit) });
    if (state.district) p.set('district', state.district);
    syncUrl();
    let r;
    try {
      r = await fetch('/api/v1/qr-sheet?' + p, { headers: { Authorization: 'Bearer ' + tok, Accept: 'application/json' } });
    } catch (_) {
      say('网络错误。 Network error.');
      document.body.dataset.state = 'error';
      return;
    }
    const j = await r.json().catch(() => ({}));
    if (r.status === 401 || r.status === 403) {
      askToken((j.detail || '令牌无效') + ' — 请重新输入管理令牌。 Enter the admin token again.');
      document.body.dataset.state = 'token';
      return;
    }
    if (!r.ok) { say(j.detail || ('HTTP ' + r.status)); document.body.dataset.state = 'error'; return; }
    $('#token-form').hidden = true;
    say('');
    state.total = j.total;
    fillDistricts(j.districts || []);
    const from = j.total ? j.offset + 1 : 0;
    const to = j.offset + j.stations.length;
    $('#range').textContent = '第 ' + from + '–' + to + ' 个，共 ' + j.total + ' 个 (' + from + '–' + to + ' of ' + j.total + ')';
    $('#prev').disabled = j.offset <= 0;
    $('#next').disabled = to >= j.total;
    await render(j.stations);
    document.body.dataset.state = 'ready';
  }

  $('#token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = $('#token').value.trim();
    if (v) { setToken(v); $('#token').value = ''; load(); }
  });
  $('#district').addEventListener('change', (ev) => { state.district = ev.target.value; state.offset = 0; load(); });
  $('#prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - state.limit); load(); });
  $('#next').addEventListener('click', () => { state.offset += state.limit; load(); });
  $('#print').addEventListener('click', () => window.print());
  $('#filter').addEventListener('submit', (ev) => ev.preventDefault());
  load();
})();
