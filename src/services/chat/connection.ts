/**
 * Runs a {@link ChatSession} over a connected stream, in push mode on the connection
 * (`StreamConnection`): each chunk goes to the session synchronously, lines go out with
 * the connection's `write()`, and the connection's bounded graceful close ends it.
 * @module
 */
import type { Socket as NetSocket } from 'node:net';
import { SocketClosedError } from '../../errors.js';
import type { StreamConnection } from '../../socket/stream-connection.js';
import { Socket } from '../../socket/tcp-socket.js';
import type { ChatSession, LineSink } from './client-session.js';
import type { ChatHub } from './hub.js';

/** Characters a sink batches before handing them to the socket without waiting. */
const FLUSH_AT = 16 * 1024;

/** Sinks holding text for the end of the turn; one microtask flushes them all. */
const dirty: SocketSink[] = [];
let flushScheduled = false;

/**
 * Batches shared by the sinks of one turn. The hub formats a room event once and hands
 * the same string to every member, so members that saw the same events hold equal part
 * lists. A list seen once is the *candidate*, written as text; seen again, it is encoded
 * ONCE into a Buffer (the *shared* batch) that every further socket writes without a
 * copy (a string write encodes it again per socket). A member whose list differs (its
 * own message is not echoed to it) replaces only the candidate, not the shared batch.
 */
interface Batch {
  parts: readonly string[];
  text: string;
}
let candidate: Batch | null = null;
let shared: (Batch & { buffer: Buffer }) | null = null;

/** Whether the first `n` of `parts` are `batch`'s parts (the same strings, usually the same objects). */
function holds(batch: Batch | null, parts: readonly string[], n: number): batch is Batch {
  if (batch === null || batch.parts.length !== n) return false;
  for (let i = 0; i < n; i += 1) if (batch.parts[i] !== parts[i]) return false;
  return true;
}

/** The chunk to write for the first `n` of `parts`: shared Buffer or text. */
function chunkOf(parts: readonly string[], n: number): string | Buffer {
  if (holds(shared, parts, n)) return shared.buffer;
  if (holds(candidate, parts, n)) {
    shared = { ...candidate, buffer: Buffer.from(candidate.text, 'utf8') };
    candidate = null;
    return shared.buffer;
  }
  const own = parts.slice(0, n);
  candidate = { parts: own, text: n === 1 ? (own[0] ?? '') : own.join('') };
  return candidate.text;
}

function flushDirty(): void {
  // Index loop: a sink marked during the flush (it should not happen) is flushed too.
  for (let i = 0; i < dirty.length; i += 1) dirty[i]?.flush();
  dirty.length = 0;
  flushScheduled = false;
  // Nothing to share across turns: let the texts and buffers go.
  candidate = null;
  shared = null;
}

/**
 * What a {@link SocketSink} writes to: the part of {@link StreamConnection} it uses, so a
 * browser's WebSocket (web-socket-session.ts) gets the same batching and the same
 * slow-consumer measure as a TCP client, through one sink.
 */
export interface SinkTarget {
  /** True while a write would be sent. */
  readonly canWrite: boolean;
  /** Bytes written and not yet handed to the kernel (what the slow-consumer cap measures). */
  readonly bufferedAmount: number;
  /** Writes one chunk (whole lines); the result is not used (the sink never waits). */
  write(chunk: string | Buffer): unknown;
  /** Graceful, bounded close after what was written. */
  close(): unknown;
  /** Closes now, dropping what is queued (the peer must not take it for a clean end). */
  destroy(): void;
}

/** Part lists longer than this are dropped after a flush rather than kept for reuse. */
const KEEP_PARTS = 256;

/**
 * A {@link LineSink} writing to a Node socket; writes after close are dropped, never thrown.
 *
 * Lines written in one event-loop turn (a bus batch delivers many) are joined and handed
 * to the socket in ONE `write()` at the end of the turn: a write per line per client
 * costs a syscall each and was most of a busy chat's CPU. One microtask flushes every
 * sink of the turn, and members that got the same lines share one encoded Buffer; the
 * part list is reused from turn to turn. (A microtask per sink, a string concatenation
 * per line and an encoding per socket allocated ~2 KB per client per turn: at 500
 * lines/s to 100 clients that was a scavenge every ~300 ms, a millisecond or more each,
 * in the latency tail.) Nothing waits for a timer, so a lone line still leaves at once.
 * Past {@link FLUSH_AT} characters the batch is handed over at once, so `bufferedAmount`
 * (the socket's own queue, what the slow-consumer cap measures) stays exact: a batch not
 * yet handed to the kernel says nothing about the client's reading speed.
 */
