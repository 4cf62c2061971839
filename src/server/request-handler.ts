/**
 * Class-based request handlers, after Python's `socketserver`: the server makes one
 * handler object per request and runs
 *
 * ```
 * setup();  try { handle(); } finally { finish(); }
 * ```
 *
 * Methods that may be overridden: `setup()`, `handle()`, `finish()`.
 * For the simple cases a plain async function (`StreamHandler`, `DatagramHandler`) does
 * the same job with less ceremony.
 * @module
 */
import { FrameTooLongError, IncompleteReadError } from '../errors.js';
import { isThenable } from '../internal/is-thenable.js';
import type { Socket } from '../socket/tcp-socket.js';
import type { ConnectionContext, DatagramContext, PeerAddress } from './handler-types.js';
import { ignoreError } from '../internal/ignore-error.js';

/** The base of every request handler class: the three hooks. */
export abstract class BaseRequestHandler {
  /** Runs before `handle()`; a throw skips `handle()` and `finish()` (as in Python). */
  setup(): void | Promise<void> {}
  /** Serves the request. */
  abstract handle(): void | Promise<void>;
  /** Runs after `handle()`, even when it threw. */
  finish(): void | Promise<void> {}
}

/** What `StreamRequestHandler.readLine()` accepts. */
export interface ReadLineOptions {
  /** The longest line accepted, in bytes, without its end; default the class's `maxLineLength`. */
  maxLength?: number;
  /** Keep the trailing `\n` / `\r\n` (Python's `rfile.readline()` does). Default false. */
  keepEnd?: boolean;
}

/**
 * Serves one stream connection (TCP, TLS or Unix). Subclass it and override `handle()`:
 *
 * @example
 * ```ts
 * class Shout extends StreamRequestHandler {
 *   async handle() {
 *     for await (const line of this.lines()) await this.writeLine(line.toUpperCase());
 *   }
 * }
 * await using server = await new TcpServer({ port: 7000, handler: Shout }).listen();
 * await server.serveForever();
 * ```
 */
export class StreamRequestHandler<TServer = unknown> extends BaseRequestHandler {
  /**
   * A timeout in seconds for every read and write of the connection (Python's
   * `StreamRequestHandler.timeout`); null waits for ever. Set it on your subclass.
   */
  static timeout: number | null = null;
  /**
   * `TCP_NODELAY` for this handler's connections (Python's `disable_nagle_algorithm`);
   * undefined keeps the server's `noDelay` option (on by default). TCP and TLS only.
   */
  static noDelay: boolean | undefined = undefined;
  /** The longest line `readLine()` accepts by default, in bytes: 64 KiB. */
  static maxLineLength = 64 * 1024;

  /** The connection. */
  readonly socket: Socket;
  /** Who the client is, the transport, the shutdown signal, the connection id. */
  readonly ctx: ConnectionContext;
  /** The server that accepted the connection. */
  readonly server: TServer;

  constructor(socket: Socket, ctx: ConnectionContext, server: TServer) {
    super();
    this.socket = socket;
    this.ctx = ctx;
    this.server = server;
  }

  /** The client's address. */
  get remote(): PeerAddress {
    return this.ctx.remote;
  }

  /** Applies the class's `timeout` and `noDelay`. Call `super.setup()` when overriding. */
  override setup(): void | Promise<void> {
    const cls = this.constructor as typeof StreamRequestHandler;
    if (cls.timeout !== null) this.socket.setTimeout(cls.timeout);
    if (cls.noDelay !== undefined && this.ctx.transport !== 'unix') {
      this.socket.raw.setNoDelay(cls.noDelay);
    }
  }

  /** Does nothing: override it. */
  handle(): void | Promise<void> {}

