/**
 * SOCKS5 UDP ASSOCIATE (RFC 1928 §7): a UDP port of the proxy's, bound next to the TCP
 * listener's address, that relays datagrams for one client while its TCP connection
 * stays open.
 *
 * ```
 * client ──[RSV FRAG ATYP DST.ADDR DST.PORT | data]──► proxy ──[data]──► destination
 * client ◄─[RSV FRAG ATYP SRC.ADDR SRC.PORT | data]─── proxy ◄─[data]─── destination
 * ```
 *
 * - Only the TCP client's address may use the port (and, once it sent its first datagram
 *   or named a port in the request, only that port); only destinations the client sent to
 *   may answer (at most {@link MAX_PEERS} at once); fragments (FRAG ≠ 0) are dropped.
 * - Every destination passes the destination policy, names resolved here, as for CONNECT;
 *   a refused one is logged and its datagram dropped (UDP has no error reply).
 * - Datagrams are handled one at a time; those arriving meanwhile wait in the datagram
 *   socket's bounded queue (oldest dropped first): nothing grows without bound.
 * - The association ends with its TCP connection, or after the tunnel idle timeout.
 * @module
 */
import { ignoreError } from '../../internal/ignore-error.js';
import { isIP } from 'node:net';
import type { ConnectionContext } from '../../server/handler-types.js';
import { formatSocketAddress } from '../../socket/address.js';
import { DatagramSocket } from '../../socket/datagram-socket.js';
import type { Datagram } from '../../socket/datagram-transport.js';
import type { Socket } from '../../socket/tcp-socket.js';
import { DestinationRefusedError, unmapIPv4 } from '../destination-policy.js';
import { resolveDestination } from '../open-destination.js';
import { printable } from '../printable.js';
import type { SocksConfig } from './socks-session.js';
import { parseUdpHeader, REPLY, socks5Reply, udpHeader } from './socks-wire.js';

/** At most this many destinations may answer one association at once (least recent forgotten). */
export const MAX_PEERS = 256;

/** Serves one UDP association until the client's TCP connection ends. */
export async function relayDatagrams(
  conn: Socket,
  ctx: ConnectionContext,
  config: SocksConfig,
  requestedPort: number,
): Promise<void> {
  if (ctx.local.family === 'unix' || ctx.remote.family === 'unix') {
    await conn.sendAll(socks5Reply(REPLY.commandNotSupported));
    return;
  }
  const family = ctx.local.family === 'IPv6' ? 6 : 4;
  const udp = new DatagramSocket({ family: family === 6 ? 'IPv6' : 'IPv4' });
  try {
    await udp.bind({ host: ctx.local.address, port: 0 });
  } catch (err) {
    config.log('warn', `socks: cannot bind a UDP relay: ${printable((err as Error).message)}`);
    await udp.close();
    await conn.sendAll(socks5Reply(REPLY.generalFailure));
    return;
  }
  const clientHost = ctx.remote.address;
  const clientIp = unmapIPv4(clientHost);
  let clientPort = requestedPort === 0 ? null : requestedPort;
  /** `address|port` of the destinations the client sent to, least recent first. */
  const peers = new Set<string>();
  let datagrams = 0;
  const who = formatSocketAddress(ctx.remote);

  const fromClient = async (d: Datagram, port: number): Promise<void> => {
    const header = parseUdpHeader(d.data);
    if (header === null || header.frag !== 0) return;
    let target: string;
    try {
      const allowed = await resolveDestination(header.host, header.port, {
        policy: config.policy,
        signal: ctx.signal,
      });
      // The relay socket has one family: a name's address of that family, if it has one.
      target = allowed.find((a) => isIP(a) === family) ?? allowed[0]!;
    } catch (err) {
      if (err instanceof DestinationRefusedError) {
        config.log('warn', `socks: refused ${who} (udp) → ${printable(err.message)}`, {
          repeat: 'destination refused',
        });
      }
      return;
    }
    const key = `${target}|${header.port}`;
    peers.delete(key);
    peers.add(key);
    if (peers.size > MAX_PEERS) peers.delete(peers.values().next().value as string);
    clientPort = port;
    await udp.sendTo(d.data.subarray(header.offset), { host: target, port: header.port });
  };

  const fromPeer = async (d: Datagram, address: string, port: number): Promise<void> => {
    if (clientPort === null || !peers.has(`${address}|${port}`)) return;
    await udp.sendTo(Buffer.concat([udpHeader(address, port), d.data]), {
      host: clientHost,
      port: clientPort,
    });
  };

  const pump = (async (): Promise<void> => {
    for await (const d of udp) {
      if (d.address.family === 'unix' || d.truncated) continue;
      datagrams++;
      const address = unmapIPv4(d.address.address);
      const port = d.address.port;
      try {
        if (address === clientIp && (clientPort === null || port === clientPort)) {
          await fromClient(d, port);
        } else {
          await fromPeer(d, address, port);
        }
      } catch {
        // A datagram that could not be sent is lost, as UDP's are.
      }
    }
  })();

  const key = {};
  config.idle?.add(
    key,
    {
      get bytesRead() {
        return conn.raw.bytesRead + datagrams;
      },
      get bytesWritten() {
        return conn.raw.bytesWritten;
      },
    },
    () => void conn.close(),
  );
  try {
    await conn.sendAll(
      socks5Reply(REPLY.succeeded, udp.getSockName() as { address: string; port: number }),
    );
    config.log('debug', `socks: ${who} UDP ASSOCIATE on ${formatSocketAddress(udp.getSockName())}`);
    // The association lives as long as its TCP connection; bytes sent on it mean nothing.
    await conn.onData(() => {});
  } catch {
    // closed, reset or idle: the association ends either way
  } finally {
    config.idle?.delete(key);
    await udp.close();
    await pump.catch(ignoreError('socks:udp-pump'));
  }
}
