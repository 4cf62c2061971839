/**
 * One connected chat client: bytes in, lines out, with every per-client limit.
 *
 * A session does not know about sockets: it reads bytes through {@link ChatSession.receive}
 * and writes through a {@link LineSink}, so it runs the same over TCP, TLS, a Unix socket
 * or a test's in-memory sink.
 *
 * ```
 *  bytes ─▶ LineSplitter ─▶ rate limit ─▶ one-at-a-time queue ─▶ commands / hub.say()
 *   │             └ partial line + flushDelayMs ms of silence ─▶ a line (newline-less clients)
 *   └◀─ pause / resume: over PAUSE_AT lines (or bytes) queued, the session stops reading
 *  hub ─▶ deliver() ─▶ format ─▶ sink.write()   (never awaited: a slow client never slows
 *                                                 the others; over maxQueueBytes it is cut)
 * ```
 *
 * No accepted line is dropped for load: when lines arrive faster than they can be
 * published (a busy bus, a Redis round trip), the session asks its connection to stop
 * reading ({@link FlowControl}), and TCP's flow control slows the sender down. Only the
 * operator's rate limit drops lines, and says so.
 *
 * A connection's first line decides whether it is a chat client at all: a request line
 * of another protocol (HTTP, SIP, RTSP…) or a TLS ClientHello, or a first line that is
 * not text, closes the connection without acting on it (see
 * `framing/foreign-protocol.ts`). Until its first valid line or command a client is
 * only a listener: the room is not told it arrived (so a port scanner, or a browser
 * made to POST to the chat, leaves no trace).
 *
 * A message line with nothing queued ahead of it (the usual case) is published at once,
 * from the read that brought it: the queue is for commands, and for lines that arrive
 * while an earlier one still waits for the bus, so a client's lines keep their order.
 * @module
 */

import { detectForeignProtocol, type ForeignProtocol } from '../../framing/foreign-protocol.js';
import { TokenBucket } from '../../internal/rate-limiter.js';
import { isCommandLine, runCommand, sayLine } from './commands.js';
import type { ChatHub } from './hub.js';
import { LineSplitter } from './line-splitter.js';
import {
  type ChatEvent,
  compareEventIds,
  EOL,
  errorLine,
  formatEvent,
  isHistoryEvent,
  type SequencedEvent,
  sanitizeLine,
  serverLine,
} from './protocol.js';
import { ignoreError } from '../../internal/ignore-error.js';

/** Where a session writes: a socket in production, an array in unit tests. */
export interface LineSink {
  /** Queues text for the client; must not throw. */
  write(text: string): void;
  /** Bytes queued and not yet sent to the client (the socket's `writableLength`). */
  readonly bufferedAmount: number;
  /** Sends what is queued, then closes. */
  end(): void;
  /** Closes now, dropping what is queued. */
  destroy(): void;
}

/** Per-client limits (see the service options in index.ts for the defaults). */
export interface SessionLimits {
  /** Longest line in bytes; longer lines are dropped with a notice. */
  maxLineLength: number;
  /** Milliseconds a partial line may wait for its newline before it is sent anyway (0: forever). */
  flushDelayMs: number;
  /** Sustained lines per second (0: no limit). */
  rateLimit: number;
  /** Lines that may arrive at once before the rate applies. */
  rateBurst: number;
  /** Bytes queued to a client before it is disconnected as a slow consumer. */
  maxQueueBytes: number;
  /** Seconds without input before the client is disconnected (0: never). */
  idleTimeout: number;
  /** Whether a client sees its own messages (it can change it with /echo). */
  echo: boolean;
}

/** How a session stops and restarts reading from its client (its connection provides it). */
export interface FlowControl {
  /** Stop reading: lines are queued faster than they are published. */
  pause(): void;
  /** Read again. */
  resume(): void;
}

/**
 * Lines (or bytes) accepted and not yet handled at which the session stops reading from
 * its client; it reads again once the queue is down to half. What one read brings after
 * the mark is still accepted (never dropped), so a client's queue holds at most
 * PAUSE_AT_BYTES plus one read (64 KiB).
 */
export const PAUSE_AT_LINES = 64;
/** See {@link PAUSE_AT_LINES}. */
export const PAUSE_AT_BYTES = 32 * 1024;

/** The most bytes kept to recognise a foreign protocol in a connection's first bytes. */
const MAX_HEAD = 1024;

