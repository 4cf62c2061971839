/**
 * Runs `socketkit serve …` in-process (through `main()`), waits for its listening table,
 * and stops it with the AbortController a real SIGINT would abort.
 */
import { EventEmitter } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../../../src/cli/main.js';
import { until, WAIT_MS } from '../../../helpers/wait.js';

/** One row of the listening table. */
export interface TableRow {
  service: string;
  transport: string;
  address: string;
  tryIt: string;
  host?: string;
  port?: number;
  path?: string;
}

/** A running in-process `serve`. */
export interface ServeRun {
  rows: TableRow[];
  stdout: () => string;
  stderr: () => string;
  /** Aborts (as SIGINT would) and resolves to the exit code. */
  stop(): Promise<number>;
  /** Resolves to the exit code when the command ends by itself. */
  exited: Promise<number>;
}

/** Parses the table `serve` prints (header SERVICE TRANSPORT ADDRESS TRY IT). */
export function parseTable(text: string): TableRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.findIndex((l) => l.startsWith('SERVICE'));
  if (header < 0) return [];
  const h = lines[header] ?? '';
  const cols = [h.indexOf('TRANSPORT'), h.indexOf('ADDRESS'), h.indexOf('TRY IT')];
  return lines.slice(header + 1).map((line) => {
    const [c1 = 0, c2 = 0, c3 = 0] = cols;
    const row: TableRow = {
      service: line.slice(0, c1).trim(),
      transport: line.slice(c1, c2).trim(),
      address: line.slice(c2, c3).trim(),
      tryIt: line.slice(c3).trim(),
    };
    const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(row.address);
    if (m && !row.address.startsWith('/')) {
      row.host = m[1];
      row.port = Number(m[2]);
    } else row.path = row.address;
    return row;
  });
}

/**
 * Starts `serve` with `argv` (after `serve`). Resolves once the table is printed, or
 * rejects with the captured output if the command exits first.
 */
export async function startServe(argv: string[], timeoutMs = WAIT_MS): Promise<ServeRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  err.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const controller = new AbortController();
  const exited = main(['serve', ...argv], {
    stdin: Readable.from([]),
    stdout: out,
    stderr: err,
    env: {},
    signal: controller.signal,
  });
  // The table is printed once everything listens: wait for it (re-checked on each chunk of
  // output), or for the command to end first.
  const changes = new EventEmitter();
  out.on('data', () => changes.emit('change'));
  let code: number | undefined;
  void exited.then((c) => {
    code = c;
    changes.emit('change');
  });
  const printed = (): boolean => stdout.includes('SERVICE') && stdout.endsWith('\n');
  try {
    await until(() => printed() || code !== undefined, changes, 'change', { timeout: timeoutMs });
  } catch {
    controller.abort();
    throw new Error(`serve printed no table in ${timeoutMs} ms\nstderr: ${stderr}`);
  }
  if (!printed())
    throw new Error(`serve exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`);
  return {
    rows: parseTable(stdout),
    stdout: () => stdout,
    stderr: () => stderr,
    stop: () => {
      controller.abort('SIGINT');
      return exited;
    },
    exited,
  };
}
