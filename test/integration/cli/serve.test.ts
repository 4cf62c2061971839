import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import { services } from '../../../src/services/registry.js';
import { runCli } from '../../helpers/cli.js';
import { kernelBacklog } from '../../helpers/kernel-backlog.js';
import { selfSignedCert } from '../../helpers/tls-cert.js';
import { startServe } from '../services/helpers/serve-harness.js';
import {
  datagramExchange,
  dial,
  readUntil,
  tcpExchange,
  tempDir,
} from '../services/helpers/service-harness.js';
import { needs } from '../../helpers/needs.js';
import { runPeer } from '../../helpers/peer.js';

test('serve --list prints every known service with its default port', async () => {
  const r = await runCli(['serve', '--list']);
  assert.equal(r.code, 0, r.stderr);
  for (const s of services)
    assert.match(r.stdout, new RegExp(`^${s.name}\\s+\\S+\\s+${s.defaultPort}\\s`, 'm'));
  assert.match(r.stdout, /--message <text>/);
});

test('serve echo --port 0: TCP and UDP, a table, connection logs, exit 0 on stop', async (t) => {
  const run = await startServe(['echo', '--port', '0']);
  t.after(() => run.stop());
  assert.deepEqual(
    run.rows.map((r) => [r.service, r.transport]),
    [
      ['echo', 'tcp'],
      ['echo', 'udp'],
    ],
  );
  const [tcp, udp] = run.rows;
  assert.equal(tcp?.host, '127.0.0.1');
  assert.ok(tcp?.tryIt.endsWith(`socketkit.js connect 127.0.0.1 ${tcp?.port}`), tcp?.tryIt);
  assert.ok(udp?.tryIt.endsWith(`socketkit.js connect -u 127.0.0.1 ${udp?.port}`), udp?.tryIt);
  assert.equal((await tcpExchange({ port: tcp?.port ?? 0 }, 'hi\n')).toString(), 'hi\n');
  assert.equal((await datagramExchange({ port: udp?.port ?? 0 }, 'yo'))?.toString(), 'yo');
  assert.equal(await run.stop(), 0);
  const log = run.stderr();
  assert.match(log, /INFO {2}echo\/tcp #\d+ connection from 127\.0\.0\.1:\d+/);
  assert.match(log, /INFO {2}echo\/tcp #\d+ closed after [\d.]+ s: 3 bytes in, 3 out/);
  assert.match(log, /stopping on SIGINT/);
  assert.doesNotMatch(log, /datagram/, 'datagrams are debug-level');
});

test('serve qotd --message: the welcome server (S3)', async (t) => {
  const run = await startServe(['qotd', '--port', '0', '--tcp', '--message', 'welcome to server!']);
  t.after(() => run.stop());
  assert.equal(run.rows.length, 1);
  assert.equal(
    (await tcpExchange({ port: run.rows[0]?.port ?? 0 }, undefined, false)).toString(),
    'welcome to server!\r\n',
  );
});

test('-v --log-format json: one JSON object per line, datagrams included', async (t) => {
  const run = await startServe(['time', '--port', '0', '--udp', '-v', '--log-format', 'json']);
  t.after(() => run.stop());
  const reply = await datagramExchange({ port: run.rows[0]?.port ?? 0 }, '');
  assert.equal(reply?.length, 4);
  assert.equal(await run.stop(), 0);
  const events = run
    .stderr()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(events.every((e) => typeof e.time === 'string' && typeof e.level === 'string'));
  const datagram = events.find((e) => e.event === 'datagram');
  assert.equal(datagram?.service, 'time');
  assert.equal(datagram?.transport, 'udp');
  assert.equal(datagram?.level, 'debug');
});

test('-q: connections are not logged', async (t) => {
  const run = await startServe(['daytime', '--port', '0', '--tcp', '-q']);
  t.after(() => run.stop());
  await tcpExchange({ port: run.rows[0]?.port ?? 0 }, undefined, false);
  assert.equal(await run.stop(), 0);
  assert.equal(run.stderr(), '');
});

test('--unix and --unix-dgram: only those listeners, each with a try-it line', async (t) => {
  const dir = tempDir(t);
  const run = await startServe([
    'echo',
    '--unix',
    join(dir, 's.sock'),
    '--unix-dgram',
    join(dir, 'd.sock'),
  ]);
  t.after(() => run.stop());
  assert.deepEqual(
    run.rows.map((r) => [r.transport, r.tryIt.replace(/^node \S+socketkit\.js /, 'socketkit ')]),
    [
      ['unix', `socketkit connect -U ${join(dir, 's.sock')}`],
      ['unix-dgram', `socketkit connect -u -U ${join(dir, 'd.sock')}`],
    ],
  );
  assert.equal(
    (await tcpExchange({ path: join(dir, 's.sock') }, 'over unix')).toString(),
    'over unix',
  );
  assert.equal(
    (await datagramExchange({ path: join(dir, 'd.sock') }, 'dgram'))?.toString(),
    'dgram',
  );
});

test('the default set (with --port-offset) serves every service on TCP and UDP', async (t) => {
  let run: Awaited<ReturnType<typeof startServe>> | undefined;
  // A random offset keeps clear of a real `npm start` (and of other tests), and below the
  // ephemeral port range (32768+) where clients' own ports live; retry if taken anyway.
  for (let attempt = 0; attempt < 4 && run === undefined; attempt++) {
    const offset = 10_000 + Math.floor(Math.random() * 14_000);
    try {
      run = await startServe(['--port-offset', String(offset)]);
    } catch (err) {
      if (!/already in use/.test(String(err))) throw err;
    }
  }
  assert.ok(run);
  const r = run;
  t.after(() => r.stop());
  for (const s of services) {
    for (const transport of s.transports) {
      assert.ok(
        r.rows.some((row) => row.service === s.name && row.transport === transport),
        `${s.name}/${transport} missing`,
      );
    }
  }
  const daytime = r.rows.find((row) => row.service === 'daytime' && row.transport === 'tcp');
  assert.match(
    (await tcpExchange({ port: daytime?.port ?? 0 }, undefined, false)).toString(),
    /-UTC\r\n$/,
  );
  assert.equal(await r.stop(), 0);
});

test('a port in use: exit 1, the listener and the AddressInUseError message', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const r = await runCli(['serve', 'echo', '--port', String(port)]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `cannot listen for echo/tcp 127\\.0\\.0\\.1:${port}: address 127\\.0\\.0\\.1:${port} is already in use`,
    ),
  );
  assert.match(r.stderr, /ERR_ADDRESS_IN_USE/);
  assert.match(r.stderr, /move every port with --port-offset N/, 'the way out is named');
  assert.equal(r.stdout, '', 'no table when not everything listens');
});