  /**
   * Reads one line (up to `\n`; a `\r` before it is dropped too), decoded as UTF-8.
   * Resolves `null` at end of stream, and when the server shuts down while the handler
   * waits between requests — so a request loop ends cleanly (see `lines()`). A last line
   * without `\n` before EOF is returned as is.
   * @throws {FrameTooLongError} when the line exceeds `maxLength` bytes.
   * @throws {SocketTimeoutError} when the class's `timeout` expires.
   */
  async readLine(options: ReadLineOptions = {}): Promise<string | null> {
    const signal = this.ctx.signal;
    if (signal.aborted) return null;
    const maxLength =
      options.maxLength ?? (this.constructor as typeof StreamRequestHandler).maxLineLength;
    const read = this.socket.recvUntil('\n', { maxBytes: maxLength + 2, keepDelimiter: true });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<null>((resolve) => {
      onAbort = () => resolve(null);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    let buf: Buffer | null;
    try {
      buf = await Promise.race([read, aborted]);
    } catch (err) {
      // EOF: nothing left is the end; a last line without its `\n` is still a line.
      if (!(err instanceof IncompleteReadError)) throw err;
      if (err.available === 0) return null;
      buf = await this.socket.recv(err.available);
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    }
    if (buf === null) {
      // Shutting down: the pending read is abandoned with the connection.
      read.catch(ignoreError('server:abandoned-read'));
      return null;
    }
    if (buf.length === 0) return null;
    let end = buf.length;
    if (buf[end - 1] === 0x0a) end--;
    if (end > 0 && buf[end - 1] === 0x0d) end--;
    if (end > maxLength) throw new FrameTooLongError(end, maxLength, 'line');
    return buf.toString('utf8', 0, options.keepEnd === true ? buf.length : end);
  }

  /**
   * The lines of the connection, until EOF or shutdown (`readLine()` in a loop):
   * `for await (const line of this.lines()) await this.writeLine(line);`
   */
  async *lines(options: ReadLineOptions = {}): AsyncGenerator<string, void, undefined> {
    for (;;) {
      const line = await this.readLine(options);
      if (line === null) return;
      yield line;
    }
  }

  /** Writes bytes or text (UTF-8), resolving once the socket took them (backpressure). */
  write(data: Uint8Array | string): Promise<void> {
    return this.socket.sendAll(data);
  }

  /** Writes `text` and a line end (`\r\n`, the network's, unless told otherwise). */
  writeLine(text: string, eol = '\r\n'): Promise<void> {
    return this.socket.sendAll(text + eol);
  }
}

/**
 * Serves one datagram (UDP or Unix datagram). Subclass it and override `handle()`;
 * `this.packet` is the datagram, `this.send()` or `this.reply()` answers the sender.
 *
 * @example
 * ```ts
 * class Upper extends DatagramRequestHandler {
 *   handle() {
 *     this.send(this.packet.toString().toUpperCase());
 *   }
 * }
 * ```
 */
export class DatagramRequestHandler<TServer = unknown> extends BaseRequestHandler {
  /** The datagram (cut to the server's `maxPacketSize`; see `ctx.truncated`). */
  readonly packet: Buffer;
  /** Who sent it, the transport, the shutdown signal, and `reply()`. */
  readonly ctx: DatagramContext;
  /** The server that received it. */
  readonly server: TServer;

  constructor(packet: Buffer, ctx: DatagramContext, server: TServer) {
    super();
    this.packet = packet;
    this.ctx = ctx;
    this.server = server;
  }

  /** The sender's address. */
  get remote(): PeerAddress {
    return this.ctx.remote;
  }

  /** Does nothing: override it. */
  handle(): void | Promise<void> {}

  /**
   * Sends one datagram back to the sender; resolves once it was handed to the kernel,
   * rejects when it could not be sent (`ctx.reply()`). For a handler that must know.
   */
  reply(data: Uint8Array | string): Promise<void> {
    return this.ctx.reply(data);
  }

  /**
   * Sends one datagram back to the sender with no promise to wait for (`ctx.send()`): a
   * failure goes to the server's `handleError` (phase `reply`). The cheapest answer, for
   * a `handle()` with nothing left to do after it: when `setup()`, `handle()` and
   * `finish()` all return no promise, the server runs the handler with no promise at all.
   */
  send(data: Uint8Array | string): void {
    this.ctx.send(data);
  }
}

/** True when `value` is a request-handler class rather than a plain function. */
export function isHandlerClass<T extends BaseRequestHandler>(
  value: unknown,
  base: abstract new (...args: never[]) => T,
): value is new (...args: never[]) => T {
  return (
    typeof value === 'function' &&
    (value === base || (value.prototype !== undefined && value.prototype instanceof base))
  );
}

/**
 * Runs a handler object's `setup(); try { handle() } finally { finish() }`: synchronously
 * while the hooks return no promise (then it returns nothing, and throws what they
 * throw), awaiting each hook that returns one (then it returns a promise). The server's
 * one way of running a handler object, so a datagram handler whose hooks are synchronous
 * costs no promise.
 */
export function runHandler(handler: BaseRequestHandler): void | Promise<void> {
  const setup = handler.setup();
  if (isThenable(setup)) return Promise.resolve(setup).then(() => handleThenFinish(handler));
  return handleThenFinish(handler);
}

function handleThenFinish(handler: BaseRequestHandler): void | Promise<void> {
  let handled: void | Promise<void>;
  try {
    handled = handler.handle();
  } catch (error) {
    // As `finally`: finish() runs, and its own failure would replace this one.
    const finished = handler.finish();
    if (isThenable(finished)) {
      return Promise.resolve(finished).then(() => {
        throw error;
      });
    }
    throw error;
  }
  if (isThenable(handled)) {
    return Promise.resolve(handled).then(
      () => handler.finish(),
      async (error: unknown) => {
        await handler.finish();
        throw error;
      },
    );
  }
  return handler.finish();
}
