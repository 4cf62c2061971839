// Shared fixtures of the socket integration tests: loopback listeners, temp Unix paths,
// a listener that never accepts (for connect timeouts) and an IPv6 probe.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Listener, type ListenerOptions, Socket } from '../../../src/socket/index.js';

/** What `t.after` needs. */
export interface After {
  after(fn: () => unknown): void;
}

/** A listener on 127.0.0.1 (or `host`), port 0, closed after the test. */
export async function listen(
  t: After,
  host = '127.0.0.1',
  options: ListenerOptions = {},
): Promise<Listener> {
  const listener = await Listener.bind({ host, port: 0 }, options);
  t.after(() => listener.close());
  return listener;
}

/** The port of a TCP listener. */
export function portOf(listener: Listener): number {
  const a = listener.address;
  if (a.family === 'unix') throw new Error('not a TCP listener');
  return a.port;
}

/** A connected pair over loopback TCP (client, server side), destroyed after the test. */
export async function pair(t: After, host = '127.0.0.1'): Promise<[Socket, Socket]> {
  const listener = await listen(t, host);
  const [client, accepted] = await Promise.all([
    Socket.createConnection({ host, port: portOf(listener) }),
    listener.accept(),
  ]);
  t.after(() => {
    client.destroy();
    accepted.socket.destroy();
  });
  return [client, accepted.socket];
}

/** A fresh directory for Unix socket files, removed after the test. */
export function tmpDir(t: After): string {
  const dir = mkdtempSync(join(tmpdir(), 'socketkit-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let ipv6: Promise<boolean> | undefined;
/** True when this machine can listen on ::1. */
export function hasIPv6(): Promise<boolean> {
  ipv6 ??= new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
  return ipv6;
}

/**
 * A TCP listener in a child process whose event loop is blocked, so it never accepts:
 * once its backlog of 1 is full, the kernel drops further SYNs and a connect hangs until
 * the caller's timeout. Deterministic, loopback only. The child is killed by PID after.
 */
export async function neverAcceptingPort(
  t: After,
): Promise<{ port: number; fill: () => Promise<void> }> {
  const script = `
    const net = require('node:net');
    const s = net.createServer();
    s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      process.stdout.write(s.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
      process.exit(0);
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, 'SIGKILL');
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  const port = Number(line);
  const fillers: net.Socket[] = [];
  t.after(() => {
    for (const s of fillers) s.destroy();
  });
  // Fill the accept queue: connections complete until it is full, then SYNs are dropped.
  const fill = async (): Promise<void> => {
    for (let i = 0; i < 16; i++) {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', () => {});
      fillers.push(s);
      const done = await Promise.race([
        once(s, 'connect').then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 500)),
      ]);
      if (!done) return;
    }
    throw new Error('the accept queue never filled');
  };
  return { port, fill };
}
