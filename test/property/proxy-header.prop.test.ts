// Property tests of the PROXY protocol codec: encode → parse is the identity for random
// addresses in both versions, under any split of the bytes; random bytes (and random
// mutations of valid headers) never make the parser throw anything but ProxyHeaderError,
// and it never reads past maxLength. With TLVs: encode → parse returns them (a CRC32C
// sealed and verified), and random corruption of a TLV-carrying header (a byte changed,
// the length field changed, cut short) is parsed or refused with ProxyHeaderError only.
// FUZZ_RUNS sets the runs per property.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProxyHeaderError } from '../../src/errors.js';
import {
  encodeProxyHeader,
  parseProxyHeader,
  type ProxiedAddress,
} from '../../src/framing/proxy-header.js';
import type { ProxyTlvFields } from '../../src/framing/proxy-tlvs.js';

const tlvFieldsArb: fc.Arbitrary<ProxyTlvFields> = fc.record(
  {
    alpn: fc.string({ maxLength: 20, unit: 'binary-ascii' }),
    authority: fc.string({ maxLength: 60 }),
    uniqueId: fc.uint8Array({ maxLength: 128 }).map((b) => Buffer.from(b)),
    netns: fc.string({ maxLength: 20, unit: 'binary-ascii' }),
    other: fc.array(
      fc.record({
        type: fc.integer({ min: 0xe0, max: 0xef }),
        value: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      }),
      { maxLength: 4 },
    ),
    crc32c: fc.boolean(),
  },
  { requiredKeys: [] },
);

const numRuns = Number(process.env.FUZZ_RUNS ?? 1000);
const params = { numRuns };

const port = fc.integer({ min: 0, max: 65535 });
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
/** IPv6 in canonical (RFC 5952) form, as the parser reports it; zero runs are likely. */
const ipv6 = fc
  .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map(canonicalIPv6);

const pairArb: fc.Arbitrary<{ source: ProxiedAddress; destination: ProxiedAddress }> = fc.oneof(
  fc.record({
    source: fc.record({ family: fc.constant('IPv4' as const), address: ipv4, port }),
    destination: fc.record({ family: fc.constant('IPv4' as const), address: ipv4, port }),
  }),
  fc.record({
    source: fc.record({ family: fc.constant('IPv6' as const), address: ipv6, port }),
    destination: fc.record({ family: fc.constant('IPv6' as const), address: ipv6, port }),
  }),
);
const unixPath = fc
  .string({ minLength: 1, maxLength: 100, unit: 'grapheme-ascii' })
  .filter((s) => !s.includes('\0'))
  .map((s) => `/${s}`.slice(0, 108));

