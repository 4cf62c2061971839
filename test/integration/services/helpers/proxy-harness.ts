/**
 * What the proxy tests share: a proxy service run in-process on a loopback port with its
 * log lines recorded, a tiny HTTP origin that reports what it received, and a raw client.
 */
import * as http from 'node:http';
import { connect, type Socket as NetSocket } from 'node:net';
import type { TestContext } from 'node:test';
import { TcpServer } from '../../../../src/server/index.js';
import type { ServiceDefinition } from '../../../../src/services/service.js';
import { recorder, type Recorder } from '../../../helpers/wait.js';

export interface RunningProxy {
  port: number;
  /** Every log line the service wrote: `level message`. */
  logs: Recorder<string>;
}

/** Runs `service` with `options` (plus its defaults) on 127.0.0.1, port 0. */
export async function startProxy(
  t: TestContext,
  service: ServiceDefinition,
  options: Record<string, unknown> = {},
): Promise<RunningProxy> {
  const logs = recorder<string>();
  const controller = new AbortController();
  const opts: Record<string, unknown> = {};
  for (const o of service.options ?? [])
    if (o.defaultValue !== undefined) opts[o.key] = o.defaultValue;
  const instance = await service.create(
    { ...opts, ...options },
    { signal: controller.signal, log: (level, message) => logs.push(`${level} ${message}`) },
  );
  const server = await new TcpServer({
    host: '127.0.0.1',
    port: 0,
    handler: instance.stream!,
  }).listen();
  void server.serveForever();
  t.after(async () => {
    controller.abort();
    await server.close();
    await instance.close?.();
  });
  return { port: (server.address as { port: number }).port, logs };
}

export interface Origin {
  port: number;
  /** The requests it got: method, url, headers, body. */
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }[];
}

/** An HTTP origin on 127.0.0.1 answering `hello from origin` (and the body it got on POST). */
export async function startOrigin(t: TestContext): Promise<Origin> {
  const requests: Origin['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.setHeader('Keep-Alive', 'timeout=5');
      res.setHeader('Connection', 'keep-alive, X-Hop');
      res.setHeader('X-Hop', 'must not pass');
      res.end(req.method === 'POST' ? body : 'hello from origin\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, requests };
}

/** A raw TCP client of 127.0.0.1:`port`. */
export function rawClient(t: TestContext, port: number): Promise<NetSocket> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    t.after(() => sock.destroy());
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

/** A port nothing listens on (bound and closed; the kernel does not hand it out again at once). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
