import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatSession, LineSink } from '../../../../src/services/chat/client-session.js';
import { ChatHub, DEFAULT_HUB_OPTIONS } from '../../../../src/services/chat/hub.js';
import { MemoryBus, MemoryChatStore } from '../../../../src/services/chat/memory-bus.js';

/** An in-memory sink: what the session wrote, and a settable queue size. */
class ArraySink implements LineSink {
  lines: string[] = [];
  bufferedAmount = 0;
  ended = false;
  destroyed = false;
  write(text: string): void {
    this.lines.push(...text.split('\r\n').filter((l) => l !== ''));
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i += 1) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), what);
}

async function connect(hub: ChatHub): Promise<{ s: ChatSession; sink: ArraySink }> {
  const sink = new ArraySink();
  const s = hub.accept(sink, 'test');
  assert.ok(s);
  await until(() => sink.lines.some((l) => l.startsWith('<server> you are in')), 'joined');
  return { s, sink };
}

const send = (s: ChatSession, line: string): void => s.receive(Buffer.from(`${line}\n`));

/** A bus whose publish takes a while (like Redis): lines overtake each other if allowed to. */
class SlowBus extends MemoryBus {
  delays = [7, 0, 3, 1, 5, 0, 2];
  failNext = false;
  #n = 0;
  override async publish(event: Parameters<MemoryBus['publish']>[0]): Promise<string> {
    this.#n += 1;
    await new Promise((r) => setTimeout(r, this.delays[this.#n % this.delays.length]));
    if (this.failNext && event.kind === 'msg') {
      this.failNext = false;
      throw new Error('the chat bus is unavailable: the message was not sent');
    }
    return super.publish(event);
  }
}

describe('ChatSession + ChatHub without sockets', () => {
  it('guest names, no echo by default, /echo on', async () => {
    const hub = new ChatHub(new MemoryBus());
    await hub.start();
    const a = await connect(hub);
    const b = await connect(hub);
    assert.match(a.s.nick, /^user\d+$/);
    send(a.s, 'hi');
    await until(() => b.sink.lines.includes(`<${a.s.nick}> hi`), 'b got it');
    assert.ok(!a.sink.lines.includes(`<${a.s.nick}> hi`));
    send(a.s, '/echo on');
    send(a.s, 'again');
    await until(() => a.sink.lines.includes(`<${a.s.nick}> again`), 'echoed');
    await hub.close();
    assert.ok(a.sink.ended && b.sink.ended);
  });

  it('a joiner gets history then live events, each exactly once, in bus order', async () => {
    const store = new MemoryChatStore(100);
    const hub = new ChatHub(new MemoryBus({ store }), { history: 3 });
    await hub.start();
    const a = await connect(hub);
    for (let i = 0; i < 5; i += 1) send(a.s, `old${i}`);
    await until(() => store.history('#lobby', 10, '0-999999').length === 5, 'published');
    const b = await connect(hub);
    // Messages racing the join land either in history or live, never both, never lost.
    for (let i = 0; i < 5; i += 1) send(a.s, `new${i}`);
    await until(() => b.sink.lines.includes(`<${a.s.nick}> new4`), 'live');
    const seen = b.sink.lines
      .filter((l) => /old|new/.test(l))
      .map((l) => l.replace('<history> ', ''));
    const n = a.s.nick;
    assert.deepEqual(seen, [
      `<${n}> old2`,
      `<${n}> old3`,
      `<${n}> old4`,
      ...[0, 1, 2, 3, 4].map((i) => `<${n}> new${i}`),
    ]);
    await hub.close();
  });

  it("keeps a client's lines in order over a slow bus, messages and commands alike", async () => {
    const hub = new ChatHub(new SlowBus(), {
      limits: { ...DEFAULT_HUB_OPTIONS.limits, rateLimit: 0 },
    });
    await hub.start();
    const a = await connect(hub);
    const b = await connect(hub);
    const n = a.s.nick;
    // One line per chunk (the first of each run takes the direct path, the others queue
    // behind it), then several lines in one chunk, with a command among the messages.
    for (let i = 0; i < 6; i += 1) send(a.s, `m${i}`);
    send(a.s, '/me waves');
    a.s.receive(Buffer.from('m6\n//m7\nm8\n'));
    await until(() => b.sink.lines.includes(`<${n}> m8`), 'all delivered');
    await new Promise((r) => setTimeout(r, 20));
    const seen = b.sink.lines.filter((l) => l.startsWith(`<${n}>`) || l.startsWith(`* ${n}`));
    assert.deepEqual(seen, [
      ...[0, 1, 2, 3, 4, 5].map((i) => `<${n}> m${i}`),
      `* ${n} waves`,
      `<${n}> m6`,
      `<${n}> /m7`,
      `<${n}> m8`,
    ]);
    await hub.close();
  });

  it('tells the sender which message the bus refused, and carries on', async () => {
    const bus = new SlowBus();
    const hub = new ChatHub(bus);
    await hub.start();
    const a = await connect(hub);
    const b = await connect(hub);
    bus.failNext = true;
    send(a.s, 'lost one');
    await until(
      () => a.sink.lines.some((l) => l.endsWith('the message was not sent: "lost one"')),
      'refusal named',
    );
    send(a.s, 'next one');
    await until(() => b.sink.lines.includes(`<${a.s.nick}> next one`), 'next delivered');
    assert.ok(!b.sink.lines.includes(`<${a.s.nick}> lost one`));
    await hub.close();
  });

  it('flushes a newline-less line after flushDelayMs and cuts slow consumers', async () => {
    const limits = { ...DEFAULT_HUB_OPTIONS.limits, flushDelayMs: 20, maxQueueBytes: 1000 };
    const hub = new ChatHub(new MemoryBus(), { limits });
    await hub.start();
    const a = await connect(hub);
    const b = await connect(hub);
    // b speaks, so the room knows it (and is told when it is cut).
    send(b.s, 'here');
    await until(() => a.sink.lines.includes(`<${b.s.nick}> here`), 'b announced');
    a.s.receive(Buffer.from('typed without enter'));
    await until(() => b.sink.lines.includes(`<${a.s.nick}> typed without enter`), 'flushed');
    b.sink.bufferedAmount = 5000; // b stops reading
    send(a.s, 'one more');
    await until(() => b.sink.ended, 'slow consumer ended');
    assert.ok(b.sink.lines.includes('<server> you are not reading fast enough: disconnecting'));
    await until(
      () => a.sink.lines.includes(`<announce> ${b.s.nick} left #lobby (too slow)`),
      'announced',
    );
    await hub.close();
  });
});
