/**
 * Plain-HTTP forwarding (`GET http://host:port/path HTTP/1.1` through the proxy): the
 * request goes to the origin with the hop-by-hop fields removed (RFC 9110 §7.6.1) and a
 * `Via` added, over Node's `http` client (not a hot path; its response parser is
 * strict); the answer comes back the same way. One request per client connection: the
 * response says `Connection: close`, so no second request can ride on a body whose end
 * the proxy and the origin might judge differently.
 *
 * The origin is reached at an address the destination policy checked (the name is
 * resolved once, here), never by a second look-up.
 * @module
 */
import { ignoreError } from '../../internal/ignore-error.js';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Socket } from '../../socket/tcp-socket.js';
import type { RequestHead } from './request-head.js';
import { readRequestBody } from './request-body.js';

/** Always removed when forwarding, as are the fields `Connection` names. */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Answered by the proxy itself (we send 100 Continue to the client).
  'expect',
]);

/** The `Via` entry this proxy adds (RFC 9110 §7.6.3). */
export const VIA = '1.1 socketkit';

/** `headers` without the hop-by-hop fields and those `Connection` lists. */
export function endToEndHeaders(headers: readonly [string, string][]): [string, string][] {
  const named = new Set(HOP_BY_HOP);
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'connection') continue;
    for (const token of value.split(',')) named.add(token.trim().toLowerCase());
  }
  return headers.filter(([name]) => !named.has(name.toLowerCase()));
}

/** Where a plain request goes. */
export interface ForwardTarget {
  /** The checked address to connect to. */
  address: string;
  port: number;
  /** The origin-form target (`/path?query`). */
  path: string;
  /** `--send-proxy-protocol`: written on the connection before the request. */
  proxyHeader?: Buffer | undefined;
}

/** Limits of one forwarded exchange, in seconds. */
export interface ForwardTimeouts {
  connectTimeout: number;
  /** No byte from the origin for this long ends the exchange. */
  idleTimeout: number;
}

/** A failure talking to the origin, with the status the client gets (502 or 504). */
export class OriginFailure extends Error {
  readonly status: number;
  constructor(status: number, message: string, cause?: unknown) {
    super(message, { cause });
    this.status = status;
  }
}

/**
 * Sends `head` (and its body, read from `conn`) to the origin and writes the response
 * back on `conn`, with backpressure both ways.
 * @throws {HttpRefusal} for a malformed body; {@link OriginFailure} before any response byte was sent.
 */
export async function forwardPlain(
  conn: Socket,
  head: RequestHead,
  target: ForwardTarget,
  timeouts: ForwardTimeouts,
): Promise<void> {
  const headers = endToEndHeaders(head.headers);
  const via = head.headers
    .filter(([n]) => n === 'via')
    .map(([, v]) => v)
    .concat(`${head.version} socketkit`)
    .join(', ');
  const outgoing: [string, string][] = [
    ...headers.filter(([n]) => n !== 'via'),
    ['via', via],
    ['connection', 'close'],
  ];
  if (head.body.kind === 'chunked') outgoing.push(['transfer-encoding', 'chunked']);
  const header = target.proxyHeader;
  const req = http.request({
    host: target.address,
    port: target.port,
    method: head.method,
    path: target.path,
    headers: outgoing.flat(),
    setHost: false,
    // A connection of its own (no pool), either way: with a PROXY header to send, made
    // here (http uses `createConnection` only without an agent) with the header first —
    // net buffers it until the connection is up.
    ...(header === undefined
      ? { agent: false }
      : {
          // Not http's options: their `path` (the request's) would make it a Unix socket.
          createConnection: (): net.Socket => {
            const socket = net.createConnection({ host: target.address, port: target.port });
            socket.write(header);
            return socket;
          },
        }),
  });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', (err) => reject(new OriginFailure(502, err.message, err)));
  });
  // Awaited below; a failure while the body is still being sent must not go unhandled.
  response.catch(ignoreError('http-proxy:response-early'));
  const connectTimer = setTimeout(
    () => req.destroy(new Error(`connect timed out after ${timeouts.connectTimeout} s`)),
    timeouts.connectTimeout * 1000,
  );
  req.once('socket', (s) => {
    s.once('connect', () => clearTimeout(connectTimer));
    s.setTimeout(timeouts.idleTimeout * 1000, () =>
      req.destroy(new Error(`no answer for ${timeouts.idleTimeout} s`)),
    );
  });
  try {
    if (/^100-continue$/i.test(head.headers.find(([n]) => n === 'expect')?.[1] ?? '')) {
      await conn.sendAll('HTTP/1.1 100 Continue\r\n\r\n');
    }
    for await (const chunk of readRequestBody(conn, head.body)) {
      if (!req.write(chunk)) {
        await new Promise<void>((resolve) => {
          req.once('drain', resolve);
          req.once('close', resolve);
        });
      }
    }
    req.end();
  } catch (err) {
    clearTimeout(connectTimer);
    req.destroy();
    throw err;
  }
  let res: http.IncomingMessage;
  try {
    res = await response;
  } catch (err) {
    clearTimeout(connectTimer);
    const timedOut = /timed out|no answer/.test((err as Error).message);
    throw timedOut ? new OriginFailure(504, (err as Error).message, err) : err;
  }
  await relayResponse(conn, head, res);
}

/** The origin's response to the client: status, end-to-end fields, `Via`, the body. */
async function relayResponse(
  conn: Socket,
  head: RequestHead,
  res: http.IncomingMessage,
): Promise<void> {
  const status = res.statusCode ?? 502;
  // The reason phrase is the origin's text: only printable characters go on.
  const reason = (res.statusMessage ?? '').replace(/[^\x20-\x7e]/g, '');
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
  }
  const kept = endToEndHeaders(pairs).filter(([n]) => n.toLowerCase() !== 'via');
  const via = pairs
    .filter(([n]) => n.toLowerCase() === 'via')
    .map(([, v]) => v)
    .concat(VIA)
    .join(', ');
  // Without a Content-Length the body runs to our close (chunked was decoded by Node).
  const lines = [
    `HTTP/1.1 ${status} ${reason}`,
    ...kept.map(([n, v]) => `${n}: ${v}`),
    `Via: ${via}`,
    'Connection: close',
  ];
  await conn.sendAll(`${lines.join('\r\n')}\r\n\r\n`);
  const bodiless = head.method === 'HEAD' || status === 204 || status === 304;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (!bodiless) await conn.sendAll(chunk);
  }
}
