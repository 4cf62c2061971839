// Types of report.mjs, for the unit tests (the suite itself is plain JavaScript).

export interface ScenarioResult {
  id: string;
  title: string;
  metric: string;
  unit: string;
  better?: 'lower';
  subject: string;
  baselines: string[];
  targets: Record<string, number>;
  absolute?: { max: number };
  /** The load's arguments (`socketkit bench` mode first). */
  load?: string[];
  /** Seconds of warm-up before each run of this scenario (when it differs from the suite's, its own). */
  warmup?: number;
  /** Runs per server in this scenario, when it differs from the suite's `repeat`. */
  repeat?: number;
  medians: Record<string, number | null>;
  ratios: Record<string, number | null>;
  /** Per server: runs that failed or were not verified (a target is not met on them). */
  failed?: Record<string, number>;
  /** Pass/fail targets on the subject's runs. */
  checks?: CheckResult[];
  /** A remark printed with the per-run details (e.g. where the processes ran). */
  note?: string;
  skipped: Record<string, string>;
  runs: Record<string, Record<string, unknown>[]>;
  wallSeconds?: number;
}

/** A pass/fail target evaluated on runs (connections held, overflows, lost lines). */
export interface CheckResult {
  kind: string;
  label: string;
  target: string;
  /** The subject's figure, as text. */
  value: string;
  /** Each baseline's figure, as text, for comparison. */
  baselines: Record<string, string>;
  met: boolean | null;
}

/** Where the generator and the servers ran (`--pin`), or why nothing was pinned. */
export interface PinPlan {
  mode: 'auto' | 'off';
  applied: boolean;
  reason: string;
  cpus: string;
  tasksetAvailable: boolean | null;
  serverCpus?: string;
  generatorCpus?: string;
  generatorCpuCount?: number;
}

export interface SuiteReport {
  date: string;
  command: string;
  durationPerRun: number;
  /** Seconds of warm-up before each measured run (absent in reports made before it). */
  warmupPerRun?: number;
  generatorWorkers: number;
  pinning?: PinPlan;
  repeat: number;
  wallSeconds: number;
  machine: {
    cores: number;
    cpu: string;
    memoryGB: number;
    node: string;
    platform: string;
    python: string | null;
  };
  scenarios: ScenarioResult[];
}

export type ServerLabels = Record<string, { label: string }>;

export function meets(
  scenario: ScenarioResult,
  baseline: string,
  ratio: number | null,
): boolean | null;
export function absoluteMet(scenario: ScenarioResult): boolean | null;
export function pinningLine(pinning: PinPlan | undefined): string;
export function warmupLine(
  seconds: number,
  scenarios?: readonly { id: string; warmup?: number }[],
): string;
export function markdownTable(report: SuiteReport, servers: ServerLabels): string;
export function detailLines(report: SuiteReport): string;
export function svgChart(report: SuiteReport, servers: ServerLabels): string;
export function markdownBlock(report: SuiteReport, servers: ServerLabels): string;
export function writeOutputs(report: SuiteReport, servers: ServerLabels): Promise<string[]>;
