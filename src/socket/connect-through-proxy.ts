/**
 * `connectThroughProxy`: a stream connection to HOST:PORT opened through a SOCKS4/4a,
 * SOCKS5 (RFC 1928, user/password RFC 1929) or HTTP CONNECT (RFC 9110 §9.3.6, Basic
 * auth) proxy. It resolves with the library's `Socket`, connected to the proxy and
 * already switched to the tunnel: the caller reads and writes the destination's bytes.
 *
 * ```
 *  SOCKS5  → 05 n methods…             ← 05 method          (00 none, 02 user/password)
 *          → 01 ulen user plen pass    ← 01 00              (only with method 02)
 *          → 05 01 00 atyp addr port   ← 05 00 00 atyp addr port, then the tunnel
 *  SOCKS4a → 04 01 port 0.0.0.1 userid 00 name 00   (SOCKS4: the IPv4 address, no name)
 *                                      ← 00 5a port addr, then the tunnel
 *  HTTP    → CONNECT host:port HTTP/1.1\r\nHost: host:port\r\n[Proxy-Authorization]\r\n\r\n
 *                                      ← HTTP/1.1 2xx …\r\n…\r\n\r\n, then the tunnel
 * ```
 *
 * Names are never resolved here: a host that is not an IP literal goes to the proxy as
 * a name (SOCKS5 address type 3, SOCKS4a, the CONNECT authority), so the proxy resolves
 * it (curl's `--socks5-hostname`, ncat's `--proxy-dns remote`). SOCKS4 without the 4a
 * extension cannot carry a name; every SOCKS4 server we know accepts 4a.
 *
 * Why our own handshake rather than the `socks` npm package: the handshake is a few
 * fixed-size reads, which the library's `Socket` already does with bounded sizes, one
 * timeout and `{ signal }` (`recvExactly`/`recvUntil`), reporting the errors of the one
 * error tree; bytes the proxy sends right after its reply stay in the same receive
 * buffer, so nothing is lost at the switch to the tunnel. The package would bring a
 * second connect path (its own `net.Socket`), its own timeouts and error strings, for
 * about 150 lines of wire format, and no HTTP CONNECT.
 *
 * TLS with the destination (`tls`, ncat's `--ssl` with `--proxy`): once the tunnel is up,
 * the same socket starts TLS over it (`Socket.startTls`), naming the destination — not
 * the proxy — for SNI and the certificate check. Bytes the proxy sent past its reply are
 * refused then (a TLS server speaks only after our ClientHello), and a failed handshake
 * destroys the tunnel, so the proxy sees the close at once.
 *
 * Hostile proxies: every read has a fixed size or a bound (`maxReplyHead`), the whole
 * exchange (connect and TLS handshake included) has one deadline (`timeout`), what the proxy sent is
 * quoted in messages only as printable ASCII, and credentials never appear in a message.
 * @module
 */
import * as net from 'node:net';
import {
  ConnectError,
  FrameTooLongError,
  IncompleteReadError,
  InvalidArgumentError,
  ProxyAuthError,
  ProxyProtocolError,
  ProxyRefusedError,
  type ProxyType,
  type SocketErrorDetails,
  SocketTimeoutError,
  TlsFingerprintError,
} from '../errors.js';
import { checkOneOf, checkPort, checkSeconds } from '../internal/check-option.js';
import { checkSignal } from '../internal/abort-signal.js';
import { ipv6Bytes } from '../internal/ipv6-groups.js';
import { Socket } from './tcp-socket.js';
import { pinnedConnectOptions, type TlsConnectOptions } from './tls-pin.js';

export type { ProxyType } from '../errors.js';

/** The proxy types, for option checks and help texts. */
export const PROXY_TYPES: readonly ProxyType[] = ['socks4', 'socks5', 'http'];

/** Seconds the connect to the proxy and its handshake may take together, by default. */
export const DEFAULT_PROXY_TIMEOUT = 30;

/** The most an HTTP proxy's reply head (status line and headers) may take, by default. */
export const DEFAULT_MAX_PROXY_REPLY_HEAD = 16 * 1024;

