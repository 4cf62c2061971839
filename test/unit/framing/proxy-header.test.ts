// The PROXY protocol codec against haproxy's doc/proxy-protocol.txt: the spec's v1
// examples, v2 byte layouts written out by hand, every split of each header, and the
// receiver's refusals (no guessing, bounded lengths).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError, ProxyHeaderError } from '../../../src/errors.js';
import {
  encodeProxyHeader,
  parseProxyHeader,
  type ProxyHeaderParse,
  startsProxyHeader,
} from '../../../src/framing/proxy-header.js';
import { ByteQueue } from '../../../src/internal/byte-queue.js';
import { hex } from './feed.js';

const SIG = '0d0a0d0a000d0a515549540a';

/** Parses `wire` fed one byte more at a time: `more` until the whole header is there. */
function parseEveryPrefix(wire: Buffer, extra = Buffer.alloc(0)): ProxyHeaderParse {
  const all = Buffer.concat([wire, extra]);
  for (let n = 0; n < wire.length; n++) {
    assert.deepEqual(parseProxyHeader(all.subarray(0, n)), { status: 'more' }, `prefix ${n}`);
  }
  const done = parseProxyHeader(all);
  assert.equal(done.status, 'done');
  assert.equal((done as { length: number }).length, wire.length);
  return done;
}

function headerOf(result: ProxyHeaderParse): unknown {
  assert.equal(result.status, 'done');
  return (result as { header: unknown }).header;
}

