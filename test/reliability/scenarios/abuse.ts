/**
 * Abuse: every defect class of issue 10 section 1, as a hostile client would try it.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { spawnSync } from 'node:child_process';
import {
  LineClient,
  connectTcp,
  exchange,
  pool,
  sourceAddress,
  udpRequest,
} from '../lib/clients.js';
import { execCli } from '../lib/exec-client.js';
import { MiB, mib } from '../lib/proc-stats.js';
import { type Outcome, type Scenario, check } from '../lib/scenario.js';
import type { ServeProcess } from '../lib/serve-process.js';
import { eventually, health, secretFile, startOne, tlsCert } from '../lib/targets.js';

const fig = (proc: ServeProcess): { rss: number; fds: number; cpu: number } => proc.sample();
const round = (x: number): number => Math.round(x * 10) / 10;

/** Opens COUNT raw sockets (spread over source addresses), LIMIT at a time; failures counted. */
async function openMany(
  port: number,
  count: number,
  limit: number,
  spread = 50,
): Promise<{ socks: Socket[]; failed: number }> {
  const socks: Socket[] = [];
  let failed = 0;
  await pool(count, limit, async (i) => {
    try {
      const s = await connectTcp(port, {
        localAddress: sourceAddress(i % spread),
        timeoutMs: 5000,
      });
      // Read (and drop) what the server sends, so its close is seen.
      s.resume();
      socks.push(s);
    } catch {
      failed++;
    }
  });
  return { socks, failed };
}

const closed = (s: Socket): Promise<void> =>
  s.destroyed || s.closed ? Promise.resolve() : new Promise((r) => s.once('close', () => r()));

export const tlsPreHandshake: Scenario = {
  name: 'tls-pre-handshake',
  category: 'abuse',
  title:
    'thousands of TLS clients that close or stay silent before the handshake: freed, fd count back to baseline',
  requires: ['--handshake-timeout'],
  tools: ['openssl'],
  short: true,
  async run(ctx): Promise<Outcome> {
    const n = ctx.short ? 400 : 5000;
    const { cert, key } = tlsCert();
    const proc = await startOne('echo', [
      '--tcp',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--handshake-timeout',
      '2',
      '--max-connections',
      String(n * 2),
    ]);
    const port = proc.listeners[0]!.port;
    const failures: string[] = [];
    const before = fig(proc);
    let peakFds = before.fds;
    const sampler = setInterval(() => (peakFds = Math.max(peakFds, fig(proc).fds)), 100);
    // Half close at once (FIN before any byte), half say nothing and wait to be dropped.
    const { socks, failed } = await openMany(port, n, 200);
    const silent = socks.filter((_, i) => i % 2 === 1);
    socks.filter((_, i) => i % 2 === 0).forEach((s) => s.end());
    const dropped = await Promise.race([
      Promise.all(silent.map(closed)).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 30_000)),
    ]);
    socks.forEach((s) => s.destroy());
    check(
      failures,
      dropped,
      'silent pre-handshake clients were not dropped within 30 s (handshake timeout 2 s)',
    );
    const back = await eventually(() => fig(proc).fds <= before.fds + 2, 10_000);
    clearInterval(sampler);
    const after = fig(proc);
    check(failures, back, `fds ${after.fds} did not return to the baseline ${before.fds}`);
    failures.push(...(await health(proc)));
    await proc.stop();
    return {
      load: `${n} TLS connections (${n / 2} FIN at once, ${n / 2} silent), 200 at a time, from 50 addresses`,
      badInputs: 'no ClientHello at all',
      lost: 0,
      figures: {
        'fds before/peak/after': `${before.fds}/${peakFds}/${after.fds}`,
        'RSS before/after (MiB)': `${mib(before.rss)}/${mib(after.rss)}`,
        'connects that failed': failed,
        'handshake timeout (s)': 2,
      },
      failures,
    };
  },
};

