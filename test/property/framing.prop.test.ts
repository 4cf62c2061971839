// Property tests of every codec (STYLE principle 12, undici test/fuzzing):
// decode(rechunk(encode(frames))) == frames for random payloads and chunkings, and
// oversize input fails with FrameTooLongError while the queue stays near the limit.
// FUZZ_RUNS sets the runs per property (npm run test:fuzz uses 100000).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FrameTooLongError, InvalidArgumentError } from '../../src/errors.js';
import type { Codec, Decoder } from '../../src/framing/codec.js';
import { DelimiterCodec } from '../../src/framing/delimiter.js';
import { FixedLengthCodec } from '../../src/framing/fixed-length.js';
import { FrameReader } from '../../src/framing/frame-reader.js';
import { type LengthFieldLength, LengthPrefixedCodec } from '../../src/framing/length-prefixed.js';
import { LineCodec } from '../../src/framing/line.js';
import { NetstringCodec } from '../../src/framing/netstring.js';
import { events } from '../unit/framing/feed.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 1000);
const params = { numRuns };

/** Random cut points, applied modulo the wire length: from 1 chunk to ~1-byte chunks. */
const cutsArb = fc.oneof(
  fc.array(fc.nat(), { maxLength: 8 }),
  fc.array(fc.nat(), { maxLength: 200 }),
  fc.constant('bytes' as const),
);
type Cuts = number[] | 'bytes';

function rechunk(wire: Buffer, cuts: Cuts): Buffer[] {
  if (wire.length === 0) return [];
  const points =
    cuts === 'bytes'
      ? Array.from({ length: wire.length - 1 }, (_, i) => i + 1)
      : [...new Set(cuts.map((c) => c % wire.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of [...points, wire.length]) {
    chunks.push(Buffer.from(wire.subarray(start, p))); // fresh memory, like a socket
    start = p;
  }
  return chunks;
}

function encodeAll<T>(codec: Codec<unknown, T>, frames: readonly T[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of frames) {
    const e = codec.encode(f);
    if (Array.isArray(e)) parts.push(...e);
    else parts.push(e);
  }
  return Buffer.concat(parts);
}

function decodeAll<T>(decoder: Decoder<T>, chunks: readonly Buffer[]): T[] {
  const reader = new FrameReader(decoder);
  const out: T[] = [];
  for (const c of chunks) {
    reader.push(c);
    out.push(...reader.drain());
  }
  out.push(...reader.end());
  return out;
}

/** Keeps only the frames an encoder accepts (a frame may contain its delimiter). */
function encodable<T extends U, U>(codec: Codec<unknown, U>, frames: readonly T[]): T[] {
  return frames.filter((f) => {
    try {
      codec.encode(f);
      return true;
    } catch (e) {
      if (e instanceof InvalidArgumentError) return false;
      throw e;
    }
  });
}

const bytesArb = (maxLength: number) =>
  fc.uint8Array({ maxLength }).map((u) => Buffer.from(u.buffer, u.byteOffset, u.length));
/** Bytes rich in delimiter-like values, so delimiters and their prefixes show up. */
const trickyBytesArb = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(0x0a, 0x0d, 0x00, 0x3c, 0x45, 0x2c, 0x3a), fc.nat(255)), {
      maxLength,
    })
    .map((a) => Buffer.from(a));

