// RepeatSummary: the first event of a kind is written in full, the rest are counted into
// one line per interval; flush() writes what is pending.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCounts, RepeatSummary } from '../../../../src/cli/serve/repeat-summary.js';

test('first in full, the rest counted per kind, one summary on flush', () => {
  let now = 0;
  const summary = new RepeatSummary(10_000, () => now);
  const lines: string[] = [];
  const write = (total: number, byKind: ReadonlyMap<string, number>, seconds: number): void => {
    lines.push(`${total} in ${seconds} s (${describeCounts(byKind)})`);
  };
  assert.equal(summary.record('echo/tcp refused', 'maxConnections', write), true);
  for (let i = 0; i < 9000; i++) {
    assert.equal(summary.record('echo/tcp refused', 'maxConnections', write), false);
  }
  assert.equal(summary.record('echo/tcp refused', 'deny', write), false);
  // Another key has its own window.
  assert.equal(summary.record('qotd/tcp refused', 'deny', write), true);
  now = 7000;
  summary.flush();
  assert.deepEqual(lines, ['9001 in 7 s (maxConnections: 9000, deny: 1)']);
  // After a flush the window is closed: the next event is written in full again.
  assert.equal(summary.record('echo/tcp refused', 'deny', write), true);
  summary.flush();
  assert.equal(lines.length, 1);
});
