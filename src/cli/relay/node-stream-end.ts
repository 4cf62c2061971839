/**
 * A relay side over a pair of Node streams: `stdio` (our stdin and stdout), `exec:` (a
 * child's stdout and stdin) and `file:` (a file read, or a file appended to). Reading
 * pauses the `Readable` (its own buffer is bounded by its high-water mark), writing
 * follows the `Writable`'s `write() === false` / `'drain'`.
 *
 * A one-way side has one stream only: a file read (`output` null: what the other peer
 * sends back cannot go anywhere, so it is discarded and counted — the caller says so on
 * stderr) or a file appended to (`input` null: its input is empty, so the other peer gets
 * our EOF at once, as with `socat -u`).
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { RelaySide } from '../../socket/relay-pair.js';
import type { RelayEnd } from './relay-end.js';

/** Options of {@link NodeStreamEnd}. */
export interface NodeStreamEndOptions {
  label: string;
  /** What the side sends (null: nothing, its EOF comes at once). */
  input: Readable | null;
  /** Where what it receives goes (null: nowhere, discarded and counted). */
  output: Writable | null;
  /** `end()` ends `output` (a child's stdin, a file); false for our stdout, which is only flushed. */
  endOutput: boolean;
  /** Called on `reset()` (kills a child). */
  onReset?: () => void;
  /** Called on `close()` once both streams are done (waits for a child to exit). */
  onClose?: () => Promise<void>;
  /**
   * What else the input's end waits for before it counts as a clean EOF (`exec:`: the
   * child's exit); its rejection makes the end a failure, so the other peer is reset.
   */
  inputDone?: () => Promise<void>;
}

/** A pair of Node streams as a relay side. */
export class NodeStreamEnd implements RelayEnd, RelaySide {
  readonly datagram = false;
  readonly label: string;
  readonly #input: Readable | null;
  readonly #output: Writable | null;
  readonly #options: NodeStreamEndOptions;
  #failure: Error | null = null;
  #closed = false;
  /** Bytes that arrived for a side with no output (a file being read). */
  discarded = 0;

  constructor(options: NodeStreamEndOptions) {
    this.label = options.label;
    this.#input = options.input;
    this.#output = options.output;
    this.#options = options;
    options.output?.on('error', (err: Error) => {
      this.#failure ??= err;
    });
  }

  /** The engine drives this end itself. */
  get side(): RelaySide {
    return this;
  }

  read(consumer: (chunk: Buffer) => void): Promise<void> {
    const input = this.#input;
    if (input === null) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      input.on('data', (chunk: Buffer | string) => {
        if (!this.#closed) consumer(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      });
      const done = this.#options.inputDone;
      input.once('end', () => {
        if (done === undefined) resolve();
        else done().then(resolve, reject);
      });
      input.once('error', reject);
      input.once('close', () => {
        // Closed without an end (destroyed): not a clean EOF.
        if (!input.readableEnded)
          reject(this.#failure ?? new Error(`${this.label}: input closed before its end`));
      });
    });
  }

  pauseReading(): void {
    this.#input?.pause();
  }

  resumeReading(): void {
    this.#input?.resume();
  }

  write(chunk: Buffer): boolean {
    const output = this.#output;
    if (output === null) {
      this.discarded += chunk.length;
      return true;
    }
    if (this.#failure !== null || output.destroyed || output.writableEnded) return false;
    return output.write(chunk);
  }

  whenDrained(): Promise<void> {
    const output = this.#output;
    if (output === null) return Promise.resolve();
    if (this.#failure !== null || output.destroyed) {
      return Promise.reject(this.#failure ?? new Error(`${this.label}: output closed`));
    }
    if (!output.writableNeedDrain) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        output.off('drain', settle);
        output.off('close', settle);
        if (output.destroyed) reject(this.#failure ?? new Error(`${this.label}: output closed`));
        else resolve();
      };
      output.on('drain', settle);
      output.on('close', settle);
    });
  }

  end(): Promise<void> {
    const output = this.#output;
    if (output === null || output.destroyed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => {
        if (err) reject(err);
        else resolve();
      };
      if (this.#options.endOutput) {
        if (output.writableFinished) resolve();
        else {
          output.once('error', reject);
          output.end(() => resolve());
        }
      } else output.write('', done);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#input?.pause();
    if (this.#options.endOutput && this.#output !== null && !this.#output.writableEnded) {
      this.#output.end();
    }
    await this.#options.onClose?.();
  }

  reset(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#input?.pause();
    if (this.#options.endOutput) {
      this.#input?.destroy();
      this.#output?.destroy();
    }
    this.#options.onReset?.();
  }

  get bufferedAmount(): number {
    return this.#output?.writableLength ?? 0;
  }
}
