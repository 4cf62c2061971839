import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { UdpServer } from '../../../src/server/index.js';
import { createSntpHandler, type SntpResponderOptions } from '../../../src/services/sntp/index.js';
import { runCli } from '../../helpers/cli.js';

async function sntpServer(t: TestContext, options: SntpResponderOptions = {}): Promise<number> {
  const { handler } = createSntpHandler(options);
  const s = await new UdpServer({ host: '127.0.0.1', port: 0, handler }).listen();
  t.after(() => s.destroy());
  void s.serveForever();
  return (s.address as { port: number }).port;
}

test('socketkit sntp: the sntp-style line with offset, error, stratum, refid, leap and delay', async (t) => {
  const port = await sntpServer(t);
  const r = await runCli(['sntp', '127.0.0.1', '--port', String(port)]);
  assert.equal(r.code, 0, r.stderr);
  const m =
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \([+-]\d{4}\) ([+-]\d+\.\d{6}) \+\/- \d+\.\d{6} 127\.0\.0\.1 s1 LOCL no-leap delay (\d+\.\d{6})\n$/.exec(
      r.stdout,
    );
  assert.ok(m, r.stdout);
  // Same host, same clock: the offset is at most half the round-trip delay.
  assert.ok(Math.abs(Number(m[1])) <= Number(m[2]) / 2 + 0.002, r.stdout);
});

test('socketkit sntp --json: a parseable report; stratum/refid as configured', async (t) => {
  const port = await sntpServer(t, { stratum: 3, refId: 'GPS', leap: 1 });
  const r = await runCli(['sntp', '127.0.0.1', '-p', String(port), '--json', '--ntp-version', '3']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(j.stratum, 3);
  assert.equal(j.refid, '71.80.83.0'); // above stratum 1 a refid is shown as an address
  assert.equal(j.leap, 'add-leap');
  assert.equal(j.version, 3);
  assert.equal(typeof j.offset, 'number');
  assert.equal(typeof j.delay, 'number');
});

test("socketkit sntp: a RATE Kiss-o'-Death exits 1 and says so", async (t) => {
  const port = await sntpServer(t, { burst: 1, rate: 0.001 });
  assert.equal((await runCli(['sntp', '127.0.0.1', '-p', String(port)])).code, 0);
  const r = await runCli(['sntp', '127.0.0.1', '-p', String(port)]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /unusable reply: Kiss-o'-Death RATE/);
});

test('socketkit sntp: an unsynchronized server (leap 3) exits 1', async (t) => {
  const port = await sntpServer(t, { leap: 3 });
  const r = await runCli(['sntp', '127.0.0.1', '-p', String(port)]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not synchronized/);
});

test('socketkit sntp: no answer is a timeout (exit 1); bad flags are usage errors (exit 2)', async (t) => {
  const silent = await new UdpServer({ host: '127.0.0.1', port: 0, handler: () => {} }).listen();
  t.after(() => silent.destroy());
  void silent.serveForever();
  const r = await runCli([
    'sntp',
    '127.0.0.1',
    '-p',
    String((silent.address as { port: number }).port),
    '-t',
    '0.3',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no reply from 127\.0\.0\.1:\d+ within 0\.3 s/);
  assert.equal((await runCli(['sntp', '127.0.0.1', '-p', 'x'])).code, 2);
  assert.equal((await runCli(['sntp', '127.0.0.1', '--ntp-version', '2'])).code, 2);
});
