/**
 * Regression (issue 10, defect 5): a graceful shutdown cut echo replies short without an
 * error. With clients that read slowly, SIGTERM left most of them with part of their echo
 * and a clean close, and `serve` exited long before its drain timeout: the server took
 * "no bytes arrived for 250 ms" for a quiet client, while it had itself stopped reading
 * because its writes were backed up.
 *
 * Now a connection is done only when the client half-closed and its echo was flushed; one
 * still open at the drain timeout is reset. Each client below ends "complete" (every byte
 * echoed, in order, then EOF) or "reset" (an error), never "truncated" (a clean EOF after
 * a partial echo).
 *
 * Real `socketkit serve` processes (from the sources) and python3 clients: Python reports
 * a reset as the kernel does, while Node's libuv turns a RST that follows a partial read
 * into EOF. Driven by events: the clients say when the server is backed up, serve's log
 * says when it is stopping, the process exit ends the drain; the clients' reading pace
 * is a load shape, not a wait.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseTable } from '../integration/services/helpers/serve-harness.js';
import { needs } from '../helpers/needs.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLIENTS_PY = join(import.meta.dirname, 'fixtures', 'slow-echo-clients.py');
const CLIENTS = 10;

/**
 * The most the server's kernel send buffer can hold (tcp_wmem max, 4 MiB by default):
 * a client that is more than this ahead of its echo has bytes waiting in the server.
 */
function sendBufferMax(): number {
  try {
    const max = Number(readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2]);
    return Number.isFinite(max) && max > 0 ? max : 4 << 20;
  } catch {
    return 4 << 20;
  }
}

/** Collects a child's output and resolves `waitFor(re)` when it appears (no polling). */
class Output {
  text = '';
  readonly #waiters: { re: RegExp; resolve: () => void }[] = [];
  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (chunk: Buffer) => {
      this.text += chunk.toString();
      for (const w of [...this.#waiters]) {
        if (w.re.test(this.text)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  }
  waitFor(re: RegExp, child: ChildProcess, what: string): Promise<void> {
    if (re.test(this.text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ re, resolve });
      child.once('exit', () => {
        if (!re.test(this.text)) reject(new Error(`${what}: exited first\n${this.text}`));
      });
    });
  }
}

interface Outcome {
  client: number;
  outcome: 'complete' | 'reset' | 'truncated' | 'timeout';
  received: number;
  sent: number;
}

/**
 * Starts `serve SERVICE --drain-timeout DRAIN -v` and the python clients (reading nothing
 * until SIGTERM), sends SIGTERM once every client is backed up, then lets the clients read
 * at `rate` bytes/s. Resolves with each client's outcome and serve's log.
 */
async function shutdownUnderLoad(
  t: { after: (fn: () => void) => void },
  opts: { service: string; drain: number; bytes: number; backlog: number; rate: number },
): Promise<{ outcomes: Outcome[]; log: string; code: number | null }> {
  const serve = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'test/helpers/bin.ts'),
      'serve',
      opts.service,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--drain-timeout',
      String(opts.drain),
      '-v',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  });
  const serveExit = once(serve, 'exit');
  const stdout = new Output(serve.stdout);
  const stderr = new Output(serve.stderr);
  await stderr.waitFor(/listener\(s\)/, serve, 'serve');
  await stdout.waitFor(/\btcp\b[^\n]*\n/, serve, 'serve (the listening table)');
  const row = parseTable(stdout.text).find((r) => r.transport === 'tcp');
  assert.ok(row?.port, `no tcp row in\n${stdout.text}`);

  const clients = spawn(
    'python3',
    [CLIENTS_PY, String(row.port), String(CLIENTS), String(opts.bytes), '0', String(opts.backlog)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (clients.exitCode === null && clients.signalCode === null) clients.kill('SIGKILL');
  });
  const clientsExit = once(clients, 'exit');
  const results = new Output(clients.stdout);
  const clientErr = new Output(clients.stderr);
  await results.waitFor(/^backed-up$/m, clients, `clients (stderr: ${clientErr.text})`);

  serve.kill('SIGTERM');
  await stderr.waitFor(/stopping on SIGTERM/, serve, 'serve');
  clients.stdin.write(`rate ${opts.rate}\n`);
  const [code] = (await serveExit) as [number | null];
  // Clients still waiting for the rest of their echo (held by the kernel) read it now.
  clients.stdin.end(`rate -1\n`);
  await clientsExit;
  const outcomes = results.text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Outcome);
  assert.equal(outcomes.length, CLIENTS, `${results.text}\n${clientErr.text}`);
  return { outcomes, log: stderr.text, code };
}

test(
  'SIGTERM with slow readers: every echo client gets all its bytes, serve waits for them',
  { skip: needs('python3') },
  async (t) => {
    const backlog = sendBufferMax() + (1 << 20);
    const { outcomes, log, code } = await shutdownUnderLoad(t, {
      service: 'echo',
      drain: 120,
      bytes: backlog + (1 << 20),
      backlog,
      rate: 2_000_000,
    });
    assert.equal(code, 0, log);
    const summary = JSON.stringify(outcomes);
    assert.ok(
      outcomes.every((o) => o.outcome !== 'truncated'),
      `a clean EOF after a partial echo: ${summary}`,
    );
    // A 120 s drain is plenty: nobody needed cutting.
    assert.ok(
      outcomes.every((o) => o.outcome === 'complete'),
      `not every echo arrived: ${summary}`,
    );
    assert.doesNotMatch(log, /connections cut/);
  },
);

test(
  'SIGTERM, clients that never read: every echo connection is reset at the drain timeout',
  { skip: needs('python3') },
  async (t) => {
    const backlog = sendBufferMax() + (1 << 20);
    const { outcomes, log, code } = await shutdownUnderLoad(t, {
      service: 'echo',
      drain: 1,
      bytes: backlog + (1 << 20),
      backlog,
      rate: 0,
    });
    assert.equal(code, 0, log);
    assert.ok(
      outcomes.every((o) => o.outcome === 'reset'),
      `not every client saw a reset: ${JSON.stringify(outcomes)}`,
    );
    // Held until the drain timeout, then cut (a reset each), not let go early.
    assert.match(log, new RegExp(`shut down \\(${CLIENTS} connections cut\\)`));
  },
);

test(
  'SIGTERM, chargen clients that never read: reset at the drain timeout, not a clean end mid-line',
  { skip: needs('python3') },
  async (t) => {
    // BYTES 0: the clients send nothing and expect an endless stream.
    const { outcomes, log, code } = await shutdownUnderLoad(t, {
      service: 'chargen',
      drain: 1,
      bytes: 0,
      backlog: 1,
      rate: 0,
    });
    assert.equal(code, 0, log);
    assert.ok(
      outcomes.every((o) => o.outcome === 'reset'),
      `not every client saw a reset: ${JSON.stringify(outcomes)}`,
    );
  },
);
