/**
 * Summarising repeated log events, so that a flood (9001 refused connections, 20 000
 * failed TLS handshakes, a Redis bus going down and up, slow consumers cut one after the
 * other) costs a few log lines instead of one per event (issue 10, defect 16).
 *
 * ```
 *  event ─► window closed? ─ yes ─► print it in full, open a window of `intervalMs`
 *              │ no: count it (per kind)
 *  window ends ─► counted any? ─ yes ─► one line: "refused 9001 connections in the last
 *                  │                     10 s (maxConnections: 9000, deny: 1)"; next window
 *                  └─ no ─► window closed (the next event is printed in full again)
 * ```
 *
 * One timer per summary key with an open window (not per event), unref'd: a pending
 * summary never keeps the process alive; `flush()` writes it at shutdown.
 * @module
 */

/** How a summary line is written. */
export type SummaryWriter = (
  total: number,
  byKind: ReadonlyMap<string, number>,
  seconds: number,
) => void;

interface Window {
  counts: Map<string, number>;
  total: number;
  started: number;
  timer: NodeJS.Timeout;
  write: SummaryWriter;
}

/** See the module comment. */
export class RepeatSummary {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  /** @param intervalMs the longest time between two lines about one key (default 10 s). */
  constructor(intervalMs = 10_000, now: () => number = () => Date.now()) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * Records one event under `key`, of sub-kind `kind` (shown in the summary's
   * parentheses). Returns true when the caller should log this event in full (the first
   * since the last quiet interval); false when it was counted for the next summary, which
   * `write` produces.
   */
  record(key: string, kind: string, write: SummaryWriter): boolean {
    if (this.count(key, kind)) return false;
    this.#open(key, write);
    return true;
  }

  /**
   * Counts one event under `key` when its window is open (true); false when it is not and
   * the event must go through {@link record}. The cheap first step for events that come
   * by the hundred thousand a second (dropped datagrams): nothing is formatted to count.
   */
  count(key: string, kind: string): boolean {
    const open = this.#windows.get(key);
    if (open === undefined) return false;
    open.counts.set(kind, (open.counts.get(kind) ?? 0) + 1);
    open.total++;
    return true;
  }

  /** Writes every pending summary now and closes the windows (shutdown). */
  flush(): void {
    for (const [key, window] of this.#windows) {
      clearTimeout(window.timer);
      this.#windows.delete(key);
      this.#report(window);
    }
  }

  #open(key: string, write: SummaryWriter): void {
    const window: Window = {
      counts: new Map(),
      total: 0,
      started: this.#now(),
      timer: setTimeout(() => this.#end(key), this.#intervalMs),
      write,
    };
    window.timer.unref();
    this.#windows.set(key, window);
  }

  #end(key: string): void {
    const window = this.#windows.get(key);
    if (window === undefined) return;
    this.#windows.delete(key);
    if (window.total === 0) return;
    this.#report(window);
    // Still busy: keep counting, so the next line comes one interval later at the earliest.
    this.#open(key, window.write);
  }

  #report(window: Window): void {
    if (window.total === 0) return;
    const seconds = Math.max(1, Math.round((this.#now() - window.started) / 1000));
    window.write(window.total, window.counts, seconds);
  }
}

/** `maxConnections: 9000, deny: 1`: the parenthesised part of a summary line. */
export function describeCounts(byKind: ReadonlyMap<string, number>): string {
  return [...byKind].map(([kind, n]) => `${kind}: ${n}`).join(', ');
}
