/**
 * `socketkit listen` with real `ncat` (and `nc`, `socat`) clients: TCP, UDP, Unix,
 * TLS, `-k` with three clients, `-m`, `--allow`/`--deny`, `--send`, hex dump.
 * The listener runs in-process on port 0 and tells its port with `-v`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import {
  exitOf,
  freePort,
  type InProcessCli,
  run,
  selfSignedCert,
  startCli,
  tempDir,
  within,
} from '../../helpers/netcat.js';
import { needs } from '../../helpers/needs.js';

const skip = needs('ncat');

/** Starts `socketkit listen -v ARGS 127.0.0.1 0` in-process and returns it with its port. */
async function listen(
  t: TestContext,
  args: string[],
  stdin?: string | PassThrough,
  host = '127.0.0.1',
): Promise<{ cli: InProcessCli; port: string }> {
  const cli = startCli(t, ['listen', '-v', ...args, host, '0'], stdin);
  const m = await cli.stderr.waitFor(/Listening on \S+:(\d+)\n/);
  return { cli, port: m[1]! };
}

test('TCP: one client (ncat), both directions, then exit 0', { skip }, async (t) => {
  const { cli, port } = await listen(t, [], 'from listener\n');
  const nc = run(t, 'ncat', ['127.0.0.1', port], 'from ncat\n');
  assert.equal(await within(cli.done, 'listen exits'), 0);
  assert.equal(cli.stdout.text, 'from ncat\n');
  assert.equal(await exitOf(nc), 0);
  assert.equal(nc.stdout.text, 'from listener\n');
  assert.match(cli.stderr.text, /socketkit: Connection from 127\.0\.0\.1:\d+\.\n/);
  assert.match(cli.stderr.text, /socketkit: 14 bytes sent, 10 bytes received in [\d.]+ seconds\./);
});

test(
  'works with nc (netcat-openbsd) and socat clients too',
  {
    skip: needs('nc', 'socat'),
  },
  async (t) => {
    const a = await listen(t, [], 'hi nc\n');
    const nc = run(t, 'nc', ['-N', '127.0.0.1', a.port], 'from nc\n');
    assert.equal(await within(a.cli.done, 'listen exits'), 0);
    assert.equal(a.cli.stdout.text, 'from nc\n');
    await exitOf(nc);
    assert.equal(nc.stdout.text, 'hi nc\n');

    const b = await listen(t, [], 'hi socat\n');
    const so = run(t, 'socat', ['-', `TCP:127.0.0.1:${b.port}`], 'from socat\n');
    assert.equal(await within(b.cli.done, 'listen exits'), 0);
    assert.equal(b.cli.stdout.text, 'from socat\n');
    assert.equal(await exitOf(so), 0);
    assert.equal(so.stdout.text, 'hi socat\n');
  },
);

test(
  '-k: three concurrent clients, stdin broadcast to all, their lines all printed',
  {
    skip,
  },
  async (t) => {
    const stdin = new PassThrough();
    const { cli, port } = await listen(t, ['-k'], stdin);
    const clients = [1, 2, 3].map(() => run(t, 'ncat', ['127.0.0.1', port], 'open'));
    await cli.stderr.waitFor(/(?:Connection from [^\n]*\n[\s\S]*){3}/, '3 connections');
    stdin.write('to everyone\n');
    for (const c of clients) await c.stdout.waitFor(/to everyone\n/);
    clients.forEach((c, i) => {
      c.child.stdin?.end(`client ${i + 1}\n`);
    });
    for (const c of clients) assert.equal(await exitOf(c), 0);
    await cli.stdout.waitFor(/client 3\n/);
    assert.deepEqual(cli.stdout.text.split('\n').filter(Boolean).sort(), [
      'client 1',
      'client 2',
      'client 3',
    ]);
    // -k keeps listening after they left: one more client, then stop with the signal.
    const late = run(t, 'ncat', ['127.0.0.1', port], 'late\n');
    await cli.stdout.waitFor(/late\n/);
    await exitOf(late);
    cli.abort();
    assert.equal(await within(cli.done, 'listen stops'), 130);
  },
);

