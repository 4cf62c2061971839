/**
 * The HTTP side of `socketkit serve` (`--http PORT`): the live dashboard at `/`, its event
 * stream at `/events` (Server-Sent Events, one snapshot a second), `/metrics` (Prometheus
 * text format, by prom-client), `/healthz`, `/readyz`, and each running service's
 * browser page at `/<name>` with its WebSocket at `/<name>/ws` (ServiceInstance.web).
 *
 * ```
 * request ─► Host check (421) ─► Origin check (403) ─► route
 *              /healthz /readyz                       (no token: say nothing private)
 *              / /events /metrics                     (token when --http-token-file)
 *              /<service> page, /<service>/ws upgrade (public, like the service's port)
 * ```
 *
 * It lives in the CLI layer and is loaded only when `serve` is asked for it, so neither a
 * library import nor a plain `serve` loads prom-client or ws. docs/observability.md.
 * @module
 */
import { readFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ignoreError } from '../../../internal/ignore-error.js';
import type { WebEndpoint } from '../../../services/service.js';
import { dashboardPage } from './dashboard-page.js';
import { DashboardFeed } from './dashboard-feed.js';
import type { HttpPlan } from './http-plan.js';
import { RequestGuard, type Refusal, TOKEN_COOKIE } from './request-guard.js';
import type { ServeMetrics } from './serve-metrics.js';

/** A browser page a service offers, by its service name. */
export interface MountedEndpoint {
  name: string;
  endpoint: WebEndpoint;
}

/** The running HTTP side. */
export interface HttpSide {
  /** Where it listens (port 0 resolved). */
  readonly host: string;
  readonly port: number;
  readonly scheme: 'http' | 'https';
  /** The services mounted, by name. */
  readonly mounted: readonly string[];
  /** Stops listening, ends event streams and closes WebSockets. */
  close(): Promise<void>;
}

/** Bytes an event stream may have unsent before it is cut (a page that stopped reading). */
const SSE_MAX_BUFFERED = 1024 * 1024;

