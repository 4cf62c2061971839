/**
 * The receiving end of HAProxy's PROXY protocol for stream servers: from a trusted
 * proxy, the header is read before anything else runs, and the client it names becomes
 * the connection's `ctx.remote` — what access lists, per-address limits, `verifyRequest`
 * and the handler see.
 *
 * ```
 *  accept ─► peer in `trusted`? ─ no ─► served as usual (its bytes are data, a header too)
 *               │ yes
 *               ▼ counted against maxConnections; bytes gathered, at most maxHeaderLength
 *          parseProxyHeader ─┬─ done ─► remote = proxiedClient(header, peer)
 *                            │          bytes after the header put back (unshift) for the
 *                            │          handler ─► access lists, limits ─► dispatch
 *                            ├─ not a header / malformed / too long ─► ProxyHeaderError ─┐
 *                            ├─ no complete header within `timeout` s ─► SocketTimeoutError ┼─► destroy,
 *                            └─ peer closed first ─► destroy, nothing reported           │   phase
 *                                                                                        ┘   'proxy-header'
 * ```
 *
 * Only the proxies' addresses are trusted: a header from anyone else is not read (the
 * spec: a receiver must never accept a header from an untrusted peer, or any client
 * could claim any address), and a trusted peer must send one (`required`, default true:
 * the spec forbids guessing). Unix socket peers have no address: on a Unix listener
 * every peer is trusted (the socket file's permissions decide who may connect).
 *
 * Datagrams ({@link DatagramProxyReader}, a `UdpServer`'s `proxyProtocol`): a trusted
 * proxy puts a PROXY v2 header (transport DGRAM) before every datagram it relays. The
 * header is stripped, the client it names becomes `ctx.remote`, and answers go back to
 * the proxy; a datagram from a trusted proxy without a valid header is dropped
 * (published on `refused` with reason `proxyHeader`), never served as the proxy's own.
 * @module
 */
import type net from 'node:net';
import { InvalidArgumentError, ProxyHeaderError, SocketTimeoutError } from '../errors.js';
import { checkBoolean, checkInteger, checkSeconds } from '../internal/check-option.js';
import {
  DEFAULT_MAX_PROXY_HEADER_LENGTH,
  MAX_PROXY_HEADER_LENGTH,
  parseProxyHeader,
  type ProxyHeader,
  startsProxyHeader,
} from '../framing/proxy-header.js';
import { AccessList } from './access-list.js';
import type { PeerAddress } from './handler-types.js';

/** Default seconds a trusted proxy has to send its whole header. */

/**
 * The client a trusted proxy's header names, as the server judges it (`ctx.remote`: what
 * access lists and per-address limits check): the header's source when it is an IP
 * address. LOCAL, UNKNOWN and, on an IP listener, an AF_UNIX source give the proxy
 * itself: a Unix client has no address an `allow` list or a per-address cap could judge,
 * so taking it as the remote would let whatever a proxy relays from a Unix socket past
 * both (the header stays on `ctx.proxyHeader`). On a Unix listener every peer is Unix
 * already, and the header's Unix source is taken.
 */
export function proxiedClient(header: ProxyHeader | null, peer: PeerAddress): PeerAddress {
  const source = header?.source ?? null;
  if (source === null) return peer;
  return source.family !== 'unix' || peer.family === 'unix' ? source : peer;
}

export const DEFAULT_PROXY_HEADER_TIMEOUT = 5;

/** The `proxyProtocol` option of a stream server. */
export interface ProxyProtocolOptions {
  /**
   * Addresses or CIDR blocks of the proxies whose PROXY headers are believed
   * (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`); at least one. Other peers are served as
   * direct clients, their bytes untouched.
   */
  trusted: string[];
  /** Seconds from accept to a complete header (default {@link DEFAULT_PROXY_HEADER_TIMEOUT}). */
  timeout?: number;
  /** The largest header accepted, v2 TLVs included: 16 … 65 551 bytes (default 4096). */
  maxHeaderLength?: number;
  /**
   * True (default): a trusted peer must send a header; anything else closes the
   * connection. False: a trusted peer whose first bytes are not a header's is served as
   * a direct client (for a migration while the proxy is reconfigured).
   */
  required?: boolean;
}

/**
 * The proxies a `proxyProtocol` option trusts, checked: at least one address or CIDR
 * block. `shape` names the option's fields for the error.
 * @throws {InvalidArgumentError} for a bad option.
 */
function trustedProxies(options: { trusted: string[] }, shape: string): AccessList {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`proxyProtocol must be an object ${shape}`);
  }
  if (!Array.isArray(options.trusted) || options.trusted.length === 0) {
    throw new InvalidArgumentError(
      'proxyProtocol.trusted must list the addresses or CIDR blocks of the proxies (at least one)',
    );
  }
  return new AccessList({ allow: options.trusted });
}

/** The checked `maxHeaderLength` of a `proxyProtocol` option (default 4096). */
function maxHeaderLengthOf(value: number | undefined): number {
  return value === undefined
    ? DEFAULT_MAX_PROXY_HEADER_LENGTH
    : checkInteger(value, 'proxyProtocol.maxHeaderLength', 16, MAX_PROXY_HEADER_LENGTH);
}

/** How a header read ended: the header (null: a direct client, `required: false`), or why not. */
export type ProxyHeaderOutcome =
  { header: ProxyHeader | null } | { error: ProxyHeaderError | SocketTimeoutError | null };

