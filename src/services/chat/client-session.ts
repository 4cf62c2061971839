/**
 * One connected chat client: bytes in, lines out, with every per-client limit.
 *
 * A session does not know about sockets: it reads bytes through {@link ChatSession.receive}
 * and writes through a {@link LineSink}, so it runs the same over TCP, TLS, a Unix socket
 * or a test's in-memory sink.
 *
 * ```
 *  bytes ─▶ LineSplitter ─▶ rate limit ─▶ one-at-a-time queue ─▶ commands / hub.say()
 *                 └ partial line + flushDelay ms of silence ─▶ a line (newline-less clients)
 *  hub ─▶ deliver() ─▶ format ─▶ sink.write()   (never awaited: a slow client never slows
 *                                                 the others; over maxQueueBytes it is cut)
 * ```
 *
 * A message line with nothing queued ahead of it (the usual case) is published at once,
 * from the read that brought it: the queue is for commands, and for lines that arrive
 * while an earlier one still waits for the bus, so a client's lines keep their order.
 * @module
 */

import { isCommandLine, runCommand, sayLine } from './commands.js';
import type { ChatHub } from './hub.js';
import { LineSplitter } from './line-splitter.js';
import {
  type ChatEvent,
  compareEventIds,
  EOL,
  errorLine,
  formatEvent,
  type SequencedEvent,
  sanitizeLine,
  serverLine,
} from './protocol.js';

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
  flushDelay: number;
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

/** Lines waiting for the bus before new ones are refused (bounds memory if the bus stalls). */
const MAX_PENDING_LINES = 64;

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
  /** While leaving: called when the session's own leave event is delivered. */
  leaveWaiter: (() => void) | null = null;
  readonly #hub: ChatHub;
  readonly #sink: LineSink;
  readonly #limits: SessionLimits;
  readonly #splitter: LineSplitter;
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #flushTimer: NodeJS.Timeout | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #tokens: number;
  #lastRefill = Date.now();
  #lastFloodNotice = 0;
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
    this.#tokens = limits.rateBurst;
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

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.#state !== 'open') return;
    this.#armIdle();
    for (const item of this.#splitter.push(chunk)) {
      if ('tooLong' in item) {
        this.send(errorLine(`line longer than ${item.tooLong} bytes dropped`));
      } else {
        this.#acceptLine(item.line);
      }
    }
    this.#armFlush();
  }

  /** The client closed its side (EOF): what it sent is handled, then it leaves. */
  end(): void {
    if (this.#state !== 'open') return;
    const rest = this.#splitter.flush();
    if (rest !== null) this.#acceptLine(rest, true);
    this.close('');
  }

  /** The connection failed (reset, error): leave now, without writing anything more. */
  abort(reason: string): void {
    if (this.#state === 'closed') return;
    this.close(reason, { abrupt: true });
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
    if (options.notice !== undefined) this.#write(serverLine(options.notice));
    if (options.abrupt) this.#sink.destroy();
    // Queued behind the lines already accepted, so their replies go out first.
    this.#chain = this.#chain
      .then(() => this.#hub.leave(this, this.#leaveReason))
      .catch(() => {})
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
    this.joinBuffer = null;
    for (const e of buffered) {
      if (compareEventIds(e.id, this.joinId) >= 0) this.#show(e.event);
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
      this.#hub.noteSlowConsumer(this);
      // The notice joins a queue the client is not reading; it is best effort. Ending
      // (not destroying) gives a client that is merely slow a chance to see why.
      this.close('too slow', { notice: 'you are not reading fast enough: disconnecting' });
      const kill = setTimeout(() => this.#sink.destroy(), 1000);
      kill.unref();
    }
  }

  #acceptLine(raw: Buffer, atEnd = false): void {
    if (!this.#takeToken()) {
      const now = Date.now();
      if (now - this.#lastFloodNotice >= 1000) {
        this.#lastFloodNotice = now;
        this.send(errorLine(`too many lines (limit ${this.#limits.rateLimit}/s): dropped`));
      }
      return;
    }
    if (this.#pending >= MAX_PENDING_LINES && !atEnd) {
      this.send(errorLine('the server is busy: line dropped'));
      return;
    }
    const text = sanitizeLine(raw);
    if (text.trim() === '') return;
    if (this.#pending === 0 && this.nick !== '' && !isCommandLine(text)) {
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
  };

  /** A task of the chain failed: the client is told, as by {@link ChatSession.#enqueue}. */
  readonly #failed = (err: unknown): void => {
    this.#pending -= 1;
    this.send(errorLine(err instanceof Error ? err.message : String(err)));
  };

  #enqueue(task: () => Promise<void>): void {
    this.#pending += 1;
    this.#chain = this.#chain.then(task).then(this.#settled, this.#failed);
  }

  #takeToken(): boolean {
    const { rateLimit, rateBurst } = this.#limits;
    if (rateLimit <= 0) return true;
    const now = Date.now();
    this.#tokens = Math.min(
      rateBurst,
      this.#tokens + ((now - this.#lastRefill) / 1000) * rateLimit,
    );
    this.#lastRefill = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #armFlush(): void {
    if (this.#flushTimer !== null) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    if (this.#limits.flushDelay <= 0 || this.#splitter.pending === 0) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      const line = this.#splitter.flush();
      if (line !== null && this.#state === 'open') this.#acceptLine(line);
    }, this.#limits.flushDelay);
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
