/**
 * Faults: resets mid-frame, half-close, EMFILE, Redis killed/hung/restarted empty, a
 * worker killed under load, SIGTERM under load with slow readers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { LineClient, connectTcp, exchange, pool, readUntil } from '../lib/clients.js';
import { mib } from '../lib/proc-stats.js';
import { type Outcome, type Scenario, check } from '../lib/scenario.js';
import { eventually, health, secretFile, startOne } from '../lib/targets.js';

const round = (x: number): number => Math.round(x * 10) / 10;

export const resetMidFrame: Scenario = {
  name: 'reset-mid-frame',
  category: 'faults',
  title:
    'connections reset in the middle of a line or frame (chat, strftime, echo, exec): fds back to baseline, still serving',
  short: true,
  async run(ctx): Promise<Outcome> {
    const n = ctx.short ? 50 : 1000;
    const failures: string[] = [];
    const figures: Record<string, string> = {};
    const cases: [string, string[], Buffer][] = [
      ['chat', [], Buffer.from('/nick half\nhalf a li')],
      ['strftime', ['--tcp'], Buffer.from('%Y-%m-')],
      ['echo', ['--tcp'], randomBytes(100_000)],
      [
        'exec',
        [
          '--tcp',
          '--secret-file',
          secretFile(),
          '--allow-command',
          'echo=/bin/echo',
          '--allow-args',
          'echo=[a-z]*',
        ],
        Buffer.from([0, 0, 1, 0, 0x7b, 0x22]),
      ],
    ];
    for (const [service, args, partial] of cases) {
      const proc = await startOne(service, args);
      const port = proc.port(service);
      const before = proc.sample();
      await pool(n, 50, async () => {
        const s = await connectTcp(port);
        await new Promise<void>((r) => s.write(partial, () => r()));
        s.resetAndDestroy();
      });
      const back = await eventually(() => proc.sample().fds <= before.fds + 1, 10_000);
      const after = proc.sample();
      check(failures, back, `${service}: fds ${after.fds} not back to ${before.fds}`);
      failures.push(...(await health(proc)));
      figures[`${service}: fds before/after`] = `${before.fds}/${after.fds}`;
      await proc.stop();
    }
    return {
      load: `${n} connections per service, 50 at a time, each reset (RST) after a partial line or frame`,
      faults: 'TCP reset mid-frame',
      badInputs: 'unterminated lines, half frames',
      lost: 0,
      figures,
      failures,
    };
  },
};

export const halfClose: Scenario = {
  name: 'half-close',
  category: 'faults',
  title:
    'clients that half-close after sending: echo returns every byte, strftime answers, chat delivers the last unterminated line',
  short: true,
  async run(ctx): Promise<Outcome> {
    const n = ctx.short ? 50 : 500;
    const failures: string[] = [];
    let lost = 0;
    // 500 clients from one loopback address stand for many: the per-address limits (which
    // the abuse scenarios test) would refuse them, with a "server busy" line.
    const echo = await startOne('echo', [
      '--tcp',
      '--max-connections-per-ip',
      '0',
      '--accept-rate',
      '0',
    ]);
    await pool(n, 25, async () => {
      const data = randomBytes(64 * 1024);
      const r = await exchange(echo.port('echo'), data, { end: true, timeoutMs: 20_000 });
      if (!r.data.equals(data)) lost += Math.max(0, data.length - r.data.length) || 1;
      if (r.ending !== 'clean') failures.push(`echo: ${r.ending} after a half-close`);
    });
    await echo.stop();
    const st = await startOne('strftime', ['--tcp']);
    const r = await exchange(st.port('strftime'), '%Y\n', { end: true });
    check(
      failures,
      /\d{4}/.test(r.data.toString()) && r.ending === 'clean',
      `strftime: ${r.ending} ${JSON.stringify(r.data.toString())}`,
    );
    await st.stop();
    const chat = await startOne('chat', ['--flush-delay-ms', '0']);
    const watcher = await LineClient.open(chat.port('chat'));
    await watcher.waitFor(/welcome/, 10_000);
    const quitter = await LineClient.open(chat.port('chat'));
    await quitter.waitFor(/welcome/, 10_000);
    quitter.sock.end('the last words');
    const got = await watcher.waitFor(/the last words/, 10_000).catch(() => null);
    if (got === null) lost++;
    watcher.close();
    await chat.stop();
    return {
      load: `${n} echo clients sending 64 KiB then FIN; a strftime and a chat client doing the same`,
      faults: 'half-close (FIN) before the reply',
      lost,
      figures: { 'echo bytes returned': `${n} × 64 KiB` },
      failures: [...new Set(failures)],
    };
  },
};

export const emfile: Scenario = {
  name: 'emfile',
  category: 'faults',
  title:
    'serve with its open-file limit lowered to 64 (`prlimit --pid`) and 200 clients: it backs off at EMFILE, recovers and keeps serving',
  tools: ['prlimit'],
  short: true,
  async run(ctx): Promise<Outcome> {
    const n = ctx.short ? 200 : 1000;
    const failures: string[] = [];
    const proc = await startOne('echo', ['--tcp'], { nofile: 64 });
    const port = proc.port('echo');
    const before = proc.sample();
    const socks = await Promise.all(
      Array.from({ length: n }, () => connectTcp(port, { timeoutMs: 5000 }).catch(() => null)),
    );
    // Each client asks once; some are not accepted while the table is full.
    const answered = await Promise.all(
      socks.map((s) =>
        s === null
          ? Promise.resolve(false)
          : readUntil(
              s,
              (b) => b.length >= 4,
              3000,
              () => s.write('ping'),
            ).then((r) => r.ending === 'until'),
      ),
    );
    const peak = proc.sample();
    check(failures, proc.alive, 'serve exited at EMFILE');
    const recovered = await eventually(async () => (await health(proc)).length === 0, 15_000);
    check(
      failures,
      recovered,
      `not serving after the clients left: ${(await health(proc)).join('; ')}`,
    );
    const sequential = await pool(
      20,
      1,
      async () =>
        (await exchange(port, 'ok\n', { until: (b) => b.includes('ok\n') })).ending === 'until',
    );
    check(
      failures,
      sequential.every(Boolean),
      `${sequential.filter((x) => !x).length} of 20 requests after recovery failed`,
    );
    await proc.stop();
    return {
      load: `${n} echo clients at once against a 64-descriptor limit`,
      faults: 'EMFILE (prlimit --pid … --nofile=64:64 once listening)',
      lost: 0,
      figures: {
        'answered while saturated': `${answered.filter(Boolean).length}/${n}`,
        'fds before/peak': `${before.fds}/${peak.fds}`,
        'served after recovery': `${sequential.filter(Boolean).length}/20`,
      },
      failures,
    };
  },
};

/** A private redis-server on a free loopback port, stopped by its PID. */
class PrivateRedis {
  child: ChildProcess | undefined;
  constructor(readonly port: number) {}
  static async freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    return port;
  }
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('Ready to accept')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`redis-server exited: ${out.slice(-300)}`)));
    });
  }
  signal(sig: NodeJS.Signals): void {
    if (this.child?.pid) process.kill(this.child.pid, sig);
  }
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }
}

