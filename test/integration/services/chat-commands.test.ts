import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ChatServerHandle, startChat, TestClient } from './chat-harness.js';

describe('chat commands over loopback', () => {
  let server: ChatServerHandle;
  const clients: TestClient[] = [];
  const join = async (nick?: string): Promise<TestClient> => {
    const c = await TestClient.join(server.port, nick);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startChat({ history: 5 });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  it('greets a guest, announces joins, broadcasts without echo', async () => {
    const a = await join('alice');
    const b = await join('bob');
    // bob renamed before saying anything: the room first hears of him as bob.
    await a.waitFor(/^<announce> bob joined #lobby$/);
    a.send('hello bob');
    await b.waitFor(/^<alice> hello bob$/);
    b.send('/me waves');
    await a.waitFor(/^\* bob waves$/);
    // An echo would have reached alice before bob's later line.
    assert.ok(!a.lines.includes('<alice> hello bob'), 'no echo to the sender');
    a.send('//slash is text');
    await b.waitFor(/^<alice> \/slash is text$/);
  });

  it('/nick validates and keeps names unique (case-insensitive)', async () => {
    const c = await join('carol');
    c.send('/nick ALICE');
    await c.waitFor(/^<server> error: nickname "ALICE" is taken$/);
    c.send('/nick 9lives');
    await c.waitFor(/^<server> error: a nickname starts with a letter/);
    c.send('/nick announce');
    await c.waitFor(/is reserved$/);
    c.send('/nick Carol');
    await c.waitFor(/^<announce> carol is now known as Carol$/);
  });

  it('/who, /rooms, /topic, /join, /part, /msg, /echo, /help, unknown', async () => {
    const d = await join('dave');
    const e = await join('erin');
    d.send('/who');
    await d.waitFor(/^<server> \d+ online: .*dave \(#lobby\).*erin \(#lobby\)/);
    d.send('/join #dev');
    await d.waitFor(/^<server> you are in #dev$/);
    d.send('/topic sockets all day');
    await d.waitFor(/^<announce> dave set the topic of #dev: sockets all day$/);
    d.send('/topic');
    await d.waitFor(/^<server> topic of #dev: sockets all day$/);
    e.send('/rooms');
    await e.waitFor(/^<server> #dev \(1\): sockets all day$/);
    e.send('/who #dev');
    await e.waitFor(/^<server> 1 in #dev: dave$/);
    e.send('/msg DAVE psst');
    await d.waitFor(/^\*erin\* psst$/);
    await e.waitFor(/^-> \*DAVE\* psst$/);
    e.send('/msg nobody hi');
    await e.waitFor(/^<server> error: no such nickname: nobody$/);
    e.send('/join #dev');
    await d.waitFor(/^<announce> erin joined #dev$/);
    await e.waitFor(/^<server> you are in #dev \(topic: sockets all day\)$/);
    d.send('/echo on');
    await d.waitFor(/^<server> echo on$/);
    d.send('echoed');
    await d.waitFor(/^<dave> echoed$/);
    e.send('/part');
    await d.waitFor(/^<announce> erin left #dev$/);
    await e.waitFor(/^<server> you are in #lobby$/);
    e.send('/part');
    await e.waitFor(/^<server> error: #lobby is the default room/);
    e.send('/help');
    await e.waitFor(/^<server> \/quit \[REASON\]/);
    e.send('/bogus');
    await e.waitFor(/^<server> error: unknown command \/bogus/);
    e.send('/join bad room!');
    await e.waitFor(/^<server> error: a room name/);
  });

  it('replays the last N messages to a joiner, marked as history', async () => {
    const f = await join('frank');
    f.send('/join #hist');
    await f.waitFor(/you are in #hist/);
    for (let i = 1; i <= 8; i += 1) f.send(`m${i}`);
    f.send('/who #hist'); // a reply after the 8 messages: they were all published
    await f.waitFor(/1 in #hist/);
    const g = await join('grace');
    g.send('/join #hist');
    const at = await g.waitFor(/^<server> last 5 messages of #hist:$/);
    await g.waitFor(/^<history> <frank> m8$/);
    assert.deepEqual(
      g.lines.slice(at + 1, at + 6),
      [4, 5, 6, 7, 8].map((i) => `<history> <frank> m${i}`),
    );
  });

  it('/quit announces the leave with the reason and closes', async () => {
    const h = await join('heidi');
    const i = await join('ivan');
    h.send('/quit gotta go');
    await h.waitFor(/^<server> bye$/);
    await h.waitClosed();
    await i.waitFor(/^<announce> heidi left #lobby \(gotta go\)$/);
    i.send('/nick heidi'); // the nickname is free again
    await i.waitFor(/is now known as heidi$/);
  });

  it('telnet-style CRLF lines and newline-less messages both work', async () => {
    const j = await join('judy');
    const k = await join('ken');
    j.send('crlf line', '\r\n');
    await k.waitFor(/^<judy> crlf line$/);
    j.sock.write('no newline at all'); // the tutorials' client: flushed after flushDelayMs
    await k.waitFor(/^<judy> no newline at all$/);
  });
});
