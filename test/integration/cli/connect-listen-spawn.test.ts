/**
 * `socketkit connect` and `listen` as real processes (from the sources, via
 * test/helpers/bin.ts): process stdin/stdout pipes, signals, and a bulk transfer with
 * backpressure and no loss, checked against ncat.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { exitOf, freePort, run, runSocketkit } from '../../helpers/netcat.js';
import { needs } from '../../helpers/needs.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('listen and connect as processes: both directions, both exit 0', async (t) => {
  const listener = runSocketkit(t, ['listen', '-v', '127.0.0.1', '0'], 'from the listener\n');
  const port = (await listener.stderr.waitFor(/Listening on 127\.0\.0\.1:(\d+)/))[1]!;
  const client = runSocketkit(t, ['connect', '-v', '127.0.0.1', port], 'from the client\n');
  assert.equal(await exitOf(client), 0, client.stderr.text);
  assert.equal(await exitOf(listener), 0, listener.stderr.text);
  assert.equal(client.stdout.text, 'from the listener\n');
  assert.equal(listener.stdout.text, 'from the client\n');
  assert.match(
    client.stderr.text,
    /^socketkit: Connected to 127\.0\.0\.1:\d+\.\nsocketkit: 16 bytes sent, 18 bytes received in [\d.]+ seconds\.\n$/,
  );
});

test('listen -k ends on SIGINT with exit 130', async (t) => {
  const listener = runSocketkit(t, ['listen', '-k', '-v', '127.0.0.1', '0'], 'open');
  await listener.stderr.waitFor(/Listening on/);
  listener.child.kill('SIGINT');
  assert.equal(await exitOf(listener), 130);
});

test(
  '2 MiB each way through connect ↔ ncat -l arrive whole (backpressure, no loss)',
  {
    skip: needs('ncat'),
  },
  async (t) => {
    const up = randomBytes(2 * 1024 * 1024);
    const down = randomBytes(2 * 1024 * 1024);
    const port = await freePort();
    const ncat = run(t, 'ncat', ['-v', '-l', '127.0.0.1', String(port)], 'open');
    await ncat.stderr.waitFor(/Listening on/);
    ncat.child.stdin?.end(down);
    // --no-shutdown: `ncat -l` quits as soon as the peer half-closes, dropping whatever of
    // its own stdin it has not sent yet (`(sleep 1; echo late) | ncat -l` never sends
    // "late" to a client that sent EOF first). Keeping our write side open until ncat has
    // sent everything and closed makes the test about socketkit, not about that race.
    const client = runSocketkit(t, ['connect', '--no-shutdown', '127.0.0.1', String(port)], up);
    assert.equal(await exitOf(client), 0, client.stderr.text);
    await exitOf(ncat);
    assert.equal(client.stdout.bytes.length, down.length);
    assert.equal(sha(client.stdout.bytes), sha(down));
    assert.equal(sha(ncat.stdout.bytes), sha(up));
  },
);

test(
  'a reader that goes away (connect … | head -c 10) ends connect quietly, exit 1',
  {
    skip: needs('ncat'),
  },
  async (t) => {
    const port = await freePort();
    const ncat = run(t, 'ncat', ['-v', '-l', '127.0.0.1', String(port)], 'open');
    await ncat.stderr.waitFor(/Listening on/);
    ncat.child.stdin?.end(randomBytes(4 * 1024 * 1024));
    const client = runSocketkit(t, ['connect', '127.0.0.1', String(port)], 'open');
    client.child.stdout?.once('data', () => client.child.stdout?.destroy());
    assert.equal(await exitOf(client), 1);
    assert.doesNotMatch(client.stderr.text, /EPIPE|unexpected error|at /);
  },
);