/** Checks that a first line is text (a binary probe's is not). */
const utf8 = new TextDecoder('utf-8', { fatal: true });
const LF = Buffer.from('\n');

/**
 * Whether a raw line is text a person typed: valid UTF-8 without control characters
 * (tab and a trailing CR aside). A binary probe (an RPC call, …) is not.
 */
function isTextLine(raw: Buffer): boolean {
  const end = raw[raw.length - 1] === 0x0d ? raw.length - 1 : raw.length;
  for (let i = 0; i < end; i += 1) {
    const b = raw[i] ?? 0;
    if ((b < 0x20 && b !== 0x09) || b === 0x7f) return false;
  }
  try {
    utf8.decode(raw);
    return true;
  } catch {
    return false;
  }
}

let sessionCounter = 0;

/** One client of a {@link ChatHub}. Created by `hub.accept()`. */
export class ChatSession {
  /** Process-unique id. */
  readonly id: number;
  /** `nodeId/id`: marks the events this session caused (echo suppression). */
  readonly origin: string;
  /** The client's address, for logs and the join notice. */
  readonly remote: string;
  nick = '';
  room = '';
  echo: boolean;
  /** While joining: live events that arrived before the history was sent. */
  joinBuffer: SequencedEvent[] | null = null;
  /** Id of this session's own join event (events before it are history). */
  joinId = '';
  /** A listener's join: the last history message sent (live copies of it are skipped). */
  historyUpTo = '';
  /** While leaving: called when the session's own leave event is delivered. */
  leaveWaiter: (() => void) | null = null;
  readonly #hub: ChatHub;
  readonly #sink: LineSink;
  readonly #limits: SessionLimits;
  readonly #splitter: LineSplitter;
  /** Whether the room was told this client arrived (after its first valid line). */
  announced = false;
  #chain: Promise<void> = Promise.resolve();
  /** Lines accepted and not yet handled, and their bytes (sizes in FIFO order). */
  #pending = 0;
  #pendingBytes = 0;
  #sizes: number[] = [];
  #sizeHead = 0;
  #flow: FlowControl | null = null;
  #paused = false;
  /** The first bytes, kept until it is known whether they are a chat client's. */
  #head: Buffer | null = Buffer.alloc(0);
  /** Set once the first non-empty line was accepted as chat. */
  #greeted = false;
  #flushTimer: NodeJS.Timeout | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  readonly #bucket: TokenBucket | null;
  #lastFloodNotice = Number.NEGATIVE_INFINITY;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #leaveReason = '';
  readonly #done: Promise<void>;
  #resolveDone!: () => void;

