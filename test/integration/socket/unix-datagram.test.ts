// UnixDatagramSocket (AF_UNIX, SOCK_DGRAM on the unix-dgram addon) on real socket files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UnixDatagramSocket } from '../../../src/socket/unix-datagram.js';
import { needs } from '../../helpers/needs.js';

const dir = mkdtempSync(join(tmpdir(), 'sk-udgram-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const path = (): string => join(dir, `s${n++}.sock`);

async function pair(t: { after: (fn: () => Promise<void>) => void }) {
  const a = new UnixDatagramSocket({ timeout: 5 });
  const b = new UnixDatagramSocket({ timeout: 5 });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  const pa = path();
  const pb = path();
  await a.bind({ path: pa });
  await b.bind({ path: pb });
  return { a, b, pa, pb };
}

test('sendTo/recvFrom between bound sockets, with the sender path; empty datagrams count', async (t) => {
  const { a, b, pa, pb } = await pair(t);
  assert.equal(await a.sendTo('hello', { path: pb }), 5);
  const d = await b.recvFrom(1024);
  assert.equal(d.data.toString(), 'hello');
  assert.deepEqual(d.address, { family: 'unix', path: pa });
  assert.equal(d.truncated, false);
  await a.sendTo('', { path: pb });
  assert.equal((await b.recvFrom(1024)).data.length, 0);
  assert.deepEqual(a.getSockName(), { family: 'unix', path: pa });
});

test('recvFrom(maxBytes) cuts a long datagram and says so; the excess is gone', async (t) => {
  const { a, b, pb } = await pair(t);
  await a.sendTo('0123456789', { path: pb });
  await a.sendTo('next', { path: pb });
  const d = await b.recvFrom(4);
  assert.equal(d.data.toString(), '0123');
  assert.equal(d.truncated, true);
  assert.equal((await b.recvFrom(100)).data.toString(), 'next');
});

test('connect/send/recv talk to one peer', async (t) => {
  const { a, b, pa, pb } = await pair(t);
  await a.connect({ path: pb });
  assert.deepEqual(a.getPeerName(), { family: 'unix', path: pb });
  await a.send('connected');
  assert.equal((await b.recv(100)).toString(), 'connected');
  await b.sendTo('back', { path: pa });
  assert.equal((await a.recv(100)).toString(), 'back');
});

test('timeouts and non-blocking mode', async (t) => {
  const { a } = await pair(t);
  a.setOperationTimeout(0.05);
  await assert.rejects(a.recvFrom(10), { name: 'SocketTimeoutError' });
  a.setBlocking(false);
  assert.equal(a.getOperationTimeout(), 0);
  await assert.rejects(a.recvFrom(10), { name: 'WouldBlockError' });
});

test('a full receiver: sends are retried, then time out (nothing is silently dropped)', async (t) => {
  const why = needs('python3');
  if (why) return t.skip(why);
  // A receiver that never reads: a python3 process that binds and sleeps.
  const pb = path();
  const py = spawn(
    'python3',
    [
      '-c',
      'import socket,sys,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("ready",flush=True)\ntime.sleep(30)',
      pb,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  t.after(() => {
    py.kill('SIGKILL');
  });
  await Promise.race([
    once(py.stdout, 'data'),
    once(py, 'error').then(([err]) => Promise.reject(err as Error)),
  ]);
  const a = new UnixDatagramSocket({ timeout: 0.3 });
  t.after(() => a.close());
  const big = Buffer.alloc(16 * 1024, 1);
  let sent = 0;
  let failure: unknown = null;
  for (let i = 0; i < 10_000; i++) {
    try {
      await a.sendTo(big, { path: pb });
      sent++;
    } catch (err) {
      failure = err;
      break;
    }
  }
  assert.ok(sent > 0);
  assert.equal((failure as Error | null)?.name, 'SocketTimeoutError');
});

test('errors: nothing at the path, a path too long, the abstract namespace, closed sockets', async () => {
  const s = new UnixDatagramSocket({ timeout: 1 });
  await assert.rejects(s.sendTo('x', { path: join(dir, 'nobody.sock') }), (err: Error) => {
    assert.match(err.name, /ConnectError|SocketError/);
    return true;
  });
  await assert.rejects(s.bind({ path: `/tmp/${'x'.repeat(120)}` }), {
    name: 'InvalidArgumentError',
  });
  await assert.rejects(s.bind({ path: '\0abstract' }), { name: 'InvalidArgumentError' });
  const pending = s.recvFrom(10);
  await s.close();
  await assert.rejects(pending, { name: 'SocketClosedError' });
  await assert.rejects(s.sendTo('x', { path: join(dir, 'x') }), { name: 'SocketClosedError' });
  await s.close(); // idempotent
});

test('a bound path in use is an AddressInUseError', async (t) => {
  const { pa } = await pair(t);
  const other = new UnixDatagramSocket();
  await assert.rejects(other.bind({ path: pa }), { name: 'AddressInUseError' });
  await other.close();
});

test('async iteration yields datagrams until close', async (t) => {
  const { a, b, pb } = await pair(t);
  await a.sendTo('one', { path: pb });
  await a.sendTo('two', { path: pb });
  const got: string[] = [];
  for await (const d of b) {
    got.push(d.data.toString());
    if (got.length === 2) break;
  }
  assert.deepEqual(got, ['one', 'two']);
});