describe('round trip: decode(rechunk(encode(frames))) == frames', () => {
  test('LineCodec (strings, \\n or \\r\\n)', () => {
    const lineArb = fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: fc.constantFrom('a', '\r', '\n', 'é', '😀'), maxLength: 40 }),
      )
      .map((s) => s.replaceAll('\n', '').replace(/\r+$/, ''));
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 30 }),
        fc.constantFrom('\n' as const, '\r\n' as const),
        cutsArb,
        (lines, newline, cuts) => {
          const wire = encodeAll(new LineCodec({ newline }), lines);
          assert.deepStrictEqual(decodeAll(new LineCodec(), rechunk(wire, cuts)), lines);
        },
      ),
      params,
    );
  });

  test('LineCodec (raw bytes, keepDelimiter)', () => {
    fc.assert(
      fc.property(fc.array(trickyBytesArb(40), { maxLength: 30 }), cutsArb, (frames, cuts) => {
        const lines = encodable(new LineCodec(), frames);
        const wire = encodeAll(new LineCodec(), lines);
        const decoded = decodeAll(
          new LineCodec({ encoding: null, keepDelimiter: true }),
          rechunk(wire, cuts),
        );
        assert.deepStrictEqual(
          decoded,
          lines.map((l) => Buffer.concat([l, Buffer.from('\n')])),
        );
      }),
      params,
    );
  });

  test('DelimiterCodec (curated sets and one random delimiter)', () => {
    const delimitersArb = fc.oneof(
      fc.constantFrom(['\0'], ['\r\n', '\n'], ['<END>'], ['\r\n', '\0', '||'], ['\r\n', '\r']),
      fc.uint8Array({ minLength: 1, maxLength: 4 }).map((d) => [Buffer.from(d)]),
    );
    fc.assert(
      fc.property(
        delimitersArb,
        fc.array(trickyBytesArb(40), { maxLength: 30 }),
        cutsArb,
        (delimiters, frames, cuts) => {
          const codec = new DelimiterCodec({ delimiters });
          const kept = encodable(codec, frames);
          const wire = encodeAll(codec, kept);
          const decoded = decodeAll(
            new DelimiterCodec({ delimiters, allowUnterminated: false }),
            rechunk(wire, cuts),
          );
          assert.deepStrictEqual(decoded, kept);
        },
      ),
      params,
    );
  });

  test('LengthPrefixedCodec (every field width, byte order, adjustment, strip)', () => {
    const configArb = fc.record({
      lengthFieldLength: fc.constantFrom<LengthFieldLength>(1, 2, 3, 4, 8),
      byteOrder: fc.constantFrom('big' as const, 'little' as const),
      countsHeader: fc.boolean(),
      keepHeader: fc.boolean(),
    });
    fc.assert(
      fc.property(
        configArb,
        fc.array(bytesArb(200), { maxLength: 20 }),
        cutsArb,
        (cfg, frames, cuts) => {
          const options = {
            lengthFieldLength: cfg.lengthFieldLength,
            byteOrder: cfg.byteOrder,
            lengthAdjustment: cfg.countsHeader ? -cfg.lengthFieldLength : 0,
            initialBytesToStrip: cfg.keepHeader ? 0 : cfg.lengthFieldLength,
          };
          const codec = new LengthPrefixedCodec(options);
          const wire = encodeAll(codec, frames);
          const expected = cfg.keepHeader
            ? frames.map((f) => Buffer.concat(codec.encode(f)))
            : frames;
          assert.deepStrictEqual(
            decodeAll(new LengthPrefixedCodec(options), rechunk(wire, cuts)),
            expected,
          );
        },
      ),
      params,
    );
  });

  test('FixedLengthCodec', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 16 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.array(fc.uint8Array({ minLength: n, maxLength: n }), { maxLength: 30 }),
            ),
          ),
        cutsArb,
        ([frameLength, frames], cuts) => {
          const codec = new FixedLengthCodec({ frameLength });
          const buffers = frames.map((f) => Buffer.from(f));
          const wire = encodeAll(codec, buffers);
          assert.deepStrictEqual(decodeAll(codec, rechunk(wire, cuts)), buffers);
        },
      ),
      params,
    );
  });

  test('NetstringCodec', () => {
    fc.assert(
      fc.property(fc.array(trickyBytesArb(120), { maxLength: 20 }), cutsArb, (frames, cuts) => {
        const wire = encodeAll(new NetstringCodec(), frames);
        assert.deepStrictEqual(decodeAll(new NetstringCodec(), rechunk(wire, cuts)), frames);
      }),
      params,
    );
  });
});

/**
 * Feeds `chunks`, asserting after every push that the queue holds at most
 * `limit + slack + that chunk`; returns whether a FrameTooLongError was raised.
 */
function feedOversize<T>(decoder: Decoder<T>, chunks: readonly Buffer[], bound: number): boolean {
  const reader = new FrameReader(decoder);
  let failed = false;
  for (const c of chunks) {
    reader.push(c);
    assert.ok(
      reader.buffered <= bound + c.length,
      `queue holds ${reader.buffered} bytes, bound ${bound} + chunk ${c.length}`,
    );
    const before = reader.buffered;
    try {
      reader.drain();
    } catch (e) {
      assert.ok(e instanceof FrameTooLongError, `unexpected ${String(e)}`);
      failed = true;
      // An error that consumed nothing is final: a consumer stops reading there.
      if (reader.buffered === before) return true;
    }
  }
  return failed;
}

