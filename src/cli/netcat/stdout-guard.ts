/**
 * When stdout goes away (`socketkit connect … | head -1` closes the pipe), writing to it
 * fails with EPIPE. Unhandled, that 'error' event would crash the process; here it
 * ends the sessions quietly instead, and the command exits 1 (nc dies of SIGPIPE).
 * @module
 */
import type { CliIO } from '../io.js';

/** A stop signal that fires on the command's signal or when stdout breaks. */
export class StdoutGuard {
  readonly signal: AbortSignal;
  readonly #io: CliIO;
  readonly #local = new AbortController();
  #broken = false;

  constructor(io: CliIO) {
    this.#io = io;
    this.signal = AbortSignal.any([io.signal, this.#local.signal]);
    io.stdout.on('error', this.#onError);
  }

  /** True when stdout failed (the reader went away). */
  get broken(): boolean {
    return this.#broken;
  }

  /** Stops watching stdout (the command is done). */
  release(): void {
    this.#io.stdout.off('error', this.#onError);
  }

  #onError = (): void => {
    this.#broken = true;
    this.#local.abort();
  };
}
