/**
 * Regression (issue 10, defect 5, the shared close): when a connection's lingering close
 * could not flush the reply within `closeTimeout` (the client was not reading), the socket
 * was destroyed: the kernel sent what it held and then a FIN, and the client saw a clean
 * end after a partial reply. Now the connection is reset: the client sees an error.
 *
 * A handler writes 8 MiB and returns; a python3 client (Python reports a reset faithfully,
 * Node's libuv may not) reads nothing until the server published the connection's close,
 * then reads everything: the bytes, then ECONNRESET — never EOF.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { TcpServer } from '../../src/server/tcp-server.js';
import { needs } from '../helpers/needs.js';

const CLIENTS_PY = join(import.meta.dirname, 'fixtures', 'slow-echo-clients.py');

test(
  'a reply not flushed within closeTimeout is reset, not cut with a FIN',
  { skip: needs('python3') },
  async (t) => {
    const server = new TcpServer({
      host: '127.0.0.1',
      port: 0,
      closeTimeout: 1,
      handler: (conn) => {
        conn.raw.write(Buffer.alloc(8 << 20, 0x61)); // more than the socket buffers hold
      },
    });
    await server.listen();
    void server.serveForever();
    t.after(() => server.destroy());
    const port = server.address.family === 'unix' ? 0 : server.address.port;
    const closed = new Promise<void>((resolve) => {
      const onClose = (): void => {
        diagnostics.unsubscribe('socketkit:server:close', onClose);
        resolve();
      };
      diagnostics.subscribe('socketkit:server:close', onClose);
    });

    // One client that sends nothing and reads nothing until told ("rate -1").
    const client = spawn('python3', [CLIENTS_PY, String(port), '1', '0', '0'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    t.after(() => {
      if (client.exitCode === null && client.signalCode === null) client.kill('SIGKILL');
    });
    let out = '';
    client.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = once(client, 'exit');
    await closed; // the server gave up flushing after closeTimeout
    client.stdin.end('rate -1\n');
    await exited;
    const result = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) ?? '{}') as {
      outcome?: string;
      received?: number;
    };
    assert.equal(result.outcome, 'reset', out);
    assert.ok((result.received ?? 0) < 8 << 20, out);
  },
);
