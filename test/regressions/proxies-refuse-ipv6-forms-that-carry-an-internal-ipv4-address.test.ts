/**
 * Regression (session 6 probe): the destination policy judged an IPv4-mapped address
 * (`::ffff:127.0.0.1`) as its IPv4 address, but not the other IPv6 forms that carry one
 * for a translator or a tunnel: NAT64's `64:ff9b::10.0.0.1` (on an IPv6-only network with
 * NAT64, the usual cloud set-up, that reaches 10.0.0.1), IPv4-compatible `::127.0.0.1`,
 * SIIT's `::ffff:0:127.0.0.1`, 6to4's `2002:a9fe:a9fe::` (169.254.169.254) and Teredo's
 * client. Each was allowed, and `serve socks`/`serve http-proxy` connected. Now each is
 * refused unless the IPv6 address itself is allowed, and `--deny-destination` on the IPv4
 * address covers it too.
 *
 * No byte leaves the machine: the policy is asserted first (pure), and the proxies refuse
 * before they connect (SOCKS5 0x02, HTTP 403, and their `refused` log line).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import { ipv6Bytes } from '../../src/internal/ipv6-groups.js';
import { DestinationPolicy } from '../../src/services/destination-policy.js';
import { httpProxyService } from '../../src/services/http-proxy/index.js';
import { socksService } from '../../src/services/socks/index.js';
import { needs } from '../helpers/needs.js';
import { runPeer } from '../helpers/peer.js';
import { startProxy } from '../integration/services/helpers/proxy-harness.js';

/** Each carries an internal IPv4 address. */
const CARRIERS = [
  '64:ff9b::a00:1', // NAT64 (RFC 6052): 10.0.0.1
  '64:ff9b::7f00:1', // NAT64: 127.0.0.1
  '64:ff9b:1::a00:1', // local-use NAT64 (RFC 8215)
  '::7f00:1', // IPv4-compatible: 127.0.0.1
  '::ffff:0:7f00:1', // SIIT IPv4-translated: 127.0.0.1
  '2002:a9fe:a9fe::1', // 6to4: 169.254.169.254
  '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1 (inverted)
];

test('destination policy: IPv6 forms that carry an internal IPv4 address are refused', () => {
  const policy = new DestinationPolicy();
  for (const a of CARRIERS) assert.equal(policy.refusal(a, 80), 'inside', a);
  // Public IPv4 addresses carried the same way stay allowed.
  for (const a of ['64:ff9b::808:808', '2002:808:808::1'])
    assert.equal(policy.refusal(a, 80), null, a);
  // An allow names the IPv6 address itself; a deny on the IPv4 address covers its carriers.
  const allowing = new DestinationPolicy({ allow: ['64:ff9b::/96'], deny: ['10.0.0.0/8'] });
  assert.equal(allowing.refusal('64:ff9b::7f00:1', 80), null);
  assert.equal(allowing.refusal('64:ff9b::a00:1', 80), 'denied');
  const v4only = new DestinationPolicy({ allow: ['127.0.0.0/8'] });
  assert.equal(v4only.refusal('64:ff9b::7f00:1', 80), 'inside', 'NAT64 is another path');
});

/** SOCKS5 CONNECT to an IPv6 literal (ATYP 4); the reply code. */
async function socks5Reply(t: TestContext, port: number, address: string): Promise<number> {
  const sock = connect(port, '127.0.0.1');
  t.after(() => sock.destroy());
  await once(sock, 'connect');
  const bytes = ipv6Bytes(address);
  let got = Buffer.alloc(0);
  const reply = new Promise<number>((resolve, reject) => {
    sock.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 4) resolve(got[3]!);
    });
    sock.once('close', () => reject(new Error(`closed after ${got.length} bytes`)));
  });
  sock.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 4]), bytes, Buffer.from([0, 80])]));
  return reply;
}

test(
  'serve socks and http-proxy refuse them before connecting',
  { skip: needs('curl') },
  async (t) => {
    const policy = new DestinationPolicy();
    // Guard: never let this test make a proxy connect off the machine.
    for (const a of CARRIERS) assert.equal(policy.refusal(a, 80), 'inside', a);
    const socks = await startProxy(t, socksService);
    const http = await startProxy(t, httpProxyService);
    for (const address of CARRIERS) {
      assert.equal(await socks5Reply(t, socks.port, address), 2, `socks5 ${address}`);
      for (const tunnel of [false, true]) {
        const curl = await runPeer('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          tunnel ? '%{http_connect}' : '%{http_code}',
          '--max-time',
          '30',
          ...(tunnel ? ['-p'] : []),
          '-x',
          `http://127.0.0.1:${http.port}`,
          `http://[${address}]:80/`,
        ]);
        assert.equal(
          curl.stdout.toString(),
          '403',
          `http-proxy ${tunnel ? 'CONNECT' : 'GET'} ${address}`,
        );
      }
    }
    assert.ok(
      socks.logs.some((l) => /^warn socks: refused /.test(l)),
      'socks logged it',
    );
    assert.ok(
      http.logs.some((l) => /^warn http-proxy: refused /.test(l)),
      'http-proxy too',
    );
  },
);