test('usage errors exit 2 and name the problem', async () => {
  const cases: [string[], RegExp][] = [
    [['serve', 'nosuch'], /unknown service "nosuch"/],
    [['serve', 'echo', '--message', 'x'], /--message: not an option of echo/],
    [['serve', 'echo', '--port', '99999'], /--port must be an integer from 0 to 65535/],
    [['serve', 'echo', '--tcp', '--udp'], /cannot be used with option/],
    [['serve', 'qotd', '--message', 'x'.repeat(600)], /RFC 865/],
    [['serve', '--port', '7'], /--port needs a service name/],
    [['serve', 'echo', '--log-format', 'xml'], /Allowed choices are text, json/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, argv.join(' '));
  }
});

test('--tls-cert/--tls-key: TLS on TCP (no UDP), tried with ncat --ssl', async (t) => {
  const dir = tempDir(t);
  const why = needs('openssl');
  if (why) return t.skip(why);
  const made = selfSignedCert(dir);
  const run = await startServe([
    'echo',
    '--port',
    '0',
    '--tls-cert',
    made.cert,
    '--tls-key',
    made.key,
  ]);
  t.after(() => run.stop());
  assert.deepEqual(
    run.rows.map((r) => r.transport),
    ['tls'],
  );
  const port = run.rows[0]?.port ?? 0;
  assert.equal(run.rows[0]?.tryIt, `ncat --ssl 127.0.0.1 ${port}`);
  const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  t.after(() => sock.destroy());
  await once(sock, 'secureConnect');
  sock.write('secret\n');
  const [reply] = (await once(sock, 'data')) as [Buffer];
  assert.equal(reply.toString(), 'secret\n');
});

