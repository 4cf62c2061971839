// Issue 10, defect 15: the nonce table lived in memory, so a captured request could be
// replayed after a restart, and once per worker with --processes. Now nonces are kept in
// a state directory (O_EXCL files: atomic across processes) or in Redis (SET NX PX).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { type SignedRequest, signRequest, storeId } from '../../src/services/exec/index.js';
import { rawTcpRequest } from '../integration/services/exec-harness.js';
import { spawnExecServe } from './helpers/exec-serve-process.js';

const ARGS = ['--tcp', '--allow-command', 'echo=/bin/echo', '--allow-args', 'echo=.*'];

async function outcome(port: number, r: SignedRequest): Promise<string> {
  const { frames } = await rawTcpRequest(port, [r]);
  const last = frames.at(-1);
  return last?.type === 'error' ? last.error.code : (last?.type ?? 'nothing');
}

async function redisReachable(): Promise<boolean> {
  const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, connectTimeout: 1000 });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

test(
  'exec: a request replayed after a restart is refused (state directory)',
  { timeout: 120_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-exec-replay-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const secret = `replay-secret-${randomBytes(8).toString('hex')}`;
    const store = ['--replay-store', join(dir, 'nonces')];
    const captured = signRequest(Buffer.from(secret), 'echo', ['once']);
    const first = await spawnExecServe([...ARGS, ...store], secret);
    assert.equal(await outcome(first.tcpPort, captured), 'end');
    assert.equal(await outcome(first.tcpPort, captured), 'ERR_EXEC_REPLAY');
    await first.stop();
    const second = await spawnExecServe([...ARGS, ...store], secret);
    t.after(() => second.stop());
    assert.match(second.stderr(), /nonces in file /);
    assert.equal(await outcome(second.tcpPort, captured), 'ERR_EXEC_REPLAY');
    // A fresh request still runs.
    assert.equal(
      await outcome(second.tcpPort, signRequest(Buffer.from(secret), 'echo', ['new'])),
      'end',
    );
  },
);

for (const kind of ['file', 'redis'] as const) {
  test(
    `exec --processes 2: a request sent to every worker runs once (${kind} store)`,
    { timeout: 120_000 },
    async (t) => {
      if (kind === 'redis' && !(await redisReachable()))
        return t.skip('SKIPPED LOUDLY: no Redis at 127.0.0.1:6379');
      const secret = `replay-secret-${randomBytes(8).toString('hex')}`;
      let spec: string;
      if (kind === 'file') {
        const dir = mkdtempSync(join(tmpdir(), 'sk-exec-replay-'));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        spec = join(dir, 'nonces');
      } else {
        spec = 'redis://127.0.0.1:6379';
        t.after(async () => {
          const r = new Redis({ host: '127.0.0.1', port: 6379 });
          const keys = await r.keys(`socketkit:exec:replay:${storeId(Buffer.from(secret))}:*`);
          if (keys.length > 0) await r.del(...keys);
          r.disconnect();
        });
      }
      const server = await spawnExecServe(
        [...ARGS, '--processes', '2', '--replay-store', spec],
        secret,
      );
      t.after(() => server.stop());
      const captured = signRequest(Buffer.from(secret), 'echo', ['once']);
      // Eight connections at once: the primary hands them to both workers.
      const results = await Promise.all(
        Array.from({ length: 8 }, () => outcome(server.tcpPort, captured)),
      );
      assert.equal(results.filter((r) => r === 'end').length, 1, results.join(' '));
      assert.equal(results.filter((r) => r === 'ERR_EXEC_REPLAY').length, 7, results.join(' '));
    },
  );
}
