import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../../src/errors.js';
import { FakeClock } from '../../../../src/internal/clock.js';
import {
  decodeNtpPacket,
  encodeNtpPacket,
  type NtpPacket,
} from '../../../../src/services/sntp/packet.js';
import { SntpResponder } from '../../../../src/services/sntp/sntp-responder.js';
import { ntpToUnixNanos, unixNanosToNtp } from '../../../../src/services/sntp/timestamp.js';

const ns = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;

function request(patch: Partial<NtpPacket> = {}): Buffer {
  return encodeNtpPacket({
    leap: 0,
    version: 4,
    mode: 3,
    stratum: 0,
    poll: 6,
    precision: -6,
    rootDelay: 0,
    rootDispersion: 0,
    referenceId: Buffer.alloc(4),
    referenceTimestamp: 0n,
    originTimestamp: 0n,
    receiveTimestamp: 0n,
    transmitTimestamp: 0xdead_beef_1234_5678n,
    ...patch,
  });
}

/** A responder on a fake clock with deterministic low bits and no rate limit surprises. */
function responder(clock: FakeClock, options: ConstructorParameters<typeof SntpResponder>[1] = {}) {
  return new SntpResponder(clock, { randomizeLowBits: false, limiterNowMs: () => 0, ...options });
}

test('a v4 client request gets a full mode-4 reply with the documented defaults', () => {
  const clock = new FakeClock(ns('2026-11-22T04:00:00Z'));
  const r = responder(clock);
  const t2 = ns('2026-11-22T04:00:01.25Z');
  clock.set(ns('2026-11-22T04:00:01.5Z')); // T3 is read when the reply is built
  const reply = decodeNtpPacket(r.respond(request(), '127.0.0.1', t2) ?? Buffer.alloc(0));
  assert.deepEqual(reply, {
    leap: 0,
    version: 4,
    mode: 4,
    stratum: 1,
    poll: 6,
    precision: -20,
    rootDelay: 0,
    rootDispersion: Math.round(0.001 * 65536) / 65536,
    referenceId: Buffer.from('LOCL'),
    referenceTimestamp: unixNanosToNtp(ns('2026-11-22T04:00:00Z')),
    originTimestamp: 0xdead_beef_1234_5678n, // the client's transmit timestamp, verbatim
    receiveTimestamp: unixNanosToNtp(t2),
    transmitTimestamp: unixNanosToNtp(ns('2026-11-22T04:00:01.5Z')),
  });
});

test('version is echoed (1-4) and poll copied', () => {
  const r = responder(new FakeClock(ns('2026-01-01T00:00:00Z')));
  for (const version of [1, 2, 3, 4]) {
    for (const poll of [-3, 0, 10, 17]) {
      const reply = decodeNtpPacket(
        r.respond(request({ version, poll }), `10.0.0.${version}`) ?? Buffer.alloc(0),
      );
      assert.equal(reply.version, version);
      assert.equal(reply.poll, poll);
    }
  }
});

test('configured stratum, refid, precision, root delay/dispersion and leap are served', () => {
  const r = responder(new FakeClock(ns('2026-01-01T00:00:00Z')), {
    stratum: 10,
    refId: 'GPS',
    precision: -23,
    rootDelay: 0.5,
    rootDispersion: 0.25,
    leap: 2,
  });
  const reply = decodeNtpPacket(r.respond(request(), '127.0.0.1') ?? Buffer.alloc(0));
  assert.equal(reply.stratum, 10);
  assert.equal(reply.referenceId.toString('hex'), '47505300');
  assert.equal(reply.precision, -23);
  assert.equal(reply.rootDelay, 0.5);
  assert.equal(reply.rootDispersion, 0.25);
  assert.equal(reply.leap, 2);
});

