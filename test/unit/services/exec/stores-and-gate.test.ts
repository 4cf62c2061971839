import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../../src/errors.js';
import {
  buildAllowlist,
  confine,
  type ExecRefusedError,
  FileNonceStore,
  PreauthGate,
  resolveCommand,
} from '../../../../src/services/exec/index.js';

test('FileNonceStore: a nonce once, across instances; expired buckets pruned; bounded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-nonces-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const W = 60_000;
  const now = 10 * W + 5;
  const a = new FileNonceStore(join(dir, 's'), { bucketMs: W, maxEntries: 3 });
  const b = new FileNonceStore(join(dir, 's'), { bucketMs: W, maxEntries: 3 });
  assert.equal(await a.add('nonce-1', now + W, now), true);
  // Another process (or a restarted one) sees it.
  assert.equal(await b.add('nonce-1', now + W, now), false);
  assert.equal(await a.add('nonce-2', now + W, now), true);
  assert.equal(await a.add('nonce-3', now + W, now), true);
  await assert.rejects(
    a.add('nonce-4', now + W, now),
    (e: ExecRefusedError) => e.reason === 'ERR_EXEC_BUSY',
  );
  // Two windows later every bucket is past: removed, counted anew.
  const later = now + 3 * W;
  assert.equal(await a.add('nonce-4', later + W, later), true);
  assert.deepEqual(readdirSync(join(dir, 's')), [String(Math.floor((later + W) / W))]);
  assert.equal(a.size, 1);
});

test('FileNonceStore: refuses a directory other users can open', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-nonces-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const loose = join(dir, 'loose');
  mkdirSync(loose);
  chmodSync(loose, 0o755);
  assert.throws(() => new FileNonceStore(loose), /other users can open/);
  chmodSync(loose, 0o700);
  assert.ok(new FileNonceStore(loose));
});

test('PreauthGate: per address and in all; the table empties as connections leave', () => {
  const g = new PreauthGate({ perAddress: 2, maxTotal: 3 });
  assert.equal(g.acquire('a'), null);
  assert.equal(g.acquire('a'), null);
  assert.match(g.acquire('a') ?? '', /from your address \(2\)/);
  assert.equal(g.acquire(null), null);
  assert.match(g.acquire('b') ?? '', /connections \(3\)/);
  g.release('a');
  g.release('a');
  g.release(null);
  assert.equal(g.total, 0);
  assert.equal(g.addresses, 0);
});

test('allowlist: options refused unless allowed, by list or all', () => {
  const list = buildAllowlist({
    allowCommand: ['none=/bin/echo', 'some=/bin/echo', 'all=/bin/echo'],
    allowArgs: ['none=.*', 'some=.*', 'all=.*'],
    allowOptions: ['some=-n,-e', 'all=*'],
  });
  const reason = (name: string, args: string[]) => {
    try {
      resolveCommand(list, name, args);
      return 'ok';
    } catch (e) {
      return (e as ExecRefusedError).reason;
    }
  };
  assert.equal(reason('none', ['x', '-n']), 'ERR_EXEC_ARGS');
  assert.equal(reason('none', ['--']), 'ERR_EXEC_ARGS');
  assert.equal(reason('none', ['x']), 'ok');
  assert.equal(reason('some', ['-n', 'x']), 'ok');
  assert.equal(reason('some', ['-ne', 'x']), 'ERR_EXEC_ARGS');
  assert.equal(reason('all', ['--anything=1']), 'ok');
  assert.throws(
    () => buildAllowlist({ commands: { x: { path: '/bin/echo', options: ['n'] } } }),
    InvalidArgumentError,
  );
});

test('confine: the PID namespace wraps the command under a constant init line', () => {
  const run = confine(
    {
      unshare: ['/usr/bin/unshare', '--pid', '--fork', '--kill-child'],
      limit: { kind: 'rlimit', prlimit: '/usr/bin/prlimit' },
      maxProcs: 7,
      description: '',
    },
    '/bin/echo',
    ['a; b', '$(id)'],
  );
  assert.equal(run.file, '/usr/bin/prlimit');
  assert.deepEqual(run.argv, [
    '--nproc=7',
    '--',
    '/usr/bin/unshare',
    '--pid',
    '--fork',
    '--kill-child',
    '--',
    '/bin/sh',
    '-c',
    '"$@"; exit $?',
    'sh',
    '/bin/echo',
    'a; b',
    '$(id)',
  ]);
});
