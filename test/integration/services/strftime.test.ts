import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { strftimeService } from '../../../src/services/strftime/index.js';
import {
  datagramExchange,
  dial,
  instanceOf,
  readUntil,
  serve,
  tcpExchange,
} from './helpers/service-harness.js';
import { needs } from '../../helpers/needs.js';

/**
 * The tutorials' client (seed S7, 001), verbatim except the port: it loops on
 * input(">>>"), sends each line as a format and prints the reply. At end of input,
 * input() raises EOFError, exactly as it does against the seed's own server.
 */
const SEED_CLIENT = `from socket import *
ip_port=("127.0.0.1",8080)
udp_client = socket(AF_INET,SOCK_DGRAM) # 基于网络, 数据报
while True:
    msg = input(">>>")
    udp_client.sendto(msg.encode("utf-8"),ip_port) # 发送于谁
    data,addr=udp_client.recvfrom(1024) # 接收来自于谁
    print("标准时间为:",data.decode("utf-8"))
`;

test("strftime/udp: the seeds' Python client works unchanged (formats, empty line = %F %X, Chinese text)", async (t) => {
  const why = needs('python3');
  if (why) return t.skip(why);
  const where = await serve(t, await instanceOf(t, strftimeService, { utc: true }), 'udp');
  assert.ok('port' in where);
  const script = SEED_CLIENT.replace('8080', String(where.port));
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      'python3',
      ['-c', script],
      { timeout: 15_000, env: { ...process.env, PYTHONIOENCODING: 'utf-8' } },
      (err, out, errOut) => {
        // The seed's loop ends in EOFError when its stdin ends: that is the only error allowed.
        if (err && !/EOFError/.test(errOut)) reject(new Error(`${err.message}\n${errOut}`));
        else resolve(out);
      },
    );
    child.stdin?.end('%Y\n\n%H时%M分\n%c\n');
  });
  const replies = stdout
    .split('>>>')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  assert.equal(replies.length, 4, stdout);
  const year = String(new Date().getUTCFullYear());
  assert.match(replies[0] ?? '', new RegExp(`^标准时间为: (${year}|${Number(year) + 1})$`));
  assert.match(replies[1] ?? '', /^标准时间为: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.match(replies[2] ?? '', /^标准时间为: \d\d时\d\d分$/);
  assert.match(
    replies[3] ?? '',
    /^标准时间为: [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/,
  );
});

test('strftime/udp: one datagram per request, replies are UTF-8 and now', async (t) => {
  const where = await serve(t, await instanceOf(t, strftimeService, { utc: true }), 'udp');
  const asked = Math.floor(Date.now() / 1000);
  const reply = await datagramExchange(where, '%s');
  assert.ok(reply);
  const seconds = Number(reply.toString());
  assert.ok(seconds >= asked && seconds <= Math.ceil(Date.now() / 1000), `${seconds}`);
  assert.equal((await datagramExchange(where, '%Z'))?.toString(), 'UTC');
  assert.equal((await datagramExchange(where, '%%'))?.toString(), '%');
});

test('strftime/udp: --tz is honoured', async (t) => {
  const where = await serve(t, await instanceOf(t, strftimeService, { tz: 'Asia/Kolkata' }), 'udp');
  assert.equal((await datagramExchange(where, '%z'))?.toString(), '+0530');
});

test('strftime/udp: too-long format, too-long reply and bad UTF-8 get error replies; the server lives on', async (t) => {
  const where = await serve(t, await instanceOf(t, strftimeService, { utc: true }), 'udp');
  assert.match(
    (await datagramExchange(where, 'x'.repeat(257)))?.toString() ?? '',
    /^error: format is 257 bytes, over the 256-byte limit$/,
  );
  assert.match(
    (await datagramExchange(where, '%c'.repeat(100)))?.toString() ?? '',
    /^error: reply would be 2400 bytes, over the 1024-byte limit$/,
  );
  assert.equal(
    (await datagramExchange(where, Buffer.from([0xc3, 0x28])))?.toString(),
    'error: format is not valid UTF-8',
  );
  assert.match(
    (await datagramExchange(where, Buffer.alloc(60_000, 0x41)))?.toString() ?? '',
    /^error: /,
  );
  assert.match((await datagramExchange(where, '%Y'))?.toString() ?? '', /^\d{4}$/);
});

test('strftime/tcp: one line per request, many per connection, \\r\\n accepted', async (t) => {
  const where = await serve(t, await instanceOf(t, strftimeService, { utc: true }), 'tcp');
  const out = (await tcpExchange(where, '%Y\n\n%Z\r\n%%')).toString();
  const lines = out.split('\n');
  assert.equal(lines.length, 5, JSON.stringify(out)); // 4 replies + the empty tail
  assert.match(lines[0] ?? '', /^\d{4}$/);
  assert.match(lines[1] ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(lines[2], 'UTC');
  assert.equal(lines[3], '%'); // the last line had no newline: answered at end of input
});

test('strftime/tcp: an over-long line gets an error, and the next line is served', async (t) => {
  const where = await serve(
    t,
    await instanceOf(t, strftimeService, { utc: true, maxFormatLength: 16 }),
    'tcp',
  );
  const sock = await dial(where);
  t.after(() => sock.destroy());
  sock.write(`${'%Y'.repeat(500)}\n%Z\n`);
  const got = await readUntil(sock, (b) => b.toString().split('\n').length >= 3);
  assert.deepEqual(got.toString().split('\n').slice(0, 2), [
    'error: format is over the 16-byte limit',
    'UTC',
  ]);
  sock.write(Buffer.from([0xff, 0x0a]));
  const bad = await readUntil(sock, (b) => b.toString().endsWith('\n'));
  assert.equal(bad.toString(), 'error: format is not valid UTF-8\n');
});

test('strftime/unix and unix-dgram: the same service over Unix sockets', async (t) => {
  const instance = await instanceOf(t, strftimeService, { utc: true });
  const stream = await serve(t, instance, 'unix');
  assert.equal((await tcpExchange(stream, '%Z\n')).toString(), 'UTC\n');
  const why = needs('python3');
  if (why) return t.skip(`${why}: unix-dgram not tested`);
  const dgram = await serve(t, instance, 'unix-dgram');
  assert.equal((await datagramExchange(dgram, '%Z'))?.toString(), 'UTC');
});
