// The public API is deliberate: api/socketkit.api.md records every export of every
// package.json entry point with its declaration, and must match the sources. When this
// fails, the diff below is the change to the public surface: run `npm run api:report`
// and commit the regenerated file with the change, so review sees it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApiReport, diffReport, REPORT_PATH } from '../../scripts/api-report.js';

const report = buildApiReport();

test(`${REPORT_PATH} matches the public API of the sources`, () => {
  const diff = diffReport(report);
  assert.equal(
    diff,
    '',
    `the public API changed; run \`npm run api:report\`, review and commit ${REPORT_PATH}:\n${diff}`,
  );
});

/** Export names per entry point, read from the report's tables. */
function namesByEntry(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  let inBlock = false;
  for (const line of text.split('\n')) {
    const heading = /^## `([^`]+)`/.exec(line);
    if (heading) {
      current = new Set();
      out.set(heading[1]!, current);
      continue;
    }
    if (line.startsWith('## ')) current = undefined;
    if (line.startsWith('```')) {
      inBlock = !inBlock;
      continue;
    }
    if (inBlock && current) current.add(line.split(' ')[0]!);
  }
  return out;
}

test('the root exports exactly the names of errors, framing, resolve, server and socket', () => {
  const entries = namesByEntry(report);
  const root = entries.get('socketkit');
  assert.ok(root && root.size > 0);
  const union = new Set<string>();
  for (const sub of ['errors', 'framing', 'resolve', 'server', 'socket']) {
    const names = entries.get(`socketkit/${sub}`);
    assert.ok(names, `socketkit/${sub} is an entry point`);
    for (const n of names) union.add(n);
  }
  assert.deepEqual([...root].sort(), [...union].sort());
});

test('no internal helper is part of the public surface', () => {
  const entries = namesByEntry(report);
  const internals = [
    'publish',
    'runHandler',
    'isHandlerClass',
    'errorWhere',
    'fromSystemError',
    'formatAddress',
    'claimUnixSocketPath',
    'removeOwnSocketFile',
    'checkPort',
    'checkAddress',
    'toPeerAddress',
    'clientKey',
    'createTlsServer',
    'destroyHandshaking',
  ];
  for (const [entry, names] of entries) {
    for (const name of internals) assert.ok(!names.has(name), `${entry} exports ${name}`);
  }
});
