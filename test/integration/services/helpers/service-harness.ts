/**
 * Test helpers for the services: start a service's handler on a real loopback server
 * (TCP on port 0, UDP on port 0, a Unix socket in a temp dir) and talk to it with plain
 * `node:net` / `node:dgram` clients (or a Python client for Unix datagrams), with a
 * timeout on every wait.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  TcpServer,
  UdpServer,
  UnixDatagramServer,
  UnixStreamServer,
} from '../../../../src/server/index.js';
import type { ServiceDefinition, ServiceInstance } from '../../../../src/services/service.js';
import { WAIT_MS } from '../../../helpers/wait.js';

export type Where = { port: number } | { path: string };

/** A temp directory removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sk-svc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Creates the service instance (options defaulted) and closes it after the test. */
export async function instanceOf(
  t: TestContext,
  service: ServiceDefinition,
  options: Record<string, unknown> = {},
): Promise<ServiceInstance> {
  const controller = new AbortController();
  const opts: Record<string, unknown> = {};
  for (const o of service.options ?? [])
    if (o.defaultValue !== undefined) opts[o.key] = o.defaultValue;
  const instance = await service.create(
    { ...opts, ...options },
    { signal: controller.signal, log: () => {} },
  );
  t.after(async () => {
    controller.abort();
    await instance.close?.();
  });
  return instance;
}

/** Serves the instance on `kind`, returns where to reach it. */
export async function serve(
  t: TestContext,
  instance: ServiceInstance,
  kind: 'tcp' | 'udp' | 'unix' | 'unix-dgram',
): Promise<Where> {
  const stream = instance.stream;
  const datagram = instance.datagram;
  if (kind === 'tcp' && stream) {
    const s = await new TcpServer({ host: '127.0.0.1', port: 0, handler: stream }).listen();
    t.after(() => s.destroy());
    void s.serveForever();
    return { port: portOf(s.address) };
  }
  if (kind === 'udp' && datagram) {
    const s = await new UdpServer({ host: '127.0.0.1', port: 0, handler: datagram }).listen();
    t.after(() => s.destroy());
    void s.serveForever();
    return { port: portOf(s.address) };
  }
  const path = join(tempDir(t), `${kind}.sock`);
  if (kind === 'unix' && stream) {
    const s = await new UnixStreamServer({ path, handler: stream }).listen();
    t.after(() => s.destroy());
    void s.serveForever();
    return { path };
  }
  if (kind === 'unix-dgram' && datagram) {
    const s = await new UnixDatagramServer({ path, handler: datagram }).listen();
    t.after(() => s.destroy());
    void s.serveForever();
    return { path };
  }
  throw new Error(`the service has no handler for ${kind}`);
}

function portOf(address: unknown): number {
  const port = (address as { port?: unknown }).port;
  if (typeof port !== 'number') throw new Error('server has no port');
  return port;
}

/** Connects a plain net client. */
export function dial(where: Where): Promise<NetSocket> {
  return new Promise((resolve, reject) => {
    const sock = 'path' in where ? connect(where.path) : connect(where.port, '127.0.0.1');
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

/** Reads until `done(received)` says so, the peer closes, or `timeoutMs`. */
export function readUntil(
  sock: NetSocket,
  done: (received: Buffer) => boolean,
  timeoutMs = WAIT_MS,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', finish);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, total));
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (done(Buffer.concat(chunks, total))) finish();
    };
    const onEnd = (): void => finish();
    const timer = setTimeout(
      () => finish(new Error(`read timed out after ${timeoutMs} ms (${total} bytes)`)),
      timeoutMs,
    );
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('error', finish);
  });
}

/** Connects, sends `payload` (then half-closes if `end`), reads until the server closes. */
export async function tcpExchange(
  where: Where,
  payload?: Buffer | string,
  end = true,
): Promise<Buffer> {
  const sock = await dial(where);
  try {
    const reading = readUntil(sock, () => false);
    if (payload !== undefined) sock.write(payload);
    if (end) sock.end();
    return await reading;
  } finally {
    sock.destroy();
  }
}

/** Sends one UDP datagram and waits for one reply (or null after `timeoutMs`). */
export function udpExchange(
  port: number,
  payload: Buffer | string,
  timeoutMs = 3000,
): Promise<Buffer | null> {
  const sock = createSocket('udp4');
  return new Promise<Buffer | null>((resolve, reject) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.send(typeof payload === 'string' ? Buffer.from(payload) : payload, port, '127.0.0.1');
  }).finally(() => sock.close());
}

/**
 * Sends one Unix datagram from a Python 3 client bound to its own temp path (a Unix
 * datagram reply needs an address to go to) and returns the reply, or null on timeout.
 */
export function unixDgramExchange(
  path: string,
  payload: Buffer,
  timeoutSeconds = 3,
): Promise<Buffer | null> {
  const script = [
    'import os, socket, sys, tempfile',
    'd = tempfile.mkdtemp()',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    "s.bind(os.path.join(d, 'client.sock'))",
    `s.settimeout(${timeoutSeconds})`,
    's.sendto(bytes.fromhex(sys.argv[2]), sys.argv[1])',
    'try:',
    '    data = s.recv(65536)',
    "    print('reply', data.hex())",
    'except socket.timeout:',
    "    print('timeout')",
    "os.unlink(os.path.join(d, 'client.sock')); os.rmdir(d)",
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      ['-c', script, path, payload.toString('hex')],
      { timeout: (timeoutSeconds + 60) * 1000 },
      (err, stdout) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const line = stdout.trim();
        if (line === 'timeout') return resolve(null);
        const m = /^reply ?([0-9a-f]*)$/.exec(line);
        return m
          ? resolve(Buffer.from(m[1] ?? '', 'hex'))
          : reject(new Error(`python client said: ${line}`));
      },
    );
  });
}

/** Sends a datagram on `kind` and returns the reply (or null). */
export function datagramExchange(
  where: Where,
  payload: Buffer | string,
  timeoutMs = 3000,
): Promise<Buffer | null> {
  const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return 'path' in where
    ? unixDgramExchange(where.path, buf, timeoutMs / 1000)
    : udpExchange(where.port, buf, timeoutMs);
}
