// Echo reads a bulk client into one reused buffer per connection (StreamConnection's
// `reuseBuffer`): the kernel writes every read into the same memory, so a write of the
// previous read still pending must hold reading. Property: whatever the chunking and
// however the client stalls its reading, every byte comes back, in order.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket as NetSocket } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { join } from 'node:path';
import type { StreamHandler } from '../../../src/server/handler-types.js';
import { TcpServer, UnixStreamServer } from '../../../src/server/index.js';
import { echoService } from '../../../src/services/echo/index.js';
import { readBuffersLent } from '../../../src/socket/read-buffer-pool.js';
import { within } from '../../helpers/wait.js';
import { dial, instanceOf, serve, tempDir, type Where } from './helpers/service-harness.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 12);

interface Plan {
  size: number;
  chunks: number[];
  /** The client stops reading until its own writes back up (the server's then do too). */
  stall: boolean;
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  size: fc.integer({ min: 1, max: 3 << 20 }),
  chunks: fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 16 }),
  stall: fc.boolean(),
});

/**
 * Sends `payload` in chunks of the plan's sizes (cycled), reads the echo, half-closes
 * when everything came back; resolves with what came back and whether the server was
 * reading into reused buffers at some point.
 */
async function exchange(
  where: Where,
  payload: Buffer,
  plan: Plan,
  serverBackedUp: EventEmitter | null = null,
): Promise<[Buffer, boolean]> {
  const sock: NetSocket = await dial(where);
  try {
    const got = Buffer.alloc(payload.length);
    let received = 0;
    let reused = false;
    const done = new Promise<void>((resolve, reject) => {
      sock.on('data', (chunk: Buffer) => {
        if (received + chunk.length > payload.length) {
          reject(new Error(`${received + chunk.length} bytes back for ${payload.length} sent`));
          return;
        }
        chunk.copy(got, received);
        received += chunk.length;
        if (readBuffersLent() > 0) reused = true;
        if (received === payload.length) resolve();
      });
      sock.once('error', reject);
      sock.once('end', () => reject(new Error(`end after ${received} of ${payload.length}`)));
    });
    if (plan.stall) sock.pause();
    // Gated stall: read again as soon as the server says its writes pend.
    const resume = (): void => void sock.resume();
    serverBackedUp?.once('pending', resume);
    let sent = 0;
    let i = 0;
    const pump = (): void => {
      while (sent < payload.length) {
        const n = Math.min(plan.chunks[i++ % plan.chunks.length] ?? 1, payload.length - sent);
        const ok = sock.write(payload.subarray(sent, sent + n));
        sent += n;
        if (!ok) {
          // Stalling: read again now, or (gated) once the server's writes pend.
          if (serverBackedUp === null) sock.resume();
          sock.once('drain', pump);
          return;
        }
      }
      sock.resume();
    };
    pump();
    await within(done, { what: `the echo of ${payload.length} bytes`, timeout: 30_000 }).finally(
      () => serverBackedUp?.off('pending', resume),
    );
    const end = new Promise<void>((resolve) => sock.once('end', resolve));
    sock.end();
    await within(end, 'the server closing after the client');
    return [got, reused];
  } finally {
    sock.destroy();
  }
}

for (const kind of ['tcp', 'unix'] as const) {
  test(`echo/${kind}: every byte comes back through the reused read buffer, for any chunking and stalls`, async (t) => {
    const where = await serve(t, await instanceOf(t, echoService), kind);
    let reusedOnce = false;
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const payload = randomBytes(plan.size);
        const [got, reused] = await exchange(where, payload, plan);
        reusedOnce ||= reused;
        assert.ok(got.equals(payload), 'the echo differs from what was sent');
      }),
      // No shrinking: a failing run can take its whole timeout, and shrinking repeats it.
      { numRuns, endOnFailure: true },
    );
    // Bulk runs (MiBs in chunks over 16 KiB) make the server switch to a reused buffer.
    const [got, reused] = await exchange(where, randomBytes(4 << 20), {
      size: 4 << 20,
      chunks: [65536],
      stall: true,
    });
    assert.equal(got.length, 4 << 20);
    assert.ok(reused || reusedOnce, 'the server never read into a reused buffer');
  });
}

for (const kind of ['tcp', 'unix'] as const) {
  test(`${kind}: a borrowing consumer that writes every chunk back and never pauses still gets every byte back (the connection holds reading while such a write is pending)`, async (t) => {
    // No pauseUntilDrained(): only the connection's own hold keeps the next read from
    // overwriting bytes a pending write points to. A stalling client reads again only
    // once the server's writes are pending (so later reads would overwrite them, unheld).
    // Unix sockets have small kernel buffers (~200 KB): their writes pend within a run.
    let pending = false;
    const backedUp = new EventEmitter();
    const handler: StreamHandler = (conn) =>
      conn.onData(
        (chunk, c) => {
          c.write(chunk);
          if (c.bufferedAmount > 0 && !pending) {
            pending = true;
            backedUp.emit('pending');
          }
        },
        { reuseBuffer: true },
      );
    const path = join(tempDir(t), 'echo.sock');
    const server =
      kind === 'tcp'
        ? await new TcpServer({ host: '127.0.0.1', port: 0, handler }).listen()
        : await new UnixStreamServer({ path, handler }).listen();
    t.after(() => server.close());
    void server.serveForever();
    const where = kind === 'tcp' ? { port: (server.address as { port: number }).port } : { path };
    let pendedOnce = false;
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const payload = randomBytes(plan.size);
        pending = false;
        const [got] = await exchange(where, payload, plan, backedUp);
        pendedOnce ||= pending;
        assert.ok(got.equals(payload), 'the echo differs from what was sent');
      }),
      // No shrinking: a failing run can take its whole timeout, and shrinking repeats it.
      { numRuns, endOnFailure: true },
    );
    if (kind === 'unix') assert.ok(pendedOnce, "the server's writes never pended");
  });
}
