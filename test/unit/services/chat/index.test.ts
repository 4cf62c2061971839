import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../../src/errors.js';
import type { LineSink } from '../../../../src/services/chat/client-session.js';
import { ChatHub } from '../../../../src/services/chat/hub.js';
import {
  chatOptions,
  chatService,
  hubOptionsFrom,
  parseBusSpec,
} from '../../../../src/services/chat/index.js';
import { MemoryBus } from '../../../../src/services/chat/memory-bus.js';

describe('chat service definition', () => {
  it('is a TCP service on 7777 with documented options', () => {
    assert.equal(chatService.name, 'chat');
    assert.equal(chatService.defaultPort, 7777);
    assert.deepEqual(chatService.transports, ['tcp']);
    for (const o of chatOptions) assert.ok(o.flags.startsWith('--') && o.description.length > 0);
    assert.equal(chatService.tryIt?.('127.0.0.1', 7777, 'tcp'), 'socketkit chat 127.0.0.1 7777');
  });

  it('reads options given raw (flags), parsed (config) or not at all (defaults)', () => {
    const d = hubOptionsFrom({});
    assert.equal(d.history, 20);
    assert.equal(d.limits.flushDelayMs, 200);
    assert.equal(d.limits.echo, false);
    const raw = hubOptionsFrom({
      history: '0',
      maxLineLength: '512',
      chatIdleTimeout: '30',
      echo: true,
    });
    assert.equal(raw.history, 0);
    assert.equal(raw.limits.maxLineLength, 512);
    assert.equal(raw.limits.idleTimeout, 30);
    assert.equal(raw.limits.echo, true);
    assert.throws(() => hubOptionsFrom({ history: '-1' }), InvalidArgumentError);
    assert.throws(
      () => hubOptionsFrom({ maxQueue: '10' }),
      /--max-queue must be an integer >= 1024/,
    );
  });

  it('accepts memory and redis:// buses only', () => {
    assert.equal(parseBusSpec('memory'), 'memory');
    assert.equal(parseBusSpec('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
    assert.throws(() => parseBusSpec('http://x'), InvalidArgumentError);
    assert.throws(() => parseBusSpec('nope'), InvalidArgumentError);
  });

  it('create() gives a stream handler and a close()', async () => {
    const logs: string[] = [];
    const instance = await chatService.create(
      {},
      { signal: new AbortController().signal, log: (_level, message) => logs.push(message) },
    );
    assert.equal(typeof instance.stream, 'function');
    await instance.close?.();
    assert.ok(logs.some((l) => l.includes('chat hub started')));
  });

  it('a client that cannot get a nickname (bus down) is told and closed', async () => {
    class DownBus extends MemoryBus {
      override async nextGuestNumber(): Promise<number> {
        throw new Error('bus down');
      }
    }
    const hub = new ChatHub(new DownBus());
    await hub.start();
    const lines: string[] = [];
    let ended = false;
    const sink: LineSink = {
      write: (t) => lines.push(t),
      bufferedAmount: 0,
      end: () => (ended = true),
      destroy() {},
    };
    const s = hub.accept(sink, 'test');
    await s?.done;
    assert.ok(ended);
    assert.match(lines.join(''), /<server> error: cannot join the chat: bus down/);
    assert.equal(hub.size, 0);
    await hub.close();
  });
});
