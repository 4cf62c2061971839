import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessList } from '../../../src/server/access-list.js';
import type { PeerAddress } from '../../../src/server/handler-types.js';

const v4 = (address: string): PeerAddress => ({ family: 'IPv4', address, port: 1 });
const v6 = (address: string): PeerAddress => ({ family: 'IPv6', address, port: 1 });

test('no lists: everyone is let through', () => {
  const list = new AccessList();
  assert.equal(list.empty, true);
  assert.equal(list.permits(v4('203.0.113.9')), true);
});

test('deny wins over allow; allow admits only its networks', () => {
  const list = new AccessList({ allow: ['10.0.0.0/8', '::1'], deny: ['10.1.0.0/16'] });
  assert.equal(list.permits(v4('10.2.3.4')), true);
  assert.equal(list.permits(v4('10.1.3.4')), false);
  assert.equal(list.permits(v4('192.168.1.1')), false);
  assert.equal(list.permits(v6('::1')), true);
  assert.equal(list.permits(v6('::2')), false);
});

test('IPv4-mapped IPv6 clients of a dual-stack server match IPv4 rules', () => {
  const list = new AccessList({ allow: ['127.0.0.1'] });
  assert.equal(list.permits(v6('::ffff:127.0.0.1')), true);
  assert.equal(new AccessList({ deny: ['127.0.0.0/8'] }).permits(v6('::ffff:127.0.0.5')), false);
});

test('IPv6 CIDR blocks', () => {
  const list = new AccessList({ deny: ['fd00::/8'] });
  assert.equal(list.permits(v6('fd12:3456::1')), false);
  assert.equal(list.permits(v6('2001:db8::1')), true);
});

test('Unix socket peers have no address and are always let through', () => {
  assert.equal(
    new AccessList({ allow: ['10.0.0.0/8'] }).permits({ family: 'unix', path: '' }),
    true,
  );
});

test('an empty allow list means no rule, not "nobody"', () => {
  assert.equal(new AccessList({ allow: [] }).permits(v4('1.2.3.4')), true);
});

test('bad entries throw InvalidArgumentError with the entry in the message', () => {
  assert.throws(() => new AccessList({ allow: ['10.0.0.0/33'] }), /10\.0\.0\.0\/33.*prefix/);
  assert.throws(() => new AccessList({ deny: ['example.com'] }), /example\.com.*not an IP/);
  assert.throws(() => new AccessList({ deny: ['::1/129'] }), { name: 'InvalidArgumentError' });
  assert.throws(() => new AccessList({ deny: ['10.0.0.0/x'] }), { name: 'InvalidArgumentError' });
});

test('every spelling of an IPv4-mapped IPv6 address is judged as the IPv4 address', () => {
  const list = new AccessList({ deny: ['127.0.0.0/8'] });
  for (const address of ['::ffff:127.0.0.1', '::FFFF:7f00:1', '0:0:0:0:0:ffff:127.0.0.1']) {
    assert.equal(list.permits({ family: 'IPv6', address, port: 1 }), false, address);
  }
  assert.equal(list.permits({ family: 'IPv6', address: '::1', port: 1 }), true);
});
