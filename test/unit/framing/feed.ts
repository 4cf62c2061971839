// Test helpers for codecs: feed a wire image to a fresh decoder under every split.
import assert from 'node:assert/strict';
import { SocketkitError } from '../../../src/errors.js';
import type { Decoder } from '../../../src/framing/codec.js';
import { FrameReader } from '../../../src/framing/frame-reader.js';

/** A frame, or the code of an error the reader raised at that point. */
export type Event<T> = T | { error: string };

/** Bytes from a hex string; spaces and newlines are ignored. */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/**
 * Pushes `chunks` one by one into a FrameReader and records every frame and error;
 * after an error that consumed bytes the reader carries on (recovery), otherwise it
 * stops. Ends with `nextAtEnd()` so the end-of-stream behaviour is recorded too.
 */
export function events<T>(decoder: Decoder<T>, chunks: readonly Buffer[]): Event<T>[] {
  const reader = new FrameReader(decoder);
  const out: Event<T>[] = [];
  const run = (step: () => T | null): boolean => {
    for (let guard = 0; guard < 100_000; guard++) {
      const before = reader.buffered;
      try {
        const frame = step();
        if (frame === null) return true;
        out.push(frame);
      } catch (error) {
        assert.ok(error instanceof SocketkitError, `unexpected ${String(error)}`);
        out.push({ error: error.code });
        if (reader.failed || reader.buffered === before) return false;
      }
    }
    throw new Error('decoder loop did not stop');
  };
  for (const chunk of chunks) {
    reader.push(Buffer.from(chunk)); // a private copy, like a socket's fresh chunk
    if (!run(() => reader.next())) return out;
  }
  run(() => reader.nextAtEnd());
  return out;
}

/** Every way of cutting `wire`: whole, at each 1-byte boundary, and in two at each point. */
export function* splits(wire: Buffer): Generator<{ name: string; chunks: Buffer[] }> {
  yield { name: 'whole', chunks: [wire] };
  const bytes: Buffer[] = [];
  for (let i = 0; i < wire.length; i++) bytes.push(wire.subarray(i, i + 1));
  yield { name: '1-byte chunks', chunks: bytes };
  for (let cut = 1; cut < wire.length; cut++) {
    yield { name: `split at ${cut}`, chunks: [wire.subarray(0, cut), wire.subarray(cut)] };
  }
}

/** Asserts a fresh decoder yields `expected` for `wire` under every split. */
export function assertEverySplit<T>(
  makeDecoder: () => Decoder<T>,
  wire: Buffer,
  expected: readonly Event<T>[],
): void {
  for (const { name, chunks } of splits(wire)) {
    assert.deepStrictEqual(
      events(makeDecoder(), chunks),
      expected,
      `${name} of ${wire.toString('hex')}`,
    );
  }
}
