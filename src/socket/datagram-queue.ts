/**
 * The bounded receive queue of a datagram socket, with the FIFO of waiting receives.
 *
 * Datagrams that arrive while nobody reads are queued up to `maxDatagrams` and
 * `maxBytes`; past either limit the OLDEST queued datagram is dropped and counted
 * (`dropped`), as a kernel drops what overflows its receive buffer, except that the
 * freshest data survives (what a time or chat client wants). A drop is published on
 * the `socketkit:datagram:drop` diagnostics channel.
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import { onAbort } from '../internal/abort-signal.js';
import type { PeerAddress } from './address.js';

/** A queued datagram before it is cut to a receive's `maxBytes`. */
export interface QueuedDatagram {
  data: Buffer;
  address: PeerAddress;
}

/** Limits of a `DatagramQueue`. */
export interface DatagramQueueOptions {
  /** Most datagrams queued. Default 4096. */
  maxDatagrams?: number;
  /** Most payload bytes queued. Default 4 MiB. */
  maxBytes?: number;
}

/** How one receive waits. */
export interface DatagramWait {
  timeoutMs: number | null;
  onTimeout: () => Error;
  wouldBlock?: (() => Error) | null;
  /** Aborts the receive: it rejects with `signal.reason`, having taken no datagram. */
  signal?: AbortSignal | undefined;
}

interface Waiter {
  resolve: (d: QueuedDatagram) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  /** Removes the abort listener; null without a signal. */
  unlisten: (() => void) | null;
}

const dropChannel = channel('socketkit:datagram:drop');

/** Default limits. */
export const DEFAULT_MAX_QUEUED_DATAGRAMS = 4096;
export const DEFAULT_MAX_QUEUED_DATAGRAM_BYTES = 4 * 1024 * 1024;

/** Queued datagrams and waiting receives. */
export class DatagramQueue {
  readonly #maxDatagrams: number;
  readonly #maxBytes: number;
  #items: QueuedDatagram[] = [];
  #bytes = 0;
  #waiters: Waiter[] = [];
  #dropped = 0;
  #closedError: Error | null = null;

  constructor(options: DatagramQueueOptions = {}) {
    this.#maxDatagrams = options.maxDatagrams ?? DEFAULT_MAX_QUEUED_DATAGRAMS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_QUEUED_DATAGRAM_BYTES;
  }

  /** Datagrams dropped so far because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Datagrams waiting to be read. */
  get length(): number {
    return this.#items.length;
  }

  /** Hands a datagram to the oldest waiter, or queues it (dropping the oldest if full). */
  push(d: QueuedDatagram): void {
    if (this.#closedError !== null) return;
    const w = this.#waiters.shift();
    if (w !== undefined) {
      settled(w);
      w.resolve(d);
      return;
    }
    this.#items.push(d);
    this.#bytes += d.data.length;
    while (
      this.#items.length > this.#maxDatagrams ||
      (this.#bytes > this.#maxBytes && this.#items.length > 1)
    ) {
      const old = this.#items.shift()!;
      this.#bytes -= old.data.length;
      this.#dropped++;
      if (dropChannel.hasSubscribers)
        dropChannel.publish({ datagram: old, dropped: this.#dropped });
    }
  }

  /** Rejects the oldest waiter with `err` (an ICMP error on a connected socket); false if none waits. */
  failOne(err: Error): boolean {
    const w = this.#waiters.shift();
    if (w === undefined) return false;
    settled(w);
    w.reject(err);
    return true;
  }

  /** Takes the oldest queued datagram, waiting if none is queued. */
  shift(wait: DatagramWait): Promise<QueuedDatagram> {
    if (this.#closedError !== null) return Promise.reject(this.#closedError);
    const signal = wait.signal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const d = this.#items.shift();
    if (d !== undefined) {
      this.#bytes -= d.data.length;
      return Promise.resolve(d);
    }
    if (wait.wouldBlock) return Promise.reject(wait.wouldBlock());
    return new Promise<QueuedDatagram>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined, unlisten: null };
      if (wait.timeoutMs !== null) {
        w.timer = setTimeout(() => this.#giveUp(w, wait.onTimeout()), wait.timeoutMs);
      }
      if (signal !== undefined) w.unlisten = onAbort(signal, () => this.#giveUp(w, signal.reason));
      this.#waiters.push(w);
    });
  }

  /** A waiting receive times out or is aborted: the next datagram goes to the next one. */
  #giveUp(w: Waiter, err: unknown): void {
    const k = this.#waiters.indexOf(w);
    if (k === -1) return;
    this.#waiters.splice(k, 1);
    settled(w);
    w.reject(err);
  }

  /** Rejects every waiting and future receive with `err`; drops what is queued. */
  close(err: Error): void {
    if (this.#closedError === null) this.#closedError = err;
    this.#items = [];
    this.#bytes = 0;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      settled(w);
      w.reject(err);
    }
  }
}

/** A waiting receive settles: its timer and abort listener go. */
function settled(w: Waiter): void {
  clearTimeout(w.timer);
  if (w.unlisten !== null) w.unlisten();
}
