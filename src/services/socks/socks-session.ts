/**
 * One SOCKS client: the negotiation read with the socket's `recvExactly` (each field is
 * read at its exact length, so no input is ever buffered beyond what the protocol names),
 * within one request deadline; then the destination is opened under the destination
 * policy and the tunnel relays. Bytes a client sent ahead of our reply stay queued in the
 * socket and go first into the tunnel.
 * @module
 */
import { ignoreError } from '../../internal/ignore-error.js';
import type { ConnectionContext, StreamHandler } from '../../server/handler-types.js';
import type { IdleSweeper } from '../../internal/idle-sweeper.js';
import { relayPair } from '../../socket/relay-pair.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { Credentials } from '../credentials-file.js';
import { DestinationRefusedError, type DestinationPolicy } from '../destination-policy.js';
import { classifyFailure, clientProxyHeader, openDestination } from '../open-destination.js';
import { printable } from '../printable.js';
import type { ServiceEnv } from '../service.js';
import { relayDatagrams } from './udp-association.js';
import { formatSocketAddress } from '../../socket/address.js';
import {
  ATYP_DOMAIN,
  ATYP_IPV4,
  ATYP_IPV6,
  AUTH_VERSION,
  CMD_CONNECT,
  CMD_UDP_ASSOCIATE,
  ipv4Text,
  ipv6Text,
  isPlausibleName,
  METHOD_NONE,
  METHOD_PASSWORD,
  METHOD_UNACCEPTABLE,
  REPLY,
  replyFor,
  SOCKS4,
  SOCKS4_GRANTED,
  SOCKS4_REJECTED,
  SOCKS5,
  socks4Reply,
  socks5Reply,
} from './socks-wire.js';

/** What every session of one service shares. */
export interface SocksConfig {
  policy: DestinationPolicy;
  /** When set, user/password is required (RFC 1929) and no-auth is refused. */
  credentials: Credentials | null;
  connectTimeout: number;
  requestTimeout: number;
  /** SOCKS4/4a clients are served (only when no credentials are required). */
  socks4: boolean;
  /** UDP ASSOCIATE is served (`--socks-udp`). */
  udp: boolean;
  /** Seconds a tunnel may go without a byte either way (0 = none). */
  idleTimeout: number;
  /** The same timeout for UDP associations (their TCP connection carries nothing). */
  idle: IdleSweeper | undefined;
  log: ServiceEnv['log'];
  /** `--send-proxy-protocol`: a PROXY header naming the client goes to each destination first. */
  sendProxyProtocol?: 1 | 2 | undefined;
}

/** A destination a client asked for. */
interface Target {
  host: string;
  port: number;
  version: typeof SOCKS4 | typeof SOCKS5;
  /** CONNECT, or (SOCKS5 only) UDP ASSOCIATE. */
  command: 'connect' | 'udp';
}

/** The stream handler of `serve socks`. */
export function socksHandler(config: SocksConfig): StreamHandler {
  return async (conn, ctx) => {
    // One deadline for the whole negotiation: a client that trickles bytes cannot hold
    // a connection slot for longer. destroy() makes the waiting read reject.
    const deadline = setTimeout(() => {
      config.log(
        'debug',
        `socks: ${formatSocketAddress(ctx.remote)} did not finish its request in time`,
      );
      conn.destroy();
    }, config.requestTimeout * 1000);
    deadline.unref();
    let target: Target | null;
    try {
      target = await negotiate(conn, ctx, config);
    } catch {
      return; // the client closed, reset or timed out mid-negotiation: nothing to answer
    } finally {
      clearTimeout(deadline);
    }
    if (target === null) return;
    if (target.command === 'udp') await relayDatagrams(conn, ctx, config, target.port);
    else await connectAndRelay(conn, ctx, config, target);
  };
}

async function negotiate(
  conn: Socket,
  ctx: ConnectionContext,
  config: SocksConfig,
): Promise<Target | null> {
  const version = (await conn.recvExactly(1))[0];
  if (version === SOCKS4 && config.socks4 && config.credentials === null) {
    return negotiate4(conn, ctx, config);
  }
  if (version !== SOCKS5) {
    config.log(
      'debug',
      `socks: ${formatSocketAddress(ctx.remote)} sent version ${version}: closed`,
      {
        repeat: 'bad version',
      },
    );
    if (version === SOCKS4) await conn.sendAll(socks4Reply(SOCKS4_REJECTED));
    return null;
  }
  const count = (await conn.recvExactly(1))[0]!;
  const methods = count === 0 ? Buffer.alloc(0) : await conn.recvExactly(count);
  const wanted = config.credentials === null ? METHOD_NONE : METHOD_PASSWORD;
  if (!methods.includes(wanted)) {
    await conn.sendAll(Buffer.from([SOCKS5, METHOD_UNACCEPTABLE]));
    return null;
  }
  await conn.sendAll(Buffer.from([SOCKS5, wanted]));
  if (config.credentials !== null && !(await authenticate(conn, ctx, config.credentials, config))) {
    return null;
  }
  const [ver, cmd, , atyp] = await conn.recvExactly(4);
  if (ver !== SOCKS5) {
    await conn.sendAll(socks5Reply(REPLY.generalFailure));
    return null;
  }
  let host: string;
  if (atyp === ATYP_IPV4) host = ipv4Text(await conn.recvExactly(4));
  else if (atyp === ATYP_IPV6) host = ipv6Text(await conn.recvExactly(16));
  else if (atyp === ATYP_DOMAIN) {
    const length = (await conn.recvExactly(1))[0]!;
    const name = length === 0 ? Buffer.alloc(0) : await conn.recvExactly(length);
    host = name.toString('latin1');
    if (!isPlausibleName(host)) {
      config.log(
        'debug',
        `socks: ${formatSocketAddress(ctx.remote)} asked for "${printable(name)}": not a host name`,
      );
      await conn.sendAll(socks5Reply(REPLY.hostUnreachable));
      return null;
    }
  } else {
    // The address's length is unknown: nothing after it can be read.
    await conn.sendAll(socks5Reply(REPLY.addressTypeNotSupported));
    return null;
  }
  const port = (await conn.recvExactly(2)).readUInt16BE(0);
  if (cmd === CMD_UDP_ASSOCIATE && config.udp)
    return { host, port, version: SOCKS5, command: 'udp' };
  if (cmd !== CMD_CONNECT) {
    // BIND is not offered (nor UDP ASSOCIATE when --socks-udp is off).
    await conn.sendAll(socks5Reply(REPLY.commandNotSupported));
    return null;
  }
  return { host, port, version: SOCKS5, command: 'connect' };
}

