import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackAddress, resolveTarget } from '../../../src/bench/target-check.js';
import { InvalidArgumentError } from '../../../src/errors.js';

describe('isLoopbackAddress', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.255.3.4', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.0.0.1', false],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['0.0.0.0', false],
    ['::', false],
    ['fe80::1', false],
    ['localhost', false],
    ['', false],
  ];
  for (const [address, expected] of cases) {
    it(`${JSON.stringify(address)} → ${expected}`, () => {
      assert.equal(isLoopbackAddress(address), expected);
    });
  }
});

describe('resolveTarget', () => {
  it('accepts loopback literals and localhost', async () => {
    assert.deepEqual(await resolveTarget('127.0.0.1', false), { address: '127.0.0.1', family: 4 });
    assert.deepEqual(await resolveTarget('::1', false), { address: '::1', family: 6 });
    const local = await resolveTarget('localhost', false);
    assert.ok(isLoopbackAddress(local.address));
  });

  it('refuses a remote address without allowRemote, and names the flag', async () => {
    await assert.rejects(
      resolveTarget('192.0.2.10', false),
      (err: unknown) =>
        err instanceof InvalidArgumentError &&
        /--allow-remote/.test(err.message) &&
        /192\.0\.2\.10/.test(err.message),
    );
  });

  it('allows it with allowRemote (resolution only, nothing is sent)', async () => {
    assert.deepEqual(await resolveTarget('192.0.2.10', true), { address: '192.0.2.10', family: 4 });
  });
});