test('--max-connections and --idle-timeout reach the server', async (t) => {
  const run = await startServe([
    'echo',
    '--tcp',
    '--port',
    '0',
    '--max-connections',
    '1',
    '--idle-timeout',
    '0.3',
  ]);
  t.after(() => run.stop());
  const where = { port: run.rows[0]?.port ?? 0 };
  const first = await dial(where);
  t.after(() => first.destroy());
  first.write('a');
  assert.equal((await readUntil(first, (b) => b.length >= 1)).toString(), 'a');
  // The server is full: the next client gets the busy line and is closed.
  assert.match((await tcpExchange(where, undefined, false)).toString(), /server busy/);
  // The first, now idle, is closed by the server after 0.3 s.
  const rest = await readUntil(first, () => false, 5000);
  assert.equal(rest.length, 0);
  assert.equal(await run.stop(), 0);
  assert.match(run.stderr(), /refused 127\.0\.0\.1:\d+ \(maxConnections\)/);
});

/**
 * Runs a printed try-it line through a shell, with `hello` typed in, until its output
 * matches `expected` (then it is stopped). A UDP line (`nc -u -w1 …`) whose datagram or reply
 * was lost or late on a loaded machine is run again (at most 4 times).
 */
async function shell(line: string, expected: RegExp): Promise<string> {
  let out = '';
  for (let i = 0; i < 4 && !expected.test(out); i++) {
    const r = await runPeer('sh', ['-c', line], {
      input: 'hello\n',
      until: (stdout) => expected.test(stdout.toString()),
      timeout: 60_000,
    });
    out = r.stdout.toString();
  }
  return out;
}

test('the try-it lines of Unix and TLS listeners work as printed', async (t) => {
  const dir = tempDir(t);
  const why = needs('openssl', 'nc', 'ncat');
  if (why) return t.skip(why);
  const made = selfSignedCert(dir);
  const echo = await startServe([
    'echo',
    '--unix',
    join(dir, 'e.sock'),
    '--unix-dgram',
    join(dir, 'ed.sock'),
  ]);
  t.after(() => echo.stop());
  const daytime = await startServe([
    'daytime',
    '--port',
    '0',
    '--tls-cert',
    made.cert,
    '--tls-key',
    made.key,
    '--unix-dgram',
    join(dir, 'd.sock'),
  ]);
  t.after(() => daytime.stop());
  for (const row of echo.rows)
    assert.equal(await shell(row.tryIt, /^hello\n$/), 'hello\n', row.tryIt);
  assert.deepEqual(
    daytime.rows.map((r) => r.transport),
    ['tls', 'unix-dgram'],
  );
  for (const row of daytime.rows)
    assert.match(await shell(row.tryIt, /-UTC\r\n$/), /-UTC\r\n$/, row.tryIt);
});

test('an unreadable TLS file: exit 1, naming the service and the file', async () => {
  const r = await runCli([
    'serve',
    'echo',
    '--port',
    '0',
    '--tls-cert',
    '/nonexistent/c.pem',
    '--tls-key',
    '/nonexistent/k.pem',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read the TLS files of echo: .*\/nonexistent\/c\.pem/);
});

test('--backlog reaches listen(2) (ss shows the queue size)', async (t) => {
  const run = await startServe(['echo', '--tcp', '--port', '0', '--backlog', '77', '-q']);
  t.after(() => run.stop());
  const seen = kernelBacklog({ port: run.rows[0]?.port ?? 0 });
  if (seen === null) {
    t.skip('ss (iproute2) is not installed');
    return;
  }
  assert.equal(seen, 77);
  assert.equal(await run.stop(), 0);
});
