import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { FrameTooLongError, SocketClosedError, TruncatedFrameError } from '../../../src/errors.js';
import { writeFrame } from '../../../src/framing/frame-writer.js';
import { LengthPrefixedCodec } from '../../../src/framing/length-prefixed.js';
import { LineCodec } from '../../../src/framing/line.js';
import { decodeStream, FrameDecoderTransform } from '../../../src/framing/stream.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('decodeStream', () => {
  test('frames from any Readable, whatever the chunking; string chunks as UTF-8', async () => {
    const chunks = ['he', 'llo\nwor', Buffer.from('ld\n\nlast')];
    const lines = await collect(decodeStream(Readable.from(chunks), new LineCodec()));
    assert.deepEqual(lines, ['hello', 'world', '', 'last']);
  });

  test('a slow consumer pauses the stream: no unbounded reading ahead', async () => {
    let produced = 0;
    const source = new Readable({
      highWaterMark: 1024,
      read() {
        if (produced >= 10_000) {
          this.push(null);
          return;
        }
        produced++;
        this.push(Buffer.from('0123456789abcde\n')); // 16 bytes, one line
      },
    });
    const it = decodeStream(source, new LineCodec());
    const first = await it.next();
    assert.equal(first.value, '0123456789abcde');
    for (let i = 0; i < 20; i++) await tick();
    // Only what fills the stream's 1 KiB buffer (64 chunks) and the current chunk is read.
    assert.ok(produced < 100, `read ${produced} chunks ahead of a consumer that took one frame`);
    await it.return?.();
    assert.ok(source.destroyed, 'leaving the loop early destroys the stream');
  });

  test('frames before a TruncatedFrameError are all yielded', async () => {
    const got: Buffer[] = [];
    const codec = new LengthPrefixedCodec({ lengthFieldLength: 1 });
    await assert.rejects(async () => {
      for await (const f of decodeStream(
        Readable.from([Buffer.from([1, 65, 1, 66, 3, 67])]),
        codec,
      )) {
        got.push(f);
      }
    }, TruncatedFrameError);
    assert.deepEqual(got.map(String), ['A', 'B']);
  });

  test('errors end the iteration, unless onRecoverableError accepts them', async () => {
    const input = () => Readable.from([Buffer.from('ok\nthis line is too long\nfine\n')]);
    await assert.rejects(
      collect(decodeStream(input(), new LineCodec({ maxLineLength: 5 }))),
      FrameTooLongError,
    );
    const skipped: string[] = [];
    const lines = await collect(
      decodeStream(input(), new LineCodec({ maxLineLength: 5 }), {
        onRecoverableError: (e) => {
          skipped.push(e.code);
        },
      }),
    );
    assert.deepEqual(lines, ['ok', 'fine']);
    assert.deepEqual(skipped, ['ERR_FRAME_TOO_LONG']);
  });

  test('an error that consumed nothing is final even with onRecoverableError', async () => {
    const codec = new LengthPrefixedCodec({ lengthFieldLength: 1, lengthAdjustment: -5 });
    let calls = 0;
    await assert.rejects(
      collect(
        decodeStream(Readable.from([Buffer.from([1, 0])]), codec, {
          onRecoverableError: () => {
            calls++;
          },
        }),
      ),
      { code: 'ERR_CORRUPT_FRAME' },
    );
    assert.equal(calls, 0);
  });
});

describe('FrameDecoderTransform', () => {
  test('works in a pipeline, objects out', async () => {
    const out: string[] = [];
    await pipeline(
      Readable.from([Buffer.from('a\nb'), Buffer.from('c\n')]),
      new FrameDecoderTransform(new LineCodec()),
      new Writable({
        objectMode: true,
        write(line: string, _enc, cb) {
          out.push(line);
          cb();
        },
      }),
    );
    assert.deepEqual(out, ['a', 'bc']);
  });

  test('a decoder error fails the pipeline', async () => {
    await assert.rejects(
      pipeline(
        Readable.from([Buffer.from([0, 0, 0, 9, 1])]),
        new FrameDecoderTransform(new LengthPrefixedCodec()),
        new Writable({ objectMode: true, write: (_f, _e, cb) => cb() }),
      ),
      TruncatedFrameError,
    );
  });
});

describe('writeFrame', () => {
  /** A Writable whose writes complete only when `release()` is called. */
  function slowSink(highWaterMark: number) {
    const batches: Buffer[][] = [];
    const pending: Array<() => void> = [];
    const sink = new Writable({
      highWaterMark,
      writev(chunks, cb) {
        batches.push(chunks.map((c) => c.chunk as Buffer));
        pending.push(() => cb());
      },
      write(chunk: Buffer, _enc, cb) {
        batches.push([chunk]);
        pending.push(() => cb());
      },
    });
    const release = () => {
      for (let f = pending.shift(); f; f = pending.shift()) f();
    };
    return { sink, batches, release };
  }

  test('resolves at once while the stream has room', async () => {
    const { sink, batches } = slowSink(1024);
    await writeFrame(sink, new LineCodec(), 'hi');
    assert.deepEqual(batches, [[Buffer.from('hi\n')]]);
  });

  test('waits for drain when write() returns false', async () => {
    const { sink, release } = slowSink(4);
    let done = false;
    const p = writeFrame(sink, new LineCodec(), 'hello').then(() => {
      done = true;
    });
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(done, false, 'still waiting for drain');
    release();
    await p;
    assert.equal(done, true);
  });

  test('a multi-buffer frame leaves in one writev, payload uncopied', async () => {
    const { sink, batches, release } = slowSink(1024);
    sink.write(Buffer.from('x')); // keep the sink busy so the frame's parts are batched
    const payload = Buffer.from('payload');
    const p = writeFrame(sink, new LengthPrefixedCodec({ lengthFieldLength: 2 }), payload);
    release();
    await p;
    for (let i = 0; i < 5; i++) {
      release();
      await tick();
    }
    const frameBatch = batches.find((b) => b.length === 2);
    assert.ok(frameBatch, `batches: ${JSON.stringify(batches)}`);
    assert.deepEqual(frameBatch[0], Buffer.from([0, 7]));
    assert.equal(frameBatch[1], payload);
  });

  test('rejects with SocketClosedError on an ended or destroyed stream, or on close before drain', async () => {
    const ended = slowSink(16).sink;
    ended.end();
    await assert.rejects(writeFrame(ended, new LineCodec(), 'x'), SocketClosedError);
    const destroyed = slowSink(16).sink;
    destroyed.destroy();
    await assert.rejects(writeFrame(destroyed, new LineCodec(), 'x'), SocketClosedError);
    const closing = slowSink(2).sink;
    const p = writeFrame(closing, new LineCodec(), 'hello');
    closing.destroy();
    await assert.rejects(p, SocketClosedError);
  });

  test('an unencodable frame throws synchronously', () => {
    const { sink } = slowSink(16);
    assert.throws(() => writeFrame(sink, new LineCodec(), 'a\nb'), {
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});
