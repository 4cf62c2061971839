/**
 * `listen --exec` / `connect --exec` (ncat's -e): the command's stdin and stdout are the
 * connection, with half-close both ways and backpressure; `listen --exec` stays on
 * loopback unless `--allow-remote-exec`. Peers: ncat, raw loopback sockets, and
 * socketkit listen; the commands are cat and wc.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { exitOf, type InProcessCli, run, startCli, within } from '../../helpers/netcat.js';
import { needs } from '../../helpers/needs.js';

async function listenExec(
  t: TestContext,
  args: string[],
): Promise<{ cli: InProcessCli; port: number; host: string }> {
  const cli = startCli(t, ['listen', '-v', ...args, '0']);
  const m = await cli.stderr.waitFor(/Listening on (\S+):(\d+)\n/);
  return { cli, host: m[1]!, port: Number(m[2]) };
}

/** Sends `data`, half-closes, and resolves with everything received until the peer's EOF. */
async function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  await once(sock, 'connect');
  sock.end(data);
  await once(sock, 'end');
  sock.destroy();
  return Buffer.concat(chunks);
}

test(
  'listen --exec cat: an echo server on loopback; ncat gets its line back',
  { skip: needs('ncat') },
  async (t) => {
    const { cli, port, host } = await listenExec(t, ['--exec', 'cat']);
    assert.equal(host, '127.0.0.1', 'no HOST with --exec: loopback');
    const nc = run(t, 'ncat', ['127.0.0.1', String(port)], 'hello exec\n');
    assert.equal(await exitOf(nc), 0);
    assert.equal(nc.stdout.text, 'hello exec\n');
    assert.equal(await within(cli.done, 'listen exits after its one client'), 0);
  },
);

test('listen -k --exec cat: one child per client, half-close, 4 MiB each way with backpressure', async (t) => {
  const { port } = await listenExec(t, ['-k', '--exec', 'cat']);
  const payloads = [randomBytes(4 * 1024 * 1024), Buffer.from('small\n')];
  const echoed = await within(Promise.all(payloads.map((p) => roundTrip(port, p))), 'echoes');
  for (const [i, p] of payloads.entries()) {
    assert.equal(
      createHash('sha256').update(echoed[i]!).digest('hex'),
      createHash('sha256').update(p).digest('hex'),
      `payload ${i} came back whole`,
    );
  }
});

test('connect --exec "wc -c": the child sees our EOF and its answer ends the connection', async (t) => {
  const stdin = new PassThrough();
  const listener = startCli(t, ['listen', '-v', '127.0.0.1', '0'], stdin);
  const m = await listener.stderr.waitFor(/Listening on \S+:(\d+)\n/);
  const connect = runCli(['connect', '--exec', 'wc -c', '127.0.0.1', m[1]!]);
  await listener.stderr.waitFor(/Connection from/);
  stdin.end('twelve bytes'); // the listener sends it, then half-closes: wc sees EOF
  const r = await within(connect, 'connect --exec exits');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await within(listener.done, 'listen exits'), 0);
  assert.match(listener.stdout.text, /^\s*12\n$/);
});

test('connect --exec: a command that cannot run is an error (exit 1)', async (t) => {
  const listener = startCli(t, ['listen', '-v', '127.0.0.1', '0'], new PassThrough());
  const m = await listener.stderr.waitFor(/Listening on \S+:(\d+)\n/);
  const r = await runCli(['connect', '--exec', '/nonexistent/command', '127.0.0.1', m[1]!]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /cannot run "\/nonexistent\/command"/);
});

test('listen --exec refuses a non-loopback address unless --allow-remote-exec (before binding)', async () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.1', 'example.test']) {
    const r = await runCli(['listen', '--exec', 'cat', host, '0']);
    assert.equal(r.code, 2, `${host}: ${r.stderr}`);
    assert.match(r.stderr, /--allow-remote-exec/);
    assert.doesNotMatch(r.stderr, /Listening/);
  }
  for (const args of [
    ['--allow-remote-exec', '127.0.0.1', '0'],
    ['--exec', 'cat', '-u', '127.0.0.1', '0'],
    ['--exec', 'cat', '--send', 'x', '127.0.0.1', '0'],
    ['--exec', '', '127.0.0.1', '0'],
    ['--exec', "'unterminated", '127.0.0.1', '0'],
  ]) {
    const r = await runCli(['listen', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('listen --exec --allow-remote-exec warns on stderr', async (t) => {
  // Bound to 127.0.0.1 all the same (tests stay on loopback): the warning is what is checked.
  const { cli, port } = await listenExec(t, ['--exec', 'cat', '--allow-remote-exec', '127.0.0.1']);
  assert.match(
    cli.stderr.text,
    /WARNING: --allow-remote-exec: anyone who can connect to \S+ runs "cat"/,
  );
  const echoed = await within(roundTrip(port, Buffer.from('x')), 'echo');
  assert.equal(echoed.toString(), 'x');
});
