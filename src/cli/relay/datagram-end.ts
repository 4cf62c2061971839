/**
 * Relay sides over datagrams: a UDP or Unix datagram peer the relay sends to
 * ({@link DatagramEnd}, `udp:` and `unix-dgram:`), and one client of a `udp-listen:`
 * address ({@link UdpSessionEnd}, fed by the session table of `udp-sessions.ts`).
 *
 * A datagram side has no EOF: each datagram received is one chunk for the other side,
 * and each chunk from the other side goes out as one datagram (split at
 * {@link MAX_DATAGRAM_PAYLOAD}, the most a UDP datagram carries). Sends are counted
 * while the OS has not confirmed them; past {@link MAX_DATAGRAMS_IN_FLIGHT} `write()`
 * says "full" and the other side pauses, so a stream never runs ahead of the socket.
 *
 * `relay --proxy-protocol v2` from `udp-listen:` to `udp:` gives the {@link DatagramEnd}
 * a prefix, the session's PROXY v2 header (DGRAM), put before every datagram it sends:
 * a datagram stands alone, so each must say whom it is for (the spec's 2.2 for UDP).
 * @module
 */
import type { PeerAddress } from '../../socket/address.js';
import type { DatagramSocket } from '../../socket/datagram-socket.js';
import type { RelaySide } from '../../socket/relay-pair.js';
import type { DatagramPort } from '../netcat/datagram-session.js';
import type { RelayEnd } from './relay-end.js';

/** The largest UDP payload (IPv4: 65535 − 8 − 20); longer chunks go out as several datagrams. */
export const MAX_DATAGRAM_PAYLOAD = 65507;

/** Datagrams handed to the OS and not yet confirmed before `write()` says "full". */
export const MAX_DATAGRAMS_IN_FLIGHT = 32;

/** How much of a datagram `recvFrom` keeps: all of it. */
const RECEIVE_SIZE = 65536;

/** The send half both datagram sides share: bounded in-flight sends, one failure kept. */
class DatagramSender {
  #inFlight = 0;
  #bytes = 0;
  #waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  failure: Error | null = null;

  /** Datagrams not sent: too long for one datagram with the prefix (`whole` senders). */
  dropped = 0;

  /**
   * @param whole each chunk is a datagram (from `udp-listen:`) and goes out as one, or not
   *   at all: split, the peer would take its tail for a datagram of its own; empty, it
   *   still goes (the prefix says whom it is from).
   */
  constructor(
    readonly send: (data: Buffer) => Promise<number> | null,
    readonly maxPayload = MAX_DATAGRAM_PAYLOAD,
    readonly whole = false,
  ) {}

  write(chunk: Buffer): boolean {
    if (this.failure !== null) return false;
    if (this.whole) {
      if (chunk.length <= this.maxPayload) this.#sendOne(chunk);
      else this.dropped += 1;
    } else {
      for (let at = 0; at < chunk.length; at += this.maxPayload) {
        this.#sendOne(chunk.subarray(at, at + this.maxPayload));
      }
    }
    return this.#inFlight < MAX_DATAGRAMS_IN_FLIGHT;
  }

  #sendOne(piece: Buffer): void {
    const sent = this.send(piece);
    if (sent === null) return;
    this.#inFlight += 1;
    this.#bytes += piece.length;
    sent.then(
      () => this.#settled(piece.length),
      (err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))),
    );
  }

  whenDrained(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.#inFlight < MAX_DATAGRAMS_IN_FLIGHT) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  get buffered(): number {
    return this.#bytes;
  }

  fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  #settled(bytes: number): void {
    this.#inFlight -= 1;
    this.#bytes -= bytes;
    if (this.#inFlight < MAX_DATAGRAMS_IN_FLIGHT)
      for (const w of this.#waiters.splice(0)) w.resolve();
  }
}

/** A datagram peer (`udp:HOST:PORT`, `unix-dgram:PATH`) as a relay side. */
export class DatagramEnd implements RelayEnd, RelaySide {
  readonly datagram = true;

  /** The engine drives this end itself. */
  get side(): RelaySide {
    return this;
  }

  readonly label: string;
  readonly #port: DatagramPort;
  readonly #sender: DatagramSender;
  #paused = false;
  #resume: (() => void) | null = null;
  #closed = false;

