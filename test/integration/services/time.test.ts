import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fromRfc868Seconds,
  RFC868_EPOCH_OFFSET,
  timeService,
} from '../../../src/services/time/index.js';
import { datagramExchange, instanceOf, serve, tcpExchange } from './helpers/service-harness.js';

/** When this file started (Unix ms): every answer is made between then and its check. */
const FILE_STARTED = Date.now();

/**
 * Checks 4 big-endian bytes are the seconds since 1900 of "now": between this file's start
 * and this check (whole seconds), however loaded the machine.
 */
function assertNow(bytes: Buffer): void {
  assert.equal(bytes.length, 4, `${bytes.length} bytes`);
  const from = (Math.floor(FILE_STARTED / 1000) + RFC868_EPOCH_OFFSET) % 2 ** 32;
  const to = (Math.ceil(Date.now() / 1000) + RFC868_EPOCH_OFFSET) % 2 ** 32;
  const got = bytes.readUInt32BE(0);
  assert.ok(got >= from && got <= to, `${got} not in ${from}…${to}`);
  const ms = fromRfc868Seconds(bytes).getTime();
  assert.ok(ms >= FILE_STARTED - 1000 && ms <= Date.now() + 1000);
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
