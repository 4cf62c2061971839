/**
 * The UDP time clients (`time`, `sntp`, `rdate --udp`) read the ICMP port-unreachable
 * (a connected UDP socket gets ECONNREFUSED): "nothing listens" at once, as `connect -u`
 * says, instead of waiting out the timeout. `sntp` names the port it asked and, on the
 * NTP port, where `socketkit serve`'s SNTP server is.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

async function closedUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const { port } = sock.address();
  await new Promise<void>((r) => sock.close(r));
  return port;
}

describe('UDP time clients against a closed port', () => {
  it('time: refused, not a timeout', async () => {
    const port = await closedUdpPort();
    // A 60 s timeout: only the refusal can end this run in a test's time.
    const r = await runCli(['time', '127.0.0.1', String(port), '-t', '60']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /connection refused by 127\.0\.0\.1:\d+: nothing is listening there/);
    assert.doesNotMatch(r.stderr, /timed out/);
  });

  it('rdate --udp: refused, not a timeout', async () => {
    const port = await closedUdpPort();
    const r = await runCli(['rdate', '--udp', '127.0.0.1', '-p', String(port), '-t', '60']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /nothing is listening there/);
  });

  it('sntp -p PORT: names the port asked', async () => {
    const port = await closedUdpPort();
    const r = await runCli(['sntp', '127.0.0.1', '-p', String(port), '-t', '60']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `socketkit: nothing listens on 127.0.0.1:${port} (UDP: connection refused)\n`,
    );
  });
});
