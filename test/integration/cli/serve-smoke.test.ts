/**
 * The `npm start` promise, end to end: spawn `node bin/socketkit.js serve` (the built
 * CLI, as `npm start` runs it), parse the table it prints, run every "try it" line
 * through a shell exactly as printed, check each answer, then stop it with SIGINT and
 * expect a graceful exit 0. Needs the build (`npm run build`; `npm ci` runs it).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { parseTable, type TableRow } from '../services/helpers/serve-harness.js';

const built = existsSync('dist/cli/commands/serve.js');

/** What each of our services' lines must print (other services: any output, no error). */
function check(row: TableRow, out: { code: number; stdout: string; stderr: string }): void {
  const what = `${row.service}/${row.transport}: ${row.tryIt}\n${JSON.stringify(out)}`;
  const interactive = out.code === 124; // still connected when the timeout stopped it: fine for echo/discard
  assert.ok(out.code === 0 || interactive, what);
  assert.doesNotMatch(out.stderr, /not found|refused|No such file/i, what);
  switch (row.service) {
    case 'echo':
      assert.equal(out.stdout, 'hello\n', what);
      break;
    case 'discard':
      assert.equal(out.stdout, '', what);
      break;
    case 'daytime':
      assert.match(out.stdout, /^\w+day, \w+ \d+, \d{4} \d\d:\d\d:\d\d-UTC\r?\n$/, what);
      break;
    case 'qotd':
      assert.match(out.stdout, /Zen of Python\r?\n$/, what);
      break;
    case 'chargen':
      if (row.transport === 'tcp') {
        const lines = out.stdout.split('\n').filter((l) => l !== '');
        assert.equal(lines.length, 5, what);
        for (const l of lines) assert.equal(l.replace(/\r$/, '').length, 72, what);
      } else assert.ok(out.stdout.length <= 512, what);
      break;
    case 'dashboard':
      // The HTTP side's line reads /metrics (docs/observability.md).
      assert.match(out.stdout, /^# (HELP|TYPE) \w+/m, what);
      break;
    case 'time':
      assert.match(out.stdout, /^\s*(\d{1,3}\s+){3}\d{1,3}\s*$/, what);
      break;
    default:
      assert.ok(out.stdout.trim().length > 0, `${what}: printed nothing`);
  }
}

function runLine(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // Lines that start a Node CLI (node …/bin/socketkit.js …) get longer; nc lines that stay
  // connected (echo, discard: interactive) are stopped after 2 s, as a person would.
  const seconds = /socketkit/.test(line) ? 30 : 2;
  return new Promise((resolve) => {
    const child = execFile(
      'timeout',
      [String(seconds), 'sh', '-c', line],
      { timeout: 40_000 },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    // What a person would type into an interactive line.
    child.stdin?.end('hello\n');
  });
}

/** A spawned `node bin/socketkit.js …`, once it said it is ready (or exited). */
async function spawnServe(args: string[]) {
  const child = spawn(process.execPath, ['bin/socketkit.js', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => {
    out.stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out.stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  for (let i = 0; i < 300 && !/listener\(s\)/.test(out.stderr) && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, out, exited };
}

test(
  'npm start: every printed "try it" line works as printed',
  {
    skip: built ? false : 'not built: run npm run build',
  },
  async (t) => {
    let run: Awaited<ReturnType<typeof spawnServe>> | undefined;
    // A random offset keeps clear of a real `npm start` on the documented ports, and below
    // the ephemeral port range (32768+) where clients' own ports live; retry if taken anyway.
    for (let attempt = 0; attempt < 4; attempt++) {
      const offset = 10_000 + Math.floor(Math.random() * 14_000);
      run = await spawnServe(['serve', '--port-offset', String(offset)]);
      if (run.child.exitCode === null || !/already in use/.test(run.out.stderr)) break;
    }
    assert.ok(run);
    const { child, out, exited } = run;
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    assert.equal(child.exitCode, null, `serve exited early:\n${out.stderr}`);
    const stdout = out.stdout;
    const rows = parseTable(stdout);
    assert.ok(rows.length >= 12, `table:\n${stdout}`);
    for (const name of ['echo', 'discard', 'daytime', 'qotd', 'chargen', 'time']) {
      for (const transport of ['tcp', 'udp']) {
        assert.ok(
          rows.some((r) => r.service === name && r.transport === transport),
          `${name}/${transport}`,
        );
      }
    }
    // The default set lists its HTTP side (dashboard, /metrics) on 7080 + the offset.
    const dashboard = rows.find((r) => r.service === 'dashboard');
    assert.equal(dashboard?.transport, 'http', `table:\n${stdout}`);
    const echoPort = rows.find((r) => r.service === 'echo')?.port ?? 0;
    assert.equal(dashboard?.port, 7080 + echoPort - 7007);
    const results = await Promise.all(rows.map((row) => runLine(row.tryIt)));
    rows.forEach((row, i) => {
      const out = results[i];
      assert.ok(out);
      check(row, out);
    });
    child.kill('SIGINT');
    assert.equal(await exited, 0, out.stderr);
    assert.match(out.stderr, /stopped/);
  },
);

test(
  '--processes 2: workers share the port; SIGINT drains them and exits 0',
  {
    skip: built ? false : 'not built: run npm run build',
  },
  async (t) => {
    const { child, out, exited } = await spawnServe([
      'serve',
      'echo',
      '--tcp',
      '--port',
      '0',
      '--processes',
      '2',
    ]);
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const [row] = parseTable(out.stdout);
    assert.ok(row, `no table:\n${out.stdout}\n${out.stderr}`);
    assert.equal((await runLine(row.tryIt)).stdout, 'hello\n');
    assert.match(out.stderr, /worker 2 \(pid \d+\) listening/);
    child.kill('SIGINT');
    assert.equal(await exited, 0, out.stderr);
    assert.match(out.stderr, /\[pid \d+\] echo\/tcp #\d+ connection/);
  },
);

test(
  'a second signal during the drain exits at once with 130',
  {
    skip: built ? false : 'not built: run npm run build',
  },
  async (t) => {
    const { child, out, exited } = await spawnServe([
      'serve',
      'chargen',
      '--tcp',
      '--port',
      '0',
      '--drain-timeout',
      '30',
    ]);
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const [row] = parseTable(out.stdout);
    assert.ok(row?.port, out.stderr);
    // A chargen client that stops reading keeps its connection busy: the drain would wait.
    const client = connect(row.port, '127.0.0.1');
    t.after(() => client.destroy());
    await once(client, 'data');
    client.pause();
    child.kill('SIGINT');
    for (let i = 0; i < 100 && !/draining/.test(out.stderr); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.match(out.stderr, /draining connections \(up to 30 s\)/);
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.match(out.stderr, /second SIGINT, exiting now/);
  },
);
