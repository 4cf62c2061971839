// PROXY v2 TLVs (haproxy's doc/proxy-protocol.txt 2.2.x) written out by hand: each known
// type decoded, unknown ones kept raw, the CRC32C checked, and every malformed list
// refused with ProxyHeaderError (a TLV past the header's end, a bad size, a duplicate).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError, ProxyHeaderError } from '../../../src/errors.js';
import { encodeProxyHeader, parseProxyHeader } from '../../../src/framing/proxy-header.js';
import type { ProxyTlvs } from '../../../src/framing/proxy-tlvs.js';
import { crc32c } from '../../../src/internal/crc32c.js';
import { hex } from './feed.js';

const SIG = '0d0a0d0a000d0a515549540a';
/** PROXY, TCP over IPv4: 127.0.0.2:4660 → 127.0.0.1:80. */
const INET = '7f000002 7f000001 1234 0050';

/** A v2 PROXY/INET header around `tlvs` (hex), its length field set. */
function v2(tlvs: string, famByte = '11', addresses = INET): Buffer {
  const body = hex(addresses + tlvs);
  const head = hex(`${SIG} 21 ${famByte}`);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([head, len, body]);
}

function tlvsOf(wire: Buffer): ProxyTlvs | undefined {
  const result = parseProxyHeader(wire);
  assert.equal(result.status, 'done');
  if (result.status !== 'done') return undefined;
  assert.equal(result.length, wire.length);
  return result.header.tlvs;
}

/** The header with a CRC32C TLV at its end holding the right (or the given) value. */
function withCrc(tlvs: string, value?: number): Buffer {
  const wire = v2(`${tlvs} 03 0004 00000000`);
  wire.writeUInt32BE(value ?? crc32c(wire), wire.length - 4);
  return wire;
}

