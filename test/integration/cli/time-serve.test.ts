// `socketkit serve strftime` / `serve sntp` end to end: the superserver runs our services,
// and our own CLI clients talk to them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { startServe } from '../services/helpers/serve-harness.js';

test('serve --list names strftime (7123 tcp+udp) and sntp (7124 udp)', async () => {
  const r = await runCli(['serve', '--list']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /strftime.*7123/);
  assert.match(r.stdout, /sntp.*7124/);
});

test('serve strftime --utc: socketkit time gets UTC over UDP and TCP; the zone is logged', async (t) => {
  const run = await startServe(['strftime', '--port', '0', '--utc']);
  t.after(() => run.stop());
  const udp = run.rows.find((r) => r.transport === 'udp');
  const tcp = run.rows.find((r) => r.transport === 'tcp');
  assert.ok(udp?.port && tcp?.port, run.stdout());
  const a = await runCli(['time', '127.0.0.1', String(udp.port), '%Z']);
  assert.equal(a.stdout, 'UTC\n', a.stderr);
  const b = await runCli(['time', '127.0.0.1', String(tcp.port), '%Z', '--tcp']);
  assert.equal(b.stdout, 'UTC\n', b.stderr);
  assert.match(run.stderr(), /time zone UTC/);
});

test('serve sntp --stratum 2: socketkit sntp sees it, with refid LOCL shown as an address', async (t) => {
  const run = await startServe([
    'sntp',
    '--port',
    '0',
    '--stratum',
    '2',
    '--rate',
    '50',
    '--burst',
    '50',
  ]);
  t.after(() => run.stop());
  const udp = run.rows.find((r) => r.transport === 'udp');
  assert.ok(udp?.port, run.stdout());
  const r = await runCli(['sntp', '127.0.0.1', '-p', String(udp.port), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { stratum: number; refid: string };
  assert.equal(j.stratum, 2);
  assert.equal(j.refid, '76.79.67.76'); // LOCL, shown as an address above stratum 1
});

test('serve sntp: a bad option value is a usage error (exit 2)', async () => {
  const r = await runCli(['serve', 'sntp', '--port', '0', '--stratum', '16']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /stratum/);
});
