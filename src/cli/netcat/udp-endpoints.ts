/**
 * The UDP sockets of `connect -u` and `listen -u`, the library's `DatagramSocket` as a
 * {@link DatagramPort}: a connected one for `connect` (so ICMP "port unreachable" is
 * reported), a bound one that answers its last peer for `listen`. Every failure is a
 * socketkit error naming the address.
 * @module
 */
import { isIP } from 'node:net';
import { getaddrinfo } from '../../resolve/getaddrinfo.js';
import { DatagramSocket } from '../../socket/datagram-socket.js';
import type { DatagramPeer, DatagramPort } from './datagram-session.js';

function udpPort(sock: DatagramSocket, to: (data: Buffer) => Promise<number> | null): DatagramPort {
  return { socket: sock, send: to, close: () => sock.close() };
}

/** A UDP socket connected to `host:port` (a name is resolved first, to pick the family). */
export async function connectUdp(
  host: string,
  port: number,
  family: 4 | 6 | undefined,
): Promise<{ port: DatagramPort; remote: DatagramPeer }> {
  let address = host;
  let resolvedFamily: 4 | 6 = isIP(host) === 6 ? 6 : 4;
  if (isIP(host) === 0) {
    // The library's resolver, as TCP connects use: /etc/hosts, its timeout, its errors.
    const [found] = await getaddrinfo(host, port, {
      type: 'dgram',
      family: family === undefined ? 'any' : family === 6 ? 'IPv6' : 'IPv4',
    });
    address = found!.address.host;
    resolvedFamily = found!.family === 'IPv6' ? 6 : 4;
  }
  const sock = new DatagramSocket({ family: resolvedFamily === 6 ? 'IPv6' : 'IPv4' });
  try {
    await sock.connect({ host: address, port });
  } catch (err) {
    await sock.close();
    throw err;
  }
  return { port: udpPort(sock, (data) => sock.send(data)), remote: { address, port } };
}

/** A bound UDP socket; `send` answers whoever `peer()` returns. */
export async function bindUdp(
  host: string | undefined,
  port: number,
  family: 4 | 6 | undefined,
  peer: () => DatagramPeer | null,
): Promise<{ port: DatagramPort; local: DatagramPeer }> {
  const v6 = family === 6 || (family === undefined && (host === undefined || isIP(host) === 6));
  // No host and no -4: bind `::` dual-stack, so IPv4 and IPv6 peers both reach us (as ncat).
  const sock = new DatagramSocket({ family: v6 ? 'IPv6' : 'IPv4', ipv6Only: family === 6 });
  try {
    await sock.bind({ host: host ?? (v6 ? '::' : '0.0.0.0'), port });
  } catch (err) {
    await sock.close();
    throw err;
  }
  const local = sock.getSockName();
  const send = (data: Buffer): Promise<number> | null => {
    const to = peer();
    return to?.address === undefined || to.port === undefined
      ? null
      : sock.sendTo(data, { host: to.address, port: to.port });
  };
  return {
    port: udpPort(sock, send),
    local: local.family === 'unix' ? {} : { address: local.address, port: local.port },
  };
}