/** Credentials for the proxy. SOCKS4 sends `username` as its user id and no password. */
export interface ProxyAuth {
  username: string;
  password?: string;
}

/** Options of {@link connectThroughProxy}. */
export interface ConnectThroughProxyOptions {
  /** The proxy's host and port. */
  proxy: { host: string; port: number };
  /** Its protocol. */
  type: ProxyType;
  /** The destination, as the proxy should reach it (a name is resolved by the proxy). */
  host: string;
  port: number;
  /** Credentials (SOCKS5: RFC 1929; HTTP: Basic; SOCKS4: the user id only). */
  auth?: ProxyAuth | undefined;
  /** Seconds for the connect to the proxy and the whole handshake, TLS included (default 30). */
  timeout?: number | undefined;
  /** 'IPv4'/'IPv6': reach the proxy over that family only. */
  family?: 'IPv4' | 'IPv6' | undefined;
  /** HTTP: the most bytes the proxy's reply head may take (default 16 KiB). */
  maxReplyHead?: number | undefined;
  /**
   * TLS with the destination, started over the tunnel once the proxy granted it
   * (`Socket.startTls`): `node:tls` client options as `ConnectOptions.tls` (`{}` for the
   * defaults). The certificate is verified unless `rejectUnauthorized: false`, for
   * `host` (the destination, never the proxy), which is also the SNI when it is a name;
   * or `fingerprint256` pins it instead (`TlsFingerprintError` naming the destination on
   * a mismatch; a malformed pin is refused before connecting to the proxy).
   * `timeout` covers the handshake too.
   */
  tls?: TlsConnectOptions | undefined;
  /** Stops connecting: the call rejects with `signal.reason` and the socket is destroyed. */
  signal?: AbortSignal | undefined;
}

/**
 * Connects to `options.proxy`, asks it for a tunnel to `options.host`:`options.port`, and
 * resolves with the socket once the proxy granted it.
 *
 * @example
 * ```ts
 * const sock = await connectThroughProxy({
 *   proxy: { host: '127.0.0.1', port: 1080 },
 *   type: 'socks5',
 *   host: 'example.test',
 *   port: 80,
 * });
 * await sock.sendAll('GET / HTTP/1.0\r\n\r\n');
 * ```
 * @throws {InvalidArgumentError} for a bad option (a host with control characters, a
 *   SOCKS4 IPv6 destination, credentials a protocol cannot carry), before any I/O.
 * @throws {ProxyRefusedError} the proxy refused the tunnel (`reply`: its code or status).
 * @throws {ProxyAuthError} the proxy wants credentials, or refused the ones given.
 * @throws {ProxyProtocolError} the proxy answered outside its protocol, too much, or closed.
 * @throws {SocketTimeoutError} the proxy (or the TLS handshake) did not finish within `timeout`.
 * @throws {ConnectError} with `tls`: the TLS handshake with the destination failed (a
 *   refused certificate keeps its code in `errno`, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`).
 * @throws {TlsFingerprintError} with `tls.fingerprint256`: the destination's certificate
 *   is not the pinned one (the tunnel is closed before any byte was sent through it).
 * @throws {ConnectError} (and subclasses) the proxy itself could not be reached.
 */
