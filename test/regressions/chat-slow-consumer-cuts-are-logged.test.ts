/**
 * Regression (issue 10, defect 16, chat part): a slow consumer was cut without a word in
 * the server's log. The cut is published on `socketkit:chat:slow-consumer` and the chat
 * service writes it to its log (`serve` prints the service log), with who, from where
 * and how much was unread.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatService } from '../../src/services/chat/index.js';
import { TestClient } from '../integration/services/chat-harness.js';
import { serve } from '../integration/services/helpers/service-harness.js';

test('a slow-consumer cut is logged by the chat service', { timeout: 60_000 }, async (t) => {
  const logged: { level: string; message: string }[] = [];
  const controller = new AbortController();
  const opts: Record<string, unknown> = {};
  for (const o of chatService.options ?? [])
    if (o.defaultValue !== undefined) opts[o.key] = o.defaultValue;
  const instance = await chatService.create(
    { ...opts, rateLimit: 0, maxQueue: 64 * 1024, maxLineLength: 8192 },
    { signal: controller.signal, log: (level, message) => logged.push({ level, message }) },
  );
  t.after(async () => {
    controller.abort();
    await instance.close?.();
  });
  const where = await serve(t, instance, 'tcp');
  const port = 'port' in where ? where.port : 0;
  const slow = await TestClient.join(port, 'slow');
  const talker = await TestClient.join(port, 'talker');
  t.after(() => {
    slow.sock.destroy();
    talker.sock.destroy();
  });
  slow.sock.pause(); // stops reading: the kernel buffers fill, then the server's queue
  const big = 'y'.repeat(8000);
  // Bounded: at most 4000 × 8 KB; stops as soon as the slow client is cut.
  for (let sent = 0; sent < 4000;) {
    for (let i = 0; i < 50; i += 1) talker.send(`${sent++} ${big}`);
    if (talker.lines.some((l) => l.startsWith('<announce> slow left'))) break;
    talker.send('/echo on');
    await talker.waitFor(new RegExp(`^<talker> ${sent - 1} `));
  }
  await talker.waitFor(/^<announce> slow left #lobby \(too slow\)$/);
  const line = logged.find((l) => l.message.includes('slow consumer'));
  assert.ok(line, logged.map((l) => l.message).join('\n'));
  assert.equal(line.level, 'warn');
  assert.match(
    line.message,
    /slow \(127\.0\.0\.1:\d+\) cut as a slow consumer: \d+ bytes unread, limit 65536/,
  );
});