  constructor(hub: ChatHub, sink: LineSink, limits: SessionLimits, remote: string) {
    sessionCounter += 1;
    this.id = sessionCounter;
    this.origin = `${hub.nodeId}/${this.id}`;
    this.remote = remote;
    this.#hub = hub;
    this.#sink = sink;
    this.#limits = limits;
    this.echo = limits.echo;
    this.#splitter = new LineSplitter(limits.maxLineLength);
    this.#bucket =
      limits.rateLimit > 0
        ? new TokenBucket(limits.rateLimit, limits.rateBurst, performance.now())
        : null;
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    this.#armIdle();
    this.#enqueue(async () => {
      try {
        await this.#hub.register(this);
      } catch (err) {
        // Without a nickname (bus down at arrival) the client cannot chat: say why, close.
        this.send(
          errorLine(`cannot join the chat: ${err instanceof Error ? err.message : String(err)}`),
        );
        this.close('');
      }
    });
  }

  /** Settles when the session has left the chat (its socket may then be closed). */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Whether the session still accepts input and output. */
  get open(): boolean {
    return this.#state === 'open';
  }

  /** Whether the session has left the chat. */
  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Lets the session stop reading from its client while its lines wait (see {@link FlowControl}). */
  setFlowControl(flow: FlowControl): void {
    this.#flow = flow;
  }

  /** Whether the session asked its connection to stop reading. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.#state !== 'open') return;
    this.#armIdle();
    if (this.#head !== null && this.#checkHead(chunk)) return;
    for (const item of this.#splitter.push(chunk)) {
      if ('tooLong' in item) {
        this.send(errorLine(`line longer than ${item.tooLong} bytes dropped`));
      } else {
        this.#acceptLine(item.line);
      }
      // A foreign first line, /quit, …: the rest of the read is not acted on.
      if (this.#state !== 'open') return;
    }
    this.#armFlush();
    if (
      !this.#paused &&
      this.#flow !== null &&
      (this.#pending >= PAUSE_AT_LINES || this.#pendingBytes >= PAUSE_AT_BYTES)
    ) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /**
   * Looks at the connection's first bytes for another protocol's greeting (a TLS
   * ClientHello is recognised before any newline).
   * @returns true when the connection was closed for it.
   */
  #checkHead(chunk: Buffer): boolean {
    const head = this.#head === null ? chunk : Buffer.concat([this.#head, chunk]);
    const verdict = detectForeignProtocol(head.subarray(0, MAX_HEAD));
    if (verdict === undefined && head.length < MAX_HEAD) {
      this.#head = head;
      return false;
    }
    this.#head = null;
    if (verdict === undefined || verdict === null) return false;
    this.#refuseForeign(verdict);
    return true;
  }

  /** Closes a connection that speaks another protocol, without acting on what it sent. */
  #refuseForeign(protocol: ForeignProtocol | 'binary'): void {
    this.#hub.noteForeign(this, protocol);
    this.#splitter.flush();
    this.close('');
  }

  /** The client closed its side (EOF): what it sent is handled, then it leaves. */
  end(): void {
    if (this.#state !== 'open') return;
    const rest = this.#splitter.flush();
    if (rest !== null) this.#acceptLine(rest);
    this.close('');
  }

  /**
   * The connection failed (reset, error): leave now, without writing anything more.
   * @param detail what happened, for the server's log only: it may name the client's
   *   address, so the room is only told "connection lost".
   */
  abort(detail: string): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'open') this.#hub.noteLost(this, detail);
    this.close('connection lost', { abrupt: true });
  }

  /**
   * Ends the session: pending lines are still handled, then it leaves its room.
   * @param reason shown in the leave announcement.
   */
  close(reason: string, options: { notice?: string; abrupt?: boolean } = {}): void {
    if (this.#state !== 'open') {
      if (options.abrupt) this.#sink.destroy();
      return;
    }
    this.#state = 'closing';
    this.#leaveReason = reason;
    this.#clearTimers();
    this.#head = null;
    // Keep draining the socket (later bytes are discarded) during the lingering close.
    if (this.#paused) {
      this.#paused = false;
      this.#flow?.resume();
    }
    if (options.notice !== undefined) this.#write(serverLine(options.notice));
    if (options.abrupt) this.#sink.destroy();
    // Queued behind the lines already accepted, so their replies go out first.
    this.#chain = this.#chain
      .then(() => this.#hub.leave(this, this.#leaveReason))
      .catch(ignoreError('chat:leave'))
      .finally(() => {
        this.#state = 'closed';
        this.#sink.end();
        this.#resolveDone();
      });
  }

  /** Sends one line to this client (the slow-consumer check happens here). */
  send(line: string): void {
    if (this.#state === 'closed') return;
    this.#write(line);
  }

  /**
   * Delivers a bus event of this session's room (called by the hub, in bus order).
   * @param wire the event as sent, EOL included, formatted once by the hub for every
   * member (`null`: nothing to show); formatted here when omitted.
   */
  deliver(sequenced: SequencedEvent, wire?: string | null): void {
    if (this.joinBuffer !== null) {
      this.joinBuffer.push(sequenced);
      return;
    }
    this.#show(sequenced.event, wire);
  }

  /** Ends the join: sends the buffered live events that follow the join, in order. */
  finishJoin(): void {
    const buffered = this.joinBuffer ?? [];
    const upTo = this.historyUpTo;
    this.joinBuffer = null;
    this.historyUpTo = '';
    for (const e of buffered) {
      if (compareEventIds(e.id, this.joinId) < 0) continue;
      // Already sent as history (a listener's history may overlap the live events).
      if (upTo !== '' && isHistoryEvent(e.event) && compareEventIds(e.id, upTo) <= 0) continue;
      this.#show(e.event);
    }
  }

  #show(event: ChatEvent, wire?: string | null): void {
    if (
      !this.echo &&
      event.origin === this.origin &&
      (event.kind === 'msg' || event.kind === 'action')
    ) {
      return;
    }
    if (wire === undefined) {
      const line = formatEvent(event);
      if (line !== null) this.send(line);
    } else if (wire !== null && this.#state !== 'closed') {
      this.#writeWire(wire);
    }
  }

  #write(line: string): void {
    this.#writeWire(line + EOL);
  }

  /** Writes `text` (EOL included); the slow-consumer check happens here. */
  #writeWire(text: string): void {
    this.#sink.write(text);
    if (this.#sink.bufferedAmount > this.#limits.maxQueueBytes && this.#state === 'open') {
      this.#hub.noteSlowConsumer(this, this.#sink.bufferedAmount);
      // The notice joins a queue the client is not reading; it is best effort. Ending
      // (not destroying) gives a client that is merely slow a chance to see why.
      this.close('too slow', { notice: 'you are not reading fast enough: disconnecting' });
      const kill = setTimeout(() => this.#sink.destroy(), 1000);
      kill.unref();
    }
  }

  #acceptLine(raw: Buffer): void {
    if (!this.#greeted) {
      if (raw.length === 0 || (raw.length === 1 && raw[0] === 0x0d)) return;
      // The first line: another protocol's request line, or not text at all, is not chat.
      const verdict = detectForeignProtocol(Buffer.concat([raw, LF]));
      if (verdict !== null && verdict !== undefined) return this.#refuseForeign(verdict);
      if (!isTextLine(raw)) return this.#refuseForeign('binary');
      this.#greeted = true;
      this.#head = null;
    }
    if (this.#bucket !== null && !this.#bucket.take(performance.now())) {
      const now = performance.now();
      if (now - this.#lastFloodNotice >= 1000) {
        this.#lastFloodNotice = now;
        this.send(errorLine(`too many lines (limit ${this.#limits.rateLimit}/s): dropped`));
      }
      return;
    }
    const text = sanitizeLine(raw);
    if (text.trim() === '') return;
    this.#sizes.push(raw.length);
    this.#pendingBytes += raw.length;
    if (this.#pending === 0 && this.announced && !isCommandLine(text)) {
      // Nothing queued ahead of this message: publish it now rather than through the
      // chain (three promises and a microtask hop per line), in the same order.
      this.#pending = 1;
      this.#chain = sayLine(this.#hub, this, text).then(this.#settled, this.#failed);
      return;
    }
    this.#enqueue(() => runCommand(this.#hub, this, text));
  }

  /** A task of the chain is done (made once: the message fast path adds no closure). */
  readonly #settled = (): void => {
    this.#pending -= 1;
    if (this.#sizeHead < this.#sizes.length) {
      this.#pendingBytes -= this.#sizes[this.#sizeHead] ?? 0;
      this.#sizeHead += 1;
      if (this.#sizeHead === this.#sizes.length) {
        this.#sizes = [];
        this.#sizeHead = 0;
      }
    }
    if (
      this.#paused &&
      this.#pending <= PAUSE_AT_LINES / 2 &&
      this.#pendingBytes <= PAUSE_AT_BYTES / 2
    ) {
      this.#paused = false;
      this.#flow?.resume();
    }
  };

  /** A task of the chain failed: the client is told, as by {@link ChatSession.#enqueue}. */
  readonly #failed = (err: unknown): void => {
    this.#settled();
    this.send(errorLine(err instanceof Error ? err.message : String(err)));
  };

  #enqueue(task: () => Promise<void>): void {
    this.#pending += 1;
    this.#chain = this.#chain.then(task).then(this.#settled, this.#failed);
  }

  #armFlush(): void {
    if (this.#flushTimer !== null) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    if (this.#limits.flushDelayMs <= 0 || this.#splitter.pending === 0) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      const line = this.#splitter.flush();
      if (line !== null && this.#state === 'open') this.#acceptLine(line);
    }, this.#limits.flushDelayMs);
    this.#flushTimer.unref();
  }

  #armIdle(): void {
    if (this.#limits.idleTimeout <= 0) return;
    if (this.#idleTimer !== null) {
      this.#idleTimer.refresh();
      return;
    }
    this.#idleTimer = setTimeout(() => {
      this.close('idle', { notice: `idle for ${this.#limits.idleTimeout} s: disconnecting` });
    }, this.#limits.idleTimeout * 1000);
    this.#idleTimer.unref();
  }

  #clearTimers(): void {
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#flushTimer = null;
    this.#idleTimer = null;
  }
}