describe('PROXY v1', () => {
  test('the spec examples parse, byte by byte, and leave what follows', () => {
    const wire = Buffer.from('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n');
    assert.deepEqual(headerOf(parseEveryPrefix(wire, Buffer.from('GET / HTTP/1.1\r\n'))), {
      version: 1,
      command: 'proxy',
      transport: 'stream',
      source: { family: 'IPv4', address: '192.168.0.1', port: 56324 },
      destination: { family: 'IPv4', address: '192.168.0.11', port: 443 },
    });
    const v6 = Buffer.from('PROXY TCP6 2001:DB8:0:0::1 ::1 1 65535\r\n');
    assert.deepEqual(headerOf(parseEveryPrefix(v6)), {
      version: 1,
      command: 'proxy',
      transport: 'stream',
      source: { family: 'IPv6', address: '2001:db8::1', port: 1 },
      destination: { family: 'IPv6', address: '::1', port: 65535 },
    });
    assert.deepEqual(headerOf(parseEveryPrefix(Buffer.from('PROXY UNKNOWN ffff::1 x\r\n'))), {
      version: 1,
      command: 'proxy',
      transport: 'unspec',
      source: null,
      destination: null,
    });
  });

  test('the longest legal line (107 bytes) parses; no CRLF within 107 bytes fails', () => {
    const a = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const longest = Buffer.from(`PROXY TCP6 ${a} ${a} 65535 65535\r\n`);
    assert.equal(longest.length, 104);
    assert.equal(parseProxyHeader(longest).status, 'done');
    const unknown = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(92)}\r\n`);
    assert.equal(unknown.length, 108);
    assert.throws(() => parseProxyHeader(unknown), ProxyHeaderError);
    assert.equal(parseProxyHeader(unknown.subarray(0, 106)).status, 'more');
    assert.throws(() => parseProxyHeader(unknown.subarray(0, 107)), ProxyHeaderError);
  });

  test('malformed lines are refused', () => {
    for (const line of [
      'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n', // LF without CR
      'PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n', // a field missing
      'PROXY TCP4 192.168.0.1  192.168.0.11 56324 443\r\n', // two spaces
      'PROXY TCP4 ::1 ::1 1 2\r\n', // wrong family
      'PROXY TCP6 1.2.3.4 ::1 1 2\r\n',
      'PROXY TCP4 1.2.3.4 1.2.3.5 65536 2\r\n', // port out of range
      'PROXY TCP4 1.2.3.4 1.2.3.5 01 2\r\n', // leading zero
      'PROXY TCP4 01.2.3.4 1.2.3.5 1 2\r\n',
      'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', // zone id
      'PROXY UDP4 1.2.3.4 1.2.3.5 1 2\r\n',
      'PROXY tcp4 1.2.3.4 1.2.3.5 1 2\r\n',
    ]) {
      assert.throws(() => parseProxyHeader(Buffer.from(line)), ProxyHeaderError, line);
    }
  });
});

describe('PROXY v2', () => {
  test('PROXY over INET, INET6 and UNIX, with TLVs skipped', () => {
    const inet = hex(`${SIG} 21 11 000c c0a80001 c0a8000b dc04 01bb`);
    assert.deepEqual(headerOf(parseEveryPrefix(inet, Buffer.from('data'))), {
      version: 2,
      command: 'proxy',
      transport: 'stream',
      source: { family: 'IPv4', address: '192.168.0.1', port: 56324 },
      destination: { family: 'IPv4', address: '192.168.0.11', port: 443 },
    });
    const inet6 = hex(
      `${SIG} 21 21 0024 20010db8000000000000000000000001 00000000000000000000ffff7f000001 0001 0002`,
    );
    assert.deepEqual((headerOf(parseEveryPrefix(inet6)) as { source: unknown }).source, {
      family: 'IPv6',
      address: '2001:db8::1',
      port: 1,
    });
    assert.deepEqual((headerOf(parseProxyHeader(inet6)) as { destination: unknown }).destination, {
      family: 'IPv6',
      address: '::ffff:127.0.0.1',
      port: 2,
    });
    // A TLV (type 0x04 NOOP, 3 bytes) after the addresses: counted in len, skipped (no tlvs).
    const withTlv = hex(`${SIG} 21 12 0012 7f000001 7f000002 0001 0002 04 0003 aabbcc`);
    const parsed = parseEveryPrefix(withTlv);
    assert.deepEqual(headerOf(parsed), {
      version: 2,
      command: 'proxy',
      transport: 'dgram',
      source: { family: 'IPv4', address: '127.0.0.1', port: 1 },
      destination: { family: 'IPv4', address: '127.0.0.2', port: 2 },
    });
    const unix = encodeProxyHeader(2, {
      source: { family: 'unix', path: '/run/client.sock' },
      destination: { family: 'unix', path: '/run/server.sock' },
    });
    assert.equal(unix.length, 16 + 216);
    assert.deepEqual(headerOf(parseEveryPrefix(unix)), {
      version: 2,
      command: 'proxy',
      transport: 'stream',
      source: { family: 'unix', path: '/run/client.sock' },
      destination: { family: 'unix', path: '/run/server.sock' },
    });
  });

  test('LOCAL and UNSPEC carry no address (the receiver keeps its own)', () => {
    const local = hex(`${SIG} 20 11 000c 7f000001 7f000002 0001 0002`);
    assert.deepEqual(headerOf(parseProxyHeader(local)), {
      version: 2,
      command: 'local',
      transport: 'stream',
      source: null,
      destination: null,
    });
    const unspec = hex(`${SIG} 21 00 0000`);
    assert.deepEqual(headerOf(parseProxyHeader(unspec)), {
      version: 2,
      command: 'proxy',
      transport: 'unspec',
      source: null,
      destination: null,
    });
    assert.deepEqual(encodeProxyHeader(2, { command: 'local' }), hex(`${SIG} 20 00 0000`));
    assert.deepEqual(encodeProxyHeader(2), hex(`${SIG} 21 00 0000`));
  });

  test('bad version, command, family, short address block: refused', () => {
    for (const h of [
      `${SIG} 11 11 000c 7f000001 7f000002 0001 0002`, // version 1 in a v2 head
      `${SIG} 22 11 000c 7f000001 7f000002 0001 0002`, // command 2
      `${SIG} 21 41 000c 7f000001 7f000002 0001 0002`, // family 4
      `${SIG} 21 13 000c 7f000001 7f000002 0001 0002`, // transport 3
      `${SIG} 21 11 0008 7f000001 7f000002`, // INET needs 12 bytes
      `${SIG} 21 21 000c 7f000001 7f000002 0001 0002`, // INET6 needs 36
    ]) {
      assert.throws(() => parseProxyHeader(hex(h)), ProxyHeaderError, h);
    }
  });

  test('the length is bounded as soon as the 16-byte head is in', () => {
    const head = hex(`${SIG} 21 11 ffff`); // 65 535 bytes announced, none sent
    assert.throws(() => parseProxyHeader(head), /exceeds the limit of 4096 bytes/);
    assert.equal(parseProxyHeader(head, { maxLength: 16 + 0xffff }).status, 'more');
    const at = hex(`${SIG} 21 11 0ff0`); // 16 + 4080 = 4096: allowed
    assert.equal(parseProxyHeader(at).status, 'more');
    assert.throws(() => parseProxyHeader(at, { maxLength: 100 }), ProxyHeaderError);
    assert.throws(() => parseProxyHeader(at, { maxLength: 15 }), InvalidArgumentError);
  });
});

describe('no guessing', () => {
  test('bytes that are not a header are an error at the first wrong byte', () => {
    assert.throws(() => parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')), ProxyHeaderError);
    assert.throws(() => parseProxyHeader(Buffer.from('PROXX')), ProxyHeaderError);
    assert.throws(() => parseProxyHeader(hex('0d0a0d0a00ff')), ProxyHeaderError);
    assert.throws(() => parseProxyHeader(Buffer.from('\x16\x03\x01')), ProxyHeaderError);
    assert.equal(parseProxyHeader(Buffer.from('PROX')).status, 'more');
    assert.equal(parseProxyHeader(hex('0d0a0d')).status, 'more');
    assert.equal(parseProxyHeader(Buffer.alloc(0)).status, 'more');
  });

  test('startsProxyHeader tells a header from data with the fewest bytes', () => {
    assert.equal(startsProxyHeader(Buffer.from('PROXY ')), true);
    assert.equal(startsProxyHeader(hex(SIG)), true);
    assert.equal(startsProxyHeader(Buffer.from('PRO')), undefined);
    assert.equal(startsProxyHeader(hex('0d0a')), undefined);
    assert.equal(startsProxyHeader(Buffer.from('hello')), false);
    assert.equal(startsProxyHeader(Buffer.from('\r\nhi')), false);
  });

  test('a ByteQueue split across chunks reads the same', () => {
    const wire = encodeProxyHeader(2, {
      source: { family: 'IPv6', address: '2001:db8::7', port: 4000 },
      destination: { family: 'IPv6', address: '2001:db8::1', port: 443 },
    });
    const queue = new ByteQueue();
    for (const b of wire) queue.push(Buffer.from([b]));
    queue.push(Buffer.from('rest'));
    const result = parseProxyHeader(queue);
    assert.equal(result.status, 'done');
    assert.equal((result as { length: number }).length, wire.length);
    assert.equal(queue.length, wire.length + 4, 'not consumed');
  });
});

describe('encodeProxyHeader', () => {
  test('writes the spec forms', () => {
    const v4 = {
      source: { family: 'IPv4' as const, address: '192.168.0.1', port: 56324 },
      destination: { family: 'IPv4' as const, address: '192.168.0.11', port: 443 },
    };
    assert.equal(
      encodeProxyHeader(1, v4).toString(),
      'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n',
    );
    assert.deepEqual(
      encodeProxyHeader(2, v4),
      hex(`${SIG} 21 11 000c c0a80001 c0a8000b dc04 01bb`),
    );
    assert.equal(encodeProxyHeader(1).toString(), 'PROXY UNKNOWN\r\n');
    assert.equal(encodeProxyHeader(1, { command: 'local' }).toString(), 'PROXY UNKNOWN\r\n');
    assert.equal(
      encodeProxyHeader(1, {
        source: { family: 'unix', path: '/a' },
        destination: { family: 'unix', path: '/b' },
      }).toString(),
      'PROXY UNKNOWN\r\n',
    );
  });

  test('an IPv4 address beside an IPv6 one is written IPv4-mapped', () => {
    const wire = encodeProxyHeader(1, {
      source: { family: 'IPv4', address: '10.0.0.1', port: 1 },
      destination: { family: 'IPv6', address: '::1', port: 2 },
    });
    assert.equal(wire.toString(), 'PROXY TCP6 ::ffff:10.0.0.1 ::1 1 2\r\n');
  });

  test('refuses what it cannot write', () => {
    const ok = { family: 'IPv4' as const, address: '10.0.0.1', port: 1 };
    assert.throws(
      () => encodeProxyHeader(1, { source: { ...ok, address: 'example.com' }, destination: ok }),
      InvalidArgumentError,
    );
    assert.throws(
      () => encodeProxyHeader(2, { source: { ...ok, port: 70000 }, destination: ok }),
      InvalidArgumentError,
    );
    assert.throws(
      () =>
        encodeProxyHeader(2, {
          source: { family: 'unix', path: 'x'.repeat(109) },
          destination: { family: 'unix', path: '/b' },
        }),
      InvalidArgumentError,
    );
    assert.throws(() => encodeProxyHeader(3 as 1), InvalidArgumentError);
  });
});