async function chatPair(port: number): Promise<[LineClient, LineClient]> {
  const a = await LineClient.open(port);
  const b = await LineClient.open(port);
  await a.waitFor(/welcome/, 10_000);
  await b.waitFor(/welcome/, 10_000);
  a.send('/nick alice');
  b.send('/nick bob');
  await b.waitFor(/is now known as bob/, 10_000);
  return [a, b];
}

export const redisKilled: Scenario = {
  name: 'redis-killed-and-restarted-empty',
  category: 'faults',
  title:
    'Redis killed, then restarted empty under a chat: clients told, refused lines quoted back, newcomers welcomed after',
  tools: ['redis-server'],
  short: false,
  async run(): Promise<Outcome> {
    const failures: string[] = [];
    const redis = new PrivateRedis(await PrivateRedis.freePort());
    await redis.start();
    const proc = await startOne('chat', [
      '--bus',
      `redis://127.0.0.1:${redis.port}`,
      '--bus-prefix',
      `reliability-${process.pid}`,
    ]);
    let lost = 0;
    try {
      const port = proc.port('chat');
      const [a, b] = await chatPair(port);
      // Guests keep their user<N> names through the restart: the empty Redis's guest
      // counter starts again at 1, and newcomers must not collide with them.
      const guests = await pool(5, 5, async () => {
        const g = await LineClient.open(port);
        await g.waitFor(/welcome/, 10_000);
        return g;
      });
      await redis.kill();
      const down = await a.waitFor(/bus is (down|unavailable)/, 15_000).catch(() => null);
      check(failures, down !== null, 'clients were not told the bus is down');
      const from = a.lines.length;
      a.send('while down');
      const quoted = await a.waitFor(/not sent.*while down/, 15_000, from).catch(() => null);
      check(failures, quoted !== null, 'a line refused while Redis was down was not quoted back');
      await redis.start();
      const backAt = await a.waitFor(/bus is back/, 20_000).catch(() => null);
      check(failures, backAt !== null, 'clients were not told the bus is back');
      a.send('after restart');
      if ((await b.waitFor(/after restart/, 15_000).catch(() => null)) === null) lost++;
      const newcomers = await pool(5, 5, async () => {
        const c = await LineClient.open(port);
        const ok = await c.waitFor(/welcome/, 10_000).then(
          () => true,
          () => false,
        );
        c.close();
        return ok;
      });
      check(
        failures,
        newcomers.every(Boolean),
        `${newcomers.filter((x) => !x).length} of 5 newcomers refused after Redis restarted empty`,
      );
      for (const c of [a, b, ...guests]) c.close();
    } finally {
      await proc.stop();
      await redis.kill();
    }
    return {
      load: '2 chat clients and 5 guests, 5 newcomers after the restart',
      faults: 'redis-server SIGKILL, restarted empty on the same port',
      lost,
      figures: {},
      failures,
    };
  },
};