test('-k: three clients one after another', { skip }, async (t) => {
  const { cli, port } = await listen(t, ['-k']);
  for (const n of [1, 2, 3]) {
    assert.equal(await exitOf(run(t, 'ncat', ['127.0.0.1', port], `caller ${n}\n`)), 0);
    await cli.stdout.waitFor(new RegExp(`caller ${n}\\n`));
  }
  assert.equal(cli.stdout.text, 'caller 1\ncaller 2\ncaller 3\n');
});

test('-m 2: a third simultaneous client is refused, as ncat -m does', { skip }, async (t) => {
  const { cli, port } = await listen(t, ['-k', '-m', '2']);
  const first = run(t, 'ncat', ['127.0.0.1', port], 'open');
  const second = run(t, 'ncat', ['127.0.0.1', port], 'open');
  await cli.stderr.waitFor(/Connection from[\s\S]*Connection from/);
  const third = run(t, 'ncat', ['127.0.0.1', port], 'third\n');
  await cli.stderr.waitFor(/New connection denied: connection limit reached \(2\)/);
  await exitOf(third);
  first.child.stdin?.end('first\n');
  second.child.stdin?.end('second\n');
  await exitOf(first);
  await exitOf(second);
  await cli.stdout.waitFor(/second\n/);
  assert.doesNotMatch(cli.stdout.text, /third/);
});

test(
  '--allow / --deny: refused peers are cut off, allowed ones served; --deny wins',
  { skip },
  async (t) => {
    for (const [args, allowed] of [
      [['--deny', '127.0.0.1'], false],
      [['--allow', '10.0.0.0/8'], false],
      [['--allow', '127.0.0.0/8,::1'], true],
      // serve's rule: an address on --deny is refused even when --allow names it.
      [['--allow', '127.0.0.1', '--deny', '127.0.0.0/8'], false],
      [['--allow', '127.0.0.0/8', '--deny', '127.0.0.2'], true],
    ] as const) {
      const { cli, port } = await listen(t, ['-k', ...args]);
      const nc = run(t, 'ncat', ['127.0.0.1', port], 'knock knock\n');
      await exitOf(nc);
      if (allowed) await cli.stdout.waitFor(/knock knock\n/);
      else {
        await cli.stderr.waitFor(/denied \(--allow\/--deny\)/);
        assert.equal(cli.stdout.text, '', String(args));
      }
      cli.abort();
      await cli.done;
    }
    const bad = await runCli(['listen', '--allow', 'example.test', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--allow: "example\.test" is not an IP address/);
  },
);

test('-k --send TEXT: a welcome server (seed S3)', { skip }, async (t) => {
  const { cli, port } = await listen(t, ['-k', '--send', 'welcome to server!\\n']);
  for (let i = 0; i < 2; i += 1) {
    const nc = run(t, 'ncat', ['--recv-only', '127.0.0.1', port]);
    assert.equal(await exitOf(nc), 0);
    assert.equal(nc.stdout.text, 'welcome to server!\n');
  }
  cli.abort();
});

test('UDP: prints datagrams and answers the last peer with stdin', { skip }, async (t) => {
  const stdin = new PassThrough();
  const { cli, port } = await listen(t, ['-u'], stdin);
  const nc = run(t, 'ncat', ['-u', '127.0.0.1', port], 'open');
  nc.child.stdin?.write('hello udp\n');
  await cli.stdout.waitFor(/hello udp\n/);
  await cli.stderr.waitFor(/Connection from 127\.0\.0\.1:\d+\./);
  stdin.write('reply\n');
  await nc.stdout.waitFor(/reply\n/);
  cli.abort();
  assert.equal(await within(cli.done, 'udp listen stops'), 130);
});

test(
  'Unix stream socket (-U) with an ncat -U client; the socket file is removed after',
  {
    skip,
  },
  async (t) => {
    const path = join(tempDir(t), 'listen.sock');
    const cli = startCli(t, ['listen', '-v', '-U', path], 'hi unix client\n');
    await cli.stderr.waitFor(/Listening on .*listen\.sock/);
    const nc = run(t, 'ncat', ['-U', path], 'hi unix server\n');
    assert.equal(await within(cli.done, 'listen exits'), 0);
    assert.equal(cli.stdout.text, 'hi unix server\n');
    await exitOf(nc);
    assert.equal(nc.stdout.text, 'hi unix client\n');
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(path), false);
  },
);

