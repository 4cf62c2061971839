/**
 * The receiving half of a stream socket: `recv`, `recvExactly`, `recvUntil`, `frames`,
 * chunk iteration and the `readable()` view, all reading from the socket's one
 * `ReceiveBuffer` with the socket's timeout and blocking mode.
 * @module
 */
import type { Readable } from 'node:stream';
import { type ErrorAddress, InvalidArgumentError, WouldBlockError } from '../errors.js';
import { checkInteger } from '../internal/check-option.js';
import type { Decoder } from '../framing/codec.js';
import { FrameReader } from '../framing/frame-reader.js';
import {
  chunkAttempt,
  exactlyAttempt,
  frameAttempt,
  recvAttempt,
  untilAttempt,
} from './read-attempts.js';
import { type ReadAttempt, ReceiveBuffer } from './receive-buffer.js';
import type { RecvUntilOptions } from './socket-options.js';
import { readableView } from './stream-views.js';
import { socketWait } from './wait.js';

/** The default `maxBytes` of `recvUntil`: 64 KiB, as asyncio's `readuntil` limit. */
export const DEFAULT_RECV_UNTIL_MAX = 64 * 1024;

/** What the receive path asks its socket. */
export interface ReceiveContext {
  /** The error a read must reject with now (closed, not connected), or null. */
  unreadable(op: string): Error | null;
  /** The socket's timeout: null = none, 0 = non-blocking. */
  timeout(): number | null;
  /** The address errors name. */
  where: () => ErrorAddress;
  /** Called before every read: lets the socket attach its 'data' listener lazily. */
  startReading?(): void;
}

/** Receives on one socket. */
export class ReceivePath {
  /** The socket's receive buffer (fed by the socket's `'data'` events). */
  readonly buffer: ReceiveBuffer;
  readonly #ctx: ReceiveContext;
  readonly #highWaterMark: number;

  constructor(highWaterMark: number, ctx: ReceiveContext) {
    this.buffer = new ReceiveBuffer(highWaterMark);
    this.#highWaterMark = highWaterMark;
    this.#ctx = ctx;
  }

  recv(maxBytes: number): Promise<Buffer> {
    checkSize(maxBytes, 'maxBytes');
    return this.#read('recv', recvAttempt(maxBytes));
  }

  recvExactly(n: number): Promise<Buffer> {
    checkInteger(n, 'n', 0);
    return this.#read('recvExactly', exactlyAttempt(n, this.#ctx.where));
  }

  recvUntil(delimiter: Uint8Array | string, options: RecvUntilOptions): Promise<Buffer> {
    const delim = typeof delimiter === 'string' ? Buffer.from(delimiter) : delimiter;
    if (delim.length === 0) throw new InvalidArgumentError('delimiter must not be empty');
    const max = options.maxBytes ?? DEFAULT_RECV_UNTIL_MAX;
    checkSize(max, 'maxBytes');
    const keep = options.keepDelimiter ?? false;
    return this.#read('recvUntil', untilAttempt(delim, max, keep, this.#ctx.where));
  }

  async *frames<T>(decoder: Decoder<T>): AsyncIterableIterator<T> {
    const attempt = frameAttempt(new FrameReader(decoder, this.buffer.queue));
    for (;;) {
      const step = await this.#read('recv', attempt, false);
      if ('end' in step) {
        yield* step.end;
        return;
      }
      yield step.frame;
    }
  }

  async *chunks(): AsyncIterableIterator<Buffer> {
    const attempt = chunkAttempt(this.#highWaterMark);
    for (;;) {
      const chunk = await this.#read('recv', attempt, false);
      if (chunk === null) return;
      yield chunk;
    }
  }

  readable(): Readable {
    return readableView((n) => this.#read('recv', recvAttempt(n), false), this.#highWaterMark);
  }

  /** Queues a read; `honourNonBlocking: false` for iterators and views, which always wait. */
  #read<T>(op: string, attempt: ReadAttempt<T>, honourNonBlocking = true): Promise<T> {
    const ctx = this.#ctx;
    const refused = ctx.unreadable(op);
    if (refused !== null) return Promise.reject(refused);
    ctx.startReading?.();
    const timeout = ctx.timeout();
    const wait = socketWait(op, timeout, ctx.where);
    return this.buffer.read(attempt, {
      timeoutMs: wait.timeoutMs,
      onTimeout: wait.onTimeout,
      wouldBlock:
        timeout === 0 && honourNonBlocking ? () => new WouldBlockError(op, ctx.where()) : null,
    });
  }
}

function checkSize(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(
      `${what} must be a positive integer, got ${String(n)} (recv(0) could not be told apart from EOF)`,
    );
  }
}
