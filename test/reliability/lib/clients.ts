/**
 * Loopback clients for the reliability scenarios: raw TCP exchanges, UDP requests, a chat
 * line client, health probes per service, and a bounded-concurrency pool. Every wait has
 * a timeout; every socket is destroyed by whoever opened it.
 */
import { createSocket } from 'node:dgram';
import { type Socket, connect } from 'node:net';

/** The i-th client source address: 127.0.1.2, 127.0.1.3, … (all of 127/8 is loopback on Linux). */
export function sourceAddress(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${2 + (i % 250)}`;
}

export interface ConnectOptions {
  host?: string;
  localAddress?: string;
  timeoutMs?: number;
}

/** A connected TCP socket (errors after connect are swallowed: callers watch 'close'). */
export function connectTcp(port: number, options: ConnectOptions = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({
      port,
      host: options.host ?? '127.0.0.1',
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`connect to ${port}: timed out`));
    }, options.timeoutMs ?? 10_000);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.off('error', onError);
      sock.on('error', () => {});
      resolve(sock);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    sock.once('error', onError);
  });
}

export type Ending = 'until' | 'clean' | 'error' | 'timeout';

export interface ExchangeResult {
  data: Buffer;
  ending: Ending;
  error?: string;
}

/**
 * Connects, writes DATA (then half-closes with `end`), and reads until `until(received)`
 * holds, the peer closes, or the timeout.
 */
export async function exchange(
  port: number,
  data: Buffer | string,
  options: ConnectOptions & {
    until?: (b: Buffer) => boolean;
    end?: boolean;
    /** How long to read (default `timeoutMs`); a short window here never shortens the connect. */
    readMs?: number;
  } = {},
): Promise<ExchangeResult> {
  const sock = await connectTcp(port, options);
  return readUntil(sock, options.until, options.readMs ?? options.timeoutMs ?? 10_000, () => {
    if (options.end) sock.end(data);
    else sock.write(data);
  });
}

/** Reads SOCK until `until` holds, it closes, or the timeout; always destroys it. */
export function readUntil(
  sock: Socket,
  until: ((b: Buffer) => boolean) | undefined,
  timeoutMs: number,
  start?: () => void,
): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let error: string | undefined;
    const done = (ending: Ending): void => {
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.destroy();
      resolve({ data: Buffer.concat(chunks, size), ending, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (until?.(Buffer.concat(chunks, size))) done('until');
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    sock.once('close', (hadError) => done(hadError || error ? 'error' : 'clean'));
    start?.();
  });
}

/** One datagram to PORT, the first reply or null after the timeout. */
export function udpRequest(
  port: number,
  payload: Buffer | string,
  options: { timeoutMs?: number; localPort?: number; localAddress?: string; host?: string } = {},
): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => finish(null), options.timeoutMs ?? 2000);
    const finish = (reply: Buffer | null): void => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    };
    sock.on('message', (msg) => finish(msg));
    sock.on('error', (err) => {
      clearTimeout(timer);
      try {
        sock.close();
      } catch {}
      reject(err);
    });
    sock.bind({ port: options.localPort ?? 0, address: options.localAddress ?? '127.0.0.1' }, () =>
      sock.send(payload, port, options.host ?? '127.0.0.1'),
    );
  });
}

/** UDP with retries (loopback may drop under load): the first reply of up to `tries` attempts. */
export async function udpAsk(
  port: number,
  payload: Buffer | string,
  tries = 5,
): Promise<Buffer | null> {
  for (let i = 0; i < tries; i++) {
    const r = await udpRequest(port, payload, { timeoutMs: 1000 });
    if (r !== null) return r;
  }
  return null;
}

/** A chat client that collects the lines it receives. */
export class LineClient {
  readonly sock: Socket;
  lines: string[] = [];
  closed = false;
  closedWithError = false;
  #partial = '';
  #waiters: { test: () => boolean; resolve: () => void }[] = [];

  constructor(sock: Socket) {
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (s: string) => {
      const parts = (this.#partial + s).split('\n');
      this.#partial = parts.pop() ?? '';
      for (const p of parts) this.lines.push(p.replace(/\r$/, ''));
      this.#check();
    });
    sock.on('error', () => {
      this.closedWithError = true;
    });
    sock.on('close', () => {
      this.closed = true;
      this.#check();
    });
  }

  static async open(port: number, options: ConnectOptions = {}): Promise<LineClient> {
    return new LineClient(await connectTcp(port, options));
  }

  #check(): void {
    for (const w of [...this.#waiters]) {
      if (w.test()) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** Resolves when TEST holds (checked on every line and on close), rejects after the timeout. */
  until(test: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(
          new Error(
            `chat client: no ${what} in ${timeoutMs} ms (last: ${JSON.stringify(this.lines.slice(-3))})`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Resolves with the first line (from index FROM) matching RE. */
  async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<string> {
    let found: string | undefined;
    await this.until(
      () => {
        found = this.lines.slice(from).find((l) => re.test(l));
        return found !== undefined || this.closed;
      },
      timeoutMs,
      String(re),
    );
    if (found === undefined)
      throw new Error(`chat client closed before ${re}: ${JSON.stringify(this.lines.slice(-3))}`);
    return found;
  }

  count(re: RegExp): number {
    return this.lines.filter((l) => re.test(l)).length;
  }

  /**
   * An incremental count of the lines matching RE: each call scans only the lines that
   * arrived since the last one. `count()` rescans everything, which inside an `until()`
   * (checked on every chunk) is quadratic and, over tens of thousands of lines, slows this
   * client down until the server rightly cuts it as a slow consumer.
   */
  counter(re: RegExp): () => number {
    let scanned = 0;
    let matched = 0;
    return () => {
      for (; scanned < this.lines.length; scanned++) if (re.test(this.lines[scanned]!)) matched++;
      return matched;
    };
  }

  send(line: string): void {
    this.sock.write(`${line}\n`);
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Runs `fn(i)` for i < COUNT with at most LIMIT at once; resolves with every result. */
export async function pool<T>(
  count: number,
  limit: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return out;
}

/** An SNTP client request (LI 0, VN 4, mode 3) with a transmit timestamp to match the reply. */
export function sntpRequest(tag: number): Buffer {
  const b = Buffer.alloc(48);
  b[0] = 0x23;
  b.writeUInt32BE(0xdeadbeef, 40);
  b.writeUInt32BE(tag >>> 0, 44);
  return b;
}

/** Whether REPLY answers `sntpRequest(tag)`: mode 4 and our transmit time as its origin. */
export function isSntpReply(reply: Buffer | null, tag: number): boolean {
  return (
    reply !== null &&
    reply.length >= 48 &&
    (reply[0]! & 7) === 4 &&
    reply.readUInt32BE(28) === tag >>> 0
  );
}
