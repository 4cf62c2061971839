/**
 * `listen --broker` (ncat's connection broker): what each client sends goes to every
 * other connected client, never back to the sender; standard input and output are not
 * used. Each client is served in push mode on the library's `Socket` (`onData`, `write`,
 * `bufferedAmount`): no stream of our own, no copy per receiver (every receiver is
 * written the same `Buffer`).
 *
 * ```
 *  client A ─onData─► for each other client B: B.write(chunk)
 *                        B.bufferedAmount > --broker-buffer ─► B is reset (a line with -v)
 *  client A's EOF ─► A leaves (no more bytes go to it) and is closed after its data
 * ```
 *
 * Backpressure policy: senders are never paused for a receiver. Pausing every sender
 * while one receiver is behind would let a single stalled client stop the whole broker
 * for as long as it likes; instead each receiver may be at most `--broker-buffer` bytes
 * behind (default 1 MiB, beyond what its kernel socket buffers hold), and a receiver
 * over that is cut off with a reset — the others never wait for it. The broker's memory
 * is therefore bounded by clients × (`--broker-buffer` + one chunk), clients being
 * bounded by `-m`.
 * @module
 */
import { fromSystemError } from '../../errors.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { NetcatLog } from './netcat-log.js';
import type { StreamSessionResult } from './stream-session.js';

/** The default of `--broker-buffer`, in bytes. */
export const DEFAULT_BROKER_BUFFER = 1024 * 1024;

/** One connected client. */
interface Member {
  readonly sock: Socket;
  readonly label: string;
  sent: number;
  received: number;
  /** Set when the broker cut it off for being too far behind. */
  cut: boolean;
}

/** Relays between every pair of its clients. */
export class Broker {
  readonly #members = new Set<Member>();
  readonly #limit: number;
  readonly #log: NetcatLog;

  /** `limit`: the bytes that may wait for one client (`--broker-buffer`). */
  constructor(limit: number, log: NetcatLog) {
    this.#limit = limit;
    this.#log = log;
  }

  /** Clients currently connected. */
  get size(): number {
    return this.#members.size;
  }

  /**
   * Serves `sock` until it leaves: its EOF (`done`, closed gracefully), a failure
   * (`error`), or a cut for being too slow (`aborted`, logged here with `-v`).
   * Always resolves, with the socket closed.
   */
  serve(sock: Socket, label: string, signal: AbortSignal): Promise<StreamSessionResult> {
    const member: Member = { sock, label, sent: 0, received: 0, cut: false };
    this.#members.add(member);
    const result = (end: StreamSessionResult['end'], err: unknown = null): StreamSessionResult => ({
      end,
      error: err === null ? null : fromSystemError(err),
      sent: member.sent,
      received: member.received,
    });
    const onAbort = (): void => {
      this.#members.delete(member);
      sock.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return sock
      .onData((chunk) => {
        member.received += chunk.length;
        for (const other of this.#members) if (other !== member) this.#deliver(other, chunk);
      })
      .then(
        async () => {
          this.#members.delete(member);
          if (member.cut) return result('aborted');
          // The client is done sending: it gets nothing more, and what it was sent is flushed.
          await sock.close();
          return result(signal.aborted ? 'aborted' : 'done');
        },
        (err: unknown) => {
          this.#members.delete(member);
          sock.destroy();
          return result(member.cut || signal.aborted ? 'aborted' : 'error', err);
        },
      )
      .finally(() => signal.removeEventListener('abort', onAbort));
  }

  #deliver(to: Member, chunk: Buffer): void {
    if (to.cut || !to.sock.canWrite) return;
    to.sock.write(chunk);
    to.sent += chunk.length;
    if (to.sock.bufferedAmount <= this.#limit) return;
    // Too far behind: cut it off rather than buffer without bound or hold the others.
    to.cut = true;
    this.#members.delete(to);
    this.#log.info(
      `${to.label}: disconnected: more than ${this.#limit} bytes were waiting for it (--broker-buffer).`,
    );
    to.sock.reset();
  }
}
