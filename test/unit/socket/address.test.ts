import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import {
  checkAddress,
  errorWhere,
  formatSocketAddress,
  isUnixAddress,
  toPeerAddress,
} from '../../../src/socket/address.js';
import { StreamOptions } from '../../../src/socket/socket-options.js';
import { checkTimeout } from '../../../src/socket/wait.js';

test('checkAddress normalises and validates', () => {
  assert.deepEqual(checkAddress({ host: '', port: 80 }), { host: 'localhost', port: 80 });
  assert.deepEqual(checkAddress({ port: 80 }, 'address', '0.0.0.0'), { host: '0.0.0.0', port: 80 });
  assert.deepEqual(checkAddress({ path: '/tmp/s' }), { path: '/tmp/s' });
  for (const bad of [
    null,
    5,
    { host: 'x' },
    { host: 'x', port: 65536 },
    { host: 'x', port: 1.5 },
    { path: '' },
    { host: 3, port: 1 },
  ]) {
    assert.throws(() => checkAddress(bad), InvalidArgumentError, JSON.stringify(bad));
  }
});

test('address helpers', () => {
  assert.ok(isUnixAddress({ path: '/x' }));
  assert.ok(!isUnixAddress({ host: 'a', port: 1 }));
  assert.deepEqual(toPeerAddress('::1', 5, 'IPv6'), { family: 'IPv6', address: '::1', port: 5 });
  assert.deepEqual(toPeerAddress('::1', 5, undefined), { family: 'IPv6', address: '::1', port: 5 });
  assert.deepEqual(toPeerAddress('10.0.0.1', 5, 4), {
    family: 'IPv4',
    address: '10.0.0.1',
    port: 5,
  });
  assert.equal(formatSocketAddress({ host: '::1', port: 80 }), '[::1]:80');
  assert.equal(formatSocketAddress({ family: 'IPv4', address: '1.2.3.4', port: 80 }), '1.2.3.4:80');
  assert.equal(formatSocketAddress({ path: '/run/x.sock' }), '/run/x.sock');
  assert.deepEqual(errorWhere({ host: 'h', port: 1 }), { address: 'h', port: 1 });
  assert.deepEqual(errorWhere(undefined), {});
});

test('checkTimeout accepts null, 0 and positive seconds only', () => {
  assert.equal(checkTimeout(null), null);
  assert.equal(checkTimeout(0), 0);
  assert.equal(checkTimeout(2.5), 2.5);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1e10]) {
    assert.throws(() => checkTimeout(bad), InvalidArgumentError);
  }
});

test('StreamOptions remembers values and validates them', () => {
  const o = new StreamOptions();
  o.set('SO_LINGER', 0, null, false);
  assert.ok(o.lingerZero);
  o.set('SO_LINGER', false, null, false);
  assert.ok(!o.lingerZero);
  o.set('SO_KEEPALIVE', 1, null, false);
  assert.equal(o.get('SO_KEEPALIVE'), true);
  assert.throws(() => o.set('TCP_KEEPIDLE', -3, null, false), InvalidArgumentError);
  assert.throws(() => o.set('SO_LINGER', 'x', null, false), InvalidArgumentError);
});