describe('PROXY v2 TLVs', () => {
  test('no TLVs: no tlvs field (the header as before)', () => {
    assert.equal(tlvsOf(v2('')), undefined);
  });

  test('ALPN, AUTHORITY, UNIQUE_ID, NETNS, NOOP and an unknown type', () => {
    const tlvs = tlvsOf(
      v2(
        [
          '01 0002 6832', // ALPN "h2"
          '02 000b 6578616d706c652e636f6d', // AUTHORITY "example.com"
          '04 0003 000000', // NOOP: padding, not reported
          '05 0004 01020304', // UNIQUE_ID
          '30 0003 6e7331', // NETNS "ns1"
          'e0 0002 abcd', // PP2_TYPE_MIN_CUSTOM: kept raw
          'ee 0000', // an empty one too
        ].join(' '),
      ),
    );
    assert.deepEqual(tlvs, {
      alpn: 'h2',
      authority: 'example.com',
      uniqueId: hex('01020304'),
      netns: 'ns1',
      other: [
        { type: 0xe0, value: hex('abcd') },
        { type: 0xee, value: Buffer.alloc(0) },
      ],
    });
  });

  test('SSL: client bits, verify, and its sub-TLVs', () => {
    const ssl = [
      '20 002c', // 5 + 10 + 7 + 22 = 44 bytes
      '07 00000000', // CLIENT_SSL | CERT_CONN | CERT_SESS, verified
      '21 0007 544c5376312e33', // VERSION "TLSv1.3"
      '22 0004 616c6963', // CN "alic"
      '23 0013 5443505f4145535f3132385f47434d5f534841', // CIPHER (19 bytes)
    ].join(' ');
    // Recount the SSL length from its parts so the fixture stays honest.
    const body = hex(ssl.split(' ').slice(2).join(''));
    const wire = v2(`20 ${body.length.toString(16).padStart(4, '0')} ${body.toString('hex')}`);
    assert.deepEqual(tlvsOf(wire)?.ssl, {
      clientSsl: true,
      clientCertConn: true,
      clientCertSess: true,
      client: 7,
      verify: 0,
      version: 'TLSv1.3',
      cn: 'alic',
      cipher: 'TCP_AES_128_GCM_SHA',
      other: [],
    });
    const bare = tlvsOf(v2('20 0005 01 00000001 '));
    assert.equal(bare?.ssl?.clientSsl, true);
    assert.equal(bare?.ssl?.clientCertConn, false);
    assert.equal(bare?.ssl?.verify, 1);
  });

  test('CRC32C: the right one is accepted and reported, a wrong one refused', () => {
    const good = withCrc('02 0001 61');
    assert.equal(tlvsOf(good)?.crc32c, good.readUInt32BE(good.length - 4));
    assert.throws(() => parseProxyHeader(withCrc('02 0001 61', 0x12345678)), /CRC32C/);
    // Any other byte changed after sealing: refused too.
    const flipped = Buffer.from(good);
    flipped[16] = flipped[16]! ^ 1; // the source address
    assert.throws(() => parseProxyHeader(flipped), ProxyHeaderError);
    // The CRC need not be last; a LOCAL/UNSPEC header (HAProxy's health check) has one too.
    const local = Buffer.concat([hex(`${SIG} 20 00 000c`), hex('03 0004 00000000 02 0002 6869')]);
    local.writeUInt32BE(crc32c(local), 19);
    const parsed = parseProxyHeader(local);
    assert.equal(parsed.status, 'done');
    if (parsed.status === 'done') {
      assert.equal(parsed.header.command, 'local');
      assert.equal(parsed.header.tlvs?.authority, 'hi');
    }
  });

  test('the spec CRC32C vector is the one computed', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  test('malformed lists are refused with ProxyHeaderError', () => {
    const bad: [string, RegExp][] = [
      ['02 0005 6162', /runs 3 bytes past/], // longer than what is left
      ['02 0001 61 05', /1 bytes left/], // a TLV head cut short
      ['02 00', /2 bytes left/],
      ['03 0002 0000', /CRC32C TLV of 2 bytes/],
      [`05 0081 ${'00'.repeat(129)}`, /UNIQUE_ID TLV of 129 bytes/],
      ['20 0004 01000000', /SSL TLV of 4 bytes/],
      ['20 0008 01 00000000 21 0005', /SSL sub-TLV 0x21 runs/],
      ['02 0001 61 02 0001 62', /TLV 0x02 appears twice/],
      ['20 000b 01 00000000 22 0000 22 0000', /sub-TLV 0x22 appears twice/],
    ];
    for (const [tlvs, message] of bad) {
      assert.throws(
        () => parseProxyHeader(v2(tlvs)),
        (e: unknown) => e instanceof ProxyHeaderError && message.test(e.message),
        tlvs,
      );
    }
    // Bytes after a UNIX block that are not TLVs: refused as well.
    assert.throws(() => parseProxyHeader(v2('ff', '31', '00'.repeat(216))), ProxyHeaderError);
  });

  test('TLVs stay bounded by maxLength: a long list is refused on its length field', () => {
    const wire = v2(`e0 1000 ${'00'.repeat(4096)}`);
    assert.throws(() => parseProxyHeader(wire.subarray(0, 16)), /exceeds the limit of 4096/);
    const ok = parseProxyHeader(wire, { maxLength: wire.length });
    assert.equal(ok.status, 'done');
  });
});

describe('encodeProxyHeader with TLVs', () => {
  test('writes what the parser reads back, the CRC32C sealed over the whole header', () => {
    const wire = encodeProxyHeader(2, {
      source: { family: 'IPv6', address: '2001:db8::7', port: 1 },
      destination: { family: 'IPv6', address: '::1', port: 443 },
      tlvs: {
        alpn: 'h2',
        authority: 'example.com',
        uniqueId: Buffer.from('id-1'),
        netns: 'blue',
        other: [{ type: 0xe1, value: Buffer.from([1, 2]) }],
        crc32c: true,
      },
    });
    const result = parseProxyHeader(wire);
    assert.equal(result.status, 'done');
    if (result.status !== 'done') return;
    const { crc32c: crc, ...rest } = result.header.tlvs!;
    assert.equal(typeof crc, 'number');
    assert.deepEqual(rest, {
      alpn: 'h2',
      authority: 'example.com',
      uniqueId: Buffer.from('id-1'),
      netns: 'blue',
      other: [{ type: 0xe1, value: Buffer.from([1, 2]) }],
    });
  });

  test('transport dgram: v2 family byte 0x12 / 0x22; v1 refuses it and TLVs', () => {
    const four = { family: 'IPv4' as const, address: '127.0.0.1', port: 53 };
    const six = { family: 'IPv6' as const, address: '::1', port: 53 };
    const w4 = encodeProxyHeader(2, { source: four, destination: four, transport: 'dgram' });
    const w6 = encodeProxyHeader(2, { source: six, destination: six, transport: 'dgram' });
    assert.equal(w4[13], 0x12);
    assert.equal(w6[13], 0x22);
    const parsed = parseProxyHeader(w4);
    assert.equal(parsed.status === 'done' && parsed.header.transport, 'dgram');
    assert.throws(
      () => encodeProxyHeader(1, { source: four, destination: four, transport: 'dgram' }),
      InvalidArgumentError,
    );
    assert.throws(() => encodeProxyHeader(1, { tlvs: { authority: 'x' } }), InvalidArgumentError);
  });

  test('refuses values that cannot be written', () => {
    assert.throws(
      () => encodeProxyHeader(2, { tlvs: { uniqueId: Buffer.alloc(129) } }),
      InvalidArgumentError,
    );
    assert.throws(
      () => encodeProxyHeader(2, { tlvs: { other: [{ type: 3, value: Buffer.alloc(4) }] } }),
      InvalidArgumentError,
    );
    assert.throws(
      () => encodeProxyHeader(2, { tlvs: { authority: 'x'.repeat(0xffff - 2) } }),
      /at most 65535/,
    );
  });
});
