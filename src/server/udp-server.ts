/**
 * `UdpServer`: Python's `UDPServer` — one handler call per datagram.
 * @module
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { fromSystemError, InvalidArgumentError } from '../errors.js';
import { checkPort } from '../internal/check-option.js';
import { toPeerAddress } from '../socket/address.js';
import { DatagramServer, type DatagramServerOptions } from './datagram-server.js';
import type { PeerAddress } from './handler-types.js';
import {
  type DatagramProxyProtocolOptions,
  DatagramProxyReader,
  proxiedClient,
} from './proxy-protocol.js';

/** Options of a `UdpServer`: the datagram server options and a UDP address. */
export interface UdpServerOptions extends DatagramServerOptions {
  /** The address to bind; default `127.0.0.1` (loopback only). `::` = every interface, dual stack. */
  host?: string;
  /** The port; 0 (the default) picks a free one. */
  port?: number;
  /** With host `::`: IPv6 only. Default false. */
  ipv6Only?: boolean;
  /**
   * Accept HAProxy's PROXY protocol v2 over datagrams from the proxies in `trusted`:
   * each of their datagrams starts with a header (stripped), `ctx.remote` is the client
   * it names, `ctx.via` the proxy, where answers go. A datagram from a trusted proxy
   * without a valid header is dropped (`refused`, reason `proxyHeader`); other senders
   * are served as usual.
   */
  proxyProtocol?: DatagramProxyProtocolOptions;
}

/**
 * A UDP server.
 *
 * @example
 * ```ts
 * await using server = await new UdpServer({
 *   port: 7007,
 *   handler: (packet, ctx) => ctx.reply(packet), // echo
 * }).listen();
 * ```
 */
export class UdpServer extends DatagramServer {
  readonly #host: string;
  readonly #port: number;
  readonly #options: UdpServerOptions;
  /** The `proxyProtocol` option, checked; null without it. */
  readonly #proxy: DatagramProxyReader | null;
  #socket: dgram.Socket | null = null;
  /**
   * The bound address, read once: every datagram's context names it, and asking the
   * kernel (getsockname) for each datagram cost a syscall per datagram.
   */
  #local: PeerAddress | null = null;
  /**
   * True while our own reply is being sent. Its address came from the kernel (a
   * datagram's source), so the socket's lookup hands it back at once instead of through
   * `dns.lookup()` (an `isIP` test and a `process.nextTick` per datagram).
   */
  #replying = false;
  /**
   * The completion callback of every `ctx.send()`: one function for the server's life,
   * not a closure per datagram; it reports failures (the address is on the error).
   */
  readonly #onSent = (err: Error | null): void => {
    if (err === null || err === undefined) return;
    const e = err as Error & { address?: string; port?: number };
    const address = e.address ?? '';
    const port = e.port ?? 0;
    this.reportError(fromSystemError(err, { syscall: 'send', address, port }), {
      phase: 'reply',
      remote: toPeerAddress(address, port, undefined),
    });
  };

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: UdpServerOptions) {
    super(options);
    const port = options.port ?? 0;
    checkPort(port);
    if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
      throw new InvalidArgumentError('host must be a non-empty string');
    }
    this.#host = options.host ?? '127.0.0.1';
    this.#port = port;
    this.#options = options;
    this.#proxy =
      options.proxyProtocol === undefined ? null : new DatagramProxyReader(options.proxyProtocol);
  }

  get transport(): 'udp' {
    return 'udp';
  }

  /** The bound `dgram.Socket` (an escape hatch); null before `listen()`. */
  get raw(): dgram.Socket | null {
    return this.#socket;
  }

  protected localAddress(): PeerAddress {
    if (this.#local !== null) return this.#local;
    if (this.#socket !== null) {
      try {
        const a = this.#socket.address();
        this.#local = toPeerAddress(a.address, a.port, a.family);
        return this.#local;
      } catch {
        // Not bound (yet, or any more): the configured address below is the answer.
      }
    }
    return toPeerAddress(this.#host, this.#port, undefined);
  }

  protected async bind(): Promise<void> {
    this.#local = null;
    const type = isIP(this.#host) === 6 ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({
      type,
      ipv6Only: this.#options.ipv6Only ?? false,
      // dgram calls it as lookup(address, 4 | 6, callback), whatever @types/node says.
      lookup: (address, family, callback) => {
        if (this.#replying) callback(null, address, family as unknown as number);
        else dns.lookup(address, family, callback);
      },
    });
    socket.on('message', (msg, rinfo) => {
      const peer = toPeerAddress(rinfo.address, rinfo.port, rinfo.family);
      if (this.#proxy === null || !this.#proxy.trusts(peer)) {
        this.receive(msg, peer);
        return;
      }
      const stripped = this.#proxy.strip(msg);
      if (stripped === null) {
        this.dropDatagram(peer, 'proxyHeader');
        return;
      }
      const { header, payload } = stripped;
      this.receive(payload, proxiedClient(header, peer), { peer, header });
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: unknown): void => {
        socket.close();
        reject(fromSystemError(err, { syscall: 'bind', address: this.#host, port: this.#port }));
      };
      socket.once('error', onError);
      socket.bind({ address: this.#host, port: this.#port }, () => {
        socket.off('error', onError);
        // ICMP errors from a send (port unreachable) arrive here: never fatal for a server.
        socket.on('error', (error) => this.reportError(error, { phase: 'reply' }));
        resolve();
      });
    });
    this.#socket = socket;
  }

  protected sendTo(data: Buffer, remote: PeerAddress): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#send(data, remote, (err) =>
        err
          ? reject(
              fromSystemError(err, {
                syscall: 'send',
                address: remote.family === 'unix' ? '' : remote.address,
                port: remote.family === 'unix' ? 0 : remote.port,
              }),
            )
          : resolve(),
      );
    });
  }

  protected override sendAndForget(data: Buffer, remote: PeerAddress): void {
    try {
      this.#send(data, remote, this.#onSent);
    } catch (error) {
      this.reportError(error, { phase: 'reply', remote });
    }
  }

  /**
   * `send()` on the socket, straight from the caller (the handler, usually still in the
   * receive callback). The callback is what tells a failure: without one, dgram drops
   * send errors silently.
   * @throws {InvalidArgumentError} when the socket is closed or `remote` is not an IP address.
   */
  #send(data: Buffer, remote: PeerAddress, callback: (err: Error | null) => void): void {
    const socket = this.#socket;
    if (socket === null || remote.family === 'unix') {
      throw new InvalidArgumentError('cannot reply: the server socket is closed');
    }
    this.#replying = true;
    try {
      socket.send(data, remote.port, remote.address, callback);
    } finally {
      this.#replying = false;
    }
  }

  protected override async cleanup(): Promise<void> {
    this.#local = null;
    const socket = this.#socket;
    if (socket === null) return;
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
