/**
 * Runs a {@link ChatSession} over a browser's WebSocket (the `ws` package's), the same
 * session as a TCP client's: nick rules, /commands, rooms, history, rate limit, line
 * length, slow-consumer cut and escaping are the session's, not this file's.
 *
 * ```
 *  browser ─ text message "hello" ─▶ bytes "hello\n" ─▶ session.receive()   (one line)
 *          ─ "a\nb" ─▶ "a\nb\n" ─▶ two lines, each rate-limited and length-checked
 *          ─ binary message ─▶ notice, close 1003 (the chat is text)
 *  session ─▶ batchingSink ─▶ WebSocketTarget.write(chunk) ─▶ one text message per turn,
 *             the same CRLF-terminated lines a TCP client reads (whole lines only)
 *  every pingInterval s: ping; no pong since the last one ─▶ terminated (dead browser)
 * ```
 *
 * The wire is the TCP protocol's lines, unchanged: the page tells a message from a
 * notice by the first word (`<nick>`, `<server>`, `<announce>`, `<history>`, `* nick`,
 * `*nick*`, `-> *nick*`), which reserved nicknames make unambiguous. So the hub formats
 * each event once for TCP and browser members alike, and a TCP session does no extra
 * work for the browsers beside it.
 * @module
 */
import type { WebSocket } from 'ws';
import { ignoreError } from '../../internal/ignore-error.js';
import { batchingSink, type SinkTarget } from './connection.js';
import type { ChatHub } from './hub.js';
import { errorLine, EOL } from './protocol.js';

/** Close codes (RFC 6455 §7.4.1) this adapter sends. */
export const WS_CLOSE = {
  normal: 1000,
  /** The chat is text: a binary message is refused. */
  unsupportedData: 1003,
  /** Cut by a limit (slow consumer, per-address cap): see the notice sent before. */
  policy: 1008,
  /** The server is full or the address has too many connections: retry later. */
  tryAgainLater: 1013,
} as const;

/** How long a close waits for the browser's close frame before the socket is destroyed. */
const CLOSE_TIMEOUT_MS = 2000;

/** Options of one browser session. */
export interface WebSocketSessionOptions {
  /** Seconds between keepalive pings; a browser that did not answer the last one is cut. 0: none. */
  pingInterval?: number;
  /** Aborted when the server shuts down: the browser is told and leaves. */
  signal?: AbortSignal;
}

const LF = Buffer.from('\n');

/**
 * The WebSocket as a {@link SinkTarget}: writes are text messages, `bufferedAmount` is
 * ws's (the socket's unsent bytes plus frames queued in ws's sender), close is a close
 * frame bounded by {@link CLOSE_TIMEOUT_MS}, destroy is `terminate()` (a TCP reset, as
 * for a TCP client cut with lines unsent).
 */
class WebSocketTarget implements SinkTarget {
  readonly #ws: WebSocket;
  /** The code the next close sends (a binary message or a cap sets another). */
  closeCode: number = WS_CLOSE.normal;
  #closeTimer: NodeJS.Timeout | null = null;

  constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  get canWrite(): boolean {
    return this.#ws.readyState === this.#ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  write(chunk: string | Buffer): void {
    if (!this.canWrite) return;
    // A Buffer (a batch shared by several members) goes out as text too, uncopied.
    if (typeof chunk === 'string') this.#ws.send(chunk);
    else this.#ws.send(chunk, { binary: false });
  }

  close(): void {
    const ws = this.#ws;
    if (ws.readyState === ws.CLOSED || this.#closeTimer !== null) return;
    if (ws.readyState === ws.OPEN) ws.close(this.closeCode);
    // ws waits 30 s for the browser's close frame: a browser that does not read gets less.
    this.#closeTimer = setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS);
    this.#closeTimer.unref();
  }

  destroy(): void {
    this.#ws.terminate();
  }

  /** The socket closed: no timer left behind. */
  closed(): void {
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
  }
}

/**
 * Serves one browser on `hub` until it leaves.
 * @param ws an open WebSocket (its upgrade already passed the HTTP side's checks).
 * @param remote the client's address, for logs.
 * @returns a promise that settles once the browser has left and the socket is closed.
 */
export async function serveChatWebSocket(
  hub: ChatHub,
  ws: WebSocket,
  remote: string,
  options: WebSocketSessionOptions = {},
): Promise<void> {
  const target = new WebSocketTarget(ws);
  const socketClosed = new Promise<{ code: number; error: Error | null }>((resolve) => {
    let error: Error | null = null;
    // Without a listener an 'error' (a frame over maxPayload, bad UTF-8) would crash.
    ws.on('error', (err) => {
      error = err;
    });
    ws.once('close', (code) => {
      target.closed();
      resolve({ code, error });
    });
  });
  if (ws.readyState !== ws.OPEN) {
    ws.terminate();
    await socketClosed;
    return;
  }
  const session = hub.accept(batchingSink(target), remote);
  if (session === null) {
    await socketClosed;
    return;
  }
  const { signal } = options;
  const onAbort = (): void =>
    session.close('server shutting down', { notice: 'the server is shutting down' });
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  // Flow control: while the session's lines wait for the bus, the socket is not read.
  session.setFlowControl({ pause: () => ws.pause(), resume: () => ws.resume() });

  ws.on('message', (data, isBinary) => {
    if (!session.open) return;
    if (isBinary) {
      session.send(errorLine('binary messages are not chat: disconnecting'));
      target.closeCode = WS_CLOSE.unsupportedData;
      session.close('');
      return;
    }
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    try {
      // One message is one line (more if it holds newlines): the newline ends it, so the
      // session's splitter never waits for more and the flush timer never runs.
      session.receive(Buffer.concat([bytes, LF]));
    } catch (err) {
      session.abort(err instanceof Error ? err.message : String(err));
    }
  });

  const pings = startPings(ws, options.pingInterval ?? 30, () =>
    session.abort('no answer to keepalive pings'),
  );

  void socketClosed.then(({ code, error }) => {
    // A close frame (1000, 1001 tab closed, 1005 no code, …): the browser left, like a
    // TCP EOF. 1006 (no close frame) or a protocol error: the connection was lost.
    if (error === null && code !== 1006) session.end();
    else session.abort(error?.message ?? `connection lost (close code ${code})`);
  });
  await session.done;
  signal?.removeEventListener('abort', onAbort);
  if (pings !== null) clearInterval(pings);
  target.close();
  await socketClosed;
}

/**
 * Pings every `seconds`; a browser that has not answered the previous ping is dead
 * (a laptop closed, a network gone: no FIN ever comes) and `onDead` is called.
 */
function startPings(ws: WebSocket, seconds: number, onDead: () => void): NodeJS.Timeout | null {
  if (seconds <= 0) return null;
  let answered = true;
  ws.on('pong', () => {
    answered = true;
  });
  const timer = setInterval(() => {
    if (!answered) {
      clearInterval(timer);
      onDead();
      return;
    }
    answered = false;
    ws.ping();
  }, seconds * 1000);
  timer.unref();
  return timer;
}

/** A refusal line and close code for a browser turned away before its session starts. */
export function refuseWebSocket(ws: WebSocket, reason: string, code: number): void {
  // A refused browser's socket errors matter to nobody: it is being closed.
  ws.on('error', ignoreError('chat:web-refused'));
  if (ws.readyState === ws.OPEN) {
    ws.send(errorLine(reason) + EOL);
    ws.close(code);
  }
  const timer = setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS);
  timer.unref();
  ws.once('close', () => clearTimeout(timer));
}