function canonicalIPv6(groups: number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  return best === -1
    ? hex.join(':')
    : `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Parses `wire` as a socket would deliver it: growing by the cut points. */
function parseInChunks(wire: Buffer, cuts: number[]): ReturnType<typeof parseProxyHeader> {
  const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  for (const p of points) {
    const partial = parseProxyHeader(wire.subarray(0, p), { maxLength: 65551 });
    if (partial.status === 'done') return partial;
  }
  return parseProxyHeader(wire, { maxLength: 65551 });
}

describe('PROXY header properties', () => {
  test('encode → parse returns the addresses (v1 and v2, any split, data after kept)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1 as const, 2 as const),
        pairArb,
        fc.uint8Array({ maxLength: 32 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (version, pair, data, cuts) => {
          const header = encodeProxyHeader(version, pair);
          const wire = Buffer.concat([header, data]);
          const result = parseInChunks(wire, cuts);
          assert.equal(result.status, 'done');
          if (result.status !== 'done') return;
          assert.equal(result.length, header.length);
          assert.equal(result.header.version, version);
          assert.deepEqual(result.header.source, { ...pair.source });
          assert.deepEqual(result.header.destination, { ...pair.destination });
        },
      ),
      params,
    );
  });

  test('encode → parse of Unix addresses (v2)', () => {
    fc.assert(
      fc.property(unixPath, unixPath, (a, b) => {
        const pair = {
          source: { family: 'unix' as const, path: a },
          destination: { family: 'unix' as const, path: b },
        };
        const result = parseProxyHeader(encodeProxyHeader(2, pair));
        assert.equal(result.status, 'done');
        if (result.status === 'done') {
          assert.deepEqual(result.header.source, { ...pair.source });
          assert.deepEqual(result.header.destination, { ...pair.destination });
        }
      }),
      params,
    );
  });

  test('random bytes: more, done or ProxyHeaderError, never beyond the limit', () => {
    const prefix = fc.constantFrom(
      Buffer.alloc(0),
      Buffer.from('PROXY '),
      Buffer.from('PROXY TCP4 '),
      Buffer.from('PROXY TCP6 '),
      Buffer.from('0d0a0d0a000d0a515549540a', 'hex'),
      Buffer.from('0d0a0d0a000d0a515549540a21', 'hex'),
    );
    fc.assert(
      fc.property(
        prefix,
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 16, max: 512 }),
        (head, tail, maxLength) => {
          const bytes = Buffer.concat([head, tail]);
          try {
            const result = parseProxyHeader(bytes, { maxLength });
            if (result.status === 'done') {
              assert.ok(result.length <= maxLength || result.length <= 107);
              assert.ok(result.length <= bytes.length);
            }
          } catch (error) {
            assert.ok(error instanceof ProxyHeaderError, `threw ${String(error)}`);
          }
        },
      ),
      params,
    );
  });

  test('a valid header with one byte changed: parsed or ProxyHeaderError, nothing else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1 as const, 2 as const),
        pairArb,
        fc.nat(),
        fc.nat(255),
        (version, pair, at, value) => {
          const wire = Buffer.from(encodeProxyHeader(version, pair));
          wire[at % wire.length] = value;
          try {
            parseProxyHeader(wire);
          } catch (error) {
            assert.ok(error instanceof ProxyHeaderError, `threw ${String(error)}`);
          }
        },
      ),
      params,
    );
  });

  test('encode → parse with TLVs returns them, any split, the CRC32C verified', () => {
    fc.assert(
      fc.property(
        pairArb,
        tlvFieldsArb,
        fc.array(fc.nat(), { maxLength: 8 }),
        (pair, tlvs, cuts) => {
          const wire = encodeProxyHeader(2, { ...pair, tlvs });
          const result = parseInChunks(wire, cuts);
          assert.equal(result.status, 'done');
          if (result.status !== 'done') return;
          assert.equal(result.length, wire.length);
          assert.deepEqual(result.header.source, { ...pair.source });
          const got = result.header.tlvs;
          const { crc32c: sealed, ...want } = tlvs;
          const expected = {
            ...want,
            other: (want.other ?? []).map((o) => ({ ...o })),
            ...(sealed === true ? { crc32c: got?.crc32c } : {}),
          };
          const empty = Object.keys(want).filter((k) => k !== 'other').length === 0;
          if (empty && expected.other.length === 0 && sealed !== true) {
            assert.equal(got, undefined);
            return;
          }
          assert.deepEqual(got, expected);
          if (sealed === true) assert.equal(typeof got?.crc32c, 'number');
        },
      ),
      params,
    );
  });

  test('a header with TLVs corrupted (a byte, its length, cut short): parsed or ProxyHeaderError', () => {
    fc.assert(
      fc.property(
        pairArb,
        tlvFieldsArb,
        fc.nat(),
        fc.nat(255),
        fc.constantFrom('byte', 'length', 'cut'),
        (pair, tlvs, at, value, how) => {
          const wire = Buffer.from(encodeProxyHeader(2, { ...pair, tlvs }));
          let bytes = wire;
          if (how === 'byte') wire[at % wire.length] = value;
          if (how === 'length') wire.writeUInt16BE(at % 0x10000, 14);
          if (how === 'cut') {
            const cut = 16 + (at % (wire.length - 15));
            bytes = wire.subarray(0, cut);
            wire.writeUInt16BE(cut - 16, 14);
          }
          try {
            const result = parseProxyHeader(bytes, { maxLength: 65551 });
            if (result.status === 'done') assert.ok(result.length <= bytes.length);
            // A sealed header with an address byte changed is refused. (A change to a
            // TLV's type or length can hide the CRC32C TLV itself: the spec's checksum
            // guards the bytes, not the structure.)
            const addresses = pair.source.family === 'IPv4' ? 12 : 36;
            const i = at % wire.length;
            if (how === 'byte' && tlvs.crc32c === true && i >= 16 && i < 16 + addresses) {
              const changed = value !== encodeProxyHeader(2, { ...pair, tlvs })[i];
              assert.ok(
                !(changed && result.status === 'done'),
                'a corrupted header passed its CRC32C',
              );
            }
          } catch (error) {
            assert.ok(error instanceof ProxyHeaderError, `threw ${String(error)}`);
          }
        },
      ),
      params,
    );
  });
});