class SocketSink implements LineSink {
  readonly #conn: SinkTarget;
  /** Text waiting for the end of the turn, in order: the first `#count` entries. */
  #parts: string[] = [];
  #count = 0;
  #chars = 0;
  #queued = false;

  constructor(conn: SinkTarget) {
    this.#conn = conn;
  }

  write(text: string): void {
    if (!this.#conn.canWrite) return;
    this.#parts[this.#count] = text;
    this.#count += 1;
    this.#chars += text.length;
    if (this.#chars >= FLUSH_AT) {
      this.flush();
      return;
    }
    if (!this.#queued) {
      this.#queued = true;
      dirty.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flushDirty);
      }
    }
  }

  get bufferedAmount(): number {
    return this.#conn.bufferedAmount;
  }

  /** @internal Hands what is pending to the socket (the end of the turn, or now). */
  flush(): void {
    this.#queued = false;
    const n = this.#count;
    if (n === 0) return;
    const parts = this.#parts;
    const chunk = chunkOf(parts, n);
    this.#count = 0;
    this.#chars = 0;
    // Do not keep the strings alive until the next turn overwrites them.
    if (parts.length > KEEP_PARTS) this.#parts = [];
    else parts.fill('', 0, n);
    this.#conn.write(chunk);
  }

  /** Flushes, then the connection's graceful close (FIN, lingering, bounded, then reset). */
  end(): void {
    this.flush();
    void this.#conn.close();
  }

  destroy(): void {
    this.#parts = [];
    this.#count = 0;
    this.#chars = 0;
    // A reset when lines would be dropped: the client must not take the cut for an end.
    this.#conn.destroy();
  }
}

/**
 * A {@link LineSink} writing to a connection (see {@link SocketSink} for the batching).
 * A plain `net.Socket` is taken over by a socketkit `Socket` first.
 */
export function socketSink(conn: StreamConnection | NetSocket): LineSink {
  return new SocketSink(connectionOf(conn));
}

/** @internal A {@link SocketSink} over any {@link SinkTarget} (a browser's WebSocket). */
export function batchingSink(target: SinkTarget): LineSink {
  return new SocketSink(target);
}

function connectionOf(conn: StreamConnection | NetSocket): StreamConnection {
  return 'onData' in conn ? conn : Socket.fromNetSocket(conn);
}

/**
 * Serves one chat client until it leaves.
 * @param conn the client's connection (a socketkit `Socket`, whose bytes already read
 *   come first, or a plain `net.Socket`, taken over by one).
 * @param remote the client's address, for logs.
 * @param signal aborted when the server shuts down: the client is told and leaves.
 * @returns a promise that settles once the client has left and the connection is closed
 *   (gracefully, within the connection's `closeTimeout`).
 */
export async function serveChatConnection(
  hub: ChatHub,
  connection: StreamConnection | NetSocket,
  remote: string,
  signal?: AbortSignal,
): Promise<void> {
  const conn = connectionOf(connection);
  const session = hub.accept(new SocketSink(conn), remote);
  if (session !== null) {
    conn.raw.setNoDelay(true);
    const onAbort = (): void =>
      session.close('server shutting down', { notice: 'the server is shutting down' });
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    void session.done.then(() => signal?.removeEventListener('abort', onAbort));
    // Reading runs on its own: the session may end first (/quit, slow consumer, idle).
    const reading = read(session, conn);
    await session.done;
    await conn.close({ wait: true });
    await reading;
    return;
  }
  await conn.close({ wait: true });
}

/**
 * Hands each chunk to the session synchronously (the lines read in one poll phase are all
 * published before the bus delivers the turn's batch, with no promise per chunk). Once the
 * connection closes, later chunks are discarded by it (the lingering close keeps draining).
 * @returns a promise that settles once the input ended, failed or the connection closed.
 */
function read(session: ChatSession, conn: StreamConnection): Promise<void> {
  // Flow control: while the session's lines wait for the bus, the connection is not read
  // (TCP then slows the client down); nothing accepted is ever dropped.
  session.setFlowControl({ pause: () => conn.pauseReading(), resume: () => conn.resumeReading() });
  return conn
    .onData((chunk) => {
      try {
        session.receive(chunk);
      } catch (err) {
        // A bug must cost this client its session, not the server its process.
        session.abort(err instanceof Error ? err.message : String(err));
      }
    })
    .then(
      () => session.end(),
      // ECONNRESET, EPIPE, … or closed under the session: an abrupt leave, never a crash.
      (err: unknown) =>
        session.abort(
          err instanceof SocketClosedError
            ? 'connection closed'
            : err instanceof Error
              ? err.message
              : String(err),
        ),
    );
}