export async function connectThroughProxy(options: ConnectThroughProxyOptions): Promise<Socket> {
  const checked = checkProxyOptions(options);
  const { proxy, type, timeout, signal } = checked;
  const where: SocketErrorDetails & { proxyType: ProxyType } = {
    address: proxy.host,
    port: proxy.port,
    proxyType: type,
  };
  const deadline = performance.now() + timeout * 1000;
  // One deadline for the whole exchange: each wait gets what is left of it, so a proxy
  // that answers one byte at a time cannot stretch the handshake.
  const left = (): number => Math.max(0.001, (deadline - performance.now()) / 1000);
  const sock = new Socket(options.family === undefined ? {} : { family: options.family });
  let phase = 'connect to the proxy';
  try {
    await sock.connect(proxy, { timeout: left(), signal });
    const io: HandshakeIO = {
      send: async (bytes) => {
        sock.setOperationTimeout(left());
        await sock.sendAll(bytes, { signal });
      },
      read: async (n) => {
        sock.setOperationTimeout(left());
        return sock.recvExactly(n, { signal });
      },
      readHead: async (max) => {
        sock.setOperationTimeout(left());
        return sock.recvUntil('\r\n\r\n', { maxBytes: max, signal });
      },
    };
    phase = `${type} handshake`;
    if (type === 'socks5') await socks5(io, checked, where);
    else if (type === 'socks4') await socks4(io, checked, where);
    else await httpConnect(io, checked, where);
    if (checked.tls !== undefined) {
      // A TLS server speaks after our ClientHello, never before: bytes here came from the
      // proxy (or someone on its path), and TLS must not take them for the server's.
      const early = sock.receivedAmount + sock.raw.readableLength;
      if (early > 0) {
        throw new ProxyProtocolError(
          `${proxyLabel(type, proxy)} sent ${early} bytes after its reply, before the TLS handshake with ${authority(checked.host, checked.port)}`,
          where,
        );
      }
      phase = `TLS handshake with ${authority(checked.host, checked.port)}`;
      await sock.startTls({ host: checked.host, tls: checked.tls, timeout: left(), signal });
    }
    sock.setOperationTimeout(null);
    return sock;
  } catch (err) {
    sock.destroy();
    if (signal?.aborted === true && err === signal.reason) throw err;
    if (err instanceof SocketTimeoutError) {
      throw new SocketTimeoutError(`${phase} (${proxyLabel(type, proxy)})`, timeout, {
        ...where,
        syscall: 'connect',
        cause: err,
      });
    }
    if (err instanceof IncompleteReadError) {
      throw new ProxyProtocolError(
        `${proxyLabel(type, proxy)} closed the connection in the middle of its handshake`,
        { ...where, cause: err },
      );
    }
    if (err instanceof ConnectError && err.code === 'ERR_CONNECT' && phase.startsWith('TLS')) {
      // The handshake failed (a refused certificate, …): name the destination, not the
      // proxy the socket is connected to; `errno` and `cause` stay OpenSSL's and Node's.
      const reason = err.cause instanceof Error ? err.cause.message : err.message;
      throw new ConnectError(`${phase} through ${proxyLabel(type, proxy)} failed: ${reason}`, {
        address: checked.host,
        port: checked.port,
        errno: err.errno,
        cause: err.cause ?? err,
      });
    }
    if (err instanceof TlsFingerprintError) {
      // Checked by startTls, which names the address the socket is connected to: the
      // proxy. The certificate is the destination's.
      throw new TlsFingerprintError(err.expected, err.actual, {
        address: checked.host,
        port: checked.port,
        cause: err,
      });
    }
    if (err instanceof FrameTooLongError) {
      throw new ProxyProtocolError(
        `${proxyLabel(type, proxy)} sent a reply head over ${checked.maxReplyHead} bytes without its end`,
        { ...where, cause: err },
      );
    }
    throw err;
  }
}

/** What the handshakes need of the socket: every call bounded by the one deadline. */
interface HandshakeIO {
  send(bytes: Buffer | string): Promise<void>;
  read(n: number): Promise<Buffer>;
  readHead(max: number): Promise<Buffer>;
}

interface CheckedOptions {
  proxy: { host: string; port: number };
  type: ProxyType;
  host: string;
  port: number;
  auth: ProxyAuth | undefined;
  timeout: number;
  maxReplyHead: number;
  tls: TlsConnectOptions | undefined;
  signal: AbortSignal | undefined;
}

/** `socks5 proxy 127.0.0.1:1080`, for messages. */
function proxyLabel(type: ProxyType, proxy: { host: string; port: number }): string {
  return `${type} proxy ${authority(proxy.host, proxy.port)}`;
}