describe('oversize input: FrameTooLongError, memory bounded', () => {
  const limitArb = fc.integer({ min: 1, max: 300 });
  /** A payload of limit+extra to 4*limit+8 bytes, free of the byte `avoid`. */
  const oversizeArb = (limit: number, avoid: number, extra = 2) =>
    fc
      .uint8Array({ minLength: limit + extra, maxLength: 4 * limit + 8 })
      .map((u) => Buffer.from(u.map((b) => (b === avoid ? b ^ 1 : b))));

  test('LineCodec', () => {
    fc.assert(
      fc.property(
        limitArb.chain((l) => fc.tuple(fc.constant(l), oversizeArb(l, 0x0a), cutsArb)),
        ([limit, payload, cuts]) => {
          const failed = feedOversize(
            new LineCodec({ maxLineLength: limit }),
            rechunk(payload, cuts),
            limit + 1,
          );
          assert.ok(failed);
        },
      ),
      params,
    );
  });

  test('DelimiterCodec', () => {
    fc.assert(
      fc.property(
        limitArb.chain((l) => fc.tuple(fc.constant(l), oversizeArb(l, 0x00, 5), cutsArb)),
        ([limit, payload, cuts]) => {
          const codec = new DelimiterCodec({ delimiters: ['\0', '<END>'], maxFrameLength: limit });
          assert.ok(feedOversize(codec, rechunk(payload, cuts), limit + 4));
        },
      ),
      params,
    );
  });

  test('LengthPrefixedCodec: from the header, the body is never buffered', () => {
    fc.assert(
      fc.property(
        limitArb.chain((l) =>
          fc.tuple(
            fc.constant(l),
            fc.integer({ min: l - 3, max: 2 ** 31 }),
            bytesArb(600),
            cutsArb,
          ),
        ),
        ([limit, announced, body, cuts]) => {
          const codec = new LengthPrefixedCodec({ maxFrameLength: Math.max(limit, 4) });
          const length = Math.max(announced, Math.max(limit, 4) - 3);
          const header = Buffer.alloc(4);
          header.writeUInt32BE(length);
          // Only the announced frame's own bytes: the error must come from its header.
          const wire = Buffer.concat([header, body.subarray(0, length)]);
          assert.ok(feedOversize(codec, rechunk(wire, cuts), 4));
        },
      ),
      params,
    );
  });

  test('NetstringCodec: from the length, the payload is never buffered', () => {
    fc.assert(
      fc.property(
        limitArb.chain((l) =>
          fc.tuple(
            fc.constant(l),
            fc.integer({ min: l + 1, max: 10 ** 12 }),
            bytesArb(600),
            cutsArb,
          ),
        ),
        ([limit, announced, body, cuts]) => {
          const codec = new NetstringCodec({ maxFrameLength: limit });
          const wire = Buffer.concat([Buffer.from(`${announced}:`), body.subarray(0, announced)]);
          assert.ok(feedOversize(codec, rechunk(wire, cuts), String(limit).length + 1));
        },
      ),
      params,
    );
  });
});

describe('recovery: each too-long frame is one FrameTooLongError, the others decode', () => {
  const TOO_LONG = { error: 'ERR_FRAME_TOO_LONG' };
  const frameArb = (limit: number, avoid: number) =>
    fc
      .oneof(
        { weight: 3, arbitrary: fc.uint8Array({ maxLength: limit }) },
        { weight: 1, arbitrary: fc.uint8Array({ minLength: limit + 1, maxLength: 3 * limit + 3 }) },
      )
      .map((u) => Buffer.from(u.map((b) => (b === avoid ? b ^ 1 : b))));
  const framesArb = (avoid: number) =>
    fc
      .integer({ min: 1, max: 40 })
      .chain((limit) =>
        fc.tuple(fc.constant(limit), fc.array(frameArb(limit, avoid), { maxLength: 15 }), cutsArb),
      );

  test('LineCodec', () => {
    fc.assert(
      fc.property(framesArb(0x0a), ([limit, frames, cuts]) => {
        // A frame ending in \r would lose it to the delimiter: keep the arbitrary simple.
        const lines = frames.map((f) =>
          f.at(-1) === 0x0d ? Buffer.concat([f, Buffer.from('x')]) : f,
        );
        const wire = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
        const codec = new LineCodec({ maxLineLength: limit, encoding: null });
        assert.deepStrictEqual(
          events(codec, rechunk(wire, cuts)),
          lines.map((l) => (l.length > limit ? TOO_LONG : l)),
        );
      }),
      params,
    );
  });

  test('DelimiterCodec', () => {
    fc.assert(
      fc.property(framesArb(0x00), ([limit, frames, cuts]) => {
        const wire = Buffer.concat(frames.flatMap((f) => [f, Buffer.from([0])]));
        const codec = new DelimiterCodec({ delimiters: ['\0'], maxFrameLength: limit });
        assert.deepStrictEqual(
          events(codec, rechunk(wire, cuts)),
          frames.map((f) => (f.length > limit ? TOO_LONG : f)),
        );
      }),
      params,
    );
  });

  test('LengthPrefixedCodec (failFast and not)', () => {
    fc.assert(
      fc.property(framesArb(-1), fc.boolean(), ([limit, frames, cuts], failFast) => {
        const options = { lengthFieldLength: 2 as const, maxFrameLength: limit + 2, failFast };
        const wire = encodeAll(new LengthPrefixedCodec(options), frames);
        assert.deepStrictEqual(
          events(new LengthPrefixedCodec(options), rechunk(wire, cuts)),
          frames.map((f) => (f.length > limit ? TOO_LONG : f)),
        );
      }),
      params,
    );
  });

  test('NetstringCodec', () => {
    fc.assert(
      fc.property(framesArb(-1), ([limit, frames, cuts]) => {
        // Keep the too-long lengths to as many digits as the limit has (else final).
        const max = 10 ** String(limit).length - 1;
        const kept = frames.filter((f) => f.length <= max);
        const wire = encodeAll(new NetstringCodec(), kept);
        assert.deepStrictEqual(
          events(new NetstringCodec({ maxFrameLength: limit }), rechunk(wire, cuts)),
          kept.map((f) => (f.length > limit ? TOO_LONG : f)),
        );
      }),
      params,
    );
  });
});
