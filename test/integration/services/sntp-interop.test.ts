/**
 * Interoperability with NTP clients no one here wrote (Debian packages installed by
 * .ci/run): ntpsec's `ntpdig` (also installed as `sntp`, and driven by its `ntpdate`
 * wrapper) and chrony's `chronyd -Q`. ntpdig can only query port 123, so this file runs
 * our server on 127.0.0.1:123 (we run as root in CI); when that port is busy or not
 * ours to bind, those tests are skipped LOUDLY. chronyd takes any port.
 * Every client only queries (never sets the clock), and only 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { UdpServer } from '../../../src/server/index.js';
import { createSntpHandler, type SntpResponder } from '../../../src/services/sntp/index.js';
import { needs, toolPath } from '../../helpers/needs.js';

function run(
  cmd: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** ntpdig/sntp/ntpdate print `DATE TIME (TZ) +OFFSET +/- ERR HOST sSTRATUM LEAP`. */
const NTPDIG_LINE = /^\S+ \S+ \(\S+\) ([+-]\d+\.\d+) \+\/- (\d+\.\d+) 127\.0\.0\.1 s(\d+) (\S+)$/m;

/**
 * Runs `query` until an |offset| under 10 ms (at most 10 times) and returns the smallest: on a
 * loaded machine a request can wait in the socket buffer before our server stamps it, which
 * skews that one measurement by half the wait.
 */
async function bestOffset(query: () => Promise<number>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10 && Math.abs(best) >= 0.01; i++) {
    const o = await query();
    if (Math.abs(o) < Math.abs(best)) best = o;
  }
  return best;
}

let server123: UdpServer | undefined;
let responder123: SntpResponder | undefined;
let skip123 = '';

before(async () => {
  // A generous limit: several clients from 127.0.0.1 query in a row.
  const { handler, responder } = createSntpHandler({ rate: 100, burst: 100 });
  try {
    server123 = await new UdpServer({ host: '127.0.0.1', port: 123, handler }).listen();
    void server123.serveForever();
    responder123 = responder;
  } catch (err) {
    skip123 = `cannot bind 127.0.0.1:123 (${(err as Error).message}); ntpdig-based interop NOT TESTED`;
    console.error(`\n*** SKIPPED LOUDLY: ${skip123}\n`);
  }
});

after(async () => {
  await server123?.destroy();
});

for (const client of [
  { name: 'ntpdig', args: ['-t', '2', '127.0.0.1'] },
  { name: 'sntp', args: ['-t', '2', '127.0.0.1'] },
  { name: 'ntpdate', args: ['-q', '-t', '2', '127.0.0.1'] },
]) {
  test(`interop: ${client.name} (ntpsec) accepts our server and reports |offset| < 10 ms`, async (t) => {
    const why = needs(client.name);
    if (why) return t.skip(why);
    const bin = toolPath(client.name) as string;
    if (skip123) return t.skip(`SKIPPED LOUDLY: ${skip123}`);
    let lastOutput = '';
    const offset = await bestOffset(async () => {
      const r = await run(bin, client.args);
      lastOutput = `${r.stdout}${r.stderr}`;
      const m = NTPDIG_LINE.exec(r.stdout);
      assert.equal(r.code, 0, `${client.name} exited ${r.code}: ${lastOutput}`);
      assert.ok(m, `unexpected ${client.name} output: ${lastOutput}`);
      assert.equal(m[3], '1'); // stratum 1
      assert.equal(m[4], 'no-leap');
      return Number(m[1]);
    });
    assert.ok(Math.abs(offset) < 0.01, `${client.name} offset ${offset} s: ${lastOutput}`);
  });
}

test('interop: ntpdig -j (JSON) reports our stratum, leap and a small offset', async (t) => {
  const why = needs('ntpdig');
  if (why) return t.skip(why);
  const bin = toolPath('ntpdig') as string;
  if (skip123) return t.skip(`SKIPPED LOUDLY: ${skip123}`);
  const before = responder123?.stats.answered ?? 0;
  const offset = await bestOffset(async () => {
    const r = await run(bin, ['-j', '-t', '2', '127.0.0.1']);
    const report = JSON.parse(r.stdout) as {
      offset: number;
      stratum: number;
      leap: string;
      host: string;
    };
    assert.equal(report.stratum, 1);
    assert.equal(report.leap, 'no-leap');
    return report.offset;
  });
  assert.ok(Math.abs(offset) < 0.01, `offset ${offset}`);
  assert.ok((responder123?.stats.answered ?? 0) > before, 'our server answered it');
});

test("interop: ntpdig recognizes our RATE Kiss-o'-Death and refuses to use it", async (t) => {
  const why = needs('ntpdig');
  if (why) return t.skip(why);
  const bin = toolPath('ntpdig') as string;
  if (!server123 || !responder123) return t.skip(`SKIPPED LOUDLY: ${skip123}`);
  // Swap in a strict limiter: one request per client, then KoD.
  await server123.destroy();
  const { handler, responder } = createSntpHandler({ rate: 0.001, burst: 1 });
  try {
    server123 = await new UdpServer({ host: '127.0.0.1', port: 123, handler }).listen();
  } catch (err) {
    // Another test run beside this one took port 123 in the meantime.
    server123 = undefined;
    return t.skip(`SKIPPED LOUDLY: cannot bind 127.0.0.1:123 again (${(err as Error).message})`);
  }
  void server123.serveForever();
  const first = await run(bin, ['-t', '2', '127.0.0.1']);
  assert.equal(first.code, 0, first.stderr);
  const second = await run(bin, ['-t', '2', '127.0.0.1']);
  assert.notEqual(second.code, 0);
  assert.match(second.stderr, /stratum 0, probable KOD packet/);
  assert.equal(responder.stats.kissed, 1);
});

test('interop: chronyd -Q (chrony) accepts our server on a non-standard port, offset < 10 ms', async (t) => {
  const why = process.env.SOCKETKIT_CHRONYD ? false : needs('chronyd');
  if (why) return t.skip(why);
  const bin: string = process.env.SOCKETKIT_CHRONYD ?? (toolPath('chronyd') as string);
  const { handler } = createSntpHandler({ rate: 100, burst: 100 });
  const server = await new UdpServer({ host: '127.0.0.1', port: 0, handler }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const port = (server.address as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'sk-chrony-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'chrony.conf');
  // -Q only measures (never sets the clock); cmdport 0: no control socket; no drift file.
  writeFileSync(
    conf,
    `server 127.0.0.1 port ${port} iburst maxsamples 1\npidfile ${join(dir, 'chronyd.pid')}\ncmdport 0\n`,
  );
  let output = '';
  const offset = await bestOffset(async () => {
    const r = await run(bin, ['-Q', '-d', '-u', 'root', '-f', conf, '-t', '15'], 25_000);
    output = `${r.stdout}${r.stderr}`;
    const m = /System clock wrong by (-?\d+\.\d+) seconds/.exec(output);
    assert.ok(m, `chronyd did not sync: ${output}`);
    return Number(m[1]);
  });
  assert.ok(Math.abs(offset) < 0.01, `chronyd offset ${offset}: ${output}`);
});
