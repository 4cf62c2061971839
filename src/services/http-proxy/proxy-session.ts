/**
 * One HTTP proxy client: the request head read within `--request-timeout` and at most
 * `--max-header-bytes`, parsed strictly (`request-head.ts`), optional Basic auth, then
 * either a CONNECT tunnel (`200 Connection Established`, then raw bytes both ways on the
 * connection primitive) or one plain request forwarded to its origin (`http-forward.ts`).
 * Every refusal is a short fixed answer; nothing the client sent is echoed back or logged
 * raw.
 * @module
 */
import { ignoreError } from '../../internal/ignore-error.js';
import { DecoderError } from '../../errors.js';
import type { ConnectionContext, StreamHandler } from '../../server/handler-types.js';
import { relayPair } from '../../socket/relay-pair.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { Credentials } from '../credentials-file.js';
import { DestinationRefusedError, type DestinationPolicy } from '../destination-policy.js';
import {
  classifyFailure,
  clientProxyHeader,
  type DestinationFailure,
  openDestination,
  resolveDestination,
} from '../open-destination.js';
import { printable } from '../printable.js';
import type { ServiceEnv } from '../service.js';
import { formatSocketAddress } from '../../socket/address.js';
import { forwardPlain, OriginFailure, VIA } from './http-forward.js';
import {
  headerValue,
  HttpRefusal,
  parseAuthority,
  parseRequestHead,
  type RequestHead,
} from './request-head.js';

/** What every session of one service shares. */
export interface HttpProxyConfig {
  policy: DestinationPolicy;
  /** When set, `Proxy-Authorization: Basic` is required. */
  credentials: Credentials | null;
  connectTimeout: number;
  requestTimeout: number;
  /** Bytes of request line and header fields together. */
  maxHeaderBytes: number;
  maxHeaders: number;
  /** Tunnel idle timeout (seconds; 0 = none), also the plain exchange's. */
  idleTimeout: number;
  log: ServiceEnv['log'];
  /** `--send-proxy-protocol`: a PROXY header naming the client goes to each destination first. */
  sendProxyProtocol?: 1 | 2 | undefined;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  411: 'Length Required',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

/** A short answer that ends the exchange (the server then closes the connection). */
async function answer(
  conn: Socket,
  status: number,
  text: string,
  extra: string[] = [],
): Promise<void> {
  const body = `${status} ${REASONS[status] ?? ''}: ${text}\n`;
  const head = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `Via: ${VIA}`,
    'Connection: close',
    ...extra,
  ];
  // An error reply to a client that is gone: nothing more to tell it.
  await conn
    .sendAll(`${head.join('\r\n')}\r\n\r\n${body}`)
    .catch(ignoreError('http-proxy:error-reply'));
}

/** The status for a failure to reach a destination. */
function statusFor(failure: DestinationFailure): number {
  if (failure === 'not-allowed') return 403;
  if (failure === 'timeout') return 504;
  return 502;
}

/** The stream handler of `serve http-proxy`. */
export function httpProxyHandler(config: HttpProxyConfig): StreamHandler {
  return async (conn, ctx) => {
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      config.log(
        'debug',
        `http-proxy: ${formatSocketAddress(ctx.remote)} sent no full request head in time`,
      );
      void answer(conn, 408, 'no request in time').then(() => conn.close());
    }, config.requestTimeout * 1000);
    deadline.unref();
    let head: RequestHead;
    try {
      // The blank line's CRLFCRLF counts against the limit too.
      const raw = await conn.recvUntil('\r\n\r\n', { maxBytes: config.maxHeaderBytes + 4 });
      head = parseRequestHead(raw.toString('latin1'), config.maxHeaders);
    } catch (err) {
      if (timedOut) return;
      if (err instanceof HttpRefusal || err instanceof DecoderError) {
        const status = err instanceof HttpRefusal ? err.status : 431;
        config.log(
          'info',
          `http-proxy: ${formatSocketAddress(ctx.remote)}: ${status} ${err.message}`,
          {
            repeat: 'bad request',
          },
        );
        await answer(
          conn,
          status,
          err instanceof HttpRefusal ? err.message : 'request head too large',
        );
      }
      return; // else the client closed or reset before a full head: nothing to answer
    } finally {
      clearTimeout(deadline);
    }
    if (timedOut) return;
    if (config.credentials !== null && !authorized(head, config.credentials)) {
      config.log(
        'warn',
        `http-proxy: ${formatSocketAddress(ctx.remote)}: proxy authentication failed`,
        {
          repeat: 'auth failed',
        },
      );
      await answer(conn, 407, 'proxy authentication required', [
        'Proxy-Authenticate: Basic realm="socketkit", charset="UTF-8"',
      ]);
      return;
    }
    try {
      if (head.method === 'CONNECT') await tunnel(conn, ctx, head, config);
      else await forward(conn, ctx, head, config);
    } catch (err) {
      if (err instanceof HttpRefusal) {
        config.log(
          'info',
          `http-proxy: ${formatSocketAddress(ctx.remote)}: ${err.status} ${err.message}`,
          {
            repeat: 'bad request',
          },
        );
        await answer(conn, err.status, err.message);
      } else if (err instanceof OriginFailure) {
        config.log(
          'debug',
          `http-proxy: ${formatSocketAddress(ctx.remote)}: origin: ${printable(err.message)}`,
        );
        await answer(conn, err.status, 'the origin failed');
      } else if (err instanceof DecoderError) {
        await answer(conn, 400, 'malformed request body');
      } else {
        // A response already under way cannot be turned into an error status: the client
        // gets a reset, so what it received reads as cut short, never as a whole answer
        // (a close-delimited body ends at our close; destroy() would send a FIN then).
        conn.reset();
      }
    }
  };
}

