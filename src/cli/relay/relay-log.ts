/**
 * The stderr lines of `socketkit relay`: with `-v` one line per relay opened and one per
 * relay closed (bytes each way, how it ended); failures always. Every line goes through
 * `neutralizeTerminalText`: error messages and labels can carry what a peer sent (a
 * certificate's names, a child's output), and none of it reaches the terminal raw.
 * @module
 */
import type { Writable } from 'node:stream';
import { neutralizeTerminalText } from '../terminal-text.js';
import type { RelayResult } from '../../socket/relay-pair.js';

/** Writes relay messages to stderr. */
export class RelayLog {
  readonly #stderr: Writable;
  readonly verbose: boolean;

  constructor(stderr: Writable, verbose: boolean) {
    this.#stderr = stderr;
    this.verbose = verbose;
  }

  /** A `-v` message. */
  info(message: string): void {
    if (this.verbose) this.#write(message);
  }

  /** A message printed whatever the verbosity. */
  warn(message: string): void {
    this.#write(message);
  }

  /**
   * The closing line of one relay: always for a failure, with `-v` otherwise. `labels`
   * name the relay's sides a and b.
   */
  closed(
    name: string,
    result: RelayResult,
    startedAt: number,
    labels: readonly [string, string],
  ): void {
    if (result.end !== 'error' && !this.verbose) return;
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(2);
    const bytes = `${result.forward} bytes →, ${result.backward} bytes ← in ${seconds} s`;
    if (result.end === 'error') {
      const side = result.failed === null ? '' : `${labels[result.failed === 'a' ? 0 : 1]}: `;
      this.warn(
        `${name} failed (${side}${result.error?.message ?? 'error'}); the other side was reset; ${bytes}`,
      );
    } else if (result.end === 'idle') this.info(`${name} closed: idle timeout; ${bytes}`);
    else this.info(`${name} ${result.end}: ${bytes}`);
  }

  #write(message: string): void {
    this.#stderr.write(`socketkit: ${neutralizeTerminalText(message)}\n`);
  }
}