test('TLS: ncat --ssl client, certificate made with openssl', { skip }, async (t) => {
  const { cert, key } = selfSignedCert(tempDir(t));
  const stdin = new PassThrough();
  const { cli, port } = await listen(t, ['--tls-cert', cert, '--tls-key', key], stdin);
  const nc = run(t, 'ncat', ['--ssl', '127.0.0.1', port], 'tls from ncat\n');
  await cli.stdout.waitFor(/tls from ncat\n/);
  // Answer only after ncat's EOF: ncat 7.93 fails ("Input/output error", exit 1) on a TLS
  // peer's EOF — even against `ncat --ssl -l` itself — and may then reset the connection.
  stdin.end('tls hello\n');
  assert.equal(await within(cli.done, 'listen exits'), 0, cli.stderr.text);
  assert.equal(cli.stdout.text, 'tls from ncat\n');
  await exitOf(nc);
  assert.equal(nc.stdout.text, 'tls hello\n');
  // Without --tls-cert/--tls-key, listen --tls makes a temporary certificate: see
  // netcat-tls-temp-cert.test.ts.
});

test(
  '-x - : the hex dump of received data equals ncat -x for the same bytes',
  {
    skip,
  },
  async (t) => {
    const input = 'hello world, this is a test line\nsecond\n';
    const { cli, port } = await listen(t, ['-x', '-'], '');
    assert.equal(await exitOf(run(t, 'ncat', ['127.0.0.1', port], input)), 0);
    assert.equal(await within(cli.done, 'listen exits'), 0);
    const dir = tempDir(t);
    const ncPort = String(await freePort());
    const file = join(dir, 'ncat.hex');
    const ncat = run(t, 'ncat', ['-v', '-l', '-x', file, '127.0.0.1', ncPort], Buffer.alloc(0));
    await ncat.stderr.waitFor(/Listening on/);
    assert.equal(await exitOf(run(t, 'ncat', ['127.0.0.1', ncPort], input)), 0);
    await exitOf(ncat);
    const { readFileSync } = await import('node:fs');
    const dumpLines = cli.stderr.text.split('\n').filter((l) => /^[0-9a-f]{4} {3}/.test(l));
    assert.equal(`${dumpLines.join('\n')}\n`, readFileSync(file, 'utf8'));
  },
);

test('an address in use is a clear error, exit 1', async (t) => {
  const { cli, port } = await listen(t, ['-k']);
  const r = await runCli(['listen', '127.0.0.1', port]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`address 127\\.0\\.0\\.1:${port} is already in use`));
  cli.abort();
});

test('Unix datagram socket (-u -U): ncat -uU client, answered with stdin', { skip }, async (t) => {
  const path = join(tempDir(t), 'listen-dgram.sock');
  const stdin = new PassThrough();
  const cli = startCli(t, ['listen', '-v', '-u', '-U', path], stdin);
  await cli.stderr.waitFor(/Listening on .*listen-dgram\.sock/);
  const nc = run(t, 'ncat', ['-uU', path], 'open');
  nc.child.stdin?.write('hello unix dgram\n');
  await cli.stdout.waitFor(/hello unix dgram\n/);
  stdin.write('answer\n');
  await nc.stdout.waitFor(/answer\n/);
  cli.abort();
  assert.equal(await within(cli.done, 'listen stops'), 130);
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(path), false, 'the socket file is removed');
});

test(
  '-6 on ::1 with an ncat -6 client; -4 with an IPv6 address is a usage error',
  {
    skip,
  },
  async (t) => {
    const { cli, port } = await listen(t, ['-6'], 'v6 hello\n', '::1');
    assert.match(cli.stderr.text, /Listening on \[::1\]:\d+/);
    const nc = run(t, 'ncat', ['-6', '::1', port], 'over ipv6\n');
    assert.equal(await within(cli.done, 'listen exits'), 0);
    assert.equal(cli.stdout.text, 'over ipv6\n');
    await exitOf(nc);
    assert.equal(nc.stdout.text, 'v6 hello\n');
    assert.equal((await runCli(['listen', '-4', '::1', '0'])).code, 2);
  },
);

