/**
 * Standard input, shared by the connections that send it. In `connect` and plain
 * `listen` there is one; in `listen -k` every connected client gets every chunk (ncat's
 * broadcast). Input is read only while at least one connection is attached, and paused
 * while any of them is behind (backpressure), so nothing typed or piped is lost or
 * buffered without bound.
 * @module
 */
import type { Readable } from 'node:stream';
import { CrlfConverter } from './crlf-converter.js';

/** Where the hub sends input. */
export interface InputSink {
  /** Writes a chunk; false means "pause input until `onDrain` fires". */
  write(chunk: Buffer): boolean;
  /** Calls `listener` once when the sink can take more. */
  onDrain(listener: () => void): void;
  /** Standard input reached its end. */
  end(): void;
}

/** Options of {@link StdinHub}. */
export interface StdinHubOptions {
  /** Convert LF to CRLF (`-C`). */
  crlf?: boolean;
}

/** Fans standard input out to the attached sinks, with backpressure. */
export class StdinHub {
  readonly #input: Readable;
  readonly #crlf: CrlfConverter | null;
  readonly #sinks = new Set<InputSink>();
  readonly #blocked = new Set<InputSink>();
  #started = false;
  #ended = false;

  constructor(input: Readable, options: StdinHubOptions = {}) {
    this.#input = input;
    this.#crlf = options.crlf ? new CrlfConverter() : null;
  }

  /** True once standard input reached its end (or failed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Starts sending input to `sink` (at once `end()` if input already ended). */
  attach(sink: InputSink): void {
    if (this.#ended) {
      sink.end();
      return;
    }
    this.#sinks.add(sink);
    this.#start();
    this.#update();
  }

  /** Stops sending input to `sink`. */
  detach(sink: InputSink): void {
    this.#sinks.delete(sink);
    this.#blocked.delete(sink);
    this.#update();
  }

  /** Stops reading input for good (the command is done). */
  close(): void {
    this.#sinks.clear();
    this.#blocked.clear();
    if (!this.#started) return;
    this.#input.off('data', this.#onData);
    this.#input.off('end', this.#onEnd);
    this.#input.off('error', this.#onEnd);
    this.#input.pause();
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#input.on('data', this.#onData);
    this.#input.on('end', this.#onEnd);
    // A read error on stdin (EIO on a closed terminal) ends input like EOF would.
    this.#input.on('error', this.#onEnd);
  }

  /** Reads only while someone listens and nobody is behind. */
  #update(): void {
    if (!this.#started || this.#ended) return;
    if (this.#sinks.size > 0 && this.#blocked.size === 0) this.#input.resume();
    else this.#input.pause();
  }

  #onData = (data: Buffer | string): void => {
    let chunk = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.#crlf) chunk = this.#crlf.convert(chunk);
    for (const sink of [...this.#sinks]) {
      if (sink.write(chunk) || !this.#sinks.has(sink)) continue;
      this.#blocked.add(sink);
      sink.onDrain(() => {
        this.#blocked.delete(sink);
        this.#update();
      });
    }
    this.#update();
  };

  #onEnd = (): void => {
    if (this.#ended) return;
    this.#ended = true;
    for (const sink of [...this.#sinks]) sink.end();
    this.#sinks.clear();
    this.#blocked.clear();
  };
}
