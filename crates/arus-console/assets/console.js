// The console's live parts: charts (inline SVG), the message browser (paging, filter,
// live tail, produce) and the group page's lag. Everything from the server is inserted as
// text (textContent), never as markup: keys, values and headers are untrusted.
'use strict';

const Arus = (() => {
  const SVG = 'http://www.w3.org/2000/svg';

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }

  function human(v) {
    if (v >= 1e9) return (v / 1e9).toFixed(1) + 'G';
    if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k';
    return (Math.round(v * 10) / 10).toString();
  }

  // series: [[[t, v], ...], ...]; draws lines over the shared time range.
  function chart(node, series) {
    const W = Math.max(300, Math.round(node.clientWidth || 600)), H = Math.round(node.clientHeight || 180), L = 48, B = 20;
    node.setAttribute('viewBox', `0 0 ${W} ${H}`);
    node.replaceChildren();
    const pts = series.flat();
    if (pts.length === 0) {
      const t = svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'muted' });
      t.textContent = 'collecting samples…';
      node.appendChild(t);
      return;
    }
    const t0 = Math.min(...pts.map(p => p[0])), t1 = Math.max(...pts.map(p => p[0]));
    const vmax = Math.max(1, ...pts.map(p => p[1]));
    const x = t => L + (t1 === t0 ? 0 : (t - t0) / (t1 - t0)) * (W - L - 4);
    const y = v => H - B - (v / vmax) * (H - B - 8);
    node.appendChild(svg('line', { x1: L, y1: H - B, x2: W, y2: H - B, class: 'axis' }));
    for (const frac of [0, 0.5, 1]) {
      const lbl = svg('text', { x: L - 4, y: y(vmax * frac) + 4, 'text-anchor': 'end', class: 'tick' });
      lbl.textContent = human(vmax * frac);
      node.appendChild(lbl);
    }
    const span = svg('text', { x: W - 2, y: H - 4, 'text-anchor': 'end', class: 'tick' });
    span.textContent = new Date(t1).toLocaleTimeString();
    node.appendChild(span);
    series.forEach((s, i) => {
      if (s.length === 0) return;
      const d = s.map((p, j) => (j ? 'L' : 'M') + x(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1)).join(' ');
      node.appendChild(svg('path', { d, class: 'line s' + i }));
    });
  }

  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: 'application/json' } });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  }

  function overview() {
    const msgs = document.getElementById('chart-msgs');
    const bytes = document.getElementById('chart-bytes');
    async function refresh() {
      try {
        const { rates } = await getJSON('/api/overview');
        chart(msgs, [rates.map(r => [r.t, r.produce_msgs]), rates.map(r => [r.t, r.fetch_msgs])]);
        chart(bytes, [rates.map(r => [r.t, r.produce_bytes]), rates.map(r => [r.t, r.fetch_bytes])]);
      } catch (e) { /* next tick */ }
    }
    refresh();
    setInterval(refresh, 2000);
  }

  function show(payload, format) {
    if (payload === null || payload === undefined) return { text: 'null', cls: 'null' };
    let text = payload.text;
    if (format === 'hex' || (!payload.utf8 && format !== 'text')) text = payload.hex;
    else if (format === 'json') {
      try { text = JSON.stringify(JSON.parse(payload.text), null, 2); } catch (e) { /* as text */ }
    }
    if (payload.truncated) text += ` … (${payload.size} bytes)`;
    return { text, cls: '' };
  }

  function browser() {
    const form = document.getElementById('browse');
    const topic = form.dataset.topic;
    const tbody = document.querySelector('#records tbody');
    const status = document.getElementById('status');
    const next = document.getElementById('next');
    const tail = document.getElementById('tail');
    let cursor = '';
    let shown = [];
    let tailing = false;
    let tailRun = 0; // each start of the tail gets a number; an older loop stops

    function params(extra) {
      const f = new FormData(form);
      const p = new URLSearchParams();
      p.set('partitions', f.getAll('partitions').filter(Boolean).join(','));
      p.set('filter', f.get('filter'));
      p.set('limit', f.get('limit'));
      let start = f.get('start'), at = f.get('at').trim();
      if (start === 'timestamp' && at !== '' && isNaN(Number(at))) at = String(Date.parse(at));
      p.set('start', start);
      p.set('at', at);
      for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
      return p;
    }

    function render() {
      const format = new FormData(form).get('format');
      tbody.replaceChildren();
      for (const r of shown) {
        const tr = el('tr', { 'data-offset': r.offset, 'data-partition': r.partition });
        tr.appendChild(el('td', { class: 'num' }, String(r.partition)));
        tr.appendChild(el('td', { class: 'num' }, String(r.offset)));
        tr.appendChild(el('td', {}, r.timestamp >= 0 ? new Date(r.timestamp).toISOString() : ''));
        const k = show(r.key, format);
        tr.appendChild(el('td', { class: 'key ' + k.cls }, k.text));
        let hs = r.headers.map(([n, v]) => n + ': ' + show(v, format).text).join('\n');
        if (r.headers_omitted) hs += `\n… ${r.headers_omitted} more headers`;
        tr.appendChild(el('td', { class: 'headers' }, hs));
        const v = show(r.value, format);
        tr.appendChild(el('td', { class: 'value ' + v.cls }, v.text));
        tbody.appendChild(tr);
      }
    }

    async function load(useCursor) {
      const extra = useCursor ? { cursor } : {};
      status.textContent = 'loading…';
      try {
        const page = await getJSON(`/api/topics/${encodeURIComponent(topic)}/messages?` + params(extra));
        shown = page.records;
        cursor = page.cursor;
        render();
        next.disabled = page.end && !page.truncated;
        let msg = `${page.records.length} records (scanned ${page.scanned})`;
        if (page.end) msg += ' · end of partitions';
        if (page.truncated) msg += ' · scan limit reached, next page continues';
        if (page.errors.length) msg += ' · ' + page.errors.join('; ');
        status.textContent = msg;
      } catch (e) {
        status.textContent = 'error: ' + e.message;
      }
    }

    async function tailLoop(run) {
      // Start at the end unless records are already shown; keep at most 500 rows.
      if (!cursor) {
        try {
          const page = await getJSON(`/api/topics/${encodeURIComponent(topic)}/messages?` +
            params({ start: 'latest', limit: 1 }));
          cursor = page.cursor;
        } catch (e) {
          status.textContent = 'live tail error: ' + e.message;
          tail.checked = tailing = false;
          return;
        }
      }
      status.textContent = 'live tail: waiting for new records…';
      while (tailing && run === tailRun) {
        try {
          const page = await getJSON(`/api/topics/${encodeURIComponent(topic)}/messages?` +
            params({ cursor, wait_ms: 3000, limit: 500 }));
          if (!tailing || run !== tailRun) break;
          cursor = page.cursor;
          if (page.records.length) {
            shown = shown.concat(page.records).slice(-500);
            render();
            status.textContent = `live tail: ${shown.length} records shown`;
          }
        } catch (e) {
          status.textContent = 'live tail error: ' + e.message;
          await new Promise(r => setTimeout(r, 2000));
        }
      }
    }

    form.addEventListener('submit', ev => { ev.preventDefault(); cursor = ''; load(false); });
    next.addEventListener('click', () => load(true));
    form.querySelector('[name=format]').addEventListener('change', render);
    tail.addEventListener('change', () => {
      tailing = tail.checked;
      if (tailing) tailLoop(++tailRun);
      else status.textContent = 'live tail stopped';
    });

    const produce = document.getElementById('produce');
    const pstatus = document.getElementById('produce-status');
    produce.addEventListener('submit', async ev => {
      ev.preventDefault();
      pstatus.textContent = 'sending…';
      try {
        const r = await fetch(`/api/topics/${encodeURIComponent(topic)}/produce`, {
          method: 'POST', body: new URLSearchParams(new FormData(produce)),
        });
        const body = await r.json();
        if (!r.ok) throw new Error(body.error || r.statusText);
        pstatus.textContent = `written to partition ${body.partition} at offset ${body.offset}`;
      } catch (e) {
        pstatus.textContent = 'error: ' + e.message;
      }
    });
    load(false);
  }

  function group(id) {
    const node = document.getElementById('chart-lag');
    const total = document.getElementById('lag-total');
    const state = document.getElementById('group-state');
    async function refresh() {
      try {
        const g = await getJSON(`/api/groups/${encodeURIComponent(id)}/lag`);
        total.textContent = String(g.total);
        state.textContent = g.state;
        for (const p of g.partitions) {
          const row = document.querySelector(`#offsets tr[data-tp="${CSS.escape(p.topic + '-' + p.partition)}"]`);
          if (!row) continue;
          row.querySelector('.committed').textContent = String(p.committed);
          row.querySelector('.end').textContent = String(p.end);
          row.querySelector('.lag').textContent = String(p.lag);
        }
        chart(node, [g.series]);
      } catch (e) { /* next tick */ }
    }
    refresh();
    setInterval(refresh, 2000);
  }

  return { overview, browser, group, chart };
})();
