/**
 * The receiving half of a stream socket: `recv`, `recvExactly`, `recvUntil`, `frames`,
 * chunk iteration and the `readable()` view, all reading from the socket's one
 * `ReceiveBuffer` with the socket's timeout and blocking mode.
 * @module
 */
import type { Readable } from 'node:stream';
import { type ErrorAddress, InvalidArgumentError, WouldBlockError } from '../errors.js';
import { type AbortOptions, checkSignal } from '../internal/abort-signal.js';
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

  recv(maxBytes: number, options?: AbortOptions): Promise<Buffer> {
    checkSize(maxBytes, 'maxBytes');
    return this.#read('recv', recvAttempt(maxBytes), true, options?.signal);
  }

  recvExactly(n: number, options?: AbortOptions): Promise<Buffer> {
    checkInteger(n, 'n', 0);
    return this.#read('recvExactly', exactlyAttempt(n, this.#ctx.where), true, options?.signal);
  }

  recvUntil(delimiter: Uint8Array | string, options: RecvUntilOptions): Promise<Buffer> {
    const delim = typeof delimiter === 'string' ? Buffer.from(delimiter) : delimiter;
    if (delim.length === 0) throw new InvalidArgumentError('delimiter must not be empty');
    const max = options.maxBytes ?? DEFAULT_RECV_UNTIL_MAX;
    checkSize(max, 'maxBytes');
    const keep = options.keepDelimiter ?? false;
    const attempt = untilAttempt(delim, max, keep, this.#ctx.where);
    return this.#read('recvUntil', attempt, true, options.signal);
  }

  async *frames<T>(decoder: Decoder<T>, options?: AbortOptions): AsyncIterableIterator<T> {
    const signal = checkSignal(options?.signal);
    const attempt = frameAttempt(new FrameReader(decoder, this.buffer.queue));
    for (;;) {
      const step = await this.#read('recv', attempt, false, signal);
      if ('end' in step) {
        yield* step.end;
        return;
      }
      yield step.frame;
    }
  }

  async *chunks(options?: AbortOptions): AsyncIterableIterator<Buffer> {
    const signal = checkSignal(options?.signal);
    const attempt = chunkAttempt(this.#highWaterMark);
    for (;;) {
      const chunk = await this.#read('recv', attempt, false, signal);
      if (chunk === null) return;
      yield chunk;
    }
  }

  readable(): Readable {
    return readableView((n) => this.#read('recv', recvAttempt(n), false), this.#highWaterMark);
  }

  /**
   * Queues a read; `honourNonBlocking: false` for iterators and views, which always wait.
   * `signal` aborts it (see `ReceiveBuffer.read`: it leaves having taken nothing).
   */
  #read<T>(
    op: string,
    attempt: ReadAttempt<T>,
    honourNonBlocking = true,
    signal?: AbortSignal,
  ): Promise<T> {
    const ctx = this.#ctx;
    if (signal !== undefined) {
      checkSignal(signal);
      if (signal.aborted) return Promise.reject(signal.reason);
    }
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
      signal,
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
