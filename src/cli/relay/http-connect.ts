/**
 * The HTTP CONNECT client of `http-connect:PROXYHOST:PROXYPORT:HOST:PORT` (RFC 9110
 * §9.3.6): connect to the proxy with the library's `Socket`, ask it for a tunnel to
 * HOST:PORT, read its reply head (bounded in size and time), and hand the tunnel on as a
 * plain connected `Socket`. Bytes the proxy sent after its head stay in the socket's
 * receive buffer, and `onData` replays them first: nothing is lost at the switch.
 *
 * ```
 *  → CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n
 *  ← HTTP/1.1 200 Connection established\r\n…\r\n\r\n   (any 2xx)   then the tunnel
 * ```
 * @module
 */
import type { Socket } from '../../socket/tcp-socket.js';
import { CliError, ExitCode } from '../io.js';
import { connectStream } from '../netcat/connect-stream.js';
import type { HostPort } from './relay-address.js';

/** The most a proxy's reply head may take (status line and headers). */
export const MAX_PROXY_REPLY_HEAD = 16 * 1024;

/** `host:port` as an HTTP authority (IPv6 in brackets). */
function authority({ host, port }: HostPort): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Opens a tunnel to `target` through the HTTP proxy at `proxy`.
 * @param timeout seconds for the connect to the proxy and, again, for its reply.
 * @throws {CliError} (failure) when the proxy refuses (its status line, as sent) or
 *   answers something that is not HTTP; `SocketkitError`s of the connect.
 */
export async function httpConnect(
  proxy: HostPort,
  target: HostPort,
  options: { timeout: number; signal: AbortSignal },
): Promise<Socket> {
  const sock = await connectStream(proxy, options);
  try {
    const where = authority(target);
    sock.setOperationTimeout(options.timeout);
    await sock.sendAll(`CONNECT ${where} HTTP/1.1\r\nHost: ${where}\r\n\r\n`, {
      signal: options.signal,
    });
    const head = await sock.recvUntil('\r\n\r\n', {
      maxBytes: MAX_PROXY_REPLY_HEAD,
      signal: options.signal,
    });
    sock.setOperationTimeout(null);
    const status = head.toString('latin1').split('\r\n', 1)[0] ?? '';
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(status);
    if (m === null) {
      throw new CliError(
        `proxy ${authority(proxy)} did not answer CONNECT with HTTP: ${JSON.stringify(status.slice(0, 80))}`,
        ExitCode.failure,
      );
    }
    if (!m[1]!.startsWith('2')) {
      throw new CliError(
        `proxy ${authority(proxy)} refused CONNECT ${where}: ${status.slice(0, 200)}`,
        ExitCode.failure,
      );
    }
    return sock;
  } catch (err) {
    sock.destroy();
    throw err;
  }
}
