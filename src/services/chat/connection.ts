/**
 * Runs a {@link ChatSession} over a connected stream: bytes come from socketkit's
 * `Socket` (or a plain `net.Socket`), lines go to a Node socket.
 * @module
 */
import type { Socket as NetSocket } from 'node:net';
import { fromSystemError } from '../../errors.js';
import { cutConnection } from '../../socket/reset-connection.js';
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
  readonly #sock: NetSocket;
  /** Text waiting for the end of the turn, in order: the first `#count` entries. */
  #parts: string[] = [];
  #count = 0;
  #chars = 0;
  #queued = false;

  constructor(sock: NetSocket) {
    this.#sock = sock;
  }

  write(text: string): void {
    const sock = this.#sock;
    if (!sock.writable || sock.destroyed) return;
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
    return this.#sock.writableLength;
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
    const sock = this.#sock;
    if (sock.writable && !sock.destroyed) sock.write(chunk);
  }

  end(): void {
    this.flush();
    if (!this.#sock.destroyed) this.#sock.end();
  }

  destroy(): void {
    this.#parts = [];
    this.#count = 0;
    this.#chars = 0;
    // A reset when lines would be dropped: the client must not take the cut for an end.
    cutConnection(this.#sock);
  }
}

/** A {@link LineSink} writing to a Node socket (see {@link SocketSink} for the batching). */
export function socketSink(sock: NetSocket): LineSink {
  return new SocketSink(sock);
}

/**
 * Serves one chat client until it leaves.
 * @param input the client's bytes (`for await` over a socketkit `Socket` or a `net.Socket`).
 * @param sock the Node socket to write to and close.
 * @param remote the client's address, for logs.
 * @param signal aborted when the server shuts down: the client is told and leaves.
 * @returns a promise that settles once the client has left and the socket is closed.
 */
export async function serveChatConnection(
  hub: ChatHub,
  input: AsyncIterable<Buffer>,
  sock: NetSocket,
  remote: string,
  signal?: AbortSignal,
): Promise<void> {
  const session = hub.accept(socketSink(sock), remote);
  if (session !== null) {
    sock.setNoDelay(true);
    const onAbort = (): void =>
      session.close('server shutting down', { notice: 'the server is shutting down' });
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    session.done.then(() => signal?.removeEventListener('abort', onAbort));
    sock.once('close', () => session.abort('connection closed'));
    // Reading runs on its own: the session may end first (/quit, slow consumer, idle).
    const direct = readsDirectly(input, sock);
    const reading = direct ? readDirect(session, sock) : readIterator(session, input);
    await session.done;
    await closeGracefully(sock);
    await reading;
    return;
  }
  await closeGracefully(sock);
}

/**
 * Whether the bytes can be taken from `sock`'s `'data'` events: `input` is `sock` itself,
 * or a socketkit `Socket` over it that has not started reading (it reads lazily, so
 * nothing is buffered in it and nobody else sees the bytes).
 *
 * Not once `sock` was destroyed (a client that reset while a handler awaited something
 * before calling us): its 'close' is gone, and the direct path would wait for it forever,
 * holding the connection; the iterator reports the EOF or the reset and the client leaves.
 */
function readsDirectly(input: AsyncIterable<Buffer>, sock: NetSocket): boolean {
  if (sock.destroyed) return false;
  if (sock.listenerCount('data') !== 0 || sock.listenerCount('readable') !== 0) return false;
  if (input === sock) return true;
  return input instanceof Socket && input.raw === sock && input.receivedAmount === 0;
}

/**
 * The general path: chunks from the input's async iterator (a promise and a few
 * microtasks per chunk).
 */
async function readIterator(session: ChatSession, input: AsyncIterable<Buffer>): Promise<void> {
  // Flow control: while the session is paused, the next chunk is not pulled.
  let resumed: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  session.setFlowControl({
    pause() {
      resumed ??= new Promise<void>((resolve) => {
        wake = resolve;
      });
    },
    resume() {
      const w = wake;
      resumed = null;
      wake = null;
      w?.();
    },
  });
  try {
    for await (const chunk of input) {
      session.receive(chunk);
      if (resumed !== null) await resumed;
      if (!session.open) return;
    }
    session.end();
  } catch (err) {
    // ECONNRESET, EPIPE, …: an abrupt leave, never a crash.
    session.abort(err instanceof Error ? err.message : String(err));
  }
}

/**
 * The fast path: each `'data'` chunk goes to the session synchronously, so the lines read
 * in one poll phase are all published before the bus delivers the turn's batch, with no
 * promise per chunk. Chunks after the session stopped reading are discarded (the session
 * ignores them), which keeps draining the socket during the lingering close.
 * @returns a promise that settles once the socket has ended, failed or closed.
 */
function readDirect(session: ChatSession, sock: NetSocket): Promise<void> {
  return new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      try {
        session.receive(chunk);
      } catch (err) {
        // A bug must cost this client its session, not the server its process.
        session.abort(err instanceof Error ? err.message : String(err));
      }
    };
    const onEnd = (): void => {
      session.end();
      finish();
    };
    // ECONNRESET, EPIPE, …: an abrupt leave, never a crash (said as a socketkit read says it).
    const onError = (err: Error): void => {
      const where = { address: sock.remoteAddress, port: sock.remotePort, syscall: 'recv' };
      session.abort(fromSystemError(err, where).message);
      finish();
    };
    const onClose = (): void => finish();
    // Flow control: while the session's lines wait for the bus, the socket is not read
    // (TCP then slows the client down); nothing accepted is ever dropped.
    session.setFlowControl({ pause: () => sock.pause(), resume: () => sock.resume() });
    // 'data' and 'error' stay: later chunks are discarded by the closed session (the
    // lingering close keeps draining), and a late error must find a listener.
    function finish(): void {
      sock.off('end', onEnd);
      sock.off('close', onClose);
      resolve();
    }
    sock.on('end', onEnd);
    sock.on('error', onError);
    sock.on('close', onClose);
    // Last: attaching 'data' starts the flow (bytes already buffered come at once).
    sock.on('data', onData);
    if (sock.isPaused()) sock.resume();
  });
}

/** Waits for the peer to close after our FIN, but not forever. */
async function closeGracefully(sock: NetSocket): Promise<void> {
  if (sock.destroyed) return;
  await new Promise<void>((resolve) => {
    sock.once('close', () => resolve());
    // A client that never closes its side must not keep the handler alive.
    // Not flushed by then (the client is not reading): a reset, not a clean end.
    setTimeout(() => cutConnection(sock), 2000).unref();
  });
}