  /**
   * @param prefix bytes put before every datagram sent (a PROXY v2 header). The chunks
   *   are then the datagrams of a `udp-listen:` client, each sent whole with it: one too
   *   long to fit with the prefix is dropped, never split in two.
   */
  constructor(port: DatagramPort, label: string, prefix: Buffer | null = null) {
    this.#port = port;
    this.label = label;
    this.#sender =
      prefix === null || prefix.length === 0
        ? new DatagramSender((data) => port.send(data))
        : new DatagramSender(
            (data) => port.send(Buffer.concat([prefix, data])),
            MAX_DATAGRAM_PAYLOAD - prefix.length,
            true,
          );
  }

  /** Datagrams not sent: too long to go whole with the prefix (logged after the relay). */
  get dropped(): number {
    return this.#sender.dropped;
  }

  async read(consumer: (chunk: Buffer) => void): Promise<void> {
    for (;;) {
      if (this.#paused) await new Promise<void>((resolve) => (this.#resume = resolve));
      if (this.#closed) return;
      let data: Buffer;
      try {
        ({ data } = await this.#port.socket.recvFrom(RECEIVE_SIZE));
      } catch (err) {
        if (this.#closed) return; // closed by us: the end of this side
        throw err; // ICMP port unreachable (ECONNREFUSED), …
      }
      consumer(data);
    }
  }

  pauseReading(): void {
    this.#paused = true;
  }

  resumeReading(): void {
    this.#paused = false;
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }

  write(chunk: Buffer): boolean {
    return this.#sender.write(chunk);
  }

  whenDrained(): Promise<void> {
    return this.#sender.whenDrained();
  }

  /** Datagrams have no EOF: nothing to send. */
  end(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.resumeReading();
    await this.#port.close();
  }

  reset(): void {
    void this.close();
  }

  get bufferedAmount(): number {
    return this.#sender.buffered;
  }
}

/**
 * One client of `udp-listen:` as a relay side: the session table hands it the client's
 * datagrams (`deliver`), and it answers from the listening socket. While the other side
 * is slow (or still connecting), datagrams wait in a queue of `maxQueued`; more are
 * dropped and counted in `dropped` (UDP has no way to hold a sender back).
 */
export class UdpSessionEnd implements RelayEnd, RelaySide {
  readonly datagram = true;

  /** The engine drives this end itself. */
  get side(): RelaySide {
    return this;
  }

  readonly label: string;
  readonly client: PeerAddress & { family: 'IPv4' | 'IPv6' };
  readonly #sender: DatagramSender;
  readonly #maxQueued: number;
  #queue: Buffer[] = [];
  #consumer: ((chunk: Buffer) => void) | null = null;
  #paused = false;
  #closed = false;
  #ended: (() => void) | null = null;
  dropped = 0;

  constructor(
    socket: DatagramSocket,
    client: PeerAddress & { family: 'IPv4' | 'IPv6' },
    label: string,
    maxQueued: number,
  ) {
    this.client = client;
    this.label = label;
    this.#maxQueued = maxQueued;
    this.#sender = new DatagramSender((data) =>
      socket.sendTo(data, { host: client.address, port: client.port }),
    );
  }

  /** A datagram from the client. */
  deliver(data: Buffer): void {
    if (this.#closed) return;
    if (this.#consumer !== null && !this.#paused && this.#queue.length === 0) {
      this.#consumer(data);
      return;
    }
    if (this.#queue.length >= this.#maxQueued) this.dropped += 1;
    else this.#queue.push(data);
  }

  read(consumer: (chunk: Buffer) => void): Promise<void> {
    this.#consumer = consumer;
    const ended = new Promise<void>((resolve) => (this.#ended = resolve));
    this.#flush();
    return ended;
  }

  pauseReading(): void {
    this.#paused = true;
  }

  resumeReading(): void {
    this.#paused = false;
    this.#flush();
  }

  #flush(): void {
    while (!this.#paused && this.#consumer !== null && this.#queue.length > 0 && !this.#closed) {
      this.#consumer(this.#queue.shift()!);
    }
  }

  write(chunk: Buffer): boolean {
    return this.#sender.write(chunk);
  }

  whenDrained(): Promise<void> {
    return this.#sender.whenDrained();
  }

  end(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#ended?.();
  }

  reset(): void {
    void this.close();
  }

  get bufferedAmount(): number {
    return this.#sender.buffered;
  }
}
