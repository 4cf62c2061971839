import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { test } from 'node:test';
import { chargenCycle, chargenLine, chargenService } from '../../../src/services/chargen/index.js';
import { datagramExchange, dial, instanceOf, readUntil, serve } from './helpers/service-harness.js';
import { waitForChannel } from '../../helpers/wait.js';

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');

for (const kind of ['tcp', 'unix'] as const) {
  test(`chargen/${kind}: 74-byte lines of the rotating pattern, until the client closes`, async (t) => {
    const where = await serve(t, await instanceOf(t, chargenService), kind);
    const sock = await dial(where);
    t.after(() => sock.destroy());
    const lines = 200;
    const got = await readUntil(sock, (b) => b.length >= lines * 74);
    const text = got.subarray(0, lines * 74).toString('latin1');
    const split = text.split('\r\n');
    assert.equal(split.length, lines + 1);
    for (let n = 0; n < lines; n++) {
      const expected = (PRINTABLE + PRINTABLE).slice(n % 95, (n % 95) + 72);
      assert.equal(split[n], expected, `line ${n}`);
    }
    assert.deepEqual(got.subarray(95 * 74, 96 * 74), chargenLine(0));
  });
}

test('chargen/tcp: paced by the reader — a client that stops reading does not grow memory', async (t) => {
  const closes: { bytesWritten: number }[] = [];
  const onClose = (m: unknown): void => {
    closes.push(m as { bytesWritten: number });
  };
  diagnostics.subscribe('socketkit:server:close', onClose);
  t.after(() => diagnostics.unsubscribe('socketkit:server:close', onClose));
  const where = await serve(t, await instanceOf(t, chargenService), 'tcp');
  const sock = await dial(where);
  await readUntil(sock, (b) => b.length >= 7030);
  sock.pause();
  // Give the server time to fill the kernel buffers and block on backpressure. (Not a wait
  // the result depends on: however little it wrote, the bound below must hold.)
  await new Promise((resolve) => setTimeout(resolve, 300));
  const closed = waitForChannel('socketkit:server:close');
  sock.destroy();
  await closed;
  assert.equal(closes.length, 1, 'the session ended when the client went away');
  // Only what the kernel buffers hold was written, not an ever-growing queue.
  assert.ok((closes[0]?.bytesWritten ?? 0) < 64 * 1024 * 1024, `wrote ${closes[0]?.bytesWritten}`);
  assert.equal(chargenCycle().length, 7030);
});

for (const kind of ['udp', 'unix-dgram'] as const) {
  test(`chargen/${kind}: each datagram gets 0…512 characters of the pattern`, async (t) => {
    const where = await serve(t, await instanceOf(t, chargenService), kind);
    const rounds = kind === 'udp' ? 20 : 3;
    const cycle = chargenCycle().toString('latin1');
    for (let i = 0; i < rounds; i++) {
      const reply = await datagramExchange(where, i % 2 === 0 ? '' : 'x');
      assert.ok(reply, 'no reply');
      assert.ok(reply.length <= 512, `${reply.length} bytes`);
      assert.ok((cycle + cycle).includes(reply.toString('latin1')), 'not a run of the pattern');
    }
  });
}
