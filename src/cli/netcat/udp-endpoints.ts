/**
 * The datagram sockets of `connect -u` and `listen -u`, adapted to {@link DatagramPort}:
 * a connected UDP socket for `connect`, a bound one that answers its last peer for
 * `listen`. Every failure is a socketkit error naming the address.
 * @module
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { fromSystemError } from '../../errors.js';
import type { DatagramPeer, DatagramPort } from './datagram-session.js';

function udpPort(sock: dgram.Socket, to: () => DatagramPeer | null): DatagramPort {
  let closed = false;
  return {
    send(data, callback) {
      const peer = to();
      if (closed) return;
      if (peer === null) {
        callback(null);
        return;
      }
      if (peer.port === undefined) sock.send(data, callback);
      else sock.send(data, peer.port, peer.address, callback);
    },
    onMessage(listener) {
      sock.on('message', (msg, rinfo) =>
        listener(msg, { address: rinfo.address, port: rinfo.port }),
      );
    },
    onError(listener) {
      sock.on('error', listener);
    },
    close() {
      if (closed) return;
      closed = true;
      sock.close();
    },
  };
}

/** A UDP socket connected to `host:port` (so ICMP "port unreachable" is reported). */
export async function connectUdp(
  host: string,
  port: number,
  family: 4 | 6 | undefined,
): Promise<{ port: DatagramPort; remote: DatagramPeer }> {
  let address = host;
  let resolvedFamily = isIP(host);
  if (resolvedFamily === 0) {
    try {
      const found = await lookup(host, { family: family ?? 0 });
      address = found.address;
      resolvedFamily = found.family;
    } catch (err) {
      throw fromSystemError(err, { hostname: host, port, syscall: 'getaddrinfo' });
    }
  }
  const sock = dgram.createSocket(resolvedFamily === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      sock.close();
      reject(fromSystemError(err, { address, port, syscall: 'connect' }));
    };
    sock.once('error', onError);
    sock.connect(port, address, () => {
      sock.off('error', onError);
      resolve();
    });
  });
  return { port: udpPort(sock, () => ({})), remote: { address, port } };
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
  const bindHost = host ?? (v6 ? '::' : '0.0.0.0');
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: family === 6 });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      sock.close();
      reject(fromSystemError(err, { address: bindHost, port, syscall: 'bind' }));
    };
    sock.once('error', onError);
    sock.bind(port, bindHost, () => {
      sock.off('error', onError);
      resolve();
    });
  });
  const local = sock.address();
  return { port: udpPort(sock, peer), local: { address: local.address, port: local.port } };
}
