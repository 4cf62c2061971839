import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_QUOTE, qotdService } from '../../../src/services/qotd/index.js';
import { datagramExchange, instanceOf, serve, tcpExchange } from './helpers/service-harness.js';

for (const kind of ['tcp', 'unix'] as const) {
  test(`qotd/${kind}: the quote + CRLF, then close (without the client sending anything)`, async (t) => {
    const where = await serve(t, await instanceOf(t, qotdService), kind);
    assert.equal((await tcpExchange(where, undefined, false)).toString(), `${DEFAULT_QUOTE}\r\n`);
  });
}

test('qotd/tcp: --message "welcome to server!" is the welcome server (S3)', async (t) => {
  const where = await serve(
    t,
    await instanceOf(t, qotdService, { message: 'welcome to server!' }),
    'tcp',
  );
  assert.equal((await tcpExchange(where, undefined, false)).toString(), 'welcome to server!\r\n');
});

for (const kind of ['udp', 'unix-dgram'] as const) {
  test(`qotd/${kind}: any datagram gets the message`, async (t) => {
    const where = await serve(
      t,
      await instanceOf(t, qotdService, { message: '你好, welcome' }),
      kind,
    );
    assert.equal((await datagramExchange(where, ''))?.toString('utf8'), '你好, welcome\r\n');
  });
}
