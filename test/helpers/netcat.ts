/**
 * Helpers for the netcat tests: free ports, child processes (ncat, nc, socat, the
 * socketkit CLI) whose output can be awaited, the CLI run in-process while a test talks
 * to it, and a throw-away self-signed TLS certificate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { main } from '../../src/cli/main.js';

/** How long any wait in these tests may take before it fails the test. */
export const WAIT_MS = 60_000;

/** A port that was free a moment ago (for tools such as ncat that cannot report port 0). */
export async function freePort(udp = false): Promise<number> {
  if (udp) {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const { port } = sock.address();
    await new Promise<void>((resolve) => sock.close(resolve));
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** A temporary directory removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'socketkit-nc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Collected output of a stream, with a way to wait for a pattern in it. */
export class Output {
  #chunks: Buffer[] = [];
  #waiters: Array<() => void> = [];

  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (chunk: Buffer | string) => {
      this.#chunks.push(Buffer.from(chunk));
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  get text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }

  get bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  /** Resolves with the first match of `pattern` in the output, or rejects after WAIT_MS. */
  waitFor(pattern: RegExp, what = String(pattern)): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`timed out waiting for ${what}; output so far: ${JSON.stringify(this.text)}`),
          ),
        WAIT_MS,
      );
      const check = (): void => {
        const m = this.text.match(pattern);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        } else this.#waiters.push(check);
      };
      check();
    });
  }
}

/** A running child process. */
export interface Proc {
  child: ChildProcess;
  stdout: Output;
  stderr: Output;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `cmd` with `input` on stdin (a string/Buffer that is then closed, `'open'` to keep
 * stdin open, or `'ignore'`), killed after the test if still running.
 */
export function run(
  t: TestContext,
  cmd: string,
  args: string[],
  input: string | Buffer /* or 'open' | 'ignore' */ = 'ignore',
): Proc {
  const child = spawn(cmd, args, {
    stdio: [input === 'ignore' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  // A child that exits before reading all its input makes our writes fail with EPIPE.
  child.stdin?.on('error', () => {});
  if (typeof input !== 'string' || (input !== 'open' && input !== 'ignore'))
    child.stdin?.end(input);
  const proc: Proc = {
    child,
    stdout: new Output(child.stdout!),
    stderr: new Output(child.stderr!),
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS * 2);
  child.on('exit', () => clearTimeout(timer));
  t.after(() => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return proc;
}

/** Spawns the socketkit CLI from the sources (see test/helpers/bin.ts). */
export function runSocketkit(
  t: TestContext,
  args: string[],
  input: string | Buffer /* or 'open' | 'ignore' */ = 'ignore',
): Proc {
  return run(t, process.execPath, ['--import', 'tsx', 'test/helpers/bin.ts', ...args], input);
}

/** Waits for a process to exit (failing after WAIT_MS). */
export async function exitOf(proc: Proc): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`process did not exit; stderr: ${proc.stderr.text}`)),
      WAIT_MS,
    );
  });
  try {
    return (await Promise.race([proc.exited, timeout])).code;
  } finally {
    clearTimeout(timer);
  }
}

/** The CLI running in-process, its stdin under the test's control. */
export interface InProcessCli {
  stdin: PassThrough;
  stdout: Output;
  stderr: Output;
  /** The exit code. */
  done: Promise<number>;
  abort(): void;
}

/** Starts `main(argv)` in-process; `stdin` is a string that then ends, or left open. */
export function startCli(
  t: TestContext,
  argv: string[],
  stdin?: string | Buffer | Readable,
): InProcessCli {
  const input = stdin instanceof Readable ? stdin : new PassThrough();
  if (!(stdin instanceof Readable) && stdin !== undefined) (input as PassThrough).end(stdin);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const controller = new AbortController();
  const cli: InProcessCli = {
    stdin: input as PassThrough,
    stdout: new Output(stdout),
    stderr: new Output(stderr),
    done: main(argv, { stdin: input, stdout, stderr, env: {}, signal: controller.signal }),
    abort: () => controller.abort(),
  };
  t.after(async () => {
    controller.abort();
    await cli.done;
  });
  return cli;
}

/** Waits for a promise, failing after WAIT_MS. */
export async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), WAIT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export { selfSignedCert } from './tls-cert.js';