export const execPreAuth: Scenario = {
  name: 'exec-pre-auth',
  category: 'abuse',
  title:
    'unauthenticated exec clients announcing 2 MiB requests: nothing large buffered, capped per address, timed out',
  requires: ['--max-unauthenticated-per-ip', '--auth-timeout'],
  short: false,
  async run(ctx): Promise<Outcome> {
    const n = ctx.short ? 100 : 400;
    const proc = await startOne('exec', [
      '--tcp',
      '--secret-file',
      secretFile(),
      '--allow-command',
      'echo=/bin/echo',
      '--allow-args',
      'echo=[a-z]*',
      '--auth-timeout',
      '3',
    ]);
    const port = proc.port('exec');
    const failures: string[] = [];
    const before = fig(proc);
    let peak = before.rss;
    const sampler = setInterval(() => (peak = Math.max(peak, fig(proc).rss)), 100);
    // Each client claims a 2 MiB frame and sends 256 KiB of it, then holds the connection.
    const junk = Buffer.alloc(256 * 1024, 0x7b);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(2 * MiB);
    const { socks, failed } = await openMany(port, n, 100, 20);
    for (const s of socks) s.write(Buffer.concat([head, junk]));
    const dropped = await Promise.race([
      Promise.all(socks.map(closed)).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 20_000)),
    ]);
    clearInterval(sampler);
    socks.forEach((s) => s.destroy());
    check(
      failures,
      dropped,
      'unauthenticated clients were not dropped within 20 s (--auth-timeout 3)',
    );
    check(
      failures,
      peak - before.rss <= 64 * MiB,
      `RSS grew ${mib(peak - before.rss)} MiB (bound 64 MiB)`,
    );
    const ok = await execCli(port, ['echo', 'alive']);
    check(
      failures,
      ok.stdout.includes('alive'),
      `an authenticated request failed: ${ok.stderr.slice(0, 200)}`,
    );
    const after = fig(proc);
    await proc.stop();
    return {
      load: `${n} unauthenticated connections from 20 addresses, each 256 KiB of a claimed 2 MiB frame`,
      badInputs: 'oversize unauthenticated frames',
      lost: 0,
      figures: {
        'RSS before/peak/after (MiB)': `${mib(before.rss)}/${mib(peak)}/${mib(after.rss)}`,
        'fds before/after': `${before.fds}/${after.fds}`,
        'connects refused': failed,
      },
      failures,
    };
  },
};

/** A chat client with a nick, welcomed. */
async function chatter(port: number, nick: string, localAddress?: string): Promise<LineClient> {
  const c = await LineClient.open(port, localAddress ? { localAddress } : {});
  await c.waitFor(/welcome/, 15_000);
  c.send(`/nick ${nick}`);
  await c.waitFor(new RegExp(`is now known as ${nick}|error`), 15_000);
  return c;
}