/** `host:port` (IPv6 in brackets). */
function authority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** What the proxy sent, safe to print: printable ASCII only, at most `max` characters. */
function printable(text: string, max: number): string {
  const clean = text.slice(0, max).replace(/[^\x20-\x7e]/g, '?');
  return text.length > max ? `${clean}…` : clean;
}

/** {@link printable}, in quotes (for text that may be empty or mere garbage). */
function quote(text: string, max = 120): string {
  return JSON.stringify(printable(text, max));
}

/** Checks every option before any I/O. */
function checkProxyOptions(options: ConnectThroughProxyOptions): CheckedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('connectThroughProxy needs an options object');
  }
  const type = checkOneOf(options.type, 'type', PROXY_TYPES);
  const proxy = options.proxy as { host?: unknown; port?: unknown } | undefined;
  if (typeof proxy?.host !== 'string' || proxy.host === '') {
    throw new InvalidArgumentError('proxy.host must be a non-empty string');
  }
  checkPort(proxy.port, 'proxy.port');
  if (proxy.port === 0) throw new InvalidArgumentError('proxy.port must be 1 to 65535');
  const host = options.host;
  // A control character, a space or a NUL would let the destination inject protocol
  // text (an HTTP header, a second SOCKS4 field).
  if (typeof host !== 'string' || host === '' || /[\s\x00-\x1f\x7f]/.test(host)) {
    throw new InvalidArgumentError(
      'host must be a non-empty string without spaces or control characters',
    );
  }
  checkPort(options.port, 'port');
  if (options.port === 0) throw new InvalidArgumentError('port must be 1 to 65535');
  const ipFamily = net.isIP(host);
  if (type === 'socks4' && ipFamily === 6) {
    throw new InvalidArgumentError('SOCKS4 cannot reach an IPv6 address: use socks5 or http');
  }
  if (type === 'socks5' && ipFamily === 0 && Buffer.byteLength(host) > 255) {
    throw new InvalidArgumentError('SOCKS5 carries host names of at most 255 bytes');
  }
  const auth = options.auth;
  if (auth !== undefined) checkAuth(type, auth);
  if (options.tls !== undefined && (typeof options.tls !== 'object' || options.tls === null)) {
    throw new InvalidArgumentError('tls must be an object of node:tls client options');
  }
  // The pin is parsed here only to refuse a malformed one before any I/O; startTls
  // parses it again and checks it (tls-pin, the one pin check).
  if (options.tls !== undefined) pinnedConnectOptions(options.tls);
  const timeout = options.timeout ?? DEFAULT_PROXY_TIMEOUT;
  checkSeconds(timeout, 'timeout');
  if (timeout === 0) throw new InvalidArgumentError('timeout must be more than 0 seconds');
  const maxReplyHead = options.maxReplyHead ?? DEFAULT_MAX_PROXY_REPLY_HEAD;
  if (!Number.isSafeInteger(maxReplyHead) || maxReplyHead < 64) {
    throw new InvalidArgumentError('maxReplyHead must be a whole number of at least 64');
  }
  return {
    proxy: { host: proxy.host, port: proxy.port },
    type,
    host,
    port: options.port,
    auth,
    timeout,
    maxReplyHead,
    tls: options.tls,
    signal: checkSignal(options.signal),
  };
}

/** Credentials each protocol can carry (RFC 1929: 1–255 bytes each; Basic: no ':' in the user). */
function checkAuth(type: ProxyType, auth: ProxyAuth): void {
  const { username, password } = auth as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || (password !== undefined && typeof password !== 'string')) {
    throw new InvalidArgumentError('auth must be { username: string, password?: string }');
  }
  if (/[\x00\r\n]/.test(username) || /[\x00\r\n]/.test(password ?? '')) {
    throw new InvalidArgumentError('proxy credentials cannot contain NUL, CR or LF');
  }
  if (type === 'socks4') {
    if (password !== undefined && password !== '') {
      throw new InvalidArgumentError('SOCKS4 has no password: give the user id only');
    }
    if (Buffer.byteLength(username) > 255) {
      throw new InvalidArgumentError('the SOCKS4 user id is limited to 255 bytes here');
    }
    return;
  }
  if (type === 'socks5') {
    const u = Buffer.byteLength(username);
    const p = Buffer.byteLength(password ?? '');
    if (u < 1 || u > 255 || p < 1 || p > 255) {
      throw new InvalidArgumentError(
        'SOCKS5 user/password authentication (RFC 1929) needs a user name and a password of 1 to 255 bytes each',
      );
    }
    return;
  }
  if (username.includes(':')) {
    throw new InvalidArgumentError('an HTTP Basic user name cannot contain ":"');
  }
}

