/**
 * `socketkit bench MODE HOST PORT`: a load generator for any server (ours or not):
 * request/response, bulk stream, UDP, idle connections, chat fan-out and SNTP loads,
 * every reply verified, with HDR latency percentiles, a progress bar on a terminal and
 * `--json` for machines. Loopback targets only, unless `--allow-remote`. `--warmup` runs
 * the load for a while before measuring, so a cold JIT does not set the tail latency.
 *
 * Exit codes: 0 every operation verified (UDP loss alone is not a failure), 1 errors,
 * wrong replies, missing or reordered lines, or nothing completed; 2 a usage error.
 * @module
 */
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { BENCH_MODES, type BenchOptions, resolveBenchOptions } from '../../bench/bench-options.js';
import { type BenchResult, explainFailure } from '../../bench/bench-report.js';
import { formatResultTable } from '../../bench/result-table.js';
import { runBench } from '../../bench/run-bench.js';
import { ConnectionRefusedError, InvalidArgumentError } from '../../errors.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import type { CommandFactory } from './index.js';

interface BenchFlags {
  connections?: string;
  size?: string;
  duration?: string;
  warmup?: string;
  count?: string;
  workers?: string;
  window?: string;
  senders?: string;
  rate?: string;
  hold?: string;
  burst?: string;
  timeout?: string;
  allowRemote?: boolean;
  json?: boolean;
  progress: boolean;
}

/** Parses a flag given as text into a number (the ranges are checked by resolveBenchOptions). */
function num(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) {
    throw new CliError(`--${name} must be a number, got "${text}"`, ExitCode.usage);
  }
  return n;
}

