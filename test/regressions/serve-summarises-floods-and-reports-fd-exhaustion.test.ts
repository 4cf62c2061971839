// Issue 10, defect 16: operators were flooded where it did not matter (one WARN line per
// refused connection: 9001 lines in one test) and blind where it did (EMFILE on accept is
// swallowed by libuv: clients were dropped and nothing was logged). Now serve writes the
// first refusal and then one summary line per interval, and says when the process runs out
// of file descriptors and when it recovers — and keeps serving.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasPrlimit, limitOpenFiles } from '../helpers/fd-limit.js';
import { startServe } from '../integration/services/helpers/serve-harness.js';

/** Connects and resolves with everything the server sent before closing (or `until`). */
function exchange(port: number, send: string | null, until?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' }, () => {
      if (send !== null) sock.write(send);
    });
    let got = '';
    sock.on('data', (d) => {
      got += d.toString();
      if (until !== undefined && got.includes(until)) {
        sock.destroy();
        resolve(got);
      }
    });
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
  });
}

test('serve writes the first refusal, then one summary line, not one line per refusal', async (t) => {
  const run = await startServe([
    'echo',
    '--tcp',
    '--port',
    '0',
    '--max-connections',
    '1',
    '--max-connections-per-ip',
    '0',
    '--accept-rate',
    '0',
    '-q',
  ]);
  t.after(() => run.stop());
  const port = run.rows[0]?.port ?? 0;
  const holder = net.connect({ port, host: '127.0.0.1' });
  t.after(() => holder.destroy());
  holder.write('x');
  await new Promise((resolve) => holder.once('data', resolve));
  const refused = 300;
  for (let i = 0; i < refused; i += 50) {
    const replies = await Promise.all(Array.from({ length: 50 }, () => exchange(port, null)));
    assert.ok(replies.every((r) => r.startsWith('server busy')));
  }
  holder.destroy();
  assert.equal(await run.stop(), 0);
  const lines = run.stderr().split('\n');
  const each = lines.filter((l) => /refused 127\.0\.0\.1:\d+ \(maxConnections\)/.test(l));
  const summaries = lines.filter((l) => / refused \d+ more connections in the last \d+ s/.test(l));
  assert.equal(each.length, 1, run.stderr());
  assert.equal(summaries.length, 1, run.stderr());
  assert.match(
    summaries[0]!,
    /refused 299 more connections in the last \d+ s \(maxConnections: 299\)/,
  );
});

/** Collects a child's output; `waitFor(re)` resolves once it matched (bounded). */
function watch(stream: NodeJS.ReadableStream): {
  text: () => string;
  waitFor: (re: RegExp) => Promise<void>;
} {
  let text = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  stream.on('data', (d: Buffer) => {
    text += d.toString();
    for (const w of waiters.splice(0)) {
      if (w.re.test(text)) w.resolve();
      else waiters.push(w);
    }
  });
  return {
    text: () => text,
    waitFor: (re) =>
      re.test(text)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ re, resolve });
            setTimeout(() => reject(new Error(`no ${re} within 20 s:\n${text}`)), 20_000).unref();
          }),
  };
}

test(
  'serve logs running out of file descriptors, and recovers when they are free again',
  { skip: hasPrlimit ? false : 'prlimit (util-linux) is not installed' },
  async (t) => {
    const bin = join(import.meta.dirname, '../../bin/socketkit.js');
    const child: ChildProcess = spawn(
      process.execPath,
      [
        bin,
        'serve',
        'echo',
        '--tcp',
        '--port',
        '0',
        '--max-connections-per-ip',
        '0',
        '--accept-rate',
        '0',
        '-q',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => child.kill('SIGKILL'));
    const out = watch(child.stdout!);
    const err = watch(child.stderr!);
    await out.waitFor(/127\.0\.0\.1:\d+/);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(out.text())![1]);
    limitOpenFiles(child.pid!, 128);
    // More clients than the server has descriptors for: the system drops the rest.
    const clients: net.Socket[] = [];
    t.after(() => clients.forEach((c) => c.destroy()));
    for (let i = 0; i < 250; i++) {
      const c = net.connect({ port, host: '127.0.0.1' });
      c.on('error', () => {});
      clients.push(c);
    }
    await err.waitFor(/ERROR.*out of file descriptors \(EMFILE\)/);
    for (const c of clients) c.destroy();
    await err.waitFor(/file descriptors available again/);
    assert.equal(await exchange(port, 'still serving\n', 'still serving\n'), 'still serving\n');
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
    // One line for the whole episode, not one per dropped client.
    assert.equal(err.text().match(/out of file descriptors/g)?.length, 1, err.text());
  },
);
