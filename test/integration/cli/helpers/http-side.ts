/**
 * What the `serve --http` tests share: a bounded echo load, raw HTTP requests with any
 * Host/Origin (fetch() would not let a test forge them), and the HTTP side's port from
 * the listening table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { TestContext } from 'node:test';
import { parseTable, type TableRow } from '../../services/helpers/serve-harness.js';
import { until, within } from '../../../helpers/wait.js';

/** The HTTP side's port, from its `dashboard` row. */
export function dashboardPort(rows: readonly TableRow[]): number {
  const row = rows.find((r) => r.service === 'dashboard');
  if (row?.port === undefined) throw new Error(`no dashboard row in ${JSON.stringify(rows)}`);
  return row.port;
}

/** One TCP echo round trip: connect, send `line`, read it back, close. Resolves to its bytes. */
function echoOnce(port: number, line: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(line));
    socket.on('data', (d: string) => {
      got += d;
      if (got.length >= line.length) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () =>
      got === line
        ? resolve(line.length)
        : reject(new Error(`echo answered ${JSON.stringify(got)}`)),
    );
  });
}

/**
 * `count` echo round trips over TCP, `parallel` at a time (bounded in count and time).
 * Resolves to the bytes sent (= the bytes echoed).
 */
export async function echoLoad(port: number, count: number, parallel = 16): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const n = await echoOnce(port, `ping ${next}\n`);
      bytes += n;
    }
  };
  await within(
    Promise.all(Array.from({ length: Math.min(parallel, count) }, worker)),
    `${count} echo round trips`,
  );
  return bytes;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET with exactly these headers (Host included). */
export function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return within(
    new Promise<RawResponse>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path, headers: { Host: `127.0.0.1:${port}`, ...headers } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    }),
    `GET ${path}`,
  );
}

/** A WebSocket upgrade with these headers: resolves to the status line's code (101 = accepted). */
export function rawUpgrade(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  return within(
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path,
        headers: {
          Host: `127.0.0.1:${port}`,
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          ...headers,
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    }),
    `upgrade ${path}`,
  );
}

/** A `socketkit serve` running as a process of its own (the CLI from the sources). */
export interface ServeProcess {
  child: ChildProcess;
  rows: TableRow[];
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM (a graceful stop), resolving to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Spawns `node --import tsx test/helpers/bin.ts serve …argv` (a real process, so
 * `--processes` forks real workers) and resolves once it printed its table and said it
 * serves (re-checked on each chunk of output); rejects with its output if it exits
 * first. Killed when the test ends.
 */
export async function spawnServeProcess(t: TestContext, argv: string[]): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/bin.ts', 'serve', ...argv],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  const changes = new EventEmitter();
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    changes.emit('change');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    changes.emit('change');
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
      changes.emit('change');
    }),
  );
  const ready = (): boolean => /serving \d+ listener\(s\)/.test(stderr);
  await until(
    () => ready() || child.exitCode !== null || child.signalCode !== null,
    changes,
    'change',
  );
  if (!ready()) throw new Error(`serve exited early\nstdout: ${stdout}\nstderr: ${stderr}`);
  return {
    child,
    rows: parseTable(stdout),
    stdout: () => stdout,
    stderr: () => stderr,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return within(exited, 'serve to exit');
    },
  };
}
