/**
 * Regression (issue 10, defect 5): connections already waiting in the kernel's accept
 * queue when a graceful shutdown starts are served like the others. Closing the listening
 * socket at once made the kernel reset them — clients whose connect() had succeeded.
 *
 * The test blocks its own event loop (a synchronous `cat` of a FIFO) while python3 clients
 * connect, send a line and half-close: the kernel completes their handshakes and queues
 * them, unaccepted. Still blocked, the test starts `shutdown()`; only then can the server
 * accept. Each client must get its echo and a clean end. No sleeps: the FIFO says when the
 * clients are queued, the shutdown promise and the clients' exit end the test.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TcpServer } from '../../src/server/tcp-server.js';
import { echoStream } from '../../src/services/echo/index.js';
import { needs } from '../helpers/needs.js';

const CLIENTS = 20;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'backlog-clients.py');

test(
  'connections queued in the kernel when shutdown starts are accepted and served',
  { skip: needs('python3', 'mkfifo') },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-backlog-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'ready');
    execFileSync('mkfifo', [fifo]);

    const server = new TcpServer({ host: '127.0.0.1', port: 0, handler: echoStream });
    await server.listen();
    const serving = server.serveForever();
    t.after(() => server.destroy());
    const port = server.address.family === 'unix' ? 0 : server.address.port;

    const clients = spawn('python3', [FIXTURE, String(port), String(CLIENTS), fifo], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => {
      if (clients.exitCode === null && clients.signalCode === null) clients.kill('SIGKILL');
    });
    let out = '';
    clients.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = once(clients, 'exit');

    // Blocks this event loop until every client is connected and queued (not accepted);
    // `timeout` bounds the wait should the clients fail before writing to the FIFO.
    const ready = execFileSync('timeout', ['30', 'cat', fifo], { encoding: 'utf8' });
    assert.equal(ready, 'ready\n');
    // Shutdown begins before the server could accept any of them.
    const stopped = server.shutdown({ drainTimeout: 60 });

    await stopped;
    await serving;
    await exited;
    const outcomes = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { client: number; outcome: string; reply: string });
    assert.equal(outcomes.length, CLIENTS, out);
    assert.deepEqual(
      outcomes.filter((o) => o.outcome !== 'complete'),
      [],
      'every queued client is served',
    );
  },
);