// ── SOCKS5 (RFC 1928, RFC 1929) ─────────────────────────────────────────────────────

const SOCKS5 = 0x05;
const METHOD_NONE = 0x00;
const METHOD_USER_PASSWORD = 0x02;
const METHOD_NO_ACCEPTABLE = 0xff;

/** RFC 1928 §6 reply codes. */
const SOCKS5_REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** The DST.ADDR of a request: IPv4, IPv6, or the name for the proxy to resolve. */
function socks5Address(host: string): Buffer {
  const family = net.isIP(host);
  if (family === 4) return Buffer.from([0x01, ...host.split('.').map(Number)]);
  if (family === 6) return Buffer.concat([Buffer.from([0x04]), ipv6Bytes(host)]);
  const name = Buffer.from(host, 'utf8');
  return Buffer.concat([Buffer.from([0x03, name.length]), name]);
}

function portBytes(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(port);
  return b;
}

async function socks5(
  io: HandshakeIO,
  o: CheckedOptions,
  where: SocketErrorDetails & { proxyType: ProxyType },
): Promise<void> {
  const label = proxyLabel(o.type, o.proxy);
  const protocol = (why: string, reply?: number): ProxyProtocolError =>
    new ProxyProtocolError(`${label}: ${why}`, {
      ...where,
      ...(reply === undefined ? {} : { reply }),
    });
  const methods = o.auth === undefined ? [METHOD_NONE] : [METHOD_NONE, METHOD_USER_PASSWORD];
  await io.send(Buffer.from([SOCKS5, methods.length, ...methods]));
  const choice = await io.read(2);
  if (choice[0] !== SOCKS5) {
    throw protocol(`answered the greeting with version ${choice[0]}, not 5 (not a SOCKS5 proxy?)`);
  }
  const method = choice[1]!;
  if (method === METHOD_NO_ACCEPTABLE) {
    throw new ProxyAuthError(
      o.auth === undefined
        ? `${label} requires authentication (give a user name and password)`
        : `${label} accepts none of the offered methods (no authentication, user/password)`,
      { ...where, reply: method },
    );
  }
  if (!methods.includes(method)) throw protocol(`chose method ${method}, which was not offered`);
  if (method === METHOD_USER_PASSWORD) {
    const user = Buffer.from(o.auth!.username, 'utf8');
    const pass = Buffer.from(o.auth!.password ?? '', 'utf8');
    await io.send(
      Buffer.concat([Buffer.from([0x01, user.length]), user, Buffer.from([pass.length]), pass]),
    );
    const status = await io.read(2);
    if (status[0] !== 0x01)
      throw protocol(`answered user/password with version ${status[0]}, not 1`);
    if (status[1] !== 0x00) {
      // The user name is the caller's own; it is not repeated (logs may be shared).
      throw new ProxyAuthError(`${label} refused the user name and password`, {
        ...where,
        reply: status[1]!,
      });
    }
  }
  await io.send(
    Buffer.concat([Buffer.from([SOCKS5, 0x01, 0x00]), socks5Address(o.host), portBytes(o.port)]),
  );
  const head = await io.read(4);
  if (head[0] !== SOCKS5) throw protocol(`answered CONNECT with version ${head[0]}, not 5`);
  const rep = head[1]!;
  if (rep !== 0x00) {
    throw new ProxyRefusedError(
      `${label} refused CONNECT ${authority(o.host, o.port)}: ${SOCKS5_REPLIES[rep] ?? `reply ${rep}`}`,
      { ...where, reply: rep },
    );
  }
  // BND.ADDR and BND.PORT: read to the end of the reply, so the tunnel starts clean.
  const atyp = head[3]!;
  if (atyp === 0x01) await io.read(4 + 2);
  else if (atyp === 0x04) await io.read(16 + 2);
  else if (atyp === 0x03) await io.read((await io.read(1))[0]! + 2);
  else throw protocol(`answered with address type ${atyp}, which RFC 1928 does not define`);
}

