// Seed S7: the example time server, run as a real process, against the tutorial's Python
// client and the library client example. Every child is killed by PID in t.after.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type TestContext, test } from 'node:test';
import { needs } from '../../helpers/needs.js';
import { untilAny } from '../../helpers/wait.js';

async function startServer(t: TestContext): Promise<number> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'examples/s07-time-server.ts', '--port', '0', '--utc'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      await once(child, 'exit');
    }
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const ready = /on 127\.0\.0\.1:(\d+) \(udp\+tcp\), time zone UTC/;
  await untilAny(
    () => ready.test(out) || child.exitCode !== null,
    [
      [child.stdout!, 'data'],
      [child.stderr!, 'data'],
      [child, 'exit'],
    ],
    { timeout: 20_000, what: 'the server to start' },
  ).catch(() => {});
  const m = ready.exec(out);
  if (m) return Number(m[1]);
  throw new Error(`server did not start: ${out}`);
}

function runWithInput(cmd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

test("s07: the tutorial's Python client against the example server", async (t) => {
  const why = needs('python3');
  if (why) return t.skip(why);
  const port = await startServer(t);
  const out = await runWithInput(
    'python3',
    ['examples/s07-time-client.py', String(port)],
    '%Y\n\n%Z\n',
  );
  const replies = out
    .split('>>>')
    .map((s) => s.trim())
    .filter(Boolean);
  assert.equal(replies.length, 3, out);
  assert.match(replies[0] ?? '', /^标准时间为: \d{4}$/);
  assert.match(replies[1] ?? '', /^标准时间为: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(replies[2], '标准时间为: UTC');
});

test('s07: the library client example, over the same server', async (t) => {
  const port = await startServer(t);
  const out = await runWithInput(
    process.execPath,
    ['--import', 'tsx', 'examples/s07-time-client.ts', '--port', String(port)],
    '%H:%M\n%%\n',
  );
  const replies = out
    .split('>>>')
    .map((s) => s.trim())
    .filter(Boolean);
  assert.match(replies[0] ?? '', /^标准时间为: \d\d:\d\d$/);
  assert.equal(replies[1], '标准时间为: %');
});
