/**
 * `RelayEnd`: one side of `socketkit relay` as the command knows it — a label for log
 * lines, whether it carries datagrams, and `side`, what the library's relay engine
 * (`relayPair`, `src/socket/relay-pair.ts`) drives: the `Socket` itself for a stream
 * connection (TCP, TLS, Unix: no adapter, the engine uses its push API), or a
 * `RelaySide` for what is not a socket — a pair of Node streams (stdio, `exec:`,
 * `file:`: `node-stream-end.ts`) or a datagram peer (`datagram-end.ts`).
 * @module
 */
import type { RelayEndpoint } from '../../socket/relay-pair.js';
import type { Socket } from '../../socket/tcp-socket.js';

/** One side of a relay. */
export interface RelayEnd {
  /** What the side is, for log lines (`tcp:127.0.0.1:7`, `127.0.0.1:51234`). */
  readonly label: string;
  /** True for a datagram side: it has no EOF, a relay with one ends on its idle timeout. */
  readonly datagram: boolean;
  /** What `relayPair` relays. */
  readonly side: RelayEndpoint;
}

/** A stream connection (the library's `Socket`) as a relay end. */
export class SocketEnd implements RelayEnd {
  readonly datagram = false;

  constructor(
    readonly side: Socket,
    readonly label: string,
  ) {}
}
