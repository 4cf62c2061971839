/**
 * `listen --broker` (ncat's connection broker): every client's bytes go to all the other
 * clients and never back to it; a client that does not read is cut off once more than
 * `--broker-buffer` bytes wait for it, without holding up the others. The clients are
 * real loopback TCP sockets and ncat; the broker runs in-process.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { type TestContext, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { exitOf, type InProcessCli, Output, run, startCli, within } from '../../helpers/netcat.js';
import { needs } from '../../helpers/needs.js';

async function broker(
  t: TestContext,
  args: string[],
): Promise<{ cli: InProcessCli; port: number }> {
  const cli = startCli(t, ['listen', '-v', '--broker', ...args, '127.0.0.1', '0']);
  const m = await cli.stderr.waitFor(/Listening on \S+:(\d+)\n/);
  return { cli, port: Number(m[1]) };
}

/** A raw client, connected once the broker logged it (so bytes sent later reach it). */
async function client(
  t: TestContext,
  cli: InProcessCli,
  port: number,
): Promise<{ sock: net.Socket; out: Output }> {
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => sock.destroy());
  sock.on('error', () => {});
  await once(sock, 'connect');
  const me = `Connection from 127.0.0.1:${sock.localPort}.`;
  await cli.stderr.waitFor(new RegExp(me.replaceAll('.', '\\.')), me);
  return { sock, out: new Output(sock) };
}

test('three clients: each gets the others bytes, never its own', async (t) => {
  const { cli, port } = await broker(t, []);
  const clients = [];
  for (let i = 0; i < 3; i++) clients.push(await client(t, cli, port));
  for (const [i, c] of clients.entries()) c.sock.write(`from ${i}\n`);
  for (const [i, c] of clients.entries()) {
    const others = [0, 1, 2].filter((j) => j !== i);
    for (const j of others)
      await c.out.waitFor(new RegExp(`from ${j}\\n`), `client ${i} gets ${j}`);
  }
  // Each one leaves; the broker closes it after what was sent to it.
  for (const c of clients) c.sock.end();
  for (const [i, c] of clients.entries()) {
    if (!c.sock.readableEnded) await once(c.sock, 'end');
    assert.doesNotMatch(c.out.text, new RegExp(`from ${i}\\n`), `client ${i} got its own bytes`);
    assert.equal(c.out.text.length, 'from 0\n'.length * 2);
  }
  assert.equal(cli.stdout.text, '', 'the broker prints nothing on stdout');
});

test('ncat clients through the broker', { skip: needs('ncat') }, async (t) => {
  const { cli, port } = await broker(t, []);
  const listener = await client(t, cli, port);
  const nc = run(t, 'ncat', ['--send-only', '127.0.0.1', String(port)], 'hello from ncat\n');
  await listener.out.waitFor(/hello from ncat\n/);
  assert.equal(await exitOf(nc), 0);
});

test('a client that does not read is cut at --broker-buffer; the others keep receiving everything', async (t) => {
  const limit = 64 * 1024;
  const { cli, port } = await broker(t, ['--broker-buffer', String(limit)]);
  const sender = await client(t, cli, port);
  const fast = await client(t, cli, port);
  const slow = await client(t, cli, port);
  slow.sock.pause(); // never reads: its kernel buffers fill, then the broker's for it
  let fastBytes = 0;
  fast.sock.removeAllListeners('data');
  fast.sock.on('data', (chunk: Buffer) => {
    fastBytes += chunk.length;
  });
  const cut = cli.stderr.waitFor(
    new RegExp(`127\\.0\\.0\\.1:${slow.sock.localPort}: disconnected: more than ${limit} bytes`),
    'the slow client is cut',
  );
  let cutSeen = false;
  void cut.then(() => {
    cutSeen = true;
  });
  // Send until the cut (bounded: 256 MiB is far more than any loopback buffering).
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  while (!cutSeen && sent < 256 * 1024 * 1024) {
    sent += chunk.length;
    if (!sender.sock.write(chunk)) await once(sender.sock, 'drain');
    // Let the broker (in this process) run between writes.
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await within(cut, 'the slow client is cut');
  // The fast one got every byte, the slow one a reset; then the sender leaves.
  sender.sock.end();
  await within(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (fastBytes === sent) resolve();
      };
      fast.sock.on('data', check);
      check();
    }),
    `the fast client gets all ${sent} bytes`,
  );
  // Cut: the broker reset it (its kernel may have delivered some queued bytes first, or
  // discarded them with the reset); either way it ends without the whole stream.
  let slowBytes = 0;
  slow.sock.on('data', (chunk: Buffer) => {
    slowBytes += chunk.length;
  });
  // (not events.once: it rejects on the 'error' a reset brings, and a reset is expected)
  const closed = new Promise<void>((resolve) => slow.sock.once('close', () => resolve()));
  slow.sock.resume();
  // The reset may come while this client's window is shut (its RST then falls outside
  // the window and is ignored, RFC 5961); a byte from it meets a socket the broker has
  // no more, and the kernel answers with a reset that lands.
  slow.sock.write('x');
  await within(closed, 'the slow client is closed');
  assert.ok(slowBytes < sent, `the slow client got ${slowBytes} of ${sent} bytes`);
});

test('--broker usage errors', async () => {
  for (const args of [
    ['--broker', '-u'],
    ['--broker', '--exec', 'cat'],
    ['--broker', '--send', 'x'],
    ['--broker-buffer', '10'],
    ['--broker', '--broker-buffer', '0'],
  ]) {
    const r = await runCli(['listen', ...args, '127.0.0.1', '0']);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});
