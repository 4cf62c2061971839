/**
 * Summarised log lines for dropped datagrams. A flood (or a reflection attempt) drops
 * datagrams by the hundred thousand a second; one line each would flood the operator's
 * log in turn. The first drop of a kind (server × reason) is reported at once, the rest
 * are counted and reported once per interval ("dropped 9001 more datagrams in the last
 * 10 s"); a kind quiet for a whole interval is forgotten, so its next drop is again
 * reported at once. The table holds one entry per server and reason: bounded.
 * @module
 */

/** One kind of drop being counted. */
interface Pending {
  label: object;
  reason: string;
  count: number;
  /** The source of the latest drop, as a log line shows it. */
  last: string;
}

/** What {@link DropSummary} reports. */
export interface DropReport {
  label: object;
  reason: string;
  /** 0 for the first drop (reported at once); else how many were dropped since. */
  count: number;
  /** The source of the (latest) drop. */
  remote: string;
  /** The seconds the count covers. */
  seconds: number;
}

/** See the module comment. */
export class DropSummary {
  readonly #intervalMs: number;
  readonly #report: (report: DropReport) => void;
  readonly #pending = new Map<string, Pending>();
  readonly #labels = new WeakMap<object, number>();
  #nextLabel = 0;
  #timer: NodeJS.Timeout | undefined;
  /** When the current counting window began (performance.now()). */
  #windowStart = 0;

  /** @param intervalMs how often counted drops are reported. */
  constructor(intervalMs: number, report: (report: DropReport) => void) {
    this.#intervalMs = intervalMs;
    this.#report = report;
  }

  /** Counts one drop of `reason` by the server `label`, from `remote`. */
  add(label: object, reason: string, remote: string): void {
    let id = this.#labels.get(label);
    if (id === undefined) {
      id = this.#nextLabel++;
      this.#labels.set(label, id);
    }
    const key = `${id} ${reason}`;
    const pending = this.#pending.get(key);
    if (pending !== undefined) {
      pending.count++;
      pending.last = remote;
      return;
    }
    this.#pending.set(key, { label, reason, count: 0, last: remote });
    this.#report({ label, reason, count: 0, remote, seconds: 0 });
    if (this.#timer === undefined) {
      this.#windowStart = performance.now();
      this.#timer = setInterval(() => this.flush(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** Reports what was counted; forgets the kinds that dropped nothing since the last flush. */
  flush(): void {
    const now = performance.now();
    const seconds = Math.round((now - this.#windowStart) / 100) / 10;
    this.#windowStart = now;
    for (const [key, p] of this.#pending) {
      if (p.count === 0) {
        this.#pending.delete(key);
        continue;
      }
      this.#report({
        label: p.label,
        reason: p.reason,
        count: p.count,
        remote: p.last,
        seconds,
      });
      p.count = 0;
    }
    if (this.#pending.size === 0) this.stop();
  }

  /** Stops the timer (what is counted and not yet flushed is not reported). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
