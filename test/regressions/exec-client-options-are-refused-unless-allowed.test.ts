// Issue 10, defect 15: client arguments could inject options into allowlisted tools:
// with `sort` allowed any argument, `sort --output=/tmp/x` wrote a file. Now an argument
// starting with '-' is refused unless the entry allows options (all, or a list).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  rawTcpRequest,
  request,
  serveExec,
  stdoutOf,
} from '../integration/services/exec-harness.js';

test('exec: `sort --output=FILE` is refused; listed options pass; options: true allows all', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-exec-opts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'b\na\n');
  const target = join(dir, 'x');
  const port = await serveExec(t, 'tcp', {
    allowCommand: ['sort=/usr/bin/sort', 'rsort=/usr/bin/sort', 'anysort=/usr/bin/sort'],
    allowArgs: ['sort=.*', 'rsort=.*', 'anysort=.*'],
    allowOptions: ['rsort=-r'],
    commands: {},
  });
  const last = async (name: string, args: string[]) => {
    const { frames } = await rawTcpRequest(port, [request(name, args)]);
    return { last: frames.at(-1), out: stdoutOf(frames).toString() };
  };
  for (const args of [
    [`--output=${target}`, input],
    [input, '-o', target],
    ['-r', input],
  ]) {
    const { last: l } = await last('sort', args);
    assert.ok(l?.type === 'error' && l.error.code === 'ERR_EXEC_ARGS', JSON.stringify(l));
    assert.match(l.type === 'error' ? l.error.message : '', /starts with '-'/);
  }
  assert.equal(existsSync(target), false);
  // A listed option is accepted, an unlisted one is not.
  assert.equal((await last('rsort', ['-r', input])).out, 'b\na\n');
  const unlisted = (await last('rsort', [`--output=${target}`, input])).last;
  assert.ok(unlisted?.type === 'error' && unlisted.error.code === 'ERR_EXEC_ARGS');
  assert.equal(existsSync(target), false);
  // Plain arguments are unaffected.
  assert.equal((await last('sort', [input])).out, 'a\nb\n');
});

test('exec: a config entry with options: true allows any option', async (t) => {
  const port = await serveExec(t, 'tcp', {
    allowCommand: [],
    allowArgs: [],
    commands: { echo: { path: '/bin/echo', allowArgs: '.*', options: true } },
  });
  const { frames } = await rawTcpRequest(port, [request('echo', ['-n', 'x'])]);
  assert.equal(stdoutOf(frames).toString(), 'x');
});
