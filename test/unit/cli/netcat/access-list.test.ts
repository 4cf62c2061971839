import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessList } from '../../../../src/cli/netcat/access-list.js';

test('no list lets everyone in', () => {
  const acl = new AccessList();
  assert.equal(acl.open, true);
  assert.equal(acl.allows('203.0.113.5'), true);
});

test('an allow list lets in only its addresses and ranges (IPv4-mapped peers too)', () => {
  const acl = new AccessList(['127.0.0.0/8,::1', '192.0.2.7']);
  assert.equal(acl.allows('127.0.0.1'), true);
  assert.equal(acl.allows('::ffff:127.0.0.1'), true);
  assert.equal(acl.allows('::1'), true);
  assert.equal(acl.allows('192.0.2.7'), true);
  assert.equal(acl.allows('192.0.2.8'), false);
});

test('a deny list refuses its addresses; --allow wins a conflict, as in ncat', () => {
  assert.equal(new AccessList([], ['127.0.0.1']).allows('127.0.0.1'), false);
  assert.equal(new AccessList([], ['127.0.0.1']).allows('127.0.0.2'), true);
  assert.equal(new AccessList(['127.0.0.1'], ['127.0.0.0/8']).allows('127.0.0.1'), true);
  assert.equal(new AccessList(['127.0.0.1'], ['127.0.0.0/8']).allows('127.0.0.2'), false);
});

test('Unix-socket peers (no address) are let in', () => {
  assert.equal(new AccessList(['10.0.0.0/8']).allows(''), true);
});

test('bad entries are rejected with the option name', () => {
  assert.throws(
    () => new AccessList(['example.test']),
    /--allow: "example.test" is not an IP address/,
  );
  assert.throws(() => new AccessList([], ['10.0.0.0/33']), /--deny: bad prefix length/);
});
