/**
 * What a reliability scenario is and what it reports. A scenario drives a real
 * `socketkit serve` process with bounded load and returns its figures; the runner turns
 * them into a status (pass, fail, not supported by this build) and docs/reliability.md.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type Category = 'fuzz' | 'abuse' | 'faults' | 'soak';
export type Status = 'pass' | 'fail' | 'not supported by this build' | 'skipped';

export interface Context {
  /** The short form (a few seconds per scenario, inside `npm test`). */
  short: boolean;
  /** Soak duration, seconds. */
  soakSeconds: number;
  /** The `serve` flags this build knows (from `serve --help`). */
  flags: ReadonlySet<string>;
  /** Seed of the random inputs (fast-check), printed so a run can be repeated. */
  seed: number;
  /** Appends a progress line (stderr of the runner). */
  log(message: string): void;
}

export interface Outcome {
  /** The load held: clients, rates, duration. */
  load: string;
  /** Faults injected ("-" when none). */
  faults?: string;
  /** Bad inputs tried ("-" when none). */
  badInputs?: string;
  /** Bytes, lines or replies lost: 0 is the only passing value (a string explains a unit). */
  lost: number;
  /** Measured figures: baseline/peak/final RSS (MiB), fds, CPU, rates. */
  figures: Record<string, number | string>;
  /** Every check that failed; empty means pass (with lost = 0). */
  failures: string[];
}

export interface Scenario {
  name: string;
  category: Category;
  /** One line: what the scenario proves. */
  title: string;
  /** `serve` flags the scenario needs; a build without one reports "not supported". */
  requires?: string[];
  /** External programs needed (redis-server, prlimit, python3). */
  tools?: string[];
  /** Part of the short form run by `npm test`. */
  short?: boolean;
  run(ctx: Context): Promise<Outcome>;
}

export interface ScenarioResult {
  name: string;
  category: Category;
  title: string;
  status: Status;
  seconds: number;
  load: string;
  faults: string;
  badInputs: string;
  lost: number | null;
  figures: Record<string, number | string>;
  failures: string[];
  missing: string[];
  command: string;
}

let cachedFlags: Set<string> | undefined;

/** Every `--flag` that `socketkit serve --help` lists (built CLI). */
export function serveFlags(): Set<string> {
  if (cachedFlags) return cachedFlags;
  const bin = fileURLToPath(new URL('../../../bin/socketkit.js', import.meta.url));
  const out = spawnSync(process.execPath, [bin, 'serve', '--help'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`serve --help failed (run npm run build): ${out.stderr}`);
  cachedFlags = new Set(out.stdout.match(/--[a-z][a-z0-9-]*/g) ?? []);
  return cachedFlags;
}

/** Whether PROGRAM is on the PATH. */
export function have(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** Pushes MESSAGE to FAILURES unless OK. */
export function check(failures: string[], ok: boolean, message: string): void {
  if (!ok) failures.push(message);
}

/** Runs one scenario and classifies it. */
export async function runScenario(s: Scenario, ctx: Context): Promise<ScenarioResult> {
  const base = {
    name: s.name,
    category: s.category,
    title: s.title,
    command: `npm run test:reliability -- --only ${s.name}${ctx.short ? ' --short' : ''}`,
  };
  const missing = (s.requires ?? []).filter((f) => !ctx.flags.has(f));
  const missingTools = (s.tools ?? []).filter((t) => !have(t));
  if (missing.length > 0 || missingTools.length > 0) {
    return {
      ...base,
      status: missing.length > 0 ? 'not supported by this build' : 'skipped',
      seconds: 0,
      load: '-',
      faults: '-',
      badInputs: '-',
      lost: null,
      figures: {},
      failures: [
        ...missing.map((f) => `serve has no ${f}`),
        ...missingTools.map((t) => `${t} is not installed`),
      ],
      missing: [...missing, ...missingTools],
    };
  }
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = await s.run(ctx);
  } catch (err) {
    outcome = {
      load: '-',
      lost: 0,
      figures: {},
      failures: [`scenario error: ${(err as Error).stack ?? String(err)}`],
    };
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  if (outcome.lost > 0) outcome.failures.push(`${outcome.lost} lost (bytes, lines or replies)`);
  return {
    ...base,
    status: outcome.failures.length === 0 && outcome.lost === 0 ? 'pass' : 'fail',
    seconds,
    load: outcome.load,
    faults: outcome.faults ?? '-',
    badInputs: outcome.badInputs ?? '-',
    lost: outcome.lost,
    figures: outcome.figures,
    failures: outcome.failures,
    missing: [],
  };
}