/** The checked `proxyProtocol` option: who is trusted, and how a header is read. */
export class ProxyProtocolReader {
  readonly #trusted: AccessList;
  readonly #timeout: number;
  readonly #maxLength: number;
  readonly #required: boolean;

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: ProxyProtocolOptions) {
    this.#trusted = trustedProxies(options, '{ trusted, timeout? }');
    checkSeconds(options.timeout, 'proxyProtocol.timeout');
    this.#timeout = options.timeout ?? DEFAULT_PROXY_HEADER_TIMEOUT;
    if (this.#timeout <= 0) {
      throw new InvalidArgumentError('proxyProtocol.timeout must be more than 0 seconds');
    }
    this.#maxLength = maxHeaderLengthOf(options.maxHeaderLength);
    this.#required =
      options.required === undefined
        ? true
        : checkBoolean(options.required, 'proxyProtocol.required');
  }

  /** True when `peer` (the connection's own peer) is a trusted proxy. */
  trusts(peer: PeerAddress): boolean {
    return this.#trusted.permits(peer);
  }

  /**
   * Reads the header from `raw`'s first bytes, then calls `done` once. On success the
   * socket is left paused with the bytes after the header put back in front of its
   * readable buffer (nothing is lost). On failure the caller destroys the socket.
   * @returns a function that abandons the read (shutdown): `done` is not called then.
   */
  read(
    raw: net.Socket,
    peer: PeerAddress,
    done: (outcome: ProxyHeaderOutcome) => void,
  ): () => void {
    let buffered: Buffer | null = null;
    let over = false;
    const finish = (outcome: ProxyHeaderOutcome | null, rest: Buffer | null): void => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onGone);
      raw.off('close', onGone);
      if (outcome === null) return;
      if ('header' in outcome) {
        raw.pause();
        if (rest !== null && rest.length > 0) raw.unshift(rest);
      }
      done(outcome);
    };
    const onData = (chunk: Buffer): void => {
      // Bounded: the parser refuses more than maxLength bytes of header (a v1 line more
      // than 107), and this holds at most that plus one read.
      buffered = buffered === null ? chunk : Buffer.concat([buffered, chunk]);
      try {
        if (!this.#required) {
          const starts = startsProxyHeader(buffered);
          if (starts === undefined) return;
          if (!starts) {
            finish({ header: null }, buffered);
            return;
          }
        }
        const result = parseProxyHeader(buffered, { maxLength: this.#maxLength });
        if (result.status === 'more') return;
        finish({ header: result.header }, buffered.subarray(result.length));
      } catch (error) {
        finish(
          {
            error: error instanceof ProxyHeaderError ? error : new ProxyHeaderError(String(error)),
          },
          null,
        );
      }
    };
    const onGone = (): void => {
      // A proxy that closes mid-header has broken the protocol; one that closes before
      // sending anything (a health check's bare connect) has not.
      finish(
        {
          error:
            buffered === null
              ? null
              : new ProxyHeaderError(
                  `the connection closed after ${buffered.length} bytes of an incomplete PROXY header`,
                ),
        },
        null,
      );
    };
    const timer = setTimeout(() => {
      finish(
        {
          error: new SocketTimeoutError('PROXY protocol header', this.#timeout, whereOf(peer)),
        },
        null,
      );
    }, this.#timeout * 1000);
    timer.unref();
    raw.on('data', onData);
    raw.on('end', onGone);
    raw.on('close', onGone);
    return () => finish(null, null);
  }
}

function whereOf(peer: PeerAddress): { address?: string; port?: number; path?: string } {
  return peer.family === 'unix' ? { path: peer.path } : { address: peer.address, port: peer.port };
}

/**
 * The `proxyProtocol` option of a `UdpServer`: PROXY v2 over datagrams. Every datagram
 * from a trusted proxy must start with a v2 header (DGRAM transport, or LOCAL); there is
 * no timeout (a datagram is whole) and no v1 (a text line is stream-only).
 */
export interface DatagramProxyProtocolOptions {
  /** Addresses or CIDR blocks of the proxies whose headers are believed; at least one. */
  trusted: string[];
  /** The largest header accepted, TLVs included: 16 … 65 551 bytes (default 4096). */
  maxHeaderLength?: number;
}

/** The checked datagram `proxyProtocol` option: who is trusted, how a header is read. */
export class DatagramProxyReader {
  readonly #trusted: AccessList;
  readonly #maxLength: number;

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: DatagramProxyProtocolOptions) {
    const trusted = trustedProxies(options, '{ trusted }');
    for (const key of Object.keys(options)) {
      if (key !== 'trusted' && key !== 'maxHeaderLength') {
        throw new InvalidArgumentError(
          `proxyProtocol.${key} does not apply to datagrams (only trusted, maxHeaderLength)`,
        );
      }
    }
    this.#trusted = trusted;
    this.#maxLength = maxHeaderLengthOf(options.maxHeaderLength);
  }

  /** True when `peer` (the datagram's sender) is a trusted proxy. */
  trusts(peer: PeerAddress): boolean {
    return this.#trusted.permits(peer);
  }

  /**
   * The header at the start of `packet` and the payload after it; null when the packet
   * does not start with a whole, valid PROXY v2 header for a datagram (v1, a STREAM
   * transport, cut short or malformed): the caller drops it.
   */
  strip(packet: Buffer): { header: ProxyHeader; payload: Buffer } | null {
    let result;
    try {
      result = parseProxyHeader(packet, { maxLength: this.#maxLength });
    } catch (error) {
      if (error instanceof ProxyHeaderError) return null;
      throw error;
    }
    if (result.status !== 'done' || result.header.version !== 2) return null;
    const { header } = result;
    if (header.command === 'proxy' && header.source !== null && header.transport !== 'dgram') {
      return null;
    }
    return { header, payload: packet.subarray(result.length) };
  }
}