/** Paths a service name cannot take. */
const RESERVED = new Set(['', 'events', 'metrics', 'healthz', 'readyz', 'favicon.ico']);

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** A CSP for pages with inline script and style and nothing else from anywhere. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function refuse(res: ServerResponse, r: Refusal): void {
  send(res, r.status, `${r.reason}\n`, 'text/plain; charset=utf-8', {
    ...(r.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
  });
}

/** Answers a refused upgrade on the raw socket and closes it. */
function refuseUpgrade(socket: Duplex, r: Refusal): void {
  const text =
    {
      400: 'Bad Request',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      421: 'Misdirected Request',
    }[r.status] ?? 'Refused';
  socket.end(
    `HTTP/1.1 ${r.status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(r.reason) + 1}\r\n\r\n${r.reason}\n`,
  );
}

/**
 * Starts the HTTP side. The metrics must already be attached (they count from the first
 * listener on).
 */
export async function startHttpSide(
  plan: HttpPlan,
  metrics: ServeMetrics,
  endpoints: readonly MountedEndpoint[],
): Promise<HttpSide> {
  const token =
    plan.tokenFile === undefined
      ? null
      : ((await readFile(plan.tokenFile, 'utf8')).split('\n')[0] ?? '').trim();
  if (token !== null && token.length < 16)
    throw new Error(`the token in ${plan.tokenFile} is too short (at least 16 characters)`);
  const scheme = plan.tls ? 'https' : 'http';
  const guard = new RequestGuard(plan.host, plan.allowHosts, token, scheme);
  const feed = new DashboardFeed(metrics);
  const page = dashboardPage();
  const web = new Map<string, WebEndpoint>();
  for (const { name, endpoint } of endpoints)
    if (!RESERVED.has(name) && /^[a-z0-9-]+$/.test(name)) web.set(name, endpoint);
  const wss = new WebSocketServer({ noServer: true, maxPayload: plan.wsMaxPayload });
  const streams = new Set<ServerResponse>();

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const hostRefusal = guard.checkHost(req);
    if (hostRefusal !== null) return refuse(res, hostRefusal);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'only GET and HEAD\n', undefined, { Allow: 'GET, HEAD' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return send(res, 400, 'bad request target\n');
    }
    const path = url.pathname;
    if (path === '/healthz') return send(res, 200, 'ok\n');
    // Browsers ask for it on every page: no icon, and no 404 in their console.
    if (path === '/favicon.ico') return send(res, 204, '');
    if (path === '/readyz') {
      const why = metrics.notReady();
      return send(res, why.length === 0 ? 200 : 503, why.length === 0 ? 'ready\n' : 'not ready\n');
    }
    const name = path.slice(1);
    const endpoint = web.get(name);
    if (endpoint !== undefined)
      return send(res, 200, endpoint.page, 'text/html; charset=utf-8', {
        'Content-Security-Policy': PAGE_CSP,
      });
    // `?token=` logs a browser in: the cookie carries it from now on, and the URL that
    // held it is replaced (not left in the address bar, history or a screenshot).
    const given = url.searchParams.get('token');
    if (given !== null && guard.tokenRequired) {
      if (!guard.matches(given)) return refuse(res, { status: 401, reason: 'wrong token' });
      url.searchParams.delete('token');
      return send(res, 303, 'see the page without the token\n', undefined, {
        Location: url.pathname + url.search,
        'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/${scheme === 'https' ? '; Secure' : ''}`,
      });
    }
    const tokenRefusal = guard.checkToken(req);
    if (tokenRefusal !== null) return refuse(res, tokenRefusal);
    if (path === '/')
      return send(res, 200, page.html, 'text/html; charset=utf-8', {
        'Content-Security-Policy': page.csp,
      });
    if (path === '/metrics') {
      metrics.metrics().then(
        (text) => send(res, 200, text, metrics.contentType),
        (err: unknown) => send(res, 500, `metrics failed: ${(err as Error).message}\n`),
      );
      return;
    }
    if (path === '/events') {
      if (req.method === 'HEAD') return send(res, 200, '', 'text/event-stream; charset=utf-8');
      return openStream(req, res);
    }
    return send(res, 404, 'not found\n');
  };

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    if (streams.size >= plan.maxSseClients)
      return send(res, 503, 'too many dashboards open\n', undefined, { 'Retry-After': '10' });
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    streams.add(res);
    req.socket.setNoDelay(true);
    // The event stream has no deadline of its own (requestTimeout would cut it).
    req.socket.setTimeout(0);
    res.on('close', () => streams.delete(res));
    res.write(`retry: 2000\ndata: ${JSON.stringify(feed.snapshot(true))}\n\n`);
  };

  const tick = setInterval(() => {
    feed.sample();
    if (streams.size === 0) return;
    const message = `data: ${JSON.stringify(feed.snapshot(false))}\n\n`;
    for (const res of streams) {
      if (res.writableLength > SSE_MAX_BUFFERED) {
        res.destroy();
        continue;
      }
      res.write(message);
    }
  }, 1000);
  tick.unref();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const refusal = guard.checkHost(req, true);
    if (refusal !== null) return refuseUpgrade(socket, refusal);
    const m = /^\/([a-z0-9-]+)\/ws(?:\?.*)?$/.exec(req.url ?? '');
    const endpoint = m?.[1] === undefined ? undefined : web.get(m[1]);
    if (endpoint === undefined)
      return refuseUpgrade(socket, { status: 404, reason: 'no WebSocket here' });
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A protocol error (a message over maxPayload, a bad frame) closes the socket; without
      // a listener it would also throw and end the whole serve. The endpoint may add its own.
      ws.on('error', ignoreError('http:websocket-protocol'));
      endpoint.accept(ws, req);
    });
  };

  const options = {
    headersTimeout: plan.headerTimeout * 1000,
    requestTimeout: plan.headerTimeout * 1000 * 3,
    maxHeaderSize: plan.maxHeaderSize,
    keepAliveTimeout: 5000,
  };
  const server = plan.tls
    ? createHttpsServer(
        { ...options, cert: await readFile(plan.tls.cert), key: await readFile(plan.tls.key) },
        onRequest,
      )
    : createHttpServer(options, onRequest);
  server.maxConnections = plan.maxConnections;
  server.on('upgrade', onUpgrade);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Answer a malformed request; anything else (a timeout on an idle keep-alive socket, a
    // reset) just closes: a reply written there would be read as the answer to the
    // browser's next request on that socket.
    const code = err.code ?? '';
    if (socket.writable && code.startsWith('HPE_') && code !== 'HPE_INVALID_EOF_STATE') {
      const status =
        code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    } else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(plan.port, plan.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : plan.port;
  let closing: Promise<void> | undefined;
  return {
    host: plan.host,
    port,
    scheme,
    mounted: [...web.keys()],
    close: () => {
      closing ??= (async () => {
        clearInterval(tick);
        for (const res of streams) res.end();
        for (const ws of wss.clients) ws.close(1001, 'server shutting down');
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Give WebSockets a moment to say goodbye, then cut whatever is left.
        const timer = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
          server.closeAllConnections();
        }, 1000);
        await closed;
        clearTimeout(timer);
        wss.close();
      })();
      return closing;
    },
  };
}
