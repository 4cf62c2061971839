/**
 * Unix datagram sockets for `connect -u -U PATH` and `listen -u -U PATH`, on socketkit's
 * {@link UnixDatagramSocket} (Node's core has no AF_UNIX SOCK_DGRAM). A Unix datagram
 * client must bind a path of its own to get replies, so `connect` binds a temporary one
 * (as ncat does) and removes it when done.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnixDatagramSocket } from '../../socket/unix-datagram.js';
import { claimUnixSocketPath, removeOwnSocketFile } from '../../socket/unix-path.js';
import type { DatagramPeer, DatagramPort } from './datagram-session.js';

function unixPort(
  sock: UnixDatagramSocket,
  to: () => string | null,
  cleanup: string,
): DatagramPort {
  return {
    socket: sock,
    send(data) {
      const path = to();
      return path === null ? null : sock.sendTo(data, { path });
    },
    close: () => sock.close().finally(() => removeOwnSocketFile(cleanup)),
  };
}

/** A Unix datagram socket, bound to a temporary path, that sends to `path`. */
export async function connectUnixDatagram(path: string): Promise<DatagramPort> {
  const sock = new UnixDatagramSocket();
  const local = join(
    tmpdir(),
    `socketkit-nc-${process.pid}-${randomBytes(4).toString('hex')}.sock`,
  );
  try {
    await sock.bind({ path: local });
    await sock.connect({ path });
  } catch (err) {
    await sock.close();
    await removeOwnSocketFile(local);
    throw err;
  }
  return unixPort(sock, () => path, local);
}

/** A Unix datagram socket bound at `path`; `send` answers whoever `peer()` returns. */
export async function bindUnixDatagram(
  path: string,
  peer: () => DatagramPeer | null,
): Promise<{ port: DatagramPort; local: DatagramPeer }> {
  // A stale socket file is removed; anything else there is refused (AddressInUseError).
  await claimUnixSocketPath(path);
  const sock = new UnixDatagramSocket();
  try {
    await sock.bind({ path });
  } catch (err) {
    await sock.close();
    throw err;
  }
  return {
    port: unixPort(sock, () => peer()?.path || null, path),
    local: { path },
  };
}
