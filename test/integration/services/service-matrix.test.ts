// The CPython-style matrix for the services (test_socketserver.py, for socketserver's
// servers): every classic service × every transport it speaks (TCP, UDP, Unix stream,
// Unix datagram) × {concurrent (one process), processes: 2}, through `socketkit serve
// --config` as a user runs it, on real sockets, with byte-exact checks. One spawned
// superserver per mode serves all 30 listeners at once, so the matrix stays fast.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { untilAny } from '../../helpers/wait.js';
import { unixDatagramRequest } from '../server/helpers/clients.js';
import { parseTable, type TableRow } from './helpers/serve-harness.js';
import { dial, readUntil, tempDir, udpExchange, type Where } from './helpers/service-harness.js';

const SERVICES = ['echo', 'discard', 'chargen', 'qotd', 'daytime', 'time', 'strftime', 'sntp'];
const STREAMLESS = new Set(['sntp']); // UDP only (RFC 4330)
const WELCOME = 'welcome to server!'; // the seeds' welcome server (S3) is qotd
const NTP_EPOCH_OFFSET = 2_208_988_800; // seconds from 1900 to 1970 (RFC 868, RFC 5905)

/** RFC 864 line `n` (72 characters of the printable ring from `n mod 95`, CRLF). */
function chargenLine(n: number): string {
  let line = '';
  for (let k = 0; k < 72; k++) line += String.fromCharCode(0x20 + ((n + k) % 95));
  return `${line}\r\n`;
}

/** `data` is consecutive chargen lines, from whichever line it starts at. */
function assertChargen(data: Buffer, what: string): void {
  const text = data.toString('latin1');
  const first = (text.charCodeAt(0) - 0x20 + 95) % 95;
  let expected = '';
  for (let i = 0; expected.length < text.length; i++) expected += chargenLine(first + i);
  assert.equal(text, expected.slice(0, text.length), what);
}

/** When this file started (Unix ms): every answer is made between then and its check. */
const FILE_STARTED = Date.now();

/** 4 big-endian bytes: seconds since 1900 of "now" (this file's start … this check). */
function assertTime(data: Buffer | null, what: string): void {
  assert.equal(data?.length, 4, what);
  const from = Math.floor(FILE_STARTED / 1000) + NTP_EPOCH_OFFSET;
  const to = Math.ceil(Date.now() / 1000) + NTP_EPOCH_OFFSET;
  const got = data?.readUInt32BE(0) ?? 0;
  assert.ok(got >= from % 2 ** 32 && got <= to % 2 ** 32, `${what}: ${got} not in ${from}…${to}`);
}

const DAYTIME = /^\w+day, \w+ \d{1,2}, \d{4} \d\d:\d\d:\d\d-UTC\r\n$/;

/** One exchange on a stream listener (TCP or Unix), checked byte for byte. */
async function checkStream(service: string, where: Where, what: string): Promise<void> {
  const sock = await dial(where);
  try {
    const all = () => false; // read until the server closes
    switch (service) {
      case 'echo': {
        const payload = randomBytes(100_000);
        const reading = readUntil(sock, all);
        sock.end(payload);
        assert.ok((await reading).equals(payload), what);
        break;
      }
      case 'discard': {
        const reading = readUntil(sock, all);
        sock.end(randomBytes(100_000));
        assert.equal((await reading).length, 0, what);
        break;
      }
      case 'chargen': {
        const got = await readUntil(sock, (b) => b.length >= 3 * 74);
        assert.equal(
          got.subarray(0, 3 * 74).toString('latin1'),
          chargenLine(0) + chargenLine(1) + chargenLine(2),
          what,
        );
        assertChargen(got, what);
        break;
      }
      case 'qotd':
        assert.equal((await readUntil(sock, all)).toString(), `${WELCOME}\r\n`, what);
        break;
      case 'daytime':
        assert.match((await readUntil(sock, all)).toString(), DAYTIME, what);
        break;
      case 'time':
        assertTime(await readUntil(sock, all), what);
        break;
      case 'strftime': {
        const reading = readUntil(sock, all);
        sock.end('%Y\n%%\n');
        assert.equal((await reading).toString(), `${new Date().getUTCFullYear()}\n%\n`, what);
        break;
      }
      default:
        assert.fail(`${what}: no check`);
    }
  } finally {
    sock.destroy();
  }
}

/** A bare SNTP client request (LI 0, version 4, mode 3) with a transmit timestamp. */
function sntpRequest(): Buffer {
  const request = Buffer.alloc(48);
  request[0] = 0x23;
  request.writeUInt32BE(Math.floor(Date.now() / 1000) + NTP_EPOCH_OFFSET, 40);
  request.writeUInt32BE(0x12345678, 44);
  return request;
}

