/**
 * Creating and binding the listening `net.Server` or `tls.Server` of a stream server,
 * with Node's errors turned into the socketkit error tree.
 *
 * On reuse: libuv sets `SO_REUSEADDR` on every TCP listening socket it creates (on Unix),
 * so a server restarted right after serving clients binds its port again at once even
 * though the old connections linger in TIME_WAIT — the Python tutorials' "Address already
 * in use" (S15) does not happen. `EADDRINUSE` therefore means a live process holds the
 * port, and `AddressInUseError` says so.
 * @module
 */
import net from 'node:net';
import { fromSystemError } from '../errors.js';
import { createTlsServer } from '../socket/tls-server.js';

/** TLS for a stream server: PEM key and certificate (contents, not file names). */
export interface ServerTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA certificates to verify client certificates with. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Ask clients for a certificate and refuse those without a valid one. Default false. */
  requestCert?: boolean;
}

/** What a listener reports back to its server. */
export interface ListenerEvents {
  /**
   * A connection ready for the handler (after the TLS handshake, with TLS; `raw` is then
   * the TCP socket under it, otherwise `socket` itself).
   */
  onConnection: (socket: net.Socket, raw: net.Socket) => void;
  /**
   * TLS only: a raw TCP connection before the handshake; return false when it was
   * refused (the callee closed it). Without it every connection starts a handshake.
   */
  onRawConnection?: (socket: net.Socket) => boolean;
  /**
   * TLS only: a connection `onRawConnection` admitted is gone before its handshake
   * completed (already destroyed); `error` says why, `null` when the client hung up.
   */
  onAbandoned?: (raw: net.Socket, error: Error | null) => void;
  /** An error of the listening socket (see `listenOn`). */
  onError: (error: unknown, phase: 'tls-handshake' | 'accept') => void;
  /** TLS only: seconds from accept to a completed handshake (default 10). */
  handshakeTimeout?: number;
  /**
   * TLS only: sees each raw TCP connection before the TLS server does, to read what
   * precedes the handshake (a PROXY header); it calls `startTls()` to hand the
   * connection on (bytes it read past that put back with `unshift`: Node's TLS socket
   * takes over a socket's buffered bytes), or closes it. The listening socket is then a
   * plain `net.Server` in front of the TLS server (see {@link tlsServerOf}).
   */
  beforeTls?: (raw: net.Socket, startTls: () => void) => void;
}

/** The TLS server behind a `beforeTls` listener (for `destroyHandshaking`). */
const tlsBehind = new WeakMap<net.Server, net.Server>();

/** The server whose connections may be in a TLS handshake: the TLS server behind `listener`, or itself. */
export function tlsServerOf(listener: net.Server): net.Server {
  return tlsBehind.get(listener) ?? listener;
}

/**
 * Creates a plain or TLS server wired to `events`. TLS servers come from the socket
 * layer's `createTlsServer`, which bounds and frees connections that never complete
 * their handshake.
 */
export function createStreamListener(
  tlsOptions: ServerTlsOptions | undefined,
  events: ListenerEvents,
): net.Server {
  if (tlsOptions === undefined) {
    const server = net.createServer({ allowHalfOpen: true });
    server.on('connection', (raw: net.Socket) => events.onConnection(raw, raw));
    return server;
  }
  const requestCert = tlsOptions.requestCert ?? false;
  const tlsServer = createTlsServer(
    {
      key: tlsOptions.key,
      cert: tlsOptions.cert,
      ca: tlsOptions.ca,
      requestCert,
      rejectUnauthorized: requestCert,
      allowHalfOpen: true,
      ...(events.handshakeTimeout !== undefined
        ? { handshakeTimeout: events.handshakeTimeout }
        : {}),
    },
    {
      ...(events.onRawConnection !== undefined ? { onRaw: events.onRawConnection } : {}),
      onSecure: events.onConnection,
      ...(events.onAbandoned !== undefined ? { onAbandoned: events.onAbandoned } : {}),
    },
  );
  const beforeTls = events.beforeTls;
  if (beforeTls === undefined) return tlsServer;
  // Not half-open before the handshake, like the TLS server's own sockets (tls-server.ts).
  const front = net.createServer({ allowHalfOpen: false });
  front.on('connection', (raw: net.Socket) =>
    beforeTls(raw, () => tlsServer.emit('connection', raw)),
  );
  tlsBehind.set(front, tlsServer);
  return front;
}

/**
 * Starts `server` listening; rejects with `AddressInUseError`, `PermissionDeniedError`, …
 * Once listening, later errors (EMFILE on accept) go to `onError` instead of crashing.
 */
export function listenOn(
  server: net.Server,
  options: net.ListenOptions,
  onError: (error: unknown) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onListenError = (err: unknown): void => {
      server.off('listening', onListening);
      reject(
        fromSystemError(err, {
          syscall: 'listen',
          ...(options.path !== undefined
            ? { path: options.path }
            : { address: options.host, port: options.port }),
        }),
      );
    };
    const onListening = (): void => {
      server.off('error', onListenError);
      server.on('error', onError);
      resolve();
    };
    server.once('error', onListenError);
    server.once('listening', onListening);
    server.listen(options);
  });
}
