/**
 * One shared timer for the idle timeouts of all of a server's connections (or of all the
 * relays of `relayPair` with one timeout), instead of a timer per connection (which costs
 * a timer re-arm on every read and write). In `internal/`: the server layer and the
 * socket layer's relay engine both use it.
 *
 * Every tick (a quarter of the timeout, between 50 ms and 1 s) it compares each
 * connection's `bytesRead + bytesWritten` with the last tick's: if they moved, the
 * connection was active; if they did not move for `timeout` seconds, `onIdle` is called.
 * Counting bytes needs no `'data'` listener, so it never changes how the socket flows.
 * A connection is closed between `timeout` and `timeout + tick` after its last byte.
 * @module
 */

/** What the sweeper watches: anything with byte counters. */
export interface ByteCounters {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

interface Entry {
  counters: ByteCounters;
  seen: number;
  lastActive: number;
  onIdle: () => void;
}

/** Calls `onIdle` for connections without traffic for `timeoutSeconds`. */
export class IdleSweeper {
  readonly #timeoutMs: number;
  readonly #tickMs: number;
  readonly #entries = new Map<object, Entry>();
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutSeconds: number) {
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#tickMs = Math.min(1000, Math.max(50, Math.floor(this.#timeoutMs / 4)));
  }

  /** Starts watching `key` (usually the connection record). */
  add(key: object, counters: ByteCounters, onIdle: () => void): void {
    this.#entries.set(key, {
      counters,
      seen: counters.bytesRead + counters.bytesWritten,
      lastActive: Date.now(),
      onIdle,
    });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), this.#tickMs);
      // Idle bookkeeping alone must never keep the process alive.
      this.#timer.unref();
    }
  }

  /** Stops watching `key`. */
  delete(key: object): void {
    this.#entries.delete(key);
    if (this.#entries.size === 0) this.stop();
  }

  /** Entries watched now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Stops the timer (the server is closing). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      const bytes = entry.counters.bytesRead + entry.counters.bytesWritten;
      if (bytes !== entry.seen) {
        entry.seen = bytes;
        entry.lastActive = now;
      } else if (now - entry.lastActive >= this.#timeoutMs) {
        this.#entries.delete(key);
        entry.onIdle();
      }
    }
    if (this.#entries.size === 0) this.stop();
  }
}