function toOptions(mode: string, host: string, portText: string, f: BenchFlags): BenchOptions {
  const port = Number(portText);
  const input: Partial<BenchOptions> & { mode: string; port: number } = {
    mode,
    host,
    port,
    connections: num('connections', f.connections),
    size: num('size', f.size),
    duration: num('duration', f.duration),
    warmup: num('warmup', f.warmup),
    count: num('count', f.count),
    workers: num('workers', f.workers),
    window: num('window', f.window),
    senders: num('senders', f.senders),
    rate: num('rate', f.rate),
    hold: num('hold', f.hold),
    burst: num('burst', f.burst),
    timeout: num('timeout', f.timeout),
    allowRemote: f.allowRemote === true,
  } as Partial<BenchOptions> & { mode: string; port: number };
  try {
    return resolveBenchOptions(input);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
}

/**
 * A progress bar on stderr when it is a terminal; otherwise nothing. Bounded by time, it
 * covers warm-up and measuring phase and says which one is running; its ops and rate are
 * the measured ones.
 */
function progressBar(io: CliIO, o: BenchOptions, enabled: boolean) {
  if (!enabled || io.stderr.isTTY !== true) return null;
  const total = o.count > 0 ? o.count : Math.round((o.warmup + o.duration) * 10);
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: `${o.mode} [{bar}] {percentage}% | {phase}{ops} ops | {rate}/s`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const phaseOf = (elapsed: number): string => (elapsed < o.warmup ? 'warming up | ' : '');
  bar.start(total, 0, { ops: 0, rate: 0, phase: phaseOf(0) });
  return {
    update(done: number, elapsed: number) {
      const value = o.count > 0 ? done : Math.min(total, Math.round(elapsed * 10));
      const measured = elapsed - o.warmup;
      bar.update(value, {
        ops: done,
        rate: measured > 0 ? Math.round(done / measured) : 0,
        phase: phaseOf(elapsed),
      });
    },
    stop() {
      bar.stop();
    },
  };
}

/** True when the run shows a real failure (UDP loss alone is not one). */
export function benchFailed(r: BenchResult): boolean {
  const c = r.counters;
  return c.ops === 0 || c.errors > 0 || c.mismatches > 0 || c.missing > 0 || c.reordered > 0;
}

/** Builds the `bench` command. */
export const benchCommand: CommandFactory = (io, setExitCode) =>
  new Command('bench')
    .description('generate load against a server and measure it (loopback only by default)')
    .addArgument(
      new Command()
        .createArgument('<mode>', 'the load shape (see Modes below)')
        .choices(BENCH_MODES),
    )
    .argument('<host>', 'target host (127.0.0.1, ::1 or localhost unless --allow-remote)')
    .argument('<port>', 'target port')
    .option('-c, --connections <n>', 'connections (UDP: sockets; fanout: clients)')
    .option('-s, --size <bytes>', 'request size (rr, udp, connect) or write size (stream)')
    .option('-d, --duration <seconds>', 'how long to measure (default 10)')
    .option(
      '--warmup <seconds>',
      'load this long first, verified but not measured (default 0; not for conns)',
    )
    .option('-n, --count <n>', 'stop after N measured operations (default: only --duration bounds)')
    .option('-w, --workers <n>', 'worker threads (default: one per core)')
    .option(
      '--window <n>',
      'in flight: datagrams per socket, blocks per connection, lines per sender',
    )
    .option('--senders <n>', 'fanout: clients that send (default 10)')
    .option('--rate <lines/s>', 'fanout: total lines per second (default 0: closed loop)')
    .option('--hold <seconds>', 'conns: how long to hold the connections (default 1)')
    .option('--burst <n>', 'connects in flight at once (default 512)')
    .option('-t, --timeout <seconds>', 'connect, reply and drain timeout (default 5)')
    .option('--allow-remote', 'allow a target that is not a loopback address')
    .option('--json', 'print the result as JSON on stdout')
    .addOption(new Option('--no-progress', 'no progress bar even on a terminal'))
    .addHelpText(
      'after',
      `
Modes:
  rr      N connections, request/response of S bytes, every reply checked
  stream  bulk echo, every byte checked
  udp     datagrams with a bounded in-flight window; loss counted
  conns   open and hold N idle connections, then ping each
  connect connection setup rate: N lanes each connect, echo S bytes, close, again
  fanout  chat clients: K senders, per-sender order and completeness, delivery latency
  sntp    SNTP (mode 3) request rate

Warm-up: with --warmup S the load runs S seconds before the --duration measured
seconds. Every reply of the warm-up is verified (a failure there fails the run), but
operations issued during it are left out of throughput, latency and counters (JSON:
warmupCounters). conns mode has no warm-up.

A benchmark floods its server: start socketkit's chat and SNTP servers without
their per-client rate limits, or the run fails (bench says the server rate-limited it):
  socketkit serve chat --rate-limit 0 --history 0
  socketkit serve sntp --rate 1000000 --burst 1000000

Examples:
  socketkit bench rr 127.0.0.1 7007 -c 100 -d 10 --warmup 1
  socketkit bench fanout 127.0.0.1 7777 -c 100 --senders 10 --rate 500
  socketkit bench udp localhost 7007 --json`,
    )
    .action(async (mode: string, host: string, portText: string, flags: BenchFlags) => {
      const options = toOptions(mode, host, portText, flags);
      const bar = progressBar(io, options, flags.progress && flags.json !== true);
      let result: BenchResult;
      try {
        result = await runBench(options, {
          signal: io.signal,
          onProgress: (done, elapsed) => bar?.update(done, elapsed),
          onHolding: (n) => {
            io.stderr.write(`socketkit bench: holding ${n} connections for ${options.hold} s\n`);
          },
          // Without a bar (not a terminal, --json), a line tells a driving script (the
          // suite reads the server's CPU then) that the measured phase starts.
          onMeasuring: () => {
            if (bar === null) {
              io.stderr.write(
                `socketkit bench: warm-up of ${options.warmup} s over, measuring for ${options.duration} s\n`,
              );
            }
          },
        });
      } catch (err) {
        // A refused (non-loopback) target is a usage error, like a bad flag.
        if (err instanceof InvalidArgumentError) throw new CliError(err.message, ExitCode.usage);
        // Nothing to measure: say so, without a table of errors.
        if (err instanceof ConnectionRefusedError) {
          const proto = mode === 'udp' || mode === 'sntp' ? 'UDP' : 'TCP';
          throw new CliError(
            `nothing listens on ${host}:${options.port} (${proto}: connection refused); ` +
              'is the server running, and on this port?',
            ExitCode.failure,
          );
        }
        throw err;
      } finally {
        bar?.stop();
      }
      if (flags.json === true) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        io.stdout.write(`socketkit bench ${mode}\n`);
        io.stdout.write(formatResultTable(result));
      }
      for (const line of explainFailure(result)) io.stderr.write(`socketkit bench: ${line}\n`);
      if (io.signal.aborted) setExitCode(ExitCode.interrupted);
      else setExitCode(benchFailed(result) ? ExitCode.failure : ExitCode.ok);
    });
