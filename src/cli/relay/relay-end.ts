/**
 * `RelayEnd`: one side of a relay, whatever carries it — a stream connection (TCP, TLS,
 * Unix: the library's `Socket`), a datagram peer (UDP, Unix datagram, a UDP session of
 * `udp-listen`), or a pair of Node streams (stdio, `exec:`, `file:`). The relay engine
 * (`relay-pair.ts`) knows only this contract, which is the push API of
 * `StreamConnection` (`onData`, `write`, `whenDrained`, `pauseReading`/`resumeReading`,
 * `shutdown('write')`, `close`, `reset`) under the names the relay needs.
 * @module
 */

/** One side of a relay. */
export interface RelayEnd {
  /** What the side is, for log lines (`tcp:127.0.0.1:7`, `127.0.0.1:51234`). */
  readonly label: string;
  /** True for a datagram side: it has no EOF, a relay with one ends on its idle timeout. */
  readonly datagram: boolean;
  /**
   * Starts reading: every chunk (or datagram) received goes to `consumer`, in order.
   * Resolves at the peer's EOF (a clean end of its input), rejects when the side fails
   * (a reset, a child that could not run, …).
   */
  read(consumer: (chunk: Buffer) => void): Promise<void>;
  /** Stops reading until `resumeReading()` (the other side is slow). */
  pauseReading(): void;
  resumeReading(): void;
  /** Writes a chunk; false when the side's send buffer is full (wait for `whenDrained`). */
  write(chunk: Buffer): boolean;
  /** Resolves once the side takes more; rejects when it failed or closed first. */
  whenDrained(): Promise<void>;
  /** Half-close: our EOF after everything written (TCP FIN). Resolves once it is out. */
  end(): Promise<void>;
  /** Closes gracefully (after `end` on both directions, or an idle timeout). */
  close(): Promise<void>;
  /** Aborts: a TCP RST where there is one (so the peer sees an error, not an EOF). */
  reset(): void;
  /** Bytes written but not yet taken by the transport. */
  readonly bufferedAmount: number;
}