export const redisHung: Scenario = {
  name: 'redis-hung',
  category: 'faults',
  title:
    'Redis stopped (SIGSTOP) under a chat: detected within the bus timeout, clients told, lines quoted back; SIGCONT recovers',
  requires: ['--bus-timeout-ms'],
  tools: ['redis-server'],
  short: false,
  async run(): Promise<Outcome> {
    const failures: string[] = [];
    const redis = new PrivateRedis(await PrivateRedis.freePort());
    await redis.start();
    const proc = await startOne('chat', [
      '--bus',
      `redis://127.0.0.1:${redis.port}`,
      '--bus-prefix',
      `reliability-${process.pid}`,
      '--bus-timeout-ms',
      '1000',
    ]);
    let lost = 0;
    let detectMs: number | undefined;
    try {
      const [a, b] = await chatPair(proc.port('chat'));
      redis.signal('SIGSTOP');
      const t0 = performance.now();
      const from = a.lines.length;
      a.send('while hung');
      const told = await a
        .waitFor(/bus is (down|unavailable)|not sent/, 15_000, from)
        .catch(() => null);
      detectMs = Math.round(performance.now() - t0);
      check(failures, told !== null, 'nobody was told that Redis hung');
      redis.signal('SIGCONT');
      await a
        .waitFor(/bus is back/, 20_000)
        .catch(() => failures.push('no "bus is back" after SIGCONT'));
      a.send('after hang');
      if ((await b.waitFor(/after hang/, 15_000).catch(() => null)) === null) lost++;
      a.close();
      b.close();
    } finally {
      redis.signal('SIGCONT');
      await proc.stop();
      await redis.kill();
    }
    return {
      load: '2 chat clients',
      faults: 'redis-server SIGSTOP, then SIGCONT',
      lost,
      figures: { 'hang detected after (ms)': detectMs ?? '-', '--bus-timeout-ms': 1000 },
      failures,
    };
  },
};

/** Streams SIZE random bytes through echo and checks them; ends as 'ok', 'error' (reset/refused) or 'cut' (clean close, short). */
function echoStream(port: number, size: number, slowMs = 0): Promise<'ok' | 'error' | 'cut'> {
  return connectTcp(port).then(
    (s) =>
      new Promise((resolve) => {
        const data = randomBytes(size);
        let got = 0;
        let bad = false;
        let error = false;
        s.on('data', (c: Buffer) => {
          if (!data.subarray(got, got + c.length).equals(c)) bad = true;
          got += c.length;
          if (slowMs > 0) {
            s.pause();
            setTimeout(() => s.resume(), slowMs);
          }
          if (got >= size) s.end();
        });
        s.on('error', () => (error = true));
        s.on('close', (hadError) =>
          resolve(got === size && !bad ? 'ok' : error || hadError ? 'error' : 'cut'),
        );
        s.write(data);
      }),
    () => 'error',
  );
}

