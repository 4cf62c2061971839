/**
 * Regression (issue 10, defect 16, review): every chat slow-consumer cut was one WARN line,
 * and a client can have itself cut at will — from as many connections as it likes — so
 * `serve -q` could be flooded with them, as it was with refusals. Now the first cut is
 * written in full and the next ones are summarised, through the same summary as
 * refusals (`fields.repeat` of the service log).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestClient } from '../integration/services/chat-harness.js';
import { startServe } from '../integration/services/helpers/serve-harness.js';

test('serve writes the first slow-consumer cut, then a summary', { timeout: 90_000 }, async (t) => {
  const run = await startServe([
    'chat',
    '--tcp',
    '--port',
    '0',
    '--rate-limit',
    '0',
    '--max-queue',
    '65536',
    '--max-line-length',
    '8192',
    '-q',
  ]);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await run.stop();
  });
  const port = run.rows[0]?.port ?? 0;
  const slow: TestClient[] = [];
  for (const nick of ['slow1', 'slow2', 'slow3']) slow.push(await TestClient.join(port, nick));
  const talker = await TestClient.join(port, 'talker');
  t.after(() => {
    for (const c of [...slow, talker]) c.sock.destroy();
  });
  // They stop reading: the kernel buffers fill, then the server's queue of each.
  for (const c of slow) c.sock.pause();
  const big = 'y'.repeat(8000);
  const cut = (): number =>
    talker.lines.filter((l) => /^<announce> slow\d left #lobby \(too slow\)$/.test(l)).length;
  // Bounded: at most 4000 lines of 8 KB; stops as soon as all three were cut.
  for (let sent = 0; sent < 4000 && cut() < 3;) {
    for (let i = 0; i < 50; i += 1) talker.send(`${sent++} ${big}`);
    talker.send('/echo on');
    await talker.waitFor(new RegExp(`^<talker> ${sent - 1} `));
  }
  for (const nick of ['slow1', 'slow2', 'slow3'])
    await talker.waitFor(new RegExp(`^<announce> ${nick} left #lobby \\(too slow\\)$`));
  talker.sock.destroy();
  stopped = true;
  assert.equal(await run.stop(), 0);
  const lines = run.stderr().split('\n');
  const each = lines.filter((l) => /cut as a slow consumer/.test(l));
  const summaries = lines.filter((l) => /2 more "slow-consumer" events in the last \d+ s/.test(l));
  assert.equal(each.length, 1, run.stderr());
  assert.equal(summaries.length, 1, run.stderr());
  assert.match(each[0]!, /WARN .*slow\d \(127\.0\.0\.1:\d+\) cut as a slow consumer/);
});