test('era 1: after 2036-02-07T06:28:16Z timestamps wrap, and a client decodes them in era 1', () => {
  const clock = new FakeClock(ns('2036-02-07T06:28:15.75Z'));
  const r = responder(clock);
  const t2 = ns('2036-02-07T06:28:15.9Z'); // still era 0
  clock.set(ns('2036-02-07T06:28:16.5Z')); // T3 in era 1
  const reply = decodeNtpPacket(r.respond(request(), '127.0.0.1', t2) ?? Buffer.alloc(0));
  assert.equal(reply.receiveTimestamp >> 32n, 0xffff_ffffn);
  assert.equal(reply.transmitTimestamp, 0x8000_0000n); // 0 s + half a second, era 1
  const pivot = ns('2036-02-07T06:28:16Z');
  assert.equal(ntpToUnixNanos(reply.transmitTimestamp, pivot), ns('2036-02-07T06:28:16.5Z'));
  assert.equal(ntpToUnixNanos(reply.receiveTimestamp, pivot), t2);
  // Far into era 1 as well.
  clock.set(ns('2090-06-01T00:00:00Z'));
  const late = decodeNtpPacket(r.respond(request(), '127.0.0.2') ?? Buffer.alloc(0));
  assert.equal(
    ntpToUnixNanos(late.transmitTimestamp, ns('2090-05-31T00:00:00Z')),
    ns('2090-06-01T00:00:00Z'),
  );
});

test('leap: a scheduled insertion is announced only during the month before it', () => {
  const clock = new FakeClock(ns('2026-11-22T00:00:00Z'));
  const r = responder(clock, {
    leap: 1,
    leapAt: Date.parse('2027-01-01T00:00:00Z'),
    rate: 1e6,
    burst: 1000,
  });
  const leapAt = (iso: string): number => {
    const t = ns(iso);
    clock.set(t);
    return decodeNtpPacket(r.respond(request(), '127.0.0.1', t) ?? Buffer.alloc(0)).leap;
  };
  assert.equal(leapAt('2026-11-30T23:59:59Z'), 0); // the month before: not yet
  assert.equal(leapAt('2026-12-01T00:00:00Z'), 1); // December: warn
  assert.equal(leapAt('2026-12-31T23:59:59.999Z'), 1); // the last second before the leap
  assert.equal(leapAt('2027-01-01T00:00:00Z'), 0); // done: the warning stops by itself
  assert.equal(leapAt('2027-06-30T23:59:59Z'), 0);
});

test('leap: a static indicator (no leapAt) is always served, including 3 = unsynchronized', () => {
  const r = responder(new FakeClock(ns('2026-01-01T00:00:00Z')), { leap: 3 });
  assert.equal(decodeNtpPacket(r.respond(request(), '127.0.0.1') ?? Buffer.alloc(0)).leap, 3);
});

test('malformed and non-client packets are dropped silently and counted', () => {
  const r = responder(new FakeClock(ns('2026-01-01T00:00:00Z')));
  const drops: unknown[] = [];
  const onDrop = (m: unknown) => drops.push(m);
  subscribe('socketkit:sntp:drop', onDrop);
  try {
    assert.equal(r.respond(Buffer.alloc(0), '127.0.0.1'), null);
    assert.equal(r.respond(request().subarray(0, 47), '127.0.0.1'), null);
    for (const mode of [0, 1, 2, 4, 5, 6, 7])
      assert.equal(r.respond(request({ mode }), '127.0.0.1'), null);
    for (const version of [0, 5, 7])
      assert.equal(r.respond(request({ version }), '127.0.0.1'), null);
  } finally {
    unsubscribe('socketkit:sntp:drop', onDrop);
  }
  assert.deepEqual(r.stats.dropped, {
    malformed: 2,
    'not-a-client-request': 7,
    'bad-version': 3,
    rate: 0,
  });
  assert.equal(drops.length, 12);
  assert.equal(r.stats.answered, 0);
});

test('a request with a MAC or extension fields is still answered (48-byte reply)', () => {
  const r = responder(new FakeClock(ns('2026-01-01T00:00:00Z')));
  const reply = r.respond(Buffer.concat([request(), Buffer.alloc(24, 7)]), '127.0.0.1');
  assert.equal(reply?.length, 48);
});

