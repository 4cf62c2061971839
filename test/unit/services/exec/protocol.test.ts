import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bodyHash,
  ChunkAssembler,
  canonicalHeader,
  chunkReply,
  decodeReplyPayload,
  type ExecRefusedError,
  encodeReplyFrame,
  parseChunk,
  encodeRequest,
  MemoryNonceStore,
  ReplayGuard,
  signRequest,
  verifyMac,
} from '../../../../src/services/exec/index.js';

const secret = Buffer.from('0123456789abcdef0123');

test('signRequest/verifyMac: any changed header field breaks the MAC; the header signs the body', () => {
  const r = signRequest(secret, 'echo', ['a', 'b'], { id: 'r1', now: 1_700_000_000_000 });
  const h = r.header;
  assert.ok(verifyMac(secret, h));
  assert.equal(r.body.toString(), '["a","b"]');
  assert.equal(h.bodyLength, r.body.length);
  assert.equal(h.bodyHash, bodyHash(r.body));
  assert.equal(
    canonicalHeader(h),
    `socketkit-exec-v2\n[2,"r1","echo","${h.nonce}",1700000000000,9,"${h.bodyHash}"]`,
  );
  assert.ok(!verifyMac(Buffer.from('another secret.....'), h));
  assert.ok(!verifyMac(secret, { ...h, command: 'rm' }));
  assert.ok(!verifyMac(secret, { ...h, ts: h.ts + 1 }));
  assert.ok(!verifyMac(secret, { ...h, bodyLength: h.bodyLength + 1 }));
  assert.ok(!verifyMac(secret, { ...h, bodyHash: bodyHash(Buffer.from('["a b"]')) }));
  assert.ok(!verifyMac(secret, { ...h, mac: 'zz' }));
  // On the wire: two length-prefixed frames.
  const wire = encodeRequest(r);
  const hl = wire.readUInt32BE(0);
  assert.deepEqual(JSON.parse(wire.subarray(4, 4 + hl).toString()), h);
  assert.equal(wire.readUInt32BE(4 + hl), r.body.length);
  assert.deepEqual(wire.subarray(8 + hl), r.body);
});

test('reply frames round-trip', () => {
  const frames = [
    { type: 'stdout', data: Buffer.from([0, 1, 255]) },
    { type: 'stderr', data: Buffer.alloc(0) },
    { type: 'end', end: { id: 'x', exit: 0, signal: null, truncated: false, timedOut: false } },
    { type: 'error', error: { id: null, code: 'ERR_EXEC_AUTH', message: 'no' } },
  ] as const;
  for (const f of frames) {
    const wire = encodeReplyFrame(f);
    assert.equal(wire.readUInt32BE(0), wire.length - 4);
    assert.deepEqual(decodeReplyPayload(wire.subarray(4)), f);
  }
  assert.throws(() => decodeReplyPayload(Buffer.from([9])), /unknown reply frame type/);
});

test('ReplayGuard: clock window, nonce once, bounded table', async () => {
  let now = 1_000_000;
  const g = new ReplayGuard({ windowMs: 60_000, maxEntries: 2, now: () => now });
  const reason = async (fn: () => void | Promise<void>) => {
    try {
      await fn();
      return 'ok';
    } catch (e) {
      return (e as ExecRefusedError).reason;
    }
  };
  assert.equal(await reason(() => g.checkClock(now - 61_000)), 'ERR_EXEC_CLOCK_SKEW');
  assert.equal(await reason(() => g.checkClock(now + 59_000)), 'ok');
  assert.equal(await reason(() => g.admit('n1', now)), 'ok');
  assert.equal(await reason(() => g.admit('n1', now)), 'ERR_EXEC_REPLAY');
  assert.equal(await reason(() => g.admit('n2', now)), 'ok');
  assert.equal(await reason(() => g.admit('n3', now)), 'ERR_EXEC_BUSY');
  now += 61_000; // n1, n2 can no longer pass the clock check: forgotten
  assert.equal(await reason(() => g.admit('n3', now)), 'ok');
  assert.equal((g.store as MemoryNonceStore).size, 1);
});

test('chunkReply/ChunkAssembler: any order, duplicates, loss counted', () => {
  const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256));
  const dgrams = chunkReply('req-1', body, 1200);
  assert.ok(dgrams.every((d) => d.length <= 1200));
  const chunks = dgrams.map((d) => parseChunk(d));
  assert.ok(chunks.every((c) => c !== null && c.id === 'req-1' && c.total === dgrams.length));
  const a = new ChunkAssembler();
  for (const c of [...chunks].reverse()) if (c) a.add(c);
  if (chunks[0]) a.add(chunks[0]);
  assert.ok(a.complete);
  assert.deepEqual(a.body(), body);
  const partial = new ChunkAssembler();
  for (const c of chunks.slice(1)) if (c) partial.add(c);
  assert.equal(partial.missing, 1);
  assert.throws(() => partial.body(), /lost 1 of 5 datagrams/);
  assert.equal(parseChunk(Buffer.from('dir')), null);
  assert.equal(chunkReply('', Buffer.alloc(0)).length, 1);
});