// ── SOCKS4 and SOCKS4a ──────────────────────────────────────────────────────────────

/** SOCKS4 reply codes (besides 90, granted). */
const SOCKS4_REPLIES: Record<number, string> = {
  91: 'request rejected or failed',
  92: 'rejected: the proxy cannot reach our identd',
  93: 'rejected: identd reports a different user id',
};

async function socks4(
  io: HandshakeIO,
  o: CheckedOptions,
  where: SocketErrorDetails & { proxyType: ProxyType },
): Promise<void> {
  const label = proxyLabel(o.type, o.proxy);
  const userId = Buffer.from(o.auth?.username ?? '', 'utf8');
  const isIPv4 = net.isIP(o.host) === 4;
  // SOCKS4a: DSTIP 0.0.0.x (x non-zero) says "the name follows the user id".
  const ip = isIPv4 ? Buffer.from(o.host.split('.').map(Number)) : Buffer.from([0, 0, 0, 1]);
  await io.send(
    Buffer.concat([
      Buffer.from([0x04, 0x01]),
      portBytes(o.port),
      ip,
      userId,
      Buffer.from([0]),
      ...(isIPv4 ? [] : [Buffer.from(o.host, 'utf8'), Buffer.from([0])]),
    ]),
  );
  const reply = await io.read(8);
  if (reply[0] !== 0x00) {
    throw new ProxyProtocolError(
      `${label}: answered with version ${reply[0]}, not 0 (not a SOCKS4 proxy?)`,
      where,
    );
  }
  const cd = reply[1]!;
  if (cd === 90) return;
  if (cd in SOCKS4_REPLIES) {
    throw new ProxyRefusedError(
      `${label} refused CONNECT ${authority(o.host, o.port)}: ${SOCKS4_REPLIES[cd]}`,
      { ...where, reply: cd },
    );
  }
  throw new ProxyProtocolError(`${label}: answered with code ${cd}, which SOCKS4 does not define`, {
    ...where,
    reply: cd,
  });
}

// ── HTTP CONNECT (RFC 9110 §9.3.6) ──────────────────────────────────────────────────

async function httpConnect(
  io: HandshakeIO,
  o: CheckedOptions,
  where: SocketErrorDetails & { proxyType: ProxyType },
): Promise<void> {
  const label = proxyLabel(o.type, o.proxy);
  const target = authority(o.host, o.port);
  const credentials =
    o.auth === undefined
      ? ''
      : `Proxy-Authorization: Basic ${Buffer.from(`${o.auth.username}:${o.auth.password ?? ''}`, 'utf8').toString('base64')}\r\n`;
  await io.send(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${credentials}\r\n`);
  // Bytes after the head stay queued in the socket: the tunnel's first bytes.
  const head = await io.readHead(o.maxReplyHead);
  const statusLine = head.toString('latin1').split('\r\n', 1)[0] ?? '';
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (m === null) {
    throw new ProxyProtocolError(
      `${label} did not answer CONNECT with an HTTP status line: ${quote(statusLine)}`,
      where,
    );
  }
  const status = Number(m[1]);
  if (status >= 200 && status < 300) return;
  if (status === 407) {
    throw new ProxyAuthError(
      o.auth === undefined
        ? `${label} requires authentication (407): give a user name and password`
        : `${label} refused the user name and password (407)`,
      { ...where, reply: status },
    );
  }
  throw new ProxyRefusedError(`${label} refused CONNECT ${target}: ${printable(statusLine, 200)}`, {
    ...where,
    reply: status,
  });
}
