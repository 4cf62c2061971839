import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discardService } from '../../../src/services/discard/index.js';
import { datagramExchange, instanceOf, serve, tcpExchange } from './helpers/service-harness.js';

for (const kind of ['tcp', 'unix'] as const) {
  test(`discard/${kind}: reads everything, sends nothing, closes after the client`, async (t) => {
    const where = await serve(t, await instanceOf(t, discardService), kind);
    const got = await tcpExchange(where, Buffer.alloc(256 * 1024, 0x61));
    assert.equal(got.length, 0);
  });
}

for (const kind of ['udp', 'unix-dgram'] as const) {
  test(`discard/${kind}: no reply`, async (t) => {
    const where = await serve(t, await instanceOf(t, discardService), kind);
    assert.equal(await datagramExchange(where, 'anyone there?', 300), null);
  });
}
