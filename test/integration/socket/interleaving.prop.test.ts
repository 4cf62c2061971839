// Property: whatever mix of recv / recvExactly / recvUntil / frames / async iteration /
// timed-out reads a program uses, the bytes it gets back are exactly the bytes the peer
// sent, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SocketTimeoutError } from '../../../src/errors.js';
import type { Decoder } from '../../../src/framing/codec.js';
import { pair } from './_helpers.js';

type Op =
  | { kind: 'recv'; n: number }
  | { kind: 'exactly'; n: number }
  | { kind: 'until'; keep: boolean }
  | { kind: 'frame' }
  | { kind: 'iterate' }
  | { kind: 'timeout'; extra: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('recv' as const), n: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('exactly' as const), n: fc.integer({ min: 0, max: 64 }) }),
  fc.record({ kind: fc.constant('until' as const), keep: fc.boolean() }),
  fc.record({ kind: fc.constant('frame' as const) }),
  fc.record({ kind: fc.constant('iterate' as const) }),
  fc.record({ kind: fc.constant('timeout' as const), extra: fc.integer({ min: 1, max: 8 }) }),
);

const NL = 0x0a;
const lineDecoder: Decoder<Buffer> = {
  decode(buf) {
    const at = buf.indexOf(NL);
    return at === -1 ? null : buf.take(at + 1);
  },
};

test(
  'random interleavings of reads reconstruct a random byte stream exactly',
  {
    timeout: 60_000,
  },
  async (t) => {
    const runs = Number(process.env.FUZZ_RUNS ?? 100);
    await fc.assert(
      fc.asyncProperty(
        // Bytes biased towards '\n' so that recvUntil and frames find delimiters.
        fc.array(fc.oneof(fc.constant(NL), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 600,
        }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        async (bytes, cuts, ops) => {
          // A fresh connection per run, so a failing run cannot leave bytes for the next.
          const [client, server] = await pair(t);
          const stream = Buffer.from(bytes);
          // Send in random chunks, yielding between them so reads and arrivals interleave.
          const sending = (async () => {
            for (let at = 0, k = 0; at < stream.length; k++) {
              const n = Math.min(cuts[k % cuts.length]!, stream.length - at);
              await client.sendAll(stream.subarray(at, at + n));
              at += n;
              await new Promise((r) => setImmediate(r));
            }
          })();
          const got: Buffer[] = [];
          let have = 0;
          const remaining = (): Buffer => stream.subarray(have);
          const take = (b: Buffer): void => {
            got.push(Buffer.from(b));
            have += b.length;
          };
          for (let i = 0; have < stream.length && i < 2_000; i++) {
            const op = ops[i % ops.length]!;
            const rest = remaining();
            const before = have;
            switch (op.kind) {
              case 'recv':
                take(await server.recv(op.n));
                break;
              case 'exactly':
                take(await server.recvExactly(Math.min(op.n, rest.length)));
                break;
              case 'until': {
                const at = rest.indexOf(NL);
                if (at === -1) {
                  take(await server.recv(64));
                  break;
                }
                const line = await server.recvUntil('\n', {
                  keepDelimiter: op.keep,
                  maxBytes: 1 << 20,
                });
                take(op.keep ? line : Buffer.concat([line, Buffer.from([NL])]));
                break;
              }
              case 'frame': {
                if (rest.indexOf(NL) === -1) {
                  take(await server.recvExactly(rest.length));
                  break;
                }
                for await (const frame of server.frames(lineDecoder)) {
                  take(frame);
                  break;
                }
                break;
              }
              case 'iterate': {
                // One chunk from `for await (const chunk of socket)`, then leave the loop.
                for await (const chunk of server) {
                  take(chunk);
                  break;
                }
                break;
              }
              case 'timeout':
                // Ask for more than will ever come: it must time out without taking anything.
                server.setOperationTimeout(0.002);
                await assert.rejects(
                  server.recvExactly(rest.length + op.extra),
                  SocketTimeoutError,
                );
                server.setOperationTimeout(null);
                break;
            }
            // Guarantee progress (recvExactly(0) and timeouts take nothing).
            if (have === before && have < stream.length) take(await server.recv(64));
          }
          await sending;
          assert.deepEqual(Buffer.concat(got), stream);
          assert.equal(server.receivedAmount, 0);
          client.destroy();
          server.destroy();
        },
      ),
      { numRuns: runs },
    );
  },
);
