// Issue 10, defect 2: an unauthenticated exec client could make the server buffer a
// 2 MiB request for 60 s (400 such clients: 68 MB → 898 MB). Now the server reads at most
// a 4 KiB header before it checks the MAC (a longer one is refused at once), and drops a
// client that has not authenticated within --auth-timeout.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { decodeReplyPayload, ExecSession } from '../../src/services/exec/index.js';
import { rssOf, spawnExecServe } from './helpers/exec-serve-process.js';

const SECRET = 'regression-secret-0123456789';
const CLIENTS = 200;
const DECLARED = 2 << 20;
const MB = 2 ** 20;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `data`; resolves with the first reply frame's error code once the server closed. */
function sendAndAwaitRefusal(s: Socket, data: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    s.on('error', () => {});
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
    });
    s.once('close', () => {
      const len = got.length >= 4 ? got.readUInt32BE(0) : -1;
      if (len < 0 || got.length < 4 + len) return resolve(`no reply (${got.length} bytes)`);
      const frame = decodeReplyPayload(got.subarray(4, 4 + len));
      resolve(frame.type === 'error' ? frame.error.code : frame.type);
    });
    s.write(data);
  });
}

test(
  'exec: unauthenticated clients declaring 2 MiB are refused at the header; slow ones hold little',
  {
    timeout: 120_000,
  },
  async (t) => {
    const server = await spawnExecServe(
      [
        '--tcp',
        '--allow-command',
        'echo=/bin/echo',
        '--replay-store',
        'memory',
        '--auth-timeout',
        '3',
        // So that the per-address cap (tested on its own) does not refuse these first.
        '--max-unauthenticated-per-ip',
        String(CLIENTS + 10),
        '--max-unauthenticated',
        String(CLIENTS + 10),
      ],
      SECRET,
    );
    t.after(() => server.stop());
    const session = await ExecSession.connect(
      { host: '127.0.0.1', port: server.tcpPort },
      { secret: Buffer.from(SECRET) },
    );
    await session.run('echo', [], () => {});
    await session.close();
    const before = rssOf(server.pid);

    // 1. The old attack: a request frame declaring 2 MiB, all of it sent. Each client is
    //    refused on the length alone (before the fix: buffered, no reply for 60 s).
    const head = Buffer.alloc(4);
    head.writeUInt32BE(DECLARED);
    const bulkData = Buffer.concat([head, Buffer.alloc(DECLARED, 0x20)]);
    // Each client sends as soon as it is connected: opening all of them first could take
    // longer than --auth-timeout on a loaded machine, and the first ones would be dropped
    // for their silence instead of refused for their header.
    const refusals: Promise<string>[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      refusals.push(sendAndAwaitRefusal(await open(server.tcpPort), bulkData));
    }
    const codes = await Promise.all(refusals);
    assert.deepEqual(new Set(codes), new Set(['ERR_EXEC_BAD_REQUEST']));
    const afterBulk = rssOf(server.pid);

    // 2. Clients holding a header that never completes (4095 of its 4096 bytes).
    const slowHead = Buffer.alloc(4);
    slowHead.writeUInt32BE(4096);
    const slowData = Buffer.concat([slowHead, Buffer.alloc(4095, 0x20)]);
    const slow: Socket[] = [];
    for (let i = 0; i < CLIENTS; i++) slow.push(await open(server.tcpPort));
    const slowClosed = slow.map((s) => {
      s.on('error', () => {});
      return once(s, 'close');
    });
    await Promise.all(slow.map((s) => new Promise<void>((r) => s.write(slowData, () => r()))));
    const held = rssOf(server.pid);
    t.diagnostic(
      `server RSS: ${(before / MB).toFixed(1)} MB; after ${CLIENTS} clients sent 2 MiB each: ${(afterBulk / MB).toFixed(1)} MB; holding ${CLIENTS} unauthenticated clients: ${(held / MB).toFixed(1)} MB (${((held - afterBulk) / CLIENTS / 1024).toFixed(1)} KiB each)`,
    );
    // Before the fix: 2 MiB per bulk client, 400 MB. Now only read-and-discard churn.
    assert.ok(afterBulk - before < 160 * MB, `bulk: RSS grew by ${(afterBulk - before) / MB} MB`);
    assert.ok(held - afterBulk < 32 * MB, `held: RSS grew by ${(held - afterBulk) / MB} MB`);
    // The slow ones are dropped by the server at --auth-timeout (awaited as 'close' events).
    await Promise.all(slowClosed);
  },
);