/** True when the request carries `Proxy-Authorization: Basic` with a known user/password. */
function authorized(head: RequestHead, credentials: Credentials): boolean {
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+=*)$/i.exec(headerValue(head, 'proxy-authorization') ?? '');
  const decoded = Buffer.from(m?.[1] ?? '', 'base64');
  const colon = decoded.indexOf(0x3a);
  // Always one comparison, whatever was sent (see Credentials.verify).
  return (
    credentials.verify(
      colon === -1 ? Buffer.alloc(0) : decoded.subarray(0, colon),
      colon === -1 ? Buffer.alloc(0) : decoded.subarray(colon + 1),
    ) &&
    m !== null &&
    colon !== -1
  );
}

/** Opens the destination or answers why not; null when it answered. */
async function reach<T>(
  conn: Socket,
  ctx: ConnectionContext,
  config: HttpProxyConfig,
  shown: string,
  open: () => Promise<T>,
): Promise<T | null> {
  try {
    return await open();
  } catch (err) {
    const failure = classifyFailure(err);
    if (err instanceof DestinationRefusedError) {
      config.log(
        'warn',
        `http-proxy: refused ${formatSocketAddress(ctx.remote)} → ${printable(err.message)}`,
        {
          repeat: 'destination refused',
        },
      );
    } else {
      config.log(
        'debug',
        `http-proxy: ${formatSocketAddress(ctx.remote)} → ${shown}: ${printable((err as Error).message)}`,
      );
    }
    await answer(
      conn,
      statusFor(failure),
      failure === 'not-allowed'
        ? 'destination not allowed'
        : `cannot reach the destination (${failure})`,
    );
    return null;
  }
}

async function tunnel(
  conn: Socket,
  ctx: ConnectionContext,
  head: RequestHead,
  config: HttpProxyConfig,
): Promise<void> {
  const { host, port } = parseAuthority(head.target);
  if (head.body.kind !== 'none') throw new HttpRefusal(400, 'CONNECT with a body');
  const shown = `${printable(host)}:${port}`;
  const opened = await reach(conn, ctx, config, shown, () =>
    openDestination(host, port, {
      policy: config.policy,
      connectTimeout: config.connectTimeout,
      signal: ctx.signal,
      proxyHeader: clientProxyHeader(config.sendProxyProtocol, conn, ctx),
    }),
  );
  if (opened === null) return;
  const destination = opened.socket;
  try {
    await conn.sendAll(`HTTP/1.1 200 Connection Established\r\nVia: ${VIA}\r\n\r\n`);
  } catch {
    destination.destroy();
    return;
  }
  config.log(
    'debug',
    `http-proxy: ${formatSocketAddress(ctx.remote)} CONNECT ${shown} (${opened.address})`,
  );
  await relayPair(conn, destination, {
    idleTimeout: config.idleTimeout,
    labels: ['client', 'destination'],
  });
}

async function forward(
  conn: Socket,
  ctx: ConnectionContext,
  head: RequestHead,
  config: HttpProxyConfig,
): Promise<void> {
  if (!/^http:\/\//i.test(head.target)) {
    throw new HttpRefusal(
      400,
      'a proxy request needs an absolute http:// URI (https: goes through CONNECT)',
    );
  }
  let url: URL;
  try {
    url = new URL(head.target);
  } catch {
    throw new HttpRefusal(400, 'malformed URI');
  }
  if (url.username !== '' || url.password !== '') {
    throw new HttpRefusal(400, 'credentials in the URI');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 80 : Number(url.port);
  const shown = `${printable(host)}:${port}`;
  const addresses = await reach(conn, ctx, config, shown, () =>
    resolveDestination(host, port, { policy: config.policy, signal: ctx.signal }),
  );
  if (addresses === null) return;
  // The URI's authority is the request's Host (RFC 9112 §3.2.2), whatever the client sent.
  const rewritten: RequestHead = {
    ...head,
    headers: [...head.headers.filter(([n]) => n !== 'host'), ['host', url.host]],
  };
  config.log(
    'debug',
    `http-proxy: ${formatSocketAddress(ctx.remote)} ${head.method} ${shown} (${addresses[0]})`,
  );
  // A client that trickles its body is bounded by the idle timeout, as a tunnel is.
  conn.setOperationTimeout(config.idleTimeout > 0 ? config.idleTimeout : null);
  await forwardPlain(
    conn,
    rewritten,
    {
      address: addresses[0]!,
      port,
      path: `${url.pathname}${url.search}`,
      proxyHeader: clientProxyHeader(config.sendProxyProtocol, conn, ctx),
    },
    {
      connectTimeout: config.connectTimeout,
      idleTimeout: config.idleTimeout > 0 ? config.idleTimeout : 86_400,
    },
  );
}
