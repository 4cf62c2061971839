/**
 * The short form of the reliability suite (`npm run test:reliability` is the full one):
 * the fast scenarios against a real `socketkit serve` (the built CLI), a few seconds each.
 * A scenario whose flags this build lacks reports "not supported by this build" and is
 * skipped here; any other outcome than pass fails the test with the failed checks.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runScenario, serveFlags } from '../reliability/lib/scenario.js';
import { SCENARIOS } from '../reliability/scenarios/index.js';
import { cleanWorkDir } from '../reliability/lib/targets.js';

after(cleanWorkDir);

const ctx = {
  short: true,
  soakSeconds: 2,
  flags: serveFlags(),
  seed: Number(process.env.RELIABILITY_SEED ?? 42),
  log: () => {},
};

// Two at a time: each scenario measures its own serve process (its fds, RSS and CPU from
// /proc), so they do not disturb each other's figures; the pair keeps the file under 60 s.
describe('reliability (short)', { concurrency: 2 }, () => {
  for (const scenario of SCENARIOS.filter((s) => s.short)) {
    it(`${scenario.name}: ${scenario.title}`, async (t) => {
      const r = await runScenario(scenario, ctx);
      if (r.status === 'not supported by this build' || r.status === 'skipped') {
        t.skip(`${r.status}: ${r.failures.join('; ')}`);
        return;
      }
      assert.equal(
        r.status,
        'pass',
        `${r.failures.join('\n')}\nlost: ${r.lost}\n${JSON.stringify(r.figures)}`,
      );
    });
  }
});
