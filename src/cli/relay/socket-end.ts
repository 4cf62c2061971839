/**
 * A relay side over the library's `Socket` (TCP, TLS, Unix stream): the push API of
 * `StreamConnection`, one call each — no `net`, `tls` or buffering of its own.
 * @module
 */
import type { Socket } from '../../socket/tcp-socket.js';
import type { RelayEnd } from './relay-end.js';

/** A stream connection as a relay side. */
export class SocketEnd implements RelayEnd {
  readonly datagram = false;
  readonly #sock: Socket;
  readonly label: string;

  constructor(sock: Socket, label: string) {
    this.#sock = sock;
    this.label = label;
  }

  read(consumer: (chunk: Buffer) => void): Promise<void> {
    return this.#sock.onData(consumer);
  }

  pauseReading(): void {
    this.#sock.pauseReading();
  }

  resumeReading(): void {
    this.#sock.resumeReading();
  }

  write(chunk: Buffer): boolean {
    return this.#sock.write(chunk);
  }

  whenDrained(): Promise<void> {
    return this.#sock.whenDrained();
  }

  end(): Promise<void> {
    return this.#sock.shutdown('write');
  }

  close(): Promise<void> {
    return this.#sock.close();
  }

  reset(): void {
    this.#sock.reset();
  }

  get bufferedAmount(): number {
    return this.#sock.bufferedAmount;
  }
}