/** One exchange on a datagram listener (UDP or Unix datagram), checked byte for byte. */
async function checkDatagram(
  service: string,
  send: (data: Buffer, timeoutMs?: number) => Promise<Buffer | null>,
  what: string,
): Promise<void> {
  switch (service) {
    case 'echo': {
      const payload = randomBytes(1400);
      assert.ok((await send(payload))?.equals(payload), what);
      assert.equal((await send(Buffer.alloc(0)))?.length, 0, `${what}: empty datagram`);
      break;
    }
    case 'discard':
      assert.equal(await send(Buffer.from('hello'), 300), null, what);
      break;
    case 'chargen': {
      // RFC 864: 0 to 512 characters, so an empty reply is valid too (1 run in 513).
      const reply = await send(Buffer.alloc(0));
      assert.ok(reply !== null && reply.length <= 512, what);
      assertChargen(reply, what);
      break;
    }
    case 'qotd':
      assert.equal((await send(Buffer.alloc(0)))?.toString(), `${WELCOME}\r\n`, what);
      break;
    case 'daytime':
      assert.match((await send(Buffer.alloc(0)))?.toString() ?? '', DAYTIME, what);
      break;
    case 'time':
      assertTime(await send(Buffer.alloc(0)), what);
      break;
    case 'strftime':
      assert.equal(
        (await send(Buffer.from('%Y')))?.toString(),
        `${new Date().getUTCFullYear()}`,
        what,
      );
      break;
    case 'sntp': {
      const request = sntpRequest();
      const asked = Math.floor(Date.now() / 1000);
      const reply = await send(request);
      assert.equal(reply?.length, 48, what);
      assert.equal((reply?.[0] ?? 0) & 0x07, 4, `${what}: mode 4 (server)`);
      assert.ok(reply?.subarray(24, 32).equals(request.subarray(40, 48)), `${what}: originate`);
      const seconds = reply?.readUInt32BE(40) ?? 0;
      // Made between the request and now, however long the machine took.
      const unix = seconds - NTP_EPOCH_OFFSET;
      assert.ok(unix >= asked - 1 && unix <= Math.ceil(Date.now() / 1000), `${what}: ${unix}`);
      break;
    }
    default:
      assert.fail(`${what}: no check`);
  }
}

/** Spawns `socketkit serve ARGS` from the sources; resolves once its table is printed. */
async function spawnServe(
  args: string[],
  minRows = 1,
): Promise<{
  child: ChildProcess;
  rows: TableRow[];
  stderr: () => string;
  exited: Promise<number | null>;
}> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures/serve-cli.ts'), 'serve', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // Ready once it logged its listeners AND its table reached us (stdout and stderr are two
  // pipes: one can be read before the other), or it exited. Re-checked on each chunk.
  await untilAny(
    () =>
      (/listener\(s\)/.test(stderr) && parseTable(stdout).length >= minRows) ||
      child.exitCode !== null,
    [
      [child.stdout, 'data'],
      [child.stderr, 'data'],
      [child, 'exit'],
    ],
    { timeout: 60_000, what: 'serve to print its table and log its listeners' },
  ).catch(() => {});
  return { child, rows: parseTable(stdout), stderr: () => stderr, exited };
}

for (const processes of [1, 2]) {
  const mode = processes === 1 ? 'concurrent' : `processes: ${processes}`;
  test(`every service × every transport, ${mode}`, async (t) => {
    const dir = tempDir(t);
    const config = {
      host: '127.0.0.1',
      services: SERVICES.map((service) => ({
        service,
        port: 0,
        ...(STREAMLESS.has(service) ? {} : { unix: `${service}.sock` }),
        unixDgram: `${service}-dg.sock`,
        processes,
        ...(service === 'qotd' ? { options: { message: WELCOME } } : {}),
        ...(service === 'strftime' ? { options: { utc: true } } : {}),
      })),
    };
    const file = join(dir, 'matrix.json');
    writeFileSync(file, JSON.stringify(config));
    const run = await spawnServe(['--config', file], 4 * SERVICES.length - 2 * STREAMLESS.size);
    t.after(() => {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    });
    assert.equal(run.child.exitCode, null, run.stderr());
    assert.equal(run.rows.length, 4 * SERVICES.length - 2 * STREAMLESS.size, run.stderr());

    let k = 0;
    await Promise.all(
      run.rows.map(async (row) => {
        const what = `${row.service}/${row.transport} (${mode})`;
        if (row.transport === 'tcp') await checkStream(row.service, { port: row.port ?? 0 }, what);
        else if (row.transport === 'unix')
          await checkStream(row.service, { path: row.address }, what);
        else if (row.transport === 'udp')
          await checkDatagram(
            row.service,
            (d, ms) => udpExchange(row.port ?? 0, d, ms ?? 5000),
            what,
          );
        else
          await checkDatagram(
            row.service,
            (d, ms) =>
              unixDatagramRequest(row.address, join(dir, `client-${k++}.sock`), d, ms ?? 5000),
            what,
          );
      }),
    );
    if (processes > 1) {
      // The stream connections were served by the workers, which tag their log lines.
      assert.match(run.stderr(), /\[pid \d+\] echo\/tcp #\d+ connection/);
      assert.match(run.stderr(), /\[pid \d+\] echo\/unix #\d+ connection/);
    }
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.stderr());
  });
}
