/**
 * The browser chat page: one self-contained HTML document (inline CSS and script, no
 * external resource, no build step), served by `serve --http` at `/<service name>`.
 *
 * It opens a WebSocket at the page's own path + `/ws` (`/chat` → `ws://host/chat/ws`,
 * `wss:` under https), speaks the chat's line protocol over it (web-socket-session.ts)
 * and renders each server line by its first word (protocol.ts). Everything from the
 * network is put in the page with `textContent`, never as HTML: `<img src=x onerror=…>`
 * shows as those characters. A dropped connection is retried with exponential backoff
 * (1 s doubling to 30 s, jittered), and the page says so ("reconnecting in 4 s…",
 * "reconnected"); it then takes its nickname and room back. It does not reconnect after
 * `/quit` or an idle cut (a button does).
 *
 * The script is plain ES2017 with no backticks or `${`, so the page is one raw string.
 * @module
 */

/** The page's HTML. */
export const CHAT_PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>socketkit chat</title>
<style>
:root { --bg: #fafafa; --fg: #1b1b1b; --muted: #5f6368; --line: #dcdcdc; --accent: #0b57d0;
  --err: #b3261e; --panel: #fff; --hist: #6b6b6b; --pm: #7a3ea1; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #151515; --fg: #e8e8e8; --muted: #a0a4a8; --line: #333; --accent: #8ab4f8;
    --err: #f28b82; --panel: #1f1f1f; --hist: #9a9a9a; --pm: #d7aefb; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { height: 100%; margin: 0; }
body { font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: var(--bg); color: var(--fg); display: flex; flex-direction: column; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1rem;
  padding: .5rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
h1 { font-size: 1.1rem; margin: 0; }
h2 { font-size: .95rem; margin: 0 0 .4rem; }
#room-name { font-weight: 600; color: var(--accent); }
#topic { color: var(--muted); overflow-wrap: anywhere; }
#status { margin: 0 0 0 auto; color: var(--muted); font-size: .9rem; }
#status.bad { color: var(--err); font-weight: 600; }
#status.good { color: var(--accent); }
#identity { padding: .5rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
#nick-form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
#identity p { margin: .2rem 0; }
#nick-error { color: var(--err); font-weight: 600; }
#nick-error:empty { display: none; }
main { flex: 1; min-height: 0; display: grid; grid-template-columns: 1fr 12rem;
  grid-template-rows: 1fr auto; }
#log { grid-column: 1; grid-row: 1; overflow-y: auto; margin: 0; padding: .5rem 1rem;
  list-style: none; font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 14px; }
#log li { padding: .1rem 0; overflow-wrap: anywhere; white-space: pre-wrap; }
#log time, #log .when { color: var(--muted); margin-right: .5rem; font-size: .85em; }
#log .nick { font-weight: 600; margin-right: .4rem; }
#log .server { color: var(--muted); }
#log .announce { color: var(--muted); font-style: italic; }
#log .error { color: var(--err); font-weight: 600; }
#log .history { color: var(--hist); }
#log .private { color: var(--pm); }
#log .local { color: var(--accent); font-weight: 600; }
aside { grid-column: 2; grid-row: 1 / span 2; border-left: 1px solid var(--line);
  padding: .5rem 1rem; overflow-y: auto; background: var(--panel); }
#members { list-style: none; margin: 0; padding: 0; }
#members li { padding: .1rem 0; overflow-wrap: anywhere; }
#members li.me { font-weight: 600; }
#say-form { grid-column: 1; grid-row: 2; display: flex; gap: .5rem; padding: .5rem 1rem;
  border-top: 1px solid var(--line); background: var(--panel); }
