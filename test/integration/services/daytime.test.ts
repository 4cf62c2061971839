import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAYTIME_PATTERN, daytimeService } from '../../../src/services/daytime/index.js';
import { datagramExchange, instanceOf, serve, tcpExchange } from './helpers/service-harness.js';

/** When this file started (Unix ms): every answer is made between then and its check. */
const FILE_STARTED = Date.now();

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Parses a daytime line back into a Date and checks it is within 2 s of now. */
function assertNow(line: string): void {
  const m = DAYTIME_PATTERN.exec(line);
  assert.ok(m, `not a daytime line: ${JSON.stringify(line)}`);
  const [, , month, day, year, hh, mm, ss] = m;
  const when = Date.UTC(
    Number(year),
    MONTHS.indexOf(month ?? ''),
    Number(day),
    Number(hh),
    Number(mm),
    Number(ss),
  );
  // "Now": between this file's start and this check (whole seconds), however loaded the
  // machine — never a window of wall-clock time the machine must keep up with.
  assert.ok(when >= FILE_STARTED - 1000 && when <= Date.now() + 1000, `${line.trim()} is not now`);
}

for (const kind of ['tcp', 'unix'] as const) {
  test(`daytime/${kind}: one line, now, in the documented format, then close`, async (t) => {
    const where = await serve(t, await instanceOf(t, daytimeService), kind);
    assertNow((await tcpExchange(where, undefined, false)).toString('latin1'));
  });
}

for (const kind of ['udp', 'unix-dgram'] as const) {
  test(`daytime/${kind}: any datagram gets the line`, async (t) => {
    const where = await serve(t, await instanceOf(t, daytimeService), kind);
    const reply = await datagramExchange(where, 'what time is it?');
    assert.ok(reply);
    assertNow(reply.toString('latin1'));
  });
}
