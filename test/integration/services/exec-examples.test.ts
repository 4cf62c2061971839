// Seeds S5/S8: the example exec servers and clients, run as real processes. Every child
// is killed by PID in t.after.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type TestContext, test } from 'node:test';

const env = { ...process.env, SOCKETKIT_EXEC_SECRET: 'example-secret-0123456789' };

async function startServer(t: TestContext, file: string): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
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
  for (const end = Date.now() + 20_000; Date.now() < end;) {
    const m = /exec server on 127\.0\.0\.1:(\d+) \((?:tcp|udp)\), commands: echo/.exec(out);
    if (m) return Number(m[1]);
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`server did not start: ${out}`);
}

function runClient(file: string, port: number, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', file, '--port', String(port)],
      { timeout: 20_000, env },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

for (const [seed, server, client] of [
  ['s05', 'examples/s05-remote-exec-server.ts', 'examples/s05-remote-exec-client.ts'],
  ['s08', 'examples/s08-udp-exec-server.ts', 'examples/s08-udp-exec-client.ts'],
] as const) {
  test(`${seed}: the example exec server and client`, async (t) => {
    const port = await startServer(t, server);
    const out = await runClient(client, port, 'echo hello;id $(id)\nrm -rf /\nq\n');
    const replies = out
      .split('>>>')
      .map((s) => s.trim())
      .filter(Boolean);
    assert.equal(replies[0], '命令行的结果是 hello;id $(id)');
    assert.match(replies[1] ?? '', /ERR_EXEC_UNKNOWN_COMMAND/);
    assert.equal(replies.length, 2, out);
  });
}