#say { flex: 1; min-width: 0; }
input, button { font: inherit; padding: .4rem .6rem; border-radius: 6px;
  border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
@media (prefers-color-scheme: dark) { button { color: #111; } }
button:disabled, input:disabled { opacity: .55; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 1px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
#reconnect[hidden] { display: none; }
@media (max-width: 640px) {
  main { grid-template-columns: 1fr; grid-template-rows: auto 1fr auto; }
  aside { grid-column: 1; grid-row: 1; border-left: 0; border-bottom: 1px solid var(--line);
    max-height: 5.5rem; padding: .3rem 1rem; }
  #members { display: flex; flex-wrap: wrap; gap: .2rem .8rem; }
  #log { grid-row: 2; }
  #say-form { grid-row: 3; }
}
</style>
</head>
<body>
<header>
  <h1>socketkit chat</h1>
  <span><span class="sr">Room: </span><span id="room-name">#lobby</span></span>
  <span id="topic"></span>
  <p id="status" role="status" aria-live="polite">connecting…</p>
  <button id="reconnect" type="button" hidden>Reconnect</button>
</header>
<section id="identity" aria-label="Your nickname">
  <form id="nick-form" autocomplete="off">
    <label for="nick">Pick a nickname</label>
    <input id="nick" name="nick" maxlength="24" required spellcheck="false"
      aria-describedby="nick-help nick-error">
    <button id="nick-button" type="submit">Join</button>
    <span id="nick-help" class="when">letters, digits, _ and -; starts with a letter</span>
  </form>
  <p id="nick-error" role="alert"></p>
  <p id="you" hidden>You are <strong id="you-nick"></strong>. Type <code>/help</code> for commands, <code>/nick NAME</code> to rename.</p>
</section>
<main>
  <ol id="log" role="log" aria-live="polite" aria-label="Messages" tabindex="0"></ol>
  <aside aria-labelledby="members-heading">
    <h2 id="members-heading">In <span id="members-room">#lobby</span> (<span id="members-count">0</span>)</h2>
    <ul id="members"></ul>
  </aside>
  <form id="say-form" autocomplete="off">
    <label for="say" class="sr">Message, or a /command</label>
    <input id="say" name="say" placeholder="Pick a nickname first" disabled spellcheck="true">
    <button id="say-button" type="submit" disabled>Send</button>
  </form>
</main>
<script>
(function () {
  'use strict';
  var MAX_LOG = 1000;
  var $ = function (id) { return document.getElementById(id); };
  var log = $('log'), statusEl = $('status'), say = $('say'), sayButton = $('say-button');
  var nickInput = $('nick'), nickError = $('nick-error'), membersEl = $('members');
  var path = location.pathname.replace(/\/+$/, '');
  var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path + '/ws';

  var ws = null;
  var myNick = '';        // the nickname the server gave us (guest name, then ours)
  var wantNick = '';      // the nickname the person picked (taken back after a reconnect)
  var named = false;      // the server accepted wantNick
  var pendingNick = null; // a /nick sent, its answer not seen yet
  var room = '#lobby', wantRoom = '#lobby';
  var members = [];
  var autoWho = 0;        // /who requests the page sent itself (their answers are not shown)
  var autoEcho = 0;       // the same for /echo on (a person expects to see their own lines)
  var attempt = 0, everOpen = false, dropped = false, stop = false, idleCut = false;
  var retryTimer = null;

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = kind || '';
  }

  function clock() {
    var d = new Date();
    var t = document.createElement('time');
    t.dateTime = d.toISOString();
    t.textContent = ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
    return t;
  }

  function nickColor(nick) {
    var h = 0;
    for (var i = 0; i < nick.length; i += 1) h = (h * 31 + nick.charCodeAt(i)) % 360;
    return 'hsl(' + h + ', 55%, 45%)';
  }

  // Every piece of network text goes in with textContent: never parsed as HTML.
  function addLine(kind, parts, history) {
    var stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    var li = document.createElement('li');
    li.className = kind + (history ? ' history' : '');
    if (history) {
      var h = document.createElement('span');
      h.className = 'when';
      h.textContent = 'earlier';
      li.appendChild(h);
    } else {
      li.appendChild(clock());
    }
    for (var i = 0; i < parts.length; i += 1) {
      var p = parts[i];
      var span = document.createElement('span');
      if (p.nick !== undefined) {
        span.className = 'nick';
        span.textContent = p.nick;
        span.style.color = nickColor(p.raw || p.nick);
      } else {
        span.className = 'text';
        span.textContent = p.text;
      }
      li.appendChild(span);
    }
    log.appendChild(li);
    while (log.childElementCount > MAX_LOG) log.removeChild(log.firstElementChild);
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function note(text) { addLine('local', [{ text: text }], false); }

  function renderMembers() {
    members.sort(function (a, b) { return a.localeCompare(b); });
    while (membersEl.firstChild) membersEl.removeChild(membersEl.firstChild);
    for (var i = 0; i < members.length; i += 1) {
      var li = document.createElement('li');
      li.textContent = members[i];
      if (members[i] === myNick) li.className = 'me';
      membersEl.appendChild(li);
    }
    $('members-count').textContent = String(members.length);
    $('members-room').textContent = room;
  }
  function addMember(n) { if (members.indexOf(n) < 0) members.push(n); renderMembers(); }
  function removeMember(n) {
    var i = members.indexOf(n);
    if (i >= 0) members.splice(i, 1);
    renderMembers();
  }

  function send(text) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(text); return true; }
    return false;
  }

  function askWho() { autoWho += 1; send('/who ' + room); }

  function nickAccepted(nick) {
    myNick = nick; wantNick = nick; named = true; pendingNick = null;
    nickError.textContent = '';
    $('nick-form').hidden = true;
    $('you').hidden = false;
    $('you-nick').textContent = nick;
    say.disabled = false; sayButton.disabled = false;
    say.placeholder = 'Message ' + room + ', or /help';
    if (document.activeElement === nickInput || document.activeElement === $('nick-button')) say.focus();
    autoEcho += 1; send('/echo on');
    if (wantRoom !== room) send('/join ' + wantRoom);
    else askWho();
  }

  function nickRefused(reason) {
    pendingNick = null;
    if (!named) {
      wantNick = '';
      nickError.textContent = 'Nickname refused: ' + reason;
      $('nick-form').hidden = false;
      $('you').hidden = true;
      nickInput.setAttribute('aria-invalid', 'true');
      nickInput.focus();
    }
  }

  // One protocol line: the first word says who speaks (see the chat's protocol.ts).
  function onLine(line, history) {
    var m;
    if (!history && (m = /^<history> (.*)$/.exec(line))) return onLine(m[1], true);
    if ((m = /^<server> error: (.*)$/.exec(line))) {
      if (pendingNick !== null) nickRefused(m[1]);
      return addLine('error', [{ text: m[1] }], history);
    }
    if ((m = /^<server> (.*)$/.exec(line))) return onServer(m[1], history);
    if ((m = /^<announce> (.*)$/.exec(line))) { onAnnounce(m[1]); return addLine('announce', [{ text: m[1] }], history); }
    if ((m = /^<([^>\s]+)> (.*)$/.exec(line))) return addLine('msg', [{ nick: m[1] }, { text: m[2] }], history);
    if ((m = /^-> \*([^*\s]+)\* (.*)$/.exec(line))) return addLine('private', [{ text: 'to ' }, { nick: m[1] }, { text: m[2] }], history);
    if ((m = /^\*([^*\s]+)\* (.*)$/.exec(line))) return addLine('private', [{ text: 'from ' }, { nick: m[1] }, { text: m[2] }], history);
    if ((m = /^\* (\S+) (.*)$/.exec(line))) return addLine('action', [{ text: '* ' }, { nick: m[1] }, { text: m[2] }], history);
    addLine('server', [{ text: line }], history);
  }

  function onServer(text, history) {
    var m;
    if ((m = /^welcome to socketkit chat, ([^.\s]+)\./.exec(text))) {
      myNick = m[1];
      if (wantNick !== '') { pendingNick = wantNick; send('/nick ' + wantNick); }
    } else if ((m = /^(\S+) is now known as (\S+)$/.exec(text)) && pendingNick !== null) {
      nickAccepted(m[2]);
    } else if ((m = /^you are already (\S+)$/.exec(text)) && pendingNick !== null) {
      nickAccepted(m[1]);
    } else if ((m = /^you are in (#\S+)(?: \(topic: (.*)\))?$/.exec(text))) {
      room = m[1]; wantRoom = named ? room : wantRoom;
      $('room-name').textContent = room;
      $('topic').textContent = m[2] || '';
      members = []; renderMembers();
      if (named) { askWho(); say.placeholder = 'Message ' + room + ', or /help'; }
    } else if ((m = /^(\d+) in (#\S+): ?(.*)$/.exec(text))) {
      if (m[2] === room) { members = m[3] === '' ? [] : m[3].split(', '); renderMembers(); }
      if (autoWho > 0) { autoWho -= 1; return; }
    } else if (text === 'echo on' && autoEcho > 0) {
      autoEcho -= 1;
      return;
    } else if (/^idle for \d+ s: disconnecting$/.test(text)) {
      idleCut = true;
    }
    addLine('server', [{ text: text }], history);
  }

  function onAnnounce(text) {
    var m;
    if ((m = /^(\S+) joined (#\S+)$/.exec(text))) { if (m[2] === room) addMember(m[1]); }
    else if ((m = /^(\S+) left (#\S+)/.exec(text))) { if (m[2] === room) removeMember(m[1]); }
    else if ((m = /^(\S+) is now known as (\S+)$/.exec(text))) {
      if (m[1] === myNick && pendingNick !== null) nickAccepted(m[2]);
      else if (m[1] === myNick) { myNick = m[2]; wantNick = m[2]; $('you-nick').textContent = m[2]; }
      removeMember(m[1]); addMember(m[2]);
    } else if ((m = /^\S+ set the topic of (#\S+): (.*)$/.exec(text))) {
      if (m[1] === room) $('topic').textContent = m[2];
    }
  }

  function connect() {
    retryTimer = null;
    idleCut = false;
    setStatus(dropped ? 'reconnecting…' : 'connecting…', dropped ? 'bad' : '');
    $('reconnect').hidden = true;
    var sock = new WebSocket(url);
    ws = sock;
    var partial = '';
    sock.onopen = function () {
      attempt = 0;
      if (dropped) { setStatus('reconnected', 'good'); note('reconnected'); }
      else setStatus('connected', 'good');
      everOpen = true; dropped = false;
    };
    sock.onmessage = function (ev) {
      if (typeof ev.data !== 'string') return;
      var lines = (partial + ev.data).split('\r\n');
      partial = lines.pop();
      for (var i = 0; i < lines.length; i += 1) onLine(lines[i], false);
    };
    sock.onclose = function (ev) {
      if (ws !== sock) return;
      // The nickname and room are taken back after a reconnect (see nickAccepted).
      ws = null; autoWho = 0; autoEcho = 0; pendingNick = null; named = false;
      say.disabled = true; sayButton.disabled = true;
      if (stop || idleCut) {
        setStatus(idleCut ? 'disconnected (idle)' : 'disconnected', 'bad');
        note(idleCut ? 'disconnected for being idle' : 'disconnected');
        $('reconnect').hidden = false;
        return;
      }
      dropped = true;
      var delay = Math.min(30, Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      attempt += 1;
      var secs = Math.max(1, Math.round(delay));
      var why = ev.code === 1013 ? 'the server is busy' : everOpen ? 'connection lost' : 'cannot connect';
      setStatus(why + ': reconnecting in ' + secs + ' s…', 'bad');
      note(why + ': reconnecting in ' + secs + ' s…');
      retryTimer = setTimeout(connect, delay * 1000);
    };
  }

  $('nick-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var nick = nickInput.value.trim();
    if (nick === '') return;
    nickError.textContent = '';
    nickInput.removeAttribute('aria-invalid');
    wantNick = nick;
    if (nick === myNick && named) return nickAccepted(nick);
    pendingNick = nick;
    if (!send('/nick ' + nick)) nickError.textContent = 'Not connected yet: your nickname is sent once the connection is back.';
  });

  $('say-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = say.value;
    if (text.trim() === '') return;
    var m = /^\/nick\s+(\S+)/i.exec(text);
    if (m) pendingNick = m[1];
    if (/^\/quit\b/i.test(text)) stop = true;
    if (send(text)) say.value = '';
  });

  $('reconnect').addEventListener('click', function () {
    stop = false; dropped = true; attempt = 0;
    if (retryTimer !== null) clearTimeout(retryTimer);
    connect();
  });

  renderMembers();
  nickInput.focus();
  connect();
})();
</script>
</body>
</html>
`;
