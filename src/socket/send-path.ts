/**
 * The sending half of a stream socket: `send`, `sendAll`, `sendFrame` and
 * `shutdown('write')` with backpressure (resolve on `write() === true` or `'drain'`, as
 * in STYLE.md §6), timeouts and non-blocking mode.
 * @module
 */
import type * as net from 'node:net';
import {
  type ErrorAddress,
  NotConnectedError,
  SocketClosedError,
  WouldBlockError,
} from '../errors.js';
import type { Encoder } from '../framing/codec.js';
import { type AbortOptions, raceAbort, throwIfAborted } from '../internal/abort-signal.js';
import { toBuffer } from './to-buffer.js';
import { socketWait, waitForEvent } from './wait.js';
import { ignoreError } from '../internal/ignore-error.js';

/** What the send path asks its socket. */
export interface SendContext {
  /** The connected `net.Socket`, or null before `connect`. */
  socket(): net.Socket | null;
  /** Throws if the socket is closed or failed. */
  checkOpen(op: string): void;
  /** The socket's timeout: null = none, 0 = non-blocking. */
  timeout(): number | null;
  /** Resolves when a connection in progress completes. */
  connected(): Promise<void>;
  /** The address errors name. */
  where: () => ErrorAddress;
  /** The stream's failure, if any. */
  error: () => Error | null;
}

/** Sends on one socket. */
export class SendPath {
  readonly #ctx: SendContext;
  #shut = false;

  constructor(ctx: SendContext) {
    this.#ctx = ctx;
  }

  /** True once `shutdown('write')` ran. */
  get shut(): boolean {
    return this.#shut;
  }

  /**
   * Waits for room first, then writes; resolves to `data.length`. Aborted while waiting
   * for room, nothing was written.
   */
  async send(data: Uint8Array | string, options?: AbortOptions): Promise<number> {
    const signal = throwIfAborted(options);
    const buf = toBuffer(data);
    const sock = this.#writable('send');
    if (sock.writableNeedDrain || sock.connecting) await this.#drain(sock, 'send', false, signal);
    sock.write(buf);
    return buf.length;
  }

  /**
   * Writes, then waits for `drain` if the write filled the buffer. Aborted while waiting
   * for `drain`, the data was written all the same (Node holds it; it goes out in order).
   */
  async sendAll(data: Uint8Array | string, options?: AbortOptions): Promise<void> {
    const signal = throwIfAborted(options);
    const buf = toBuffer(data);
    const sock = this.#writable('sendAll');
    this.#refuseIfFull(sock, 'sendAll');
    if (!sock.write(buf)) await this.#drain(sock, 'sendAll', true, signal);
  }

  /** Encodes and writes one frame; several buffers go out in one corked write. */
  async sendFrame<T>(encoder: Encoder<T>, frame: T, options?: AbortOptions): Promise<void> {
    const signal = throwIfAborted(options);
    const encoded = encoder.encode(frame);
    const sock = this.#writable('sendFrame');
    this.#refuseIfFull(sock, 'sendFrame');
    let ok = true;
    if (Array.isArray(encoded)) {
      sock.cork();
      for (const part of encoded) ok = sock.write(part);
      sock.uncork();
    } else {
      ok = sock.write(encoded);
    }
    if (!ok) await this.#drain(sock, 'sendFrame', true, signal);
  }

  /**
   * Sends FIN once queued data is out; resolves when it is. Idempotent. `signal` aborts
   * the wait, not the FIN (it follows the data all the same).
   */
  async shutdown(sock: net.Socket, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw signal.reason;
    if (this.#shut) return;
    this.#shut = true;
    const ctx = this.#ctx;
    const finished = waitForEvent(
      sock,
      'finish',
      socketWait('shutdown', ctx.timeout(), ctx.where, ctx.error, signal),
    );
    sock.end();
    if (sock.writableFinished) {
      finished.catch(ignoreError('socket:shutdown-waiter'));
      return;
    }
    await finished;
  }

  #writable(op: string): net.Socket {
    const ctx = this.#ctx;
    ctx.checkOpen(op);
    const sock = ctx.socket();
    if (sock === null) throw new NotConnectedError(op);
    const failed = ctx.error();
    if (failed !== null) throw failed;
    if (this.#shut || sock.writableEnded) {
      throw new SocketClosedError(`${op} after shutdown('write')`, ctx.where());
    }
    return sock;
  }

  /** Non-blocking mode: refuse to write while connecting or while the buffer is full. */
  #refuseIfFull(sock: net.Socket, op: string): void {
    if (this.#ctx.timeout() === 0 && (sock.connecting || sock.writableNeedDrain)) {
      throw new WouldBlockError(op, this.#ctx.where());
    }
  }

  async #drain(
    sock: net.Socket,
    op: string,
    afterWrite: boolean,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const ctx = this.#ctx;
    const timeout = ctx.timeout();
    if (timeout === 0) {
      // Non-blocking: refuse to wait before writing; once written, Node owns the bytes.
      if (afterWrite) return;
      throw new WouldBlockError(op, ctx.where());
    }
    if (sock.connecting) {
      await (signal === undefined ? ctx.connected() : raceAbort(ctx.connected(), signal));
      if (!sock.writableNeedDrain) return;
    }
    await waitForEvent(sock, 'drain', socketWait(op, timeout, ctx.where, ctx.error, signal));
  }
}
