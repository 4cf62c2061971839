/**
 * The reliability suite's runner (`npm run test:reliability`, via scripts/reliability.mjs).
 *
 *   --short              the short form (a few seconds per scenario)
 *   --only a,b           only these scenarios (their results replace those in the JSON)
 *   --soak-seconds N     soak duration (default 120; env RELIABILITY_SOAK_SECONDS)
 *   --seed N             fast-check seed (default: random, recorded)
 *   --no-write           do not update docs/reliability.{json,md}
 *   --list               list the scenarios and exit
 *
 * Exit code 1 when a scenario fails; "not supported by this build" is reported, not failed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type RunRecord, renderMarkdown } from './report.js';
import { type ScenarioResult, runScenario, serveFlags } from './lib/scenario.js';
import { ROOT } from './lib/serve-process.js';
import { SCENARIOS } from './scenarios/index.js';
import { cleanWorkDir } from './lib/targets.js';

const argv = process.argv.slice(2);
const has = (f: string): boolean => argv.includes(f);
const value = (f: string): string | undefined => {
  const i = argv.indexOf(f);
  return i >= 0 ? argv[i + 1] : undefined;
};

if (has('--list')) {
  for (const s of SCENARIOS)
    console.log(
      `${s.name.padEnd(28)} ${s.category.padEnd(7)} ${s.short ? 'short ' : '      '}${s.title}`,
    );
  process.exit(0);
}

const short = has('--short');
const only = value('--only')?.split(',');
const soakSeconds = Number(value('--soak-seconds') ?? process.env.RELIABILITY_SOAK_SECONDS ?? 120);
const seed = Number(value('--seed') ?? Math.floor(Math.random() * 2 ** 31));
const chosen = SCENARIOS.filter((s) => (only ? only.includes(s.name) : true));
if (only)
  for (const n of only)
    if (!SCENARIOS.some((s) => s.name === n)) throw new Error(`no scenario ${n}`);

const started = performance.now();
const results: ScenarioResult[] = [];
const ctx = {
  short,
  soakSeconds: short ? Math.min(soakSeconds, 5) : soakSeconds,
  flags: serveFlags(),
  seed,
  log: (m: string) => process.stderr.write(`  … ${m}\n`),
};
for (const s of chosen) {
  process.stderr.write(`▶ ${s.name}\n`);
  const r = await runScenario(s, ctx);
  results.push(r);
  process.stderr.write(
    `${r.status === 'pass' ? '✔' : r.status === 'fail' ? '✖' : '○'} ${s.name}: ${r.status} (${r.seconds} s)\n`,
  );
  for (const f of r.failures)
    process.stderr.write(`    ${f.split('\n').slice(0, 6).join('\n    ')}\n`);
}
const seconds = Math.round((performance.now() - started) / 100) / 10;
cleanWorkDir();

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
})();
const jsonPath = `${ROOT}docs/reliability.json`;
let record: RunRecord = {
  date: new Date().toISOString(),
  commit,
  node: process.version,
  machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}`,
  short,
  soakSeconds: ctx.soakSeconds,
  seed,
  seconds,
  results,
};
if (only && existsSync(jsonPath)) {
  // A partial run updates its scenarios in the last full record.
  const last = JSON.parse(readFileSync(jsonPath, 'utf8')) as RunRecord;
  const merged = last.results.map((r) => results.find((x) => x.name === r.name) ?? r);
  for (const r of results) if (!merged.some((x) => x.name === r.name)) merged.push(r);
  record = { ...last, date: record.date, commit, results: merged };
}
if (!has('--no-write')) {
  writeFileSync(jsonPath, JSON.stringify(record, null, 2) + '\n');
  writeFileSync(`${ROOT}docs/reliability.md`, renderMarkdown(record) + '\n');
}
const count = (s: string): number => results.filter((r) => r.status === s).length;
process.stderr.write(
  `\n${results.length} scenarios in ${seconds} s: ${count('pass')} pass, ${count('fail')} fail, ` +
    `${count('not supported by this build')} not supported by this build, ${count('skipped')} skipped\n`,
);
process.exitCode = count('fail') > 0 ? 1 : 0;
