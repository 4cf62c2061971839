/**
 * Plain clients for server tests, written on Node's own `net`/`dgram` (not on socketkit's
 * Socket) so a server bug cannot hide behind a matching client bug.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PeerAddress } from '../../../../src/server/index.js';
import { UnixDatagramSocket } from '../../../../src/socket/unix-datagram.js';
import { WAIT_MS } from '../../../helpers/wait.js';

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sk-server-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `net.connect` options for a server address. */
export function connectOptions(address: PeerAddress): net.NetConnectOpts {
  return address.family === 'unix'
    ? { path: address.path }
    : { host: address.address, port: address.port };
}

/** Connects and resolves once connected. */
export function connect(address: PeerAddress): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(connectOptions(address));
    sock.once('connect', () => {
      sock.off('error', reject);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

/** A connected client with a read buffer: read exactly what you expect, with a deadline. */
export class LineClient {
  readonly sock: net.Socket;
  #buf = Buffer.alloc(0);
  #ended = false;
  #waiters: Array<() => void> = [];
  error: Error | null = null;

  constructor(sock: net.Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake();
    });
    sock.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    sock.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
    sock.on('error', (err) => {
      this.error = err;
      this.#ended = true;
      this.#wake();
    });
  }

  static async open(address: PeerAddress): Promise<LineClient> {
    return new LineClient(await connect(address));
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Waits until `n` bytes are buffered (or EOF / timeout) and takes them. */
  async read(n: number, timeoutMs = WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#buf.length < n && !this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`read(${n}) timed out with ${this.#buf.length} bytes`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(out.length);
    return out.toString();
  }

  /** Reads everything until the server closes. */
  async readAll(timeoutMs = WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('readAll timed out');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const out = this.#buf.toString();
    this.#buf = Buffer.alloc(0);
    return out;
  }

  /** True once the server ended or reset the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  write(data: string): void {
    this.sock.write(data);
  }

  /** Sends `data` and reads back as many bytes. */
  async roundTrip(data: string): Promise<string> {
    this.sock.write(data);
    return this.read(Buffer.byteLength(data));
  }

  close(): void {
    this.sock.end();
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** Sends one UDP datagram and waits for one reply (null on timeout). */
export async function udpRequest(
  address: PeerAddress,
  data: string | Buffer,
  timeoutMs = 5000,
): Promise<Buffer | null> {
  if (address.family === 'unix') throw new Error('udpRequest needs an IP address');
  const sock = dgram.createSocket(address.family === 'IPv6' ? 'udp6' : 'udp4');
  try {
    return await new Promise<Buffer | null>((resolve, reject) => {
      const t = setTimeout(() => resolve(null), timeoutMs);
      sock.once('message', (msg) => {
        clearTimeout(t);
        resolve(msg);
      });
      sock.once('error', reject);
      sock.send(data, address.port, address.address);
    });
  } finally {
    sock.close();
  }
}

/** Sends one Unix datagram from a bound temp path and waits for one reply (null on timeout). */
export async function unixDatagramRequest(
  serverPath: string,
  clientPath: string,
  data: string | Buffer,
  timeoutMs = 5000,
): Promise<Buffer | null> {
  const sock = new UnixDatagramSocket({ timeout: timeoutMs / 1000 });
  try {
    await sock.bind({ path: clientPath });
    await sock.sendTo(data, { path: serverPath });
    return (await sock.recvFrom(65536)).data;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_SOCKET_TIMEOUT') return null;
    throw err;
  } finally {
    await sock.close();
    rmSync(clientPath, { force: true });
  }
}

/** A spawned TypeScript script whose stdout lines are JSON events. */
export interface Fixture {
  child: ChildProcess;
  /** Resolves with the first event matching `pred` (seen before or after the call). */
  waitFor(
    pred: (event: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  events: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Spawns `node --import tsx script` with `env`, collecting its JSON stdout lines. */
export function spawnFixture(
  script: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Fixture {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events: Array<Record<string, unknown>> = [];
  let waiters: Array<() => void> = [];
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      events.push({ text: line });
    }
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? -1);
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    });
  });
  let exitedFlag = false;
  void exited.then(() => {
    exitedFlag = true;
  });
  return {
    child,
    events,
    stderr: () => err,
    exited,
    async waitFor(pred, timeoutMs = WAIT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(pred);
        if (found !== undefined) return found;
        if (exitedFlag) throw new Error(`fixture exited before the event; stderr:\n${err}`);
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `fixture event timed out; events: ${JSON.stringify(events)}; stderr:\n${err}`,
          );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
}

/** Sleeps. */
export const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