export const roomHopping: Scenario = {
  name: 'room-hopping',
  category: 'abuse',
  title:
    'clients hopping through new rooms and talking: chat heap back to baseline after everyone leaves, no stale history',
  requires: ['--max-rooms', '--room-grace'],
  short: false,
  async run(ctx): Promise<Outcome> {
    const clients = ctx.short ? 10 : 50;
    const seconds = ctx.short ? 3 : 20;
    const proc = await startOne('chat', [
      '--rate-limit',
      '0',
      '--room-grace',
      '1',
      '--max-clients',
      '2000',
    ]);
    const port = proc.port('chat');
    const failures: string[] = [];
    const base = await proc.probe();
    const before = fig(proc);
    const line = 'x'.repeat(200);
    let hops = 0;
    const end = performance.now() + seconds * 1000;
    await pool(clients, clients, async (i) => {
      const c = await chatter(port, `hop${i}`, sourceAddress(i));
      for (let k = 0; performance.now() < end; k++) {
        c.send(`/join #r${i}-${k}`);
        for (let j = 0; j < 5; j++) c.send(line);
        hops++;
        await c
          .waitFor(new RegExp(`#r${i}-${k}`), 10_000, Math.max(0, c.lines.length - 50))
          .catch(() => {});
      }
      c.send('/quit done');
      await new Promise<void>((r) => (c.closed ? r() : c.sock.once('close', () => r())));
    });
    const peak = fig(proc);
    // Rooms are forgotten after the grace period: wait for the heap to come back.
    let heapAfter = 0;
    const back = await eventually(async () => {
      heapAfter = (await proc.probe()).heap;
      return heapAfter <= base.heap + 4 * MiB;
    }, 15_000);
    check(
      failures,
      back,
      `heap after everyone left ${mib(heapAfter)} MiB vs ${mib(base.heap)} MiB before`,
    );
    const newcomer = await chatter(port, 'newcomer');
    newcomer.send('/join #r0-0');
    await newcomer.waitFor(/#r0-0/, 10_000);
    newcomer.send('/rooms');
    await newcomer.waitFor(/room|#lobby|#r0-0/, 10_000);
    check(
      failures,
      newcomer.count(/^<history>/) === 0,
      'a newcomer to an emptied room was replayed old lines',
    );
    newcomer.close();
    const after = fig(proc);
    await proc.stop();
    return {
      load: `${clients} clients hopping rooms for ${seconds} s (${hops} joins of new rooms, 5 lines of 200 bytes after each)`,
      lost: 0,
      figures: {
        'heap before/after, after GC (MiB)': `${mib(base.heap)}/${mib(heapAfter)}`,
        'RSS before/peak/after (MiB)': `${mib(before.rss)}/${mib(peak.rss)}/${mib(after.rss)}`,
        'joins tried (beyond --max-rooms refused)': hops,
      },
      failures,
    };
  },
};

export const joinStorm: Scenario = {
  name: 'join-storm',
  category: 'abuse',
  title: '5000 chat connects at once are all welcomed within a few seconds',
  short: false,
  async run(ctx, n = ctx.short ? 500 : 5000): Promise<Outcome> {
    const perIp = ctx.flags.has('--max-connections-per-ip')
      ? ['--max-connections-per-ip', '1000']
      : [];
    const rate = ctx.flags.has('--accept-rate') ? ['--accept-rate', '0'] : [];
    const proc = await startOne('chat', ['--max-clients', String(n + 100), ...perIp, ...rate]);
    const port = proc.port('chat');
    const failures: string[] = [];
    const before = fig(proc);
    const started = performance.now();
    const deadline = 30_000;
    const socks: Socket[] = [];
    let welcomed = 0;
    await pool(n, 1000, async (i) => {
      try {
        const s = await connectTcp(port, {
          localAddress: sourceAddress(i % 50),
          timeoutMs: deadline,
        });
        socks.push(s);
        const r = await new Promise<boolean>((resolve) => {
          let buf = '';
          const t = setTimeout(
            () => resolve(false),
            Math.max(1, deadline - (performance.now() - started)),
          );
          s.on('data', (c: Buffer) => {
            buf += c.toString();
            if (buf.includes('welcome')) {
              clearTimeout(t);
              resolve(true);
            }
          });
          s.once('close', () => {
            clearTimeout(t);
            resolve(false);
          });
        });
        if (r) welcomed++;
      } catch {}
    });
    const seconds = (performance.now() - started) / 1000;
    const peak = fig(proc);
    socks.forEach((s) => s.destroy());
    check(
      failures,
      welcomed === n,
      `${n - welcomed} of ${n} clients were not welcomed within ${deadline / 1000} s`,
    );
    check(failures, seconds <= (n >= 5000 ? 10 : 5), `${n} joins took ${round(seconds)} s`);
    failures.push(...(await health(proc)));
    await proc.stop();
    return {
      load: `${n} connects from 50 addresses, 1000 in flight`,
      lost: n - welcomed,
      figures: {
        welcomed: welcomed,
        'time (s)': round(seconds),
        'joins/s': Math.round(welcomed / seconds),
        'RSS before/peak (MiB)': `${mib(before.rss)}/${mib(peak.rss)}`,
        'fds before/peak': `${before.fds}/${peak.fds}`,
      },
      failures,
    };
  },
};

export const slowloris: Scenario = {
  name: 'slowloris',
  category: 'abuse',
  title:
    'one address dribbling partial lines on hundreds of connections: capped, and other clients still served',
  requires: ['--max-connections-per-ip'],
  short: true,
  async run(ctx): Promise<Outcome> {
    const n = ctx.short ? 200 : 1000;
    const cap = 50;
    const proc = await startOne('chat', [
      '--max-connections-per-ip',
      String(cap),
      '--flush-delay-ms',
      '0',
    ]);
    const port = proc.port('chat');
    const failures: string[] = [];
    const before = fig(proc);
    const attacker = '127.0.9.9';
    const socks: Socket[] = [];
    await pool(n, 100, async () => {
      try {
        socks.push((await connectTcp(port, { localAddress: attacker, timeoutMs: 5000 })).resume());
      } catch {}
    });
    // Dribble one byte per connection per round, a few rounds.
    for (let round = 0; round < (ctx.short ? 3 : 10); round++) {
      for (const s of socks) if (!s.destroyed) s.write('a');
      await new Promise((r) => setTimeout(r, 200));
    }
    const open = socks.filter((s) => !s.destroyed && !s.closed).length;
    const mid = fig(proc);
    const t0 = performance.now();
    const other = await chatter(port, 'legit', '127.0.1.2');
    const welcomeMs = performance.now() - t0;
    other.close();
    socks.forEach((s) => s.destroy());
    check(
      failures,
      mid.fds <= before.fds + cap + 64 + 8, // the cap, plus at most 64 refused clients lingering to read their busy line
      `server holds ${mid.fds - before.fds} fds for one address (cap ${cap})`,
    );
    failures.push(...(await health(proc)));
    await proc.stop();
    return {
      load: `${n} connections from one address, one byte each per 200 ms`,
      badInputs: 'partial lines, never finished',
      lost: 0,
      figures: {
        'attacker connections still open (client view)': open,
        'fds before/during': `${before.fds}/${mid.fds}`,
        'other address welcomed in (ms)': Math.round(welcomeMs),
        'per-address cap': cap,
      },
      failures,
    };
  },
};

export const perAddressFlood: Scenario = {
  name: 'per-address-flood',
  category: 'abuse',
  title:
    'a connect flood from one address: capped per address and rate limited, fds bounded, others served',
  requires: ['--max-connections-per-ip', '--accept-rate'],
  short: true,
  async run(ctx): Promise<Outcome> {
    const n = ctx.short ? 500 : 3000;
    const cap = 32;
    const proc = await startOne('echo', ['--tcp', '--max-connections-per-ip', String(cap)]);
    const port = proc.port('echo');
    const failures: string[] = [];
    const before = fig(proc);
    let peakFds = before.fds;
    const sampler = setInterval(() => (peakFds = Math.max(peakFds, fig(proc).fds)), 50);
    const socks: Socket[] = [];
    await pool(n, 200, async () => {
      try {
        socks.push(
          (await connectTcp(port, { localAddress: '127.0.9.10', timeoutMs: 5000 })).resume(),
        );
      } catch {}
    });
    const r = await exchange(port, 'still here\n', {
      localAddress: '127.0.1.3',
      until: (b) => b.includes('still here\n'),
    });
    check(
      failures,
      r.ending === 'until',
      `a client from another address was not served: ${r.ending}`,
    );
    socks.forEach((s) => s.destroy());
    const back = await eventually(() => fig(proc).fds <= before.fds + 2, 10_000);
    clearInterval(sampler);
    const after = fig(proc);
    check(
      failures,
      peakFds <= before.fds + cap + 64 + 8,
      `fd peak ${peakFds} (baseline ${before.fds}, cap ${cap})`,
    );
    check(failures, back, `fds ${after.fds} not back to ${before.fds}`);
    await proc.stop();
    return {
      load: `${n} connects from one address, 200 in flight`,
      lost: 0,
      figures: {
        'fds before/peak/after': `${before.fds}/${peakFds}/${after.fds}`,
        'per-address cap': cap,
      },
      failures,
    };
  },
};

export const oversizeLines: Scenario = {
  name: 'oversize-lines',
  category: 'abuse',
  title:
    'an 8 MiB line to chat and strftime, a 4 GiB frame header to exec: refused with an error, memory flat, the next line works',
  short: true,
  async run(ctx): Promise<Outcome> {
    const size = ctx.short ? 2 * MiB : 8 * MiB;
    const failures: string[] = [];
    const proc = await startOne('chat', ['--rate-limit', '0']);
    const port = proc.port('chat');
    const before = fig(proc);
    const a = await chatter(port, 'big');
    const b = await chatter(port, 'watcher');
    a.sock.write(Buffer.alloc(size, 0x61));
    a.send('');
    a.send('after the big one');
    const err = await a.waitFor(/error/, 20_000).catch((e: Error) => e.message);
    check(failures, /long|large|dropped/.test(err), `no error for the oversize line: ${err}`);
    const got = await b.waitFor(/after the big one/, 20_000).catch(() => null);
    check(failures, got !== null, 'the line after the oversize one was not delivered');
    const chatPeak = fig(proc);
    a.close();
    b.close();
    await proc.stop();
    check(
      failures,
      chatPeak.rss - before.rss <= 48 * MiB,
      `chat RSS grew ${mib(chatPeak.rss - before.rss)} MiB`,
    );

    const st = await startOne('strftime', ['--tcp']);
    const sBefore = fig(st);
    const r = await exchange(
      st.port('strftime'),
      Buffer.concat([Buffer.alloc(size, 0x25), Buffer.from('\n%Y\n')]),
      {
        until: (x) => /\n.*\d{4}/.test(x.toString().slice(-200)),
        timeoutMs: 20_000,
      },
    );
    check(
      failures,
      r.ending === 'until',
      `strftime after an oversize format: ${r.ending} (${r.data.toString().slice(0, 80)})`,
    );
    const sPeak = fig(st);
    check(
      failures,
      sPeak.rss - sBefore.rss <= 48 * MiB,
      `strftime RSS grew ${mib(sPeak.rss - sBefore.rss)} MiB`,
    );
    await st.stop();

    const ex = await startOne('exec', [
      '--tcp',
      '--secret-file',
      secretFile(),
      '--allow-command',
      'echo=/bin/echo',
      '--allow-args',
      'echo=[a-z]*',
    ]);
    const head = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const e = await exchange(ex.port('exec'), Buffer.concat([head, Buffer.alloc(64 * 1024)]), {
      timeoutMs: 10_000,
    });
    check(failures, e.ending !== 'timeout', 'exec kept a connection announcing a 4 GiB frame');
    const ok = await execCli(ex.port('exec'), ['echo', 'fine']);
    check(
      failures,
      ok.stdout.includes('fine'),
      `exec after the oversize frame: ${ok.stderr.slice(0, 200)}`,
    );
    await ex.stop();
    return {
      load: `one ${mib(size)} MiB line to chat and to strftime, one 4 GiB frame header to exec`,
      badInputs: 'oversize lines and frames',
      lost: got === null ? 1 : 0,
      figures: {
        'chat RSS before/peak (MiB)': `${mib(before.rss)}/${mib(chatPeak.rss)}`,
        'strftime RSS before/peak (MiB)': `${mib(sBefore.rss)}/${mib(sPeak.rss)}`,
      },
      failures,
    };
  },
};

export const slowConsumer: Scenario = {
  name: 'slow-consumer',
  category: 'abuse',
  title:
    'a chat client that never reads: cut as a slow consumer; the others get every line; memory bounded',
  short: false,
  async run(ctx): Promise<Outcome> {
    // Far more than the kernel socket buffers hold on loopback (several MiB each way).
    const lines = ctx.short ? 5000 : 25_000;
    const proc = await startOne('chat', ['--rate-limit', '0', '--max-queue', String(256 * 1024)]);
    const port = proc.port('chat');
    const failures: string[] = [];
    const before = fig(proc);
    const stuck = await chatter(port, 'stuck');
    stuck.sock.pause();
    const reader = await chatter(port, 'reader');
    const sender = await chatter(port, 'sender');
    const payload = 'y'.repeat(3900);
    const received = reader.counter(/^<sender> \d+ y/);
    // The sender keeps at most WINDOW lines ahead of the reader (≈125 KB, under the
    // 256 KiB cap), so the reader is never the slow consumer however loaded the machine
    // is; the client that never reads falls behind regardless and must be cut.
    const window = 32;
    for (let i = 0; i < lines; i++) {
      if (i - received() > window)
        await reader.until(() => i - received() <= window || reader.closed, 30_000, 'progress');
      if (reader.closed) break;
      if (!sender.sock.write(`${i} ${payload}\n`))
        await new Promise((r) => sender.sock.once('drain', r));
    }
    await reader
      .until(() => received() >= lines || reader.closed, 30_000, 'the last line')
      .catch(() => {});
    const got = received();
    const peak = fig(proc);
    stuck.sock.resume();
    const cut = await stuck.waitFor(/slow|too far behind|disconnect/i, 10_000).then(
      () => true,
      () => stuck.closed,
    );
    check(failures, cut, 'the client that never read was not cut');
    check(
      failures,
      peak.rss - before.rss <= 96 * MiB,
      `RSS grew ${mib(peak.rss - before.rss)} MiB`,
    );
    for (const c of [stuck, reader, sender]) c.close();
    await proc.stop();
    return {
      load: `${lines} lines of 3.9 KB from one sender to a reader and a client that never reads (--max-queue 256 KiB)`,
      lost: lines - got,
      figures: {
        'lines received by the reader': got,
        'RSS before/peak (MiB)': `${mib(before.rss)}/${mib(peak.rss)}`,
      },
      failures,
    };
  },
};

export const udpReflection: Scenario = {
  name: 'udp-reflection',
  category: 'abuse',
  title:
    'datagrams from privileged source ports get no answer; a flood from one source is rate limited; a spoofed echo↔chargen loop dies out',
  requires: ['--datagram-rate'],
  tools: ['python3'],
  short: true,
  async run(ctx): Promise<Outcome> {
    const failures: string[] = [];
    const services = ['echo', 'chargen', 'daytime', 'qotd', 'time', 'strftime'];
    const procs = await Promise.all(services.map((s) => startOne(s, ['--udp'])));
    const answered: string[] = [];
    for (const [i, s] of services.entries()) {
      const port = procs[i]!.port(s, 'udp');
      const priv = createSocket('udp4');
      let privReplies = 0;
      priv.on('message', () => privReplies++);
      await new Promise<void>((r) => priv.bind(600 + i, '127.0.0.1', r));
      await new Promise<void>((r) => priv.send('%Y', port, '127.0.0.1', () => r()));
      // A normal request after it: once that is answered, the first had its chance.
      let normal: Buffer | null = null;
      for (let t = 0; t < 3 && normal === null; t++)
        normal = await udpRequest(port, '%Y', { timeoutMs: 1500 });
      priv.close();
      check(failures, normal !== null, `${s}: no answer to an unprivileged port`);
      if (privReplies > 0) answered.push(s);
    }
    check(
      failures,
      answered.length === 0,
      `answered a privileged source port: ${answered.join(', ')}`,
    );
    // A flood from one source address; then a request from another address.
    const echoPort = procs[0]!.port('echo', 'udp');
    const sock = createSocket('udp4');
    let replies = 0;
    sock.on('message', () => replies++);
    await new Promise<void>((r) => sock.bind(0, '127.0.9.11', r));
    const flood = ctx.short ? 1000 : 20_000;
    const t0 = performance.now();
    for (let i = 0; i < flood; i++)
      await new Promise<void>((r) => sock.send('flood', echoPort, '127.0.0.1', () => r()));
    const floodSeconds = (performance.now() - t0) / 1000;
    // The flood may have filled the socket's receive buffer: the kernel then drops a
    // datagram of anyone, so the other source retries (UDP), as any client would.
    let probe: Buffer | null = null;
    for (let t = 0; t < 5 && probe === null; t++)
      probe = await udpRequest(echoPort, 'other source', {
        timeoutMs: 1000,
        localAddress: '127.0.1.5',
      });
    sock.close();
    check(
      failures,
      replies < flood / 2,
      `a flood from one source got ${replies} of ${flood} answered`,
    );
    check(failures, probe !== null, 'another source was not answered during the flood');
    // A spoofed loop: echo's reply goes to chargen's port, chargen's to echo's.
    const chargenPort = procs[1]!.port('chargen', 'udp');
    const cpu0 = procs[0]!.sample().cpu + procs[1]!.sample().cpu;
    const py = spawnSync('python3', ['-c', SPOOF, String(chargenPort), String(echoPort)], {
      encoding: 'utf8',
    });
    check(failures, py.status === 0, `spoofing failed: ${py.stderr}`);
    // A loop shows as CPU (a full core without a limit): measure a window after the spoof.
    const windowS = ctx.short ? 2 : 5;
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const loopCpu = procs[0]!.sample().cpu + procs[1]!.sample().cpu - cpu0;
    check(
      failures,
      loopCpu < windowS / 4,
      `the echo↔chargen loop used ${round(loopCpu)} s of CPU in ${windowS} s`,
    );
    check(
      failures,
      procs.every((p) => p.alive),
      'a server exited',
    );
    await Promise.all(procs.map((p) => p.stop()));
    return {
      load: `one privileged-port datagram per service; ${flood} datagrams from one source in ${round(floodSeconds)} s; one spoofed loop`,
      faults: 'spoofed source address (raw socket)',
      badInputs: 'privileged source ports, floods',
      lost: 0,
      figures: {
        'flood replies': `${replies}/${flood}`,
        [`loop CPU over ${windowS} s (s)`]: round(loopCpu),
      },
      failures,
    };
  },
};

/** A UDP datagram from 127.0.0.1:argv[1] to 127.0.0.1:argv[2], through a raw socket (root). */
const SPOOF = `
import socket, struct, sys
src, dst = int(sys.argv[1]), int(sys.argv[2])
data = b'loop'
udp = struct.pack('!HHHH', src, dst, 8 + len(data), 0) + data
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, socket.inet_aton('127.0.0.1'), socket.inet_aton('127.0.0.1'))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp, ('127.0.0.1', 0))
`;

export const confusableNicks: Scenario = {
  name: 'confusable-nicks',
  category: 'abuse',
  title:
    'forged nicks (Cyrillic, fullwidth, long s, fillers) refused; bidi and zero-width characters shown visibly',
  short: false,
  async run(): Promise<Outcome> {
    const proc = await startOne('chat', ['--rate-limit', '0']);
    const port = proc.port('chat');
    const failures: string[] = [];
    const alice = await chatter(port, 'alice');
    const forger = await LineClient.open(port);
    await forger.waitFor(/welcome/, 10_000);
    const forged = [
      'ѕerver',
      'Ｓｅｒｖｅｒ',
      'ſerver',
      'аnnounce',
      'аlice',
      'ALICE',
      '\u3164',
      '\u115f',
      'a\u200bb',
      'x\u202ey',
    ];
    const accepted: string[] = [];
    for (const nick of forged) {
      const from = forger.lines.length;
      forger.send(`/nick ${nick}`);
      const reply = await forger.waitFor(/error|is now known as|you are now/i, 10_000, from);
      if (!/error/i.test(reply)) accepted.push(JSON.stringify(nick));
    }
    check(failures, accepted.length === 0, `accepted forged nicks: ${accepted.join(', ')}`);
    forger.send('look\u202e\u200b\u2028here');
    const seen = await alice.waitFor(/look/, 10_000);
    check(
      failures,
      !/[\u202e\u200b\u2028]/.test(seen),
      `raw bidi/zero-width characters reached a client: ${JSON.stringify(seen)}`,
    );
    alice.close();
    forger.close();
    await proc.stop();
    return {
      load: '2 clients',
      badInputs: `${forged.length} forged nicks; bidi override, zero-width space and line separator in a message`,
      lost: 0,
      figures: { 'forged nicks accepted': accepted.length },
      failures,
    };
  },
};

export const chatFanout: Scenario = {
  name: 'chat-fanout-no-loss',
  category: 'abuse',
  title:
    'senders keeping many lines in flight to a loaded room (no rate limit): every accepted line reaches every member',
  short: false,
  async run(ctx): Promise<Outcome> {
    const members = ctx.short ? 20 : 50;
    const senders = 10;
    const perSender = ctx.short ? 200 : 2000;
    const proc = await startOne('chat', ['--rate-limit', '0', '--max-clients', '2000']);
    const port = proc.port('chat');
    const failures: string[] = [];
    const before = fig(proc);
    // Members count the flood lines as they arrive (no line kept).
    const counts = new Array<number>(members).fill(0);
    const socks = await pool(members, 10, async (i) => {
      const c = await chatter(port, `f${i}`, sourceAddress(i));
      let partial = '';
      c.sock.removeAllListeners('data');
      c.sock.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const p of parts) if (p.includes('> flood ')) counts[i]!++;
      });
      return c;
    });
    const started = performance.now();
    await pool(senders, senders, async (k) => {
      const s = socks[k]!.sock;
      for (let n = 0; n < perSender; n++) {
        // Only the socket's own backpressure paces the sender: many lines in flight.
        if (!s.write(`flood ${k} ${n}\n`)) await new Promise((r) => s.once('drain', r));
      }
    });
    const expected = (i: number): number => (i < senders ? senders - 1 : senders) * perSender;
    for (let last = -1; ;) {
      const now = counts.reduce((a, b) => a + b, 0);
      if (counts.every((c, i) => c >= expected(i)) || now === last) break;
      last = now;
      await new Promise((r) => setTimeout(r, 3000));
    }
    const seconds = (performance.now() - started) / 1000;
    const peak = fig(proc);
    const lost = counts.reduce((a, c, i) => a + Math.max(0, expected(i) - c), 0);
    socks.forEach((c) => c.close());
    failures.push(...(await health(proc)));
    await proc.stop();
    const deliveries = counts.reduce((a, b) => a + b, 0);
    return {
      load: `${members} members, ${senders} senders × ${perSender} lines, written as fast as the sockets take them`,
      lost,
      figures: {
        deliveries: `${deliveries}/${deliveries + lost}`,
        'deliveries/s': Math.round(deliveries / seconds),
        'RSS before/peak (MiB)': `${mib(before.rss)}/${mib(peak.rss)}`,
      },
      failures,
    };
  },
};

export const ABUSE: Scenario[] = [
  tlsPreHandshake,
  execPreAuth,
  roomHopping,
  joinStorm,
  slowloris,
  perAddressFlood,
  oversizeLines,
  slowConsumer,
  chatFanout,
  udpReflection,
  confusableNicks,
];