/** RFC 1929; false (after the failure reply) when the user is unknown or the password wrong. */
async function authenticate(
  conn: Socket,
  ctx: ConnectionContext,
  credentials: Credentials,
  config: SocksConfig,
): Promise<boolean> {
  const [ver, ulen] = await conn.recvExactly(2);
  const user = ulen === 0 ? Buffer.alloc(0) : await conn.recvExactly(ulen!);
  const plen = (await conn.recvExactly(1))[0]!;
  const password = plen === 0 ? Buffer.alloc(0) : await conn.recvExactly(plen);
  const ok = ver === AUTH_VERSION && credentials.verify(user, password);
  await conn.sendAll(Buffer.from([AUTH_VERSION, ok ? 0x00 : 0x01]));
  if (!ok) {
    config.log(
      'warn',
      `socks: ${formatSocketAddress(ctx.remote)}: authentication failed for "${printable(user)}"`,
      {
        repeat: 'auth failed',
      },
    );
  }
  return ok;
}

/** SOCKS4 and 4a: CONNECT only; the user id is read and ignored (no passwords in SOCKS4). */
async function negotiate4(
  conn: Socket,
  ctx: ConnectionContext,
  config: SocksConfig,
): Promise<Target | null> {
  const head = await conn.recvExactly(7);
  const cmd = head[0];
  const port = head.readUInt16BE(1);
  const ip = head.subarray(3, 7);
  await conn.recvUntil('\0', { maxBytes: 256 }); // USERID
  let host = ipv4Text(ip);
  // 4a: 0.0.0.x (x ≠ 0) means "the name follows".
  if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0) {
    const name = await conn.recvUntil('\0', { maxBytes: 256 });
    host = name.toString('latin1');
    if (!isPlausibleName(host)) {
      config.log(
        'debug',
        `socks: ${formatSocketAddress(ctx.remote)} asked for "${printable(name)}": not a host name`,
      );
      await conn.sendAll(socks4Reply(SOCKS4_REJECTED));
      return null;
    }
  }
  if (cmd !== CMD_CONNECT) {
    await conn.sendAll(socks4Reply(SOCKS4_REJECTED));
    return null;
  }
  return { host, port, version: SOCKS4, command: 'connect' };
}

async function connectAndRelay(
  conn: Socket,
  ctx: ConnectionContext,
  config: SocksConfig,
  target: Target,
): Promise<void> {
  const shown = `${printable(target.host)}:${target.port}`;
  let opened;
  try {
    opened = await openDestination(target.host, target.port, {
      policy: config.policy,
      connectTimeout: config.connectTimeout,
      signal: ctx.signal,
      proxyHeader: clientProxyHeader(config.sendProxyProtocol, conn, ctx),
    });
  } catch (err) {
    const failure = classifyFailure(err);
    if (err instanceof DestinationRefusedError) {
      config.log(
        'warn',
        `socks: refused ${formatSocketAddress(ctx.remote)} → ${printable(err.message)}`,
        {
          repeat: 'destination refused',
        },
      );
    } else {
      config.log(
        'debug',
        `socks: ${formatSocketAddress(ctx.remote)} → ${shown}: ${printable((err as Error).message)}`,
      );
    }
    await conn
      .sendAll(
        target.version === SOCKS5 ? socks5Reply(replyFor(failure)) : socks4Reply(SOCKS4_REJECTED),
      )
      .catch(ignoreError('socks:failure-reply'));
    return;
  }
  const destination = opened.socket;
  try {
    const bound = destination.getSockName();
    await conn.sendAll(
      target.version === SOCKS5
        ? socks5Reply(REPLY.succeeded, bound as { address: string; port: number })
        : socks4Reply(SOCKS4_GRANTED),
    );
  } catch {
    destination.destroy();
    return;
  }
  config.log('debug', `socks: ${formatSocketAddress(ctx.remote)} → ${shown} (${opened.address})`);
  await relayPair(conn, destination, {
    idleTimeout: config.idleTimeout,
    labels: ['client', 'destination'],
  });
}
