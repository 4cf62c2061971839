/**
 * Helpers for the UDP regressions: services started in this process the way `socketkit
 * serve` starts them (flags → plan → startServices, with its logger), the server
 * channels collected, datagrams sent from chosen loopback addresses and ports, and a
 * spoofed datagram (raw socket, root only) whose source port is someone else's.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import diagnostics from 'node:diagnostics_channel';
import { PassThrough } from 'node:stream';
import type { TestContext } from 'node:test';
import { planFromFlags, type ServeFlags } from '../../../src/cli/serve/flags-plan.js';
import { ServeLogger } from '../../../src/cli/serve/serve-logger.js';
import { startServices } from '../../../src/cli/serve/start-services.js';

/** The services of one `socketkit serve NAME --udp …` per name, started in-process. */
export async function serveUdp(
  t: TestContext,
  services: readonly string[],
  flags: ServeFlags = {},
): Promise<{ ports: Map<string, number>; log: () => string; stop: () => Promise<void> }> {
  const out: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => out.push(c));
  const logger = new ServeLogger({ level: 'warn', format: 'text', stream });
  logger.attach();
  const plans = services.flatMap((name) =>
    planFromFlags(name, { port: '0', udp: true, ...flags }, []),
  );
  let running: Awaited<ReturnType<typeof startServices>>;
  try {
    running = await startServices(plans, logger);
  } catch (err) {
    logger.detach();
    throw err;
  }
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await running.stop(0);
    logger.detach();
  };
  t.after(stop);
  const ports = new Map<string, number>();
  for (const l of running.listeners) if ('port' in l) ports.set(l.service.name, l.port ?? 0);
  return { ports, log: () => Buffer.concat(out).toString('utf8'), stop };
}

/** Every message of a `socketkit:server:*` channel from now to the test's end. */
export function collect<T>(t: TestContext, event: string): T[] {
  const seen: T[] = [];
  const onMessage = (m: unknown): void => {
    seen.push(m as T);
  };
  diagnostics.subscribe(`socketkit:server:${event}`, onMessage);
  t.after(() => diagnostics.unsubscribe(`socketkit:server:${event}`, onMessage));
  return seen;
}

/**
 * Resolves with the first message of `socketkit:server:EVENT` for which `match` is true
 * (checked on each message, no polling); rejects after `ms`.
 */
export function waitFor<T>(event: string, match: (m: T) => boolean, ms = 15_000): Promise<T> {
  const name = `socketkit:server:${event}`;
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if (!match(m as T)) return;
      clearTimeout(timer);
      diagnostics.unsubscribe(name, onMessage);
      resolve(m as T);
    };
    const timer = setTimeout(() => {
      diagnostics.unsubscribe(name, onMessage);
      reject(new Error(`no matching ${name} message within ${ms} ms`));
    }, ms);
    diagnostics.subscribe(name, onMessage);
  });
}

/** A UDP socket bound to `address:port` (port 0: any), closed after the test. */
export async function udpSocket(
  t: TestContext,
  address = '127.0.0.1',
  port = 0,
): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, address, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  t.after(() => {
    try {
      sock.close();
    } catch {}
  });
  return sock;
}

/**
 * Sends `payload` from `sock` to 127.0.0.1:`port` and resolves with the first reply;
 * a lost datagram (UDP on a loaded machine) is sent again, up to `tries` times.
 * @returns null when no reply came.
 */
export async function exchange(
  sock: dgram.Socket,
  port: number,
  payload: string,
  tries = 5,
  waitMs = 1000,
): Promise<Buffer | null> {
  for (let i = 0; i < tries; i++) {
    const reply = new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => {
        sock.off('message', onMessage);
        resolve(null);
      }, waitMs);
      const onMessage = (msg: Buffer): void => {
        clearTimeout(timer);
        resolve(msg);
      };
      sock.once('message', onMessage);
    });
    sock.send(payload, port, '127.0.0.1');
    const got = await reply;
    if (got !== null) return got;
  }
  return null;
}

/** True when this process may bind ports below 1024 (root). */
export function privilegedPortsAvailable(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

const SPOOF = `
import socket, struct, sys
src, dst = int(sys.argv[1]), int(sys.argv[2])
payload = b'spoofed\\n'
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
# UDP header with checksum 0 ("none", allowed over IPv4); the kernel adds the IP header.
s.sendto(struct.pack('!HHHH', src, dst, 8 + len(payload), 0) + payload, ('127.0.0.1', 0))
`;

/** True when a spoofed datagram can be sent here (root and python3). */
export function canSpoof(): boolean {
  return privilegedPortsAvailable() && spawnSync('python3', ['-c', 'import socket']).status === 0;
}

/** Sends one datagram to 127.0.0.1:`to` that claims to come from 127.0.0.1:`from`. */
export function spoof(from: number, to: number): void {
  const r = spawnSync('python3', ['-c', SPOOF, String(from), String(to)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`spoofing failed: ${r.stderr}`);
}
