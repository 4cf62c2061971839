import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DestinationPolicy,
  DestinationRefusedError,
  exposureWarning,
  policyFromOptions,
  unmapIPv4,
} from '../../../src/services/destination-policy.js';

test('destination policy: internal addresses are refused by default, public ones allowed', () => {
  const policy = new DestinationPolicy();
  for (const inside of [
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fd00::1',
    'fc00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '0:0:0:0:0:ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
  ]) {
    assert.equal(policy.refusal(inside, 80), 'inside', inside);
  }
  for (const outside of [
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2001:db8::1',
    '::ffff:8.8.8.8',
  ]) {
    assert.equal(policy.refusal(outside, 80), null, outside);
  }
  assert.throws(
    () => policy.check('127.0.0.1', 80),
    (err: unknown) => {
      assert.ok(err instanceof DestinationRefusedError);
      assert.equal(err.code, 'ERR_DESTINATION_REFUSED');
      assert.equal(err.reason, 'inside');
      return true;
    },
  );
});

test('destination policy: --allow-destination opens a range, --deny-destination wins over it', () => {
  const policy = policyFromOptions({
    allowDestination: ['127.0.0.0/8', '::1'],
    denyDestination: ['127.0.0.2', '8.8.4.0/24'],
  });
  assert.equal(policy.refusal('127.0.0.1', 80), null);
  assert.equal(policy.refusal('::ffff:127.0.0.1', 80), null, 'the mapped form is the IPv4 address');
  assert.equal(policy.refusal('::1', 80), null);
  assert.equal(policy.refusal('127.0.0.2', 80), 'denied');
  assert.equal(policy.refusal('8.8.4.4', 80), 'denied');
  assert.equal(policy.refusal('10.0.0.1', 80), 'inside', 'other internal ranges stay closed');
});

test('destination policy: --allow-port limits the ports; a comma list or repeats both work', () => {
  const policy = policyFromOptions({ allowPort: ['80,443', '8080'] });
  assert.equal(policy.refusal('8.8.8.8', 443), null);
  assert.equal(policy.refusal('8.8.8.8', 8080), null);
  assert.equal(policy.refusal('8.8.8.8', 22), 'port');
  assert.throws(() => policyFromOptions({ allowPort: ['http'] }), /--allow-port/);
  assert.throws(
    () => policyFromOptions({ allowDestination: ['not-an-address'] }),
    /allow-destination/,
  );
});

test('unmapIPv4: every spelling of an IPv4-mapped address, and nothing else', () => {
  assert.equal(unmapIPv4('::ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(unmapIPv4('::FFFF:0102:0304'), '1.2.3.4');
  assert.equal(unmapIPv4('0:0:0:0:0:ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(unmapIPv4('::1'), '::1');
  assert.equal(unmapIPv4('1.2.3.4'), '1.2.3.4');
  assert.equal(unmapIPv4('2001:db8::ffff:1.2.3.4'), '2001:db8::ffff:1.2.3.4');
});

test('exposureWarning: only a proxy listening beyond loopback without passwords is warned about', () => {
  for (const host of [
    undefined,
    '127.0.0.1',
    '127.0.0.2',
    '::1',
    '[::1]',
    'localhost',
    '::ffff:127.0.0.1',
  ]) {
    assert.equal(exposureWarning({ host }, 'socks', '--socks-users'), null, String(host));
  }
  assert.match(
    exposureWarning({ host: '0.0.0.0' }, 'socks', '--socks-users') ?? '',
    /socks listens on 0\.0\.0\.0 without --socks-users/,
  );
  assert.match(
    exposureWarning({ host: '::' }, 'http-proxy', '--proxy-users') ?? '',
    /anyone who can reach it/,
  );
});
