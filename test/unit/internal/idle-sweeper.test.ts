import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdleSweeper } from '../../../src/internal/idle-sweeper.js';

// Mocked clock and timers: the sweeper's idea of time moves only when the test ticks it, so a
// loaded machine cannot stretch a pause past the timeout.
test('one shared timer closes idle entries and spares active ones', (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  const sweeper = new IdleSweeper(0.2);
  const idle = { bytesRead: 0, bytesWritten: 0 };
  const busy = { bytesRead: 0, bytesWritten: 0 };
  const fired: string[] = [];
  sweeper.add(idle, idle, () => fired.push('idle'));
  sweeper.add(busy, busy, () => fired.push('busy'));
  // The busy entry moves bytes every 50 ms for 600 ms (3 timeouts).
  for (let i = 0; i < 12; i++) {
    busy.bytesRead += 1;
    t.mock.timers.tick(50);
  }
  assert.deepEqual(fired, ['idle']);
  sweeper.delete(busy);
  t.mock.timers.tick(400);
  assert.deepEqual(fired, ['idle'], 'a deleted entry never fires');
  sweeper.stop();
});
