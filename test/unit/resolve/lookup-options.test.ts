import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConnectionRefusedError,
  HostNotFoundError,
  InvalidArgumentError,
} from '../../../src/errors.js';
import {
  checkLookupOptions,
  isInvalidName,
  runLookup,
} from '../../../src/resolve/lookup-options.js';

test('isInvalidName recognises the reserved .invalid TLD (RFC 6761)', () => {
  assert.equal(isInvalidName('no-such-host.invalid'), true);
  assert.equal(isInvalidName('A.B.INVALID.'), true);
  assert.equal(isInvalidName('invalid'), true);
  assert.equal(isInvalidName('invalid.example'), false);
  assert.equal(isInvalidName('localhost'), false);
});

test('checkLookupOptions rejects bad timeouts and hosts files', () => {
  checkLookupOptions({});
  checkLookupOptions({ timeout: null });
  checkLookupOptions({ timeout: 0.5, hostsFile: '/etc/hosts' });
  for (const timeout of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => checkLookupOptions({ timeout }), InvalidArgumentError);
  }
  assert.throws(() => checkLookupOptions({ hostsFile: '' }), InvalidArgumentError);
});

test('runLookup times out with a HostNotFoundError (EAI_AGAIN) when the resolver hangs', async () => {
  const never = new Promise<string>(() => {});
  await assert.rejects(
    runLookup('slow.example', 'getaddrinfo', { timeout: 0.05 }, () => never),
    (err: unknown) => {
      assert.ok(err instanceof HostNotFoundError);
      assert.equal(err.errno, 'EAI_AGAIN');
      assert.equal(err.hostname, 'slow.example');
      assert.match(err.message, /temporary failure/);
      return true;
    },
  );
});

test('runLookup maps resolver errors into the error tree and honours abort', async () => {
  const enotfound = Object.assign(new Error('getaddrinfo ENOTFOUND x.test'), {
    code: 'ENOTFOUND',
    syscall: 'getaddrinfo',
    hostname: 'x.test',
  });
  await assert.rejects(
    runLookup('x.test', 'getaddrinfo', {}, () => Promise.reject(enotfound)),
    (err: unknown) =>
      err instanceof HostNotFoundError && err.hostname === 'x.test' && err.cause === enotfound,
  );
  const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
  await assert.rejects(
    runLookup('x.test', 'getaddrinfo', {}, () => Promise.reject(refused)),
    ConnectionRefusedError,
  );
  const ac = new AbortController();
  const pending = runLookup(
    'x.test',
    'getaddrinfo',
    { signal: ac.signal },
    () => new Promise(() => {}),
  );
  ac.abort(new Error('stop'));
  await assert.rejects(pending, /stop/);
  await assert.rejects(
    runLookup('x', 'getaddrinfo', { signal: ac.signal }, () => Promise.resolve(1)),
    /stop/,
  );
  assert.equal(await runLookup('x', 'getaddrinfo', { timeout: null }, () => Promise.resolve(7)), 7);
});