export const workerKilled: Scenario = {
  name: 'worker-killed',
  category: 'faults',
  title:
    'a worker of `--processes 2` killed under load: its clients see an error, never a clean short reply; a new worker serves',
  short: false,
  async run(ctx): Promise<Outcome> {
    const clients = ctx.short ? 10 : 40;
    const failures: string[] = [];
    const proc = await startOne('echo', ['--tcp', '--processes', '2']);
    const port = proc.port('echo');
    await eventually(() => proc.workers().length === 2, 10_000);
    const victims = proc.workers();
    const runs = Array.from({ length: clients }, () => echoStream(port, 4 * 1024 * 1024, 2));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(victims[0]!, 'SIGKILL');
    const results = await Promise.all(runs);
    const cut = results.filter((r) => r === 'cut').length;
    check(failures, cut === 0, `${cut} clients saw a clean close after a partial reply`);
    const replaced = await eventually(
      () => proc.workers().length === 2 && !proc.workers().includes(victims[0]!),
      15_000,
    );
    check(failures, replaced, 'the killed worker was not replaced');
    failures.push(...(await health(proc)));
    check(failures, proc.alive, 'the primary exited');
    await proc.stop();
    return {
      load: `${clients} clients each echoing 4 MiB through 2 workers`,
      faults: 'SIGKILL of one worker mid-transfer',
      lost: cut,
      figures: {
        complete: results.filter((r) => r === 'ok').length,
        'error (reset)': results.filter((r) => r === 'error').length,
        'clean close, short': cut,
      },
      failures,
    };
  },
};

/**
 * Slow echo clients in python3 (test/regressions/fixtures/slow-echo-clients.py): a Node
 * client can report a reset as a clean EOF after a partial read (libuv hands the pending
 * ECONNRESET to no one while the socket is paused), which would count a correct reset as
 * the very defect this scenario looks for. Resolves once it printed "backed-up".
 */
function slowEchoClients(
  port: number,
  clients: number,
  size: number,
  bytesPerSecond: number,
): Promise<{ child: ChildProcess; outcomes: Promise<string[]> }> {
  const script = new URL('../../regressions/fixtures/slow-echo-clients.py', import.meta.url);
  const child = spawn(
    'python3',
    [
      script.pathname,
      String(port),
      String(clients),
      String(size),
      String(bytesPerSecond),
      String(1 << 20),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const outcomes = new Promise<string[]>((resolve) =>
    child.on('close', () =>
      resolve(
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => (JSON.parse(l) as { outcome: string }).outcome),
      ),
    ),
  );
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('backed-up')) resolve({ child, outcomes });
    });
    child.once('error', reject);
    child.once('close', () => reject(new Error(`slow-echo-clients exited early:\n${out}`)));
  });
}

export const sigtermSlowReaders: Scenario = {
  name: 'sigterm-slow-readers',
  category: 'faults',
  title:
    'SIGTERM while slow readers still receive echo replies: each gets every byte or an error, never a clean close mid-reply',
  short: false,
  tools: ['python3'],
  async run(ctx): Promise<Outcome> {
    const clients = ctx.short ? 4 : 10;
    const size = ctx.short ? 2 * 1024 * 1024 : 10 * 1024 * 1024;
    const failures: string[] = [];
    const proc = await startOne('echo', ['--tcp', '--drain-timeout', '5']);
    const port = proc.port('echo');
    // Half read fast enough to finish within the drain timeout, half far too slowly; the
    // signal comes once every client is 1 MiB ahead of its echo (bytes wait in the server).
    const [fast, slow] = await Promise.all([
      slowEchoClients(port, clients / 2, size, 12 << 20),
      slowEchoClients(port, clients / 2, size, 800 << 10),
    ]);
    const t0 = performance.now();
    const exit = proc.stop('SIGTERM', 20_000);
    const results = (await Promise.all([fast.outcomes, slow.outcomes])).flat();
    await exit;
    const exitSeconds = (performance.now() - t0) / 1000;
    const cut = results.filter((r) => r !== 'complete' && r !== 'reset').length;
    check(
      failures,
      cut === 0 && results.length === clients,
      `${cut} of ${clients} clients got a clean close after a partial reply (or no answer)`,
    );
    return {
      load: `${clients} python3 clients echoing ${mib(size)} MiB, half reading 12 MiB/s, half 800 KiB/s (past the drain timeout)`,
      faults: 'SIGTERM mid-transfer (--drain-timeout 5)',
      lost: cut,
      figures: {
        complete: results.filter((r) => r === 'complete').length,
        'error (reset)': results.filter((r) => r === 'reset').length,
        'clean close, short': cut,
        'serve exited after (s)': round(exitSeconds),
      },
      failures,
    };
  },
};

export const FAULTS: Scenario[] = [
  resetMidFrame,
  halfClose,
  emfile,
  redisKilled,
  redisHung,
  workerKilled,
  sigtermSlowReaders,
];
