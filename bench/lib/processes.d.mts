// Types of processes.mjs, for the unit tests (the suite itself is plain JavaScript).
import type { ChildProcess } from 'node:child_process';
import type { PinPlan } from './report.mjs';

export interface StartedServer {
  name: string;
  child: ChildProcess;
  pid: number;
  port: number;
  output(): string;
}

export interface ProcStat {
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  starttime: number;
}

export function cliCommand(fromSource: boolean): string[];
export function freePort(): Promise<number>;
export function startServer(
  name: string,
  argv: string[],
  port: number,
  options?: { tcp?: boolean },
): Promise<StartedServer>;
export function stopProcess(child: ChildProcess): Promise<void>;
export function readStat(pid: number | string): ProcStat | null;
export function processTree(pid: number): number[];
export function treeCpuOf(pid: number): { seconds: number; processes: number } | null;
export function treeRssOf(pid: number): number | null;
export function treeFdCount(pid: number): number | null;
export function rssOf(pid: number): number | null;
export function listenCounters(): { overflows: number; drops: number } | null;
export function runGenerator(
  cli: string[],
  args: string[],
  options: {
    onHolding?: () => void;
    onMeasuring?: () => void;
    timeoutMs: number;
    prefix?: string[];
  },
): Promise<Record<string, unknown>>;
export function allowedCpus(): number[];
export function pinPlan(mode: 'auto' | 'off', serverCpus?: number): PinPlan;
export function pinPrefix(cpus: string | undefined): string[];
export function fdLimit(): number | null;
export function compileTool(name: string): { path: string | null; reason: string | null };
export function runTool(
  argv: string[],
  options: {
    onHolding?: () => void;
    onMeasuring?: () => void;
    timeoutMs: number;
    prefix?: string[];
  },
): Promise<Record<string, unknown>>;