test("rate limit: burst answered, then a RATE Kiss-o'-Death echoing T1 everywhere, then silence", () => {
  const r = responder(new FakeClock(ns('2026-01-01T00:00:00Z')), { rate: 1, burst: 2 });
  const replies = [1, 2, 3, 4, 5].map(() => r.respond(request({ version: 3 }), '192.0.2.7'));
  assert.ok(replies[0] && replies[1]);
  const kod = decodeNtpPacket(replies[2] ?? Buffer.alloc(0));
  assert.deepEqual(
    { ...kod, referenceId: kod.referenceId.toString('latin1') },
    {
      leap: 3,
      version: 3,
      mode: 4,
      stratum: 0,
      poll: 6,
      precision: 0,
      rootDelay: 0,
      rootDispersion: 0,
      referenceId: 'RATE',
      referenceTimestamp: 0xdead_beef_1234_5678n,
      originTimestamp: 0xdead_beef_1234_5678n,
      receiveTimestamp: 0xdead_beef_1234_5678n,
      transmitTimestamp: 0xdead_beef_1234_5678n,
    },
  );
  assert.equal(replies[3], null);
  assert.equal(replies[4], null);
  assert.deepEqual([r.stats.answered, r.stats.kissed, r.stats.dropped.rate], [2, 1, 2]);
  // Another client is not affected.
  assert.ok(r.respond(request(), '192.0.2.8'));
});

test('low bits below the precision are randomized when asked (RFC 5905 §6)', () => {
  const clock = new FakeClock(ns('2026-01-01T00:00:00Z'));
  const r = new SntpResponder(clock, {
    precision: -20,
    randomBits: () => 0xfff,
    limiterNowMs: () => 0,
  });
  const reply = decodeNtpPacket(r.respond(request(), '127.0.0.1') ?? Buffer.alloc(0));
  assert.equal(reply.transmitTimestamp & 0xfffn, 0xfffn);
  assert.equal(reply.transmitTimestamp >> 12n, unixNanosToNtp(ns('2026-01-01T00:00:00Z')) >> 12n);
});

test('reference ≤ receive ≤ transmit on the wire, whatever the random low bits', () => {
  // T2 and T3 100 ns apart, in one 2^-10 s step of the precision: T2's random bits are the
  // highest, T3's the lowest, which would put T3 before T2; the reference time is T2 itself,
  // whose random bits are the lowest once, which would put T2 before the reference.
  const t2 = ns('2026-01-01T00:00:00.123Z') + 456_789n;
  for (const bits of [
    [0xffff_ffff, 0],
    [0, 0xffff_ffff],
    [0, 0],
  ]) {
    const clock = new FakeClock(t2);
    clock.advance(100n);
    const queue = [...bits];
    const r = new SntpResponder(clock, {
      precision: -10,
      randomBits: () => queue.shift() ?? 0,
      limiterNowMs: () => 0,
    });
    const reply = decodeNtpPacket(r.respond(request(), '127.0.0.1', t2) ?? Buffer.alloc(0));
    assert.ok(reply.referenceTimestamp <= reply.receiveTimestamp, `${bits}: ref > T2`);
    assert.ok(reply.receiveTimestamp <= reply.transmitTimestamp, `${bits}: T2 > T3`);
    // Still T2's and T3's own time to the precision: only the noise bits differ.
    assert.equal(reply.receiveTimestamp >> 22n, unixNanosToNtp(t2) >> 22n);
    assert.equal(reply.transmitTimestamp >> 22n, unixNanosToNtp(t2 + 100n) >> 22n);
  }
});

test('a receive time from before the clock was last set is not preceded by the reference time', () => {
  const set = ns('2026-01-01T00:00:00Z');
  const r = responder(new FakeClock(set));
  const early = set - 1_000_000n; // stamped on arrival, before the clock re-anchored
  const reply = decodeNtpPacket(r.respond(request(), '127.0.0.1', early) ?? Buffer.alloc(0));
  assert.ok(reply.referenceTimestamp <= reply.receiveTimestamp);
  assert.equal(reply.receiveTimestamp, unixNanosToNtp(early));
});

test('bad options are refused at construction', () => {
  const clock = new FakeClock(0n);
  assert.throws(() => new SntpResponder(clock, { stratum: 0 }), InvalidArgumentError);
  assert.throws(() => new SntpResponder(clock, { stratum: 16 }), InvalidArgumentError);
  assert.throws(() => new SntpResponder(clock, { refId: 'LONGER' }), InvalidArgumentError);
  assert.throws(() => new SntpResponder(clock, { precision: 1 }), InvalidArgumentError);
  assert.throws(() => new SntpResponder(clock, { rootDispersion: -1 }), InvalidArgumentError);
});