test(
  '-i: an idle client is disconnected; with -k the listener keeps serving',
  {
    skip,
  },
  async (t) => {
    const { cli, port } = await listen(t, ['-k', '-i', '300ms']);
    const idle = run(t, 'ncat', ['127.0.0.1', port], 'open');
    await cli.stderr.waitFor(/idle timeout expired/);
    idle.child.kill(); // (ncat keeps running after the peer's EOF while its stdin is open)
    const next = run(t, 'ncat', ['127.0.0.1', port], 'still here\n');
    await cli.stdout.waitFor(/still here\n/);
    await exitOf(next);
  },
);

test(
  'UDP -k: datagrams from every peer are printed; stdin answers the last one',
  {
    skip,
  },
  async (t) => {
    const stdin = new PassThrough();
    const { cli, port } = await listen(t, ['-u', '-k'], stdin);
    const a = run(t, 'ncat', ['-u', '127.0.0.1', port], 'open');
    const b = run(t, 'ncat', ['-u', '127.0.0.1', port], 'open');
    a.child.stdin?.write('from a\n');
    await cli.stdout.waitFor(/from a\n/);
    b.child.stdin?.write('from b\n');
    await cli.stdout.waitFor(/from b\n/);
    stdin.write('to the last\n');
    await b.stdout.waitFor(/to the last\n/);
    assert.equal(a.stdout.text, '');
    cli.abort();
    assert.equal(await within(cli.done, 'listen stops'), 130);
  },
);

test('UDP --deny: datagrams from a denied address are ignored', { skip }, async (t) => {
  const { cli, port } = await listen(t, [
    '-u',
    '-k',
    '--deny',
    '127.0.0.1',
    '--allow',
    '127.0.0.0/8',
  ]);
  const denied = run(t, 'ncat', ['-u', '127.0.0.1', port], 'open');
  denied.child.stdin?.write('let me in\n');
  const allowed = run(t, 'ncat', ['-u', '-s', '127.0.0.2', '127.0.0.1', port], 'open');
  allowed.child.stdin?.write('allowed\n');
  await cli.stdout.waitFor(/allowed\n/);
  assert.doesNotMatch(cli.stdout.text, /let me in/);
  cli.abort();
});

test('TLS --tls-verify on listen requires a client certificate (socketkit on both ends)', async (t) => {
  const { cert, key } = selfSignedCert(tempDir(t));
  const tlsArgs = ['--tls-cert', cert, '--tls-key', key, '--tls-ca', cert, '--tls-verify'];
  const { cli, port } = await listen(t, ['-k', ...tlsArgs], '');
  const withCert = await runCli(['connect', ...tlsArgs, '127.0.0.1', port], { stdin: 'mutual\n' });
  assert.equal(withCert.code, 0, withCert.stderr);
  await cli.stdout.waitFor(/mutual\n/);
  const without = await runCli(['connect', '--tls-ca', cert, '--tls-verify', '127.0.0.1', port], {
    stdin: 'no cert\n',
  });
  assert.equal(without.code, 1);
  assert.doesNotMatch(cli.stdout.text, /no cert/);
  cli.abort();
});

test('--handshake-timeout: a TLS client silent that long is closed and reported (-v)', async (t) => {
  const { cert, key } = selfSignedCert(tempDir(t));
  const tlsArgs = ['--tls-cert', cert, '--tls-key', key, '--handshake-timeout', '200ms'];
  const { cli, port } = await listen(t, ['-k', ...tlsArgs], '');
  const net = await import('node:net');
  const silent = net.connect({ host: '127.0.0.1', port: Number(port) });
  t.after(() => silent.destroy());
  silent.on('error', () => {});
  silent.resume();
  await within(
    new Promise((resolve) => silent.once('close', resolve)),
    'the silent client is closed',
  );
  await cli.stderr.waitFor(/TLS handshake with 127\.0\.0\.1:\d+ failed: .*timed out/);
  cli.abort();
  assert.equal(await within(cli.done, 'listen stops'), 130);
  const bad = await runCli(['listen', '--tls', '--handshake-timeout', '0', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--handshake-timeout expects a positive duration/);
});
