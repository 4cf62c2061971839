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
  medians: Record<string, number | null>;
  ratios: Record<string, number | null>;
  skipped: Record<string, string>;
  runs: Record<string, Record<string, unknown>[]>;
}

export interface SuiteReport {
  date: string;
  command: string;
  durationPerRun: number;
  generatorWorkers: number;
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
export function markdownTable(report: SuiteReport, servers: ServerLabels): string;
export function detailLines(report: SuiteReport): string;
export function svgChart(report: SuiteReport, servers: ServerLabels): string;
export function markdownBlock(report: SuiteReport, servers: ServerLabels): string;
export function writeOutputs(report: SuiteReport, servers: ServerLabels): Promise<string[]>;
