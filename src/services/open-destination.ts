/**
 * Opens a proxy's outbound connection: resolves a name through the library's resolver
 * (its /etc/hosts, its timeout, its typed errors), checks every address against the
 * {@link DestinationPolicy}, and connects to a checked address — never to a name, so a
 * second look-up cannot answer differently (DNS rebinding). The addresses are tried in
 * order, all within one connect deadline.
 * @module
 */
import { isIP } from 'node:net';
import { ConnectError, type SocketkitError, SocketTimeoutError } from '../errors.js';
import { encodeProxyHeader } from '../framing/proxy-header.js';
import { getaddrinfo } from '../resolve/getaddrinfo.js';
import type { ConnectionContext } from '../server/handler-types.js';
import { Socket } from '../socket/tcp-socket.js';
import { DestinationRefusedError, type DestinationPolicy } from './destination-policy.js';

/** How the outbound connection is opened. */
export interface OpenDestinationOptions {
  policy: DestinationPolicy;
  /** Seconds for the whole connect (every address tried). */
  connectTimeout: number;
  signal?: AbortSignal;
  /**
   * `--send-proxy-protocol`: a PROXY header (see {@link clientProxyHeader}) written on the
   * connection before anything else.
   */
  proxyHeader?: Buffer | undefined;
}

/**
 * `--send-proxy-protocol v1|v2`: the PROXY header naming a proxy's client (`ctx.remote`)
 * and the address it reached (the connection's local address), for the destination to
 * see who connected; undefined without the option.
 */
export function clientProxyHeader(
  version: 1 | 2 | undefined,
  conn: Socket,
  ctx: ConnectionContext,
): Buffer | undefined {
  if (version === undefined) return undefined;
  let reached = ctx.local;
  try {
    reached = conn.getSockName();
  } catch {
    // Gone already: the listening address will do (the connect that follows fails anyway).
  }
  return encodeProxyHeader(version, { source: ctx.remote, destination: reached });
}

/** An open outbound connection and the address it went to. */
export interface OpenedDestination {
  socket: Socket;
  address: string;
}

/** At most this many of a name's addresses are tried (a name may resolve to hundreds). */
const MAX_ATTEMPTS = 8;

/**
 * The addresses of `host` (a name or an IP literal) that the policy allows for `port`,
 * in the resolver's order.
 * @throws {DestinationRefusedError} when the policy refuses the literal or every address of the name.
 * @throws {HostNotFoundError} when the name does not resolve.
 */
export async function resolveDestination(
  host: string,
  port: number,
  options: { policy: DestinationPolicy; signal?: AbortSignal | undefined },
): Promise<string[]> {
  const { policy } = options;
  if (isIP(host) !== 0) {
    policy.check(host, port);
    return [host];
  }
  const found = await getaddrinfo(host, port, {
    type: 'stream',
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  const addresses = [...new Set(found.map((a) => a.address.host))];
  const allowed = addresses.filter((a) => policy.refusal(a, port) === null);
  if (allowed.length === 0) {
    // Report the first address's reason: what the operator would look at first.
    const reason = policy.refusal(addresses[0] ?? '', port) ?? 'inside';
    throw new DestinationRefusedError(`${host} (${addresses.join(', ')})`, port, reason);
  }
  return allowed;
}

/**
 * Connects to `host` (a name or an IP literal; IPv6 without brackets) and `port`.
 * @throws {DestinationRefusedError} when the policy refuses the literal or every address of the name.
 * @throws {HostNotFoundError} when the name does not resolve.
 * @throws {ConnectError} (`ConnectionRefusedError`, …) or `SocketTimeoutError` when no address answered.
 */
export async function openDestination(
  host: string,
  port: number,
  options: OpenDestinationOptions,
): Promise<OpenedDestination> {
  const candidates = await resolveDestination(host, port, options);
  const deadline = Date.now() + options.connectTimeout * 1000;
  let last: SocketkitError | undefined;
  for (const address of candidates.slice(0, MAX_ATTEMPTS)) {
    const left = (deadline - Date.now()) / 1000;
    if (left <= 0) break;
    try {
      const socket = await Socket.createConnection({ host: address, port }, { timeout: left });
      return { socket: await headerFirst(socket, options.proxyHeader), address };
    } catch (err) {
      last = err as SocketkitError;
      if (options.signal?.aborted === true) break;
    }
  }
  throw (
    last ??
    new SocketTimeoutError('connect', options.connectTimeout, { address: candidates[0], port })
  );
}

/**
 * A PROXY header (`--send-proxy-protocol`, `relay --proxy-protocol`) goes out before
 * anything relayed; a failure resets the socket. Without a header: the socket itself, not
 * a promise of it (a relay opens thousands of connections a second).
 */
export function headerFirst(socket: Socket, header: Buffer | undefined): Socket | Promise<Socket> {
  return header === undefined ? socket : sendHeader(socket, header);
}

async function sendHeader(socket: Socket, header: Buffer): Promise<Socket> {
  try {
    await socket.sendAll(header);
  } catch (err) {
    socket.reset();
    throw err;
  }
  return socket;
}

/** What went wrong opening a destination, in the terms both proxies answer with. */
export type DestinationFailure =
  | 'not-allowed'
  | 'host-not-found'
  | 'network-unreachable'
  | 'host-unreachable'
  | 'refused'
  | 'timeout'
  | 'general';

/** Classifies an {@link openDestination} failure. */
export function classifyFailure(err: unknown): DestinationFailure {
  if (err instanceof DestinationRefusedError) return 'not-allowed';
  const code = (err as { code?: unknown }).code;
  const errno = (err as { errno?: unknown }).errno;
  if (code === 'ERR_HOST_NOT_FOUND') return 'host-not-found';
  if (code === 'ERR_CONNECTION_REFUSED' || errno === 'ECONNREFUSED') return 'refused';
  if (code === 'ERR_SOCKET_TIMEOUT' || errno === 'ETIMEDOUT') return 'timeout';
  if (errno === 'ENETUNREACH') return 'network-unreachable';
  if (errno === 'EHOSTUNREACH' || errno === 'EHOSTDOWN') return 'host-unreachable';
  if (err instanceof ConnectError) {
    // Happy eyeballs' aggregate: the first attempt's errno says most.
    const first = err.attempts[0]?.errno;
    if (first === 'ECONNREFUSED') return 'refused';
    if (first === 'ETIMEDOUT') return 'timeout';
    if (first === 'ENETUNREACH') return 'network-unreachable';
    if (first === 'EHOSTUNREACH') return 'host-unreachable';
  }
  return 'general';
}
