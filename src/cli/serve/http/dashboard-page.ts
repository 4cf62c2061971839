/**
 * The live dashboard: one self-contained page (inline CSS and JS, nothing fetched from
 * anywhere else, no build step). It opens `/events` (Server-Sent Events, one snapshot a
 * second) and redraws: a row per listener, a chart of throughput and open connections
 * over the last five minutes (a hand-drawn canvas), recent refusals and errors, chat
 * rooms. Everything that came from the network is set with `textContent`, never parsed as
 * HTML. The Content-Security-Policy allows exactly this script and style (by hash).
 * @module
 */
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --bg:#f6f7f9; --fg:#17202a; --card:#fff; --muted:#5d6d7e; --line:#d5d8dc; --in:#1f77b4; --out:#e67e22; --conn:#27ae60; --bad:#c0392b; }
@media (prefers-color-scheme: dark) { :root { --bg:#12161c; --fg:#e5e8eb; --card:#1b2129; --muted:#98a4b0; --line:#2c3540; } }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:baseline; padding:.75rem 1rem; border-bottom:1px solid var(--line); }
header h1 { font-size:1.1rem; margin:0; }
#status { font-size:.85rem; color:var(--muted); }
#status.down { color:var(--bad); font-weight:600; }
main { display:grid; gap:1rem; padding:1rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 26rem), 1fr)); }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.75rem; min-width:0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size:.95rem; margin:0 0 .5rem; }
h2 small { font-weight:400; color:var(--muted); margin-left:.5rem; }
.totals { display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; }
.totals div { min-width:6rem; }
.totals b { display:block; font-size:1.4rem; font-variant-numeric: tabular-nums; }
.totals span { color:var(--muted); font-size:.8rem; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-variant-numeric: tabular-nums; }
th, td { text-align:right; padding:.3rem .5rem; border-bottom:1px solid var(--line); white-space:nowrap; }
th:nth-child(-n+3), td:nth-child(-n+3) { text-align:left; }
th { font-size:.75rem; color:var(--muted); font-weight:600; }
tr.off td { color:var(--muted); }
canvas { width:100%; height:220px; display:block; }
.legend { display:flex; gap:1rem; font-size:.8rem; color:var(--muted); }
.legend i { display:inline-block; width:.8rem; height:.25rem; margin-right:.3rem; vertical-align:middle; }
.sw-in { background:var(--in); } .sw-out { background:repeating-linear-gradient(90deg, var(--out) 0 4px, transparent 4px 6px); } .sw-conn { background:var(--conn); }
ul { list-style:none; margin:0; padding:0; max-height:16rem; overflow:auto; font-size:.85rem; }
li { padding:.2rem 0; border-bottom:1px solid var(--line); overflow-wrap:anywhere; }
li time { color:var(--muted); margin-right:.4rem; font-variant-numeric: tabular-nums; }
li .kind { font-weight:600; margin-right:.4rem; }
li .kind.error, li .kind.bus { color:var(--bad); }
.empty { color:var(--muted); font-style:italic; }
.narrow-only { display:none; color:var(--muted); }
.narrow-only.sub { font-size:.75rem; }
@media (max-width: 600px) { main { padding:.5rem; gap:.5rem; } .hide-narrow { display:none; } table { font-size:.8rem; } th, td { padding:.25rem .3rem; } .narrow-only { display:inline; } .narrow-only.sub { display:block; } }
`;

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
const history = [];
const KEEP = 300;
let source = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function bytes(n) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? Math.round(n) : n.toFixed(1)) + ' ' + u[i];
}
function count(n) { return Math.round(n).toLocaleString('en-US'); }
function clock(t) { return new Date(t).toLocaleTimeString([], { hour12: false }); }

function renderTotals(s) {
  let open = 0, rin = 0, rout = 0, req = 0;
  for (const l of s.listeners) { open += l.open; rin += l.rateIn; rout += l.rateOut; req += l.requestRate; }
  $('t-open').textContent = count(open);
  $('t-req').textContent = count(req) + '/s';
  $('t-in').textContent = bytes(rin) + '/s';
  $('t-out').textContent = bytes(rout) + '/s';
  const up = s.uptime;
  $('uptime').textContent = 'pid ' + s.pid + ' · up ' + Math.floor(up / 3600) + 'h ' + Math.floor((up % 3600) / 60) + 'm ' + (up % 60) + 's';
}

const FIELDS = [
  ['open', (l) => count(l.open)],
  ['requests', (l) => count(l.requests)],
  ['rateIn', (l) => bytes(l.rateIn) + '/s'],
  ['rateOut', (l) => bytes(l.rateOut) + '/s'],
  ['refused', (l) => count(l.refused + l.dropped)],
  ['errors', (l) => count(l.errors)],
];
function renderListeners(s) {
  const body = $('listeners');
  const rows = [];
  for (const l of s.listeners) {
    const tr = document.createElement('tr');
    tr.dataset.key = l.service + '/' + l.transport;
    if (!l.listening) tr.className = 'off';
    const service = el('td', l.service);
    const where = l.address + (l.processes ? ' (' + l.processes + ' processes)' : '');
    // A phone shows the address under the service: the row keeps the issue's columns
    // (service, transport, address, open, rates in/out) within the screen's width.
    service.append(el('span', '/' + l.transport, 'narrow-only'), el('span', where, 'narrow-only sub'));
    const address = el('td', where, 'hide-narrow');
    address.dataset.field = 'address';
    tr.append(service, el('td', l.transport, 'hide-narrow'), address);
    for (const [name, fmt] of FIELDS) {
      const td = el('td', fmt(l));
      td.dataset.field = name;
      td.dataset.value = String(l[name]);
      if (name === 'requests' || name === 'refused' || name === 'errors') td.classList.add('hide-narrow');
      tr.append(td);
    }
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

function renderRecent(s) {
  const list = $('recent');
  if (s.recent.length === 0) { list.replaceChildren(el('li', 'nothing refused, nothing failed', 'empty')); return; }
  const items = [];
  for (let i = s.recent.length - 1; i >= 0; i--) {
    const r = s.recent[i];
    const li = el('li');
    li.append(el('time', clock(r.time)), el('span', r.kind, 'kind ' + r.kind), el('span', r.where + ' '), el('span', r.detail));
    items.push(li);
  }
  list.replaceChildren(...items);
}

function renderRooms(s) {
  const sec = $('chat');
  if (!s.bus && s.rooms.length === 0) { sec.hidden = true; return; }
  sec.hidden = false;
  const bus = $('bus');
  bus.textContent = s.bus ? (s.bus.up ? 'bus up' : 'bus DOWN') + (s.bus.lagSeconds > 0 ? ' · lag ' + s.bus.lagSeconds.toFixed(3) + ' s' : '') : '';
  bus.className = s.bus && !s.bus.up ? 'kind error' : '';
  const list = $('rooms');
  if (s.rooms.length === 0) { list.replaceChildren(el('li', 'no rooms with members', 'empty')); return; }
  list.replaceChildren(...s.rooms.map((r) => {
    const li = el('li');
    li.dataset.room = r.room;
    li.append(el('b', r.room), el('span', ' · ' + r.members + (r.members === 1 ? ' member' : ' members') + ' · ' + count(r.messages) + ' messages'));
    return li;
  }));
}

function drawChart() {
  const canvas = $('chart');
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w * ratio || canvas.height !== h * ratio) { canvas.width = w * ratio; canvas.height = h * ratio; }
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const css = getComputedStyle(document.documentElement);
  const color = (v) => css.getPropertyValue(v).trim();
  const pad = { l: 8, r: 8, t: 16, b: 18 };
  const cw = w - pad.l - pad.r, ch = h - pad.t - pad.b;
  g.strokeStyle = color('--line'); g.lineWidth = 1;
  g.beginPath(); g.moveTo(pad.l, pad.t + ch + 0.5); g.lineTo(pad.l + cw, pad.t + ch + 0.5); g.stroke();
  if (history.length < 2) return;
  const now = history[history.length - 1].t;
  const x = (t) => pad.l + cw - ((now - t) / (KEEP * 1000)) * cw;
  const series = (key, max, col, dash) => {
    g.strokeStyle = col; g.lineWidth = 2; g.setLineDash(dash || []); g.beginPath();
    history.forEach((p, i) => { const y = pad.t + ch - (max > 0 ? (p[key] / max) * ch : 0); if (i === 0) g.moveTo(x(p.t), y); else g.lineTo(x(p.t), y); });
    g.stroke();
    g.setLineDash([]);
  };
  let maxBytes = 0, maxOpen = 0;
  for (const p of history) { maxBytes = Math.max(maxBytes, p.bytesIn, p.bytesOut); maxOpen = Math.max(maxOpen, p.open); }
  series('bytesIn', maxBytes, color('--in'));
  series('bytesOut', maxBytes, color('--out'), [6, 4]);
  series('open', maxOpen, color('--conn'));
  g.fillStyle = color('--muted'); g.font = '11px system-ui, sans-serif';
  g.fillText('max ' + bytes(maxBytes) + '/s · ' + count(maxOpen) + ' open', pad.l, 11);
  g.fillText('-5 min', pad.l, h - 4);
  g.fillText('now', pad.l + cw - 20, h - 4);
}

function apply(s) {
  if (s.history) { history.length = 0; history.push(...s.history); }
  else if (s.point) { history.push(s.point); while (history.length > KEEP) history.shift(); }
  renderTotals(s); renderListeners(s); renderRecent(s); renderRooms(s); drawChart();
  document.body.dataset.updated = String(s.time);
}

function connect() {
  source = new EventSource('events');
  source.onopen = () => { $('status').textContent = 'live'; $('status').className = ''; };
  source.onmessage = (e) => { try { apply(JSON.parse(e.data)); } catch (err) { $('status').textContent = 'bad update: ' + err.message; } };
  source.onerror = () => { $('status').textContent = 'disconnected: reconnecting…'; $('status').className = 'down'; };
}
window.addEventListener('resize', drawChart);
connect();
`;

