import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CorruptFrameError, InvalidArgumentError } from '../../../../src/errors.js';
import {
  decodeNtpPacket,
  encodeNtpPacket,
  formatReferenceId,
  NTP_PACKET_SIZE,
  type NtpPacket,
  referenceIdFromCode,
} from '../../../../src/services/sntp/packet.js';

/** A server reply with every field distinct, and its bytes written out by hand. */
const PACKET: NtpPacket = {
  leap: 1,
  version: 4,
  mode: 4,
  stratum: 2,
  poll: 6,
  precision: -20,
  rootDelay: 0.5 + 1 / 65536,
  rootDispersion: 1.25,
  referenceId: Buffer.from([192, 0, 2, 1]),
  referenceTimestamp: 0xe8b1_2a00_8000_0000n,
  originTimestamp: 0x0102_0304_0506_0708n,
  receiveTimestamp: 0xe8b1_2a3c_4000_0001n,
  transmitTimestamp: 0xffff_ffff_ffff_fffen,
};
const HEX = [
  '64', // LI=01 VN=100 Mode=100 → 0b01_100_100
  '02', // stratum
  '06', // poll
  'ec', // precision -20
  '00008001', // root delay 0.5 + 2^-16
  '00014000', // root dispersion 1.25
  'c0000201', // refid 192.0.2.1
  'e8b12a0080000000',
  '0102030405060708',
  'e8b12a3c40000001',
  'fffffffffffffffe',
].join('');

test('encode: every field lands on its bytes (hand-written fixture)', () => {
  const bytes = encodeNtpPacket(PACKET);
  assert.equal(bytes.length, NTP_PACKET_SIZE);
  assert.equal(bytes.toString('hex'), HEX);
});

test('decode: every field from the fixture, and decode∘encode is byte-exact', () => {
  const decoded = decodeNtpPacket(Buffer.from(HEX, 'hex'));
  assert.deepEqual(decoded, PACKET);
  assert.equal(encodeNtpPacket(decoded).toString('hex'), HEX);
});

test('first byte: LI, version and mode in their bits, for all combinations', () => {
  for (let leap = 0; leap < 4; leap++) {
    for (let version = 0; version < 8; version++) {
      for (let mode = 0; mode < 8; mode++) {
        const p = { ...PACKET, leap: leap as 0 | 1 | 2 | 3, version, mode };
        const bytes = encodeNtpPacket(p);
        assert.equal(bytes[0], (leap << 6) | (version << 3) | mode);
        const back = decodeNtpPacket(bytes);
        assert.deepEqual([back.leap, back.version, back.mode], [leap, version, mode]);
      }
    }
  }
});

test('signed poll and precision: the full int8 range', () => {
  for (const v of [-128, -1, 0, 1, 17, 127]) {
    const back = decodeNtpPacket(encodeNtpPacket({ ...PACKET, poll: v, precision: v }));
    assert.equal(back.poll, v);
    assert.equal(back.precision, v);
  }
});

test('root delay/dispersion: 16.16 fixed point round-trips exactly, max value included', () => {
  const max = 0xffff_ffff / 65536;
  const bytes = encodeNtpPacket({ ...PACKET, rootDelay: max, rootDispersion: 0 });
  assert.equal(bytes.readUInt32BE(4), 0xffff_ffff);
  assert.equal(bytes.readUInt32BE(8), 0);
  assert.equal(decodeNtpPacket(bytes).rootDelay, max);
});

test('decode ignores extension fields and a MAC after the 48 bytes', () => {
  const withMac = Buffer.concat([Buffer.from(HEX, 'hex'), Buffer.alloc(20, 0xaa)]);
  assert.deepEqual(decodeNtpPacket(withMac), PACKET);
});

test('decode: fewer than 48 bytes is a CorruptFrameError, for every short length', () => {
  const full = Buffer.from(HEX, 'hex');
  for (let n = 0; n < NTP_PACKET_SIZE; n++) {
    assert.throws(() => decodeNtpPacket(full.subarray(0, n)), CorruptFrameError);
  }
});

test('decode copies the reference id (no aliasing of the datagram buffer)', () => {
  const buf = Buffer.from(HEX, 'hex');
  const p = decodeNtpPacket(buf);
  buf.fill(0);
  assert.deepEqual([...p.referenceId], [192, 0, 2, 1]);
});

test('encode rejects values that do not fit their bits', () => {
  const bad: Partial<NtpPacket>[] = [
    { version: 8 },
    { mode: -1 },
    { stratum: 256 },
    { poll: 128 },
    { precision: -129 },
    { rootDelay: -1 },
    { rootDispersion: 65536 },
    { referenceId: Buffer.alloc(3) },
    { transmitTimestamp: 1n << 64n },
    { originTimestamp: -1n },
  ];
  for (const patch of bad) {
    assert.throws(
      () => encodeNtpPacket({ ...PACKET, ...patch }),
      InvalidArgumentError,
      JSON.stringify(Object.keys(patch)),
    );
  }
});

test('reference ids: ASCII codes NUL-padded, shown as text at stratum 0/1 and as IPv4 above', () => {
  assert.equal(referenceIdFromCode('LOCL').toString('hex'), '4c4f434c');
  assert.equal(referenceIdFromCode('GPS').toString('hex'), '47505300');
  assert.equal(formatReferenceId(referenceIdFromCode('RATE'), 0), 'RATE');
  assert.equal(formatReferenceId(referenceIdFromCode('GPS'), 1), 'GPS');
  assert.equal(formatReferenceId(Buffer.from([127, 0, 0, 1]), 2), '127.0.0.1');
  assert.throws(() => referenceIdFromCode('TOOLONG'), InvalidArgumentError);
  assert.throws(() => referenceIdFromCode('é'), InvalidArgumentError);
});

test('property: any 48+ bytes decode and re-encode to the same 48 bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 48, maxLength: 120 }), (bytes) => {
      const again = encodeNtpPacket(decodeNtpPacket(bytes));
      assert.deepEqual([...again], [...bytes.subarray(0, 48)]);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 500) },
  );
});

test('property: any valid packet survives encode then decode', () => {
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const short = fc.integer({ min: 0, max: 0xffff_ffff }).map((raw) => raw / 65536);
  const packet = fc.record({
    leap: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
    version: fc.integer({ min: 0, max: 7 }),
    mode: fc.integer({ min: 0, max: 7 }),
    stratum: fc.integer({ min: 0, max: 255 }),
    poll: fc.integer({ min: -128, max: 127 }),
    precision: fc.integer({ min: -128, max: 127 }),
    rootDelay: short,
    rootDispersion: short,
    referenceId: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((a) => Buffer.from(a)),
    referenceTimestamp: u64,
    originTimestamp: u64,
    receiveTimestamp: u64,
    transmitTimestamp: u64,
  });
  fc.assert(
    fc.property(packet, (p) => {
      assert.deepEqual(decodeNtpPacket(encodeNtpPacket(p)), { ...p }); // spread: fast-check records have no prototype
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 500) },
  );
});
