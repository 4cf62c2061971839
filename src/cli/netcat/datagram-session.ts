/**
 * A netcat conversation over datagrams (UDP, Unix datagram): each input line goes out
 * as one datagram to the current peer, each datagram received is written to stdout.
 * UDP has no EOF, so the session ends on `-i` (no traffic for that long), on the
 * signal, or — in `connect` — `linger` seconds after input ended without a reply
 * arriving, so that `echo hi | socketkit connect -u host 7` prints the echo and exits.
 *
 * The socket is the library's (`DatagramSocket`, `UnixDatagramSocket`, through the
 * `DatagramTransport` they share): the next datagram is read once stdout took the last
 * one (datagrams arriving meanwhile wait in the socket's bounded queue), and input is
 * paused while too many sends are in flight.
 * @module
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { fromSystemError, type SocketkitError } from '../../errors.js';
import type { PeerAddress } from '../../socket/address.js';
import type { DatagramTransport } from '../../socket/datagram-transport.js';
import { DatagramSplitter } from './datagram-splitter.js';
import type { InputSink, StdinHub } from './stdin-hub.js';

/** Who sent a datagram: an IP address and port, or a Unix socket path. */
export interface DatagramPeer {
  address?: string;
  port?: number;
  path?: string;
}

/** The socket a datagram session talks through (UDP or Unix datagram), and its peer. */
export interface DatagramPort {
  socket: DatagramTransport;
  /** Sends one datagram to the current peer (null: no peer yet, dropped). */
  send(data: Buffer): Promise<number> | null;
  /** Closes the socket (and removes a socket file of its own). */
  close(): Promise<void>;
}

/** A datagram's sender for messages and the peer lock. */
function datagramPeer(address: PeerAddress): DatagramPeer {
  return address.family === 'unix'
    ? { path: address.path }
    : { address: address.address, port: address.port };
}

/** Options of {@link runDatagramSession}. */
export interface DatagramSessionOptions {
  hub: StdinHub | null;
  output: Writable;
  sendOnly?: boolean;
  /** `-i`: end after this many seconds without a datagram either way. */
  idleTimeout?: number | null;
  /** After input ended: how long to wait for more replies (null: until the signal). */
  linger?: number | null;
  /** Listen mode: read input only once a first datagram told us whom to answer. */
  waitForPeer?: boolean;
  /** Decides whether a datagram is taken (peer lock, `--allow`/`--deny`); default all. */
  accept?: (from: DatagramPeer, address: PeerAddress) => boolean;
  /** Called with a peer the first time it sends (for `-v`). */
  onNewPeer?: (from: DatagramPeer) => void;
  dump?: ((chunk: Buffer) => void) | null;
  signal: AbortSignal;
}

/** How a datagram session ended. */
export interface DatagramSessionResult {
  end: 'done' | 'idle' | 'aborted' | 'error';
  error: SocketkitError | null;
  sent: number;
  received: number;
}

/** Datagrams handed to the OS but not yet confirmed, before input is paused. */
const MAX_IN_FLIGHT = 32;

/** Datagrams are read whole: no UDP payload nor Unix datagram is longer. */
const MAX_DATAGRAM = 1024 * 1024;

/** Runs a datagram conversation; always resolves, and closes the port. */
export function runDatagramSession(
  port: DatagramPort,
  options: DatagramSessionOptions,
): Promise<DatagramSessionResult> {
  const { hub } = options;
  return new Promise((resolve) => {
    const splitter = new DatagramSplitter();
    const drainListeners: Array<() => void> = [];
    const seen = new Set<string>();
    let sent = 0;
    let received = 0;
    let inFlight = 0;
    let inputDone = hub === null;
    let attached = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = (
      end: DatagramSessionResult['end'],
      error: SocketkitError | null = null,
    ): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (hub !== null && attached) hub.detach(sink);
      options.signal.removeEventListener('abort', onAbort);
      // Resolved once closed, so that a socket file is gone when the session has ended.
      void port.close().then(() => resolve({ end, error, sent, received }));
    };

    /** (Re)arms the timer that ends the session: `-i` always, `linger` once input is done. */
    const arm = (): void => {
      clearTimeout(timer);
      const wait =
        inputDone && inFlight === 0 ? (options.idleTimeout ?? options.linger) : options.idleTimeout;
      if (wait == null) return;
      // Once input is all sent, silence is how a UDP conversation ends: not an error.
      const end = inputDone && inFlight === 0 ? 'done' : 'idle';
      timer = setTimeout(() => finish(end), wait * 1000);
    };

    const sendOne = (datagram: Buffer): void => {
      if (settled) return;
      inFlight += 1;
      sent += datagram.length;
      options.dump?.(datagram);
      const sending = port.send(datagram) ?? Promise.resolve(0);
      sending.then(
        () => {
          inFlight -= 1;
          if (inFlight < MAX_IN_FLIGHT) for (const l of drainListeners.splice(0)) l();
          afterInput();
        },
        (err: unknown) => finish('error', fromSystemError(err)),
      );
      arm();
    };

    const afterInput = (): void => {
      if (!inputDone || inFlight > 0 || settled) return;
      if (options.sendOnly) finish('done');
      else arm();
    };

    const sink: InputSink = {
      write(chunk) {
        for (const datagram of splitter.push(chunk)) sendOne(datagram);
        return inFlight < MAX_IN_FLIGHT;
      },
      onDrain(listener) {
        drainListeners.push(listener);
      },
      end() {
        const rest = splitter.flush();
        if (rest) sendOne(rest);
        inputDone = true;
        afterInput();
      },
    };

    const attach = (): void => {
      if (attached || hub === null) return;
      attached = true;
      hub.attach(sink);
    };

    /** Takes one datagram; true when stdout is behind (read no more until it drains). */
    const take = (msg: Buffer, address: PeerAddress): boolean => {
      const from = datagramPeer(address);
      if (!(options.accept?.(from, address) ?? true)) return false;
      const key = `${from.path ?? ''}|${from.address ?? ''}|${from.port ?? ''}`;
      if (!seen.has(key)) {
        seen.add(key);
        options.onNewPeer?.(from);
      }
      received += msg.length;
      arm();
      attach();
      if (options.sendOnly) return false;
      options.dump?.(msg);
      return !options.output.write(msg);
    };

    const receive = async (): Promise<void> => {
      const sock = port.socket;
      while (!settled) {
        let datagram;
        try {
          datagram = await sock.recvFrom(MAX_DATAGRAM);
        } catch (err) {
          if (settled) return;
          // A Unix datagram peer that went away is reported by the next send, not here.
          if (sock.transport === 'unix-dgram' && !sock.closed) continue;
          finish('error', fromSystemError(err));
          return;
        }
        if (settled) return;
        if (!take(datagram.data, datagram.address)) continue;
        try {
          await once(options.output, 'drain', { signal: options.signal });
        } catch {
          return; // aborted: the session is ending (onAbort)
        }
      }
    };

    const onAbort = (): void => finish('aborted');
    if (options.signal.aborted) {
      onAbort();
      return;
    }
    options.signal.addEventListener('abort', onAbort, { once: true });
    arm();
    void receive();
    if (!options.waitForPeer) attach();
    afterInput();
  });
}