const BODY = `
<header>
  <h1>socketkit serve</h1>
  <span id="status">connecting…</span>
  <span id="uptime" class="muted"></span>
</header>
<main>
  <section class="wide">
    <div class="totals">
      <div><b id="t-open">0</b><span>open connections</span></div>
      <div><b id="t-req">0/s</b><span>requests</span></div>
      <div><b id="t-in">0 B/s</b><span>in</span></div>
      <div><b id="t-out">0 B/s</b><span>out</span></div>
    </div>
  </section>
  <section class="wide">
    <h2>Listeners</h2>
    <div class="scroll"><table>
      <thead><tr><th>service</th><th class="hide-narrow">transport</th><th class="hide-narrow">address</th><th>open</th><th class="hide-narrow">requests</th><th>in</th><th>out</th><th class="hide-narrow">refused</th><th class="hide-narrow">errors</th></tr></thead>
      <tbody id="listeners"></tbody>
    </table></div>
  </section>
  <section class="wide">
    <h2>Throughput and connections, last 5 minutes</h2>
    <div class="legend"><span><i class="sw-in"></i>in</span><span><i class="sw-out"></i>out</span><span><i class="sw-conn"></i>open connections</span></div>
    <canvas id="chart" role="img" aria-label="throughput and open connections over the last five minutes"></canvas>
  </section>
  <section>
    <h2>Recent refusals and errors</h2>
    <ul id="recent"></ul>
  </section>
  <section id="chat" hidden>
    <h2>Chat rooms <small id="bus"></small></h2>
    <ul id="rooms"></ul>
  </section>
</main>
`;

const sha = (text: string): string =>
  `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page and the Content-Security-Policy that allows exactly its script and styles. */
export function dashboardPage(): { html: string; csp: string } {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>socketkit serve</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha(SCRIPT)}`,
    `style-src ${sha(STYLE)}`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
