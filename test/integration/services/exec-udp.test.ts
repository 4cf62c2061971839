// The exec service over real loopback UDP (seed S8): chunked replies, refusals, rate limit.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import {
  ExecRefusedError,
  ExecReplyError,
  execUdp,
  encodeRequest,
  signRequest,
} from '../../../src/services/exec/index.js';
import { nodeCommand, SECRET, serveExec } from './exec-harness.js';

const BIG = 150_000;

test('exec/udp: a reply of many datagrams is reassembled intact', async (t) => {
  const port = await serveExec(t, 'udp', {
    commands: {
      big: nodeCommand(
        `const b = Buffer.alloc(${BIG}); for (let i = 0; i < b.length; i++) b[i] = (i * 7) % 251; process.stdout.write(b)`,
      ),
    },
  });
  const out: Buffer[] = [];
  const end = await execUdp(
    { host: '127.0.0.1', port },
    'big',
    [],
    (_s, d) => {
      out.push(d);
    },
    { secret: SECRET, timeout: 20 },
  );
  const got = Buffer.concat(out);
  assert.equal(got.length, BIG);
  for (let i = 0; i < BIG; i += 997) assert.equal(got[i], (i * 7) % 251, `byte ${i}`);
  assert.equal(end.exit, 0);
});

test('exec/udp: every reply datagram is at most 1200 bytes and numbered', async (t) => {
  const port = await serveExec(t, 'udp', {
    commands: { big: nodeCommand("process.stdout.write('x'.repeat(5000))") },
  });
  const sock = createSocket('udp4');
  t.after(() => sock.close());
  const seen = new Set<number>();
  let total = 0;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${seen.size}/${total}`)), 20_000);
    sock.on('message', (m) => {
      assert.ok(m.length <= 1200, `datagram of ${m.length} bytes`);
      assert.equal(m[0], 0xec);
      total = m.readUInt16BE(3);
      seen.add(m.readUInt16BE(1));
      if (seen.size === total) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  sock.send(encodeRequest(signRequest(SECRET, 'big', [])), port, '127.0.0.1');
  await done;
  assert.ok(total >= 5, `only ${total} datagrams`);
});

test('exec/udp: a bad MAC is refused with a clear error', async (t) => {
  const port = await serveExec(t, 'udp');
  await assert.rejects(
    execUdp({ host: '127.0.0.1', port }, 'echo', ['x'], () => {}, {
      secret: Buffer.from('another-secret-of-some-length'),
      timeout: 10,
    }),
    (err: unknown) => err instanceof ExecRefusedError && err.reason === 'ERR_EXEC_AUTH',
  );
});

test('exec/udp: a plain-text datagram gets one plain-text refusal line', async (t) => {
  const port = await serveExec(t, 'udp');
  const sock = createSocket('udp4');
  t.after(() => sock.close());
  const reply = new Promise<Buffer>((resolve) => sock.once('message', resolve));
  sock.send('dir', port, '127.0.0.1');
  assert.match(
    (await reply).toString(),
    /^socketkit exec: refused: not an authenticated exec request/,
  );
});

test('exec/udp: past the rate limit a client is told once, then dropped', async (t) => {
  const port = await serveExec(t, 'udp', { udpRate: 0.001 });
  const sock = createSocket('udp4');
  t.after(() => sock.close());
  const replies: Buffer[] = [];
  sock.on('message', (m) => replies.push(m));
  for (let i = 0; i < 20; i++) sock.send('dir', port, '127.0.0.1');
  for (let i = 0; i < 100 && replies.length < 11; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  // burst 10 answered, then one "rate limited", the rest dropped.
  assert.equal(replies.length, 11);
  assert.match(replies.at(-1)?.toString() ?? '', /rate limited/);
});

test('exec/udp: a reply with datagrams missing is reported as lost, not printed with a hole', async () => {
  const fake = createSocket('udp4');
  await new Promise<void>((r) => fake.bind(0, '127.0.0.1', r));
  const port = (fake.address() as { port: number }).port;
  fake.on('message', (_m, rinfo) => {
    // Two of three chunks, for any request id (id '' is accepted as an error reply).
    for (const seq of [0, 2]) {
      const head = Buffer.from([0xec, 0, seq, 0, 3, 0]);
      fake.send(Buffer.concat([head, Buffer.from('....')]), rinfo.port, rinfo.address);
    }
  });
  try {
    await assert.rejects(
      execUdp({ host: '127.0.0.1', port }, 'echo', [], () => {}, {
        secret: SECRET,
        timeout: 5,
        gap: 0.3,
      }),
      (err: unknown) => err instanceof ExecReplyError && /lost 1 of 3 datagrams/.test(err.message),
    );
  } finally {
    fake.close();
  }
});
