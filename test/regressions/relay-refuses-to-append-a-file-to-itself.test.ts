/**
 * Regression (session 6 probe): `socketkit relay file:x file:x` read x while appending
 * what it read to x, so it read its own output again: a 1 MB file grew to 3.4 GB in five
 * seconds and would have filled the disk (a symlink, or `relay stdio file:x < x`, the
 * same). Now reading and appending the same file is a usage error, as `cat x >> x` is
 * ("input file is output file"), and the file is left as it was.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readFileSync, statSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/netcat.js';

const BIN = join(import.meta.dirname, '..', 'helpers', 'bin.ts');

test('relay file:x file:x (or through a symlink) is a usage error; x is untouched', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'data.bin');
  writeFileSync(file, 'abc');
  symlinkSync(file, join(dir, 'link.bin'));
  // Should the check ever go, stop the copy before it fills the disk.
  const guard = new AbortController();
  const watcher = watch(file, () => {
    if (statSync(file).size > 1 << 20) guard.abort();
  });
  t.after(() => watcher.close());
  for (const second of [file, join(dir, 'link.bin')]) {
    const r = await runCli(['relay', `file:${file}`, `file:${second}`], { signal: guard.signal });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^socketkit: file:.* and file:.* are the same file: .*\n$/);
    assert.equal(readFileSync(file, 'utf8'), 'abc');
  }
  // Another file is still appended to.
  const copy = join(dir, 'copy.bin');
  const ok = await runCli(['relay', `file:${file}`, `file:${copy}`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(readFileSync(copy, 'utf8'), 'abc');
});

test('relay stdio file:x with stdin redirected from x is a usage error', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'data.bin');
  writeFileSync(file, 'abc');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', BIN, 'relay', 'stdio', `file:${file}`],
    {
      stdio: [openSync(file, 'r'), 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^socketkit: stdin and file:.* are the same file/);
  assert.equal(readFileSync(file, 'utf8'), 'abc');
});
