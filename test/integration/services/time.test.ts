import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fromRfc868Seconds,
  RFC868_EPOCH_OFFSET,
  timeService,
} from '../../../src/services/time/index.js';
import { datagramExchange, instanceOf, serve, tcpExchange } from './helpers/service-harness.js';

/** Checks 4 big-endian bytes are the seconds since 1900, within 2 s of the clock. */
function assertNow(bytes: Buffer): void {
  assert.equal(bytes.length, 4, `${bytes.length} bytes`);
  const expected = (Math.floor(Date.now() / 1000) + RFC868_EPOCH_OFFSET) % 2 ** 32;
  assert.ok(
    Math.abs(bytes.readUInt32BE(0) - expected) <= 2,
    `${bytes.readUInt32BE(0)} vs ${expected}`,
  );
  assert.ok(Math.abs(fromRfc868Seconds(bytes).getTime() - Date.now()) <= 3000);
}

for (const kind of ['tcp', 'unix'] as const) {
  test(`time/${kind}: 4 bytes, seconds since 1900, then close`, async (t) => {
    const where = await serve(t, await instanceOf(t, timeService), kind);
    assertNow(await tcpExchange(where, undefined, false));
  });
}

for (const kind of ['udp', 'unix-dgram'] as const) {
  test(`time/${kind}: any datagram (empty too) gets the 4 bytes`, async (t) => {
    const where = await serve(t, await instanceOf(t, timeService), kind);
    const reply = await datagramExchange(where, '');
    assert.ok(reply);
    assertNow(reply);
  });
}
