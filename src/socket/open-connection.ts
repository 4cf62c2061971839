/**
 * Starts a stream connection with `net.connect` or `tls.connect`, choosing Node's
 * options from a socketkit address: Unix path or host and port, address family,
 * local address, TLS. Node 20's `autoSelectFamily` (happy eyeballs) tries every
 * address a host name resolves to when no family is forced.
 * @module
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { isUnixAddress, type SocketAddress } from './address.js';

/** What `openConnection` needs to know. */
export interface OpenOptions {
  family?: 'IPv4' | 'IPv6' | 'unix' | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
  tls?: tls.ConnectionOptions | undefined;
  lookup?: net.LookupFunction | undefined;
}

/** Starts connecting; the caller waits for `connect` (or `secureConnect` with TLS). */
export function openConnection(target: SocketAddress, options: OpenOptions): net.Socket {
  // allowHalfOpen: the peer's FIN must not end our side (Python's shutdown semantics).
  const common = { allowHalfOpen: true } as const;
  if (isUnixAddress(target)) {
    return options.tls
      ? tls.connect({ ...options.tls, path: target.path, ...common })
      : net.connect({ path: target.path, ...common });
  }
  const family = options.family;
  const netOptions: net.TcpNetConnectOpts = {
    host: target.host,
    port: target.port,
    ...common,
    ...(family === 'IPv4' ? { family: 4 } : family === 'IPv6' ? { family: 6 } : {}),
    ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
    ...(options.localPort !== undefined ? { localPort: options.localPort } : {}),
    ...(options.lookup !== undefined ? { lookup: options.lookup } : {}),
    autoSelectFamily: family === undefined,
  };
  if (!options.tls) return net.connect(netOptions);
  return tls.connect({
    // SNI needs a host name, never an IP literal.
    servername: net.isIP(target.host) === 0 ? target.host : undefined,
    ...options.tls,
    ...netOptions,
  });
}
