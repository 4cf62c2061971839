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
import tls from 'node:tls';
import { fromSystemError } from '../errors.js';

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
  /** A connection ready for the handler (after the TLS handshake, with TLS). */
  onConnection: (socket: net.Socket) => void;
  /** TLS only: a raw TCP connection before the handshake; return false to drop it at once. */
  onRawConnection?: (socket: net.Socket) => boolean;
  /** A failed TLS handshake, or (see `listenOn`) an error of the listening socket. */
  onError: (error: unknown, phase: 'tls-handshake' | 'accept') => void;
}

/** Creates a plain or TLS server wired to `events`. */
export function createStreamListener(
  tlsOptions: ServerTlsOptions | undefined,
  events: ListenerEvents,
): net.Server {
  if (tlsOptions === undefined) {
    const server = net.createServer({ allowHalfOpen: true });
    server.on('connection', events.onConnection);
    return server;
  }
  const requestCert = tlsOptions.requestCert ?? false;
  const server = tls.createServer({
    key: tlsOptions.key,
    cert: tlsOptions.cert,
    ca: tlsOptions.ca,
    requestCert,
    rejectUnauthorized: requestCert,
    allowHalfOpen: true,
  });
  const dropped = new WeakSet<net.Socket>();
  if (events.onRawConnection !== undefined) {
    const early = events.onRawConnection;
    // Added after tls.Server's own listener: the TLS socket exists; destroying the raw
    // one aborts its handshake, whose error we then ignore.
    server.on('connection', (raw: net.Socket) => {
      raw.on('error', () => {});
      if (!early(raw)) dropped.add(raw);
    });
  }
  server.on('secureConnection', events.onConnection);
  server.on('tlsClientError', (err, socket) => {
    const raw = (socket as unknown as { _parent?: net.Socket })._parent;
    if (raw !== undefined && dropped.has(raw)) return;
    events.onError(err, 'tls-handshake');
  });
  return server;
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
