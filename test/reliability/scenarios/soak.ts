/**
 * Soak: echo, chat and SNTP under steady load for `--soak-seconds` (default 120): RSS and
 * `process.getActiveResourcesInfo()` flat, every echoed byte, chat line and SNTP reply
 * accounted for.
 */
import { randomBytes } from 'node:crypto';
import {
  LineClient,
  connectTcp,
  isSntpReply,
  pool,
  sntpRequest,
  sourceAddress,
  udpRequest,
} from '../lib/clients.js';
import { MiB, mib } from '../lib/proc-stats.js';
import { type Context, type Outcome, check } from '../lib/scenario.js';
import type { Scenario } from '../lib/scenario.js';
import type { ServeProcess } from '../lib/serve-process.js';
import { eventually, startOne } from '../lib/targets.js';

const total = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

/** Samples RSS and resource counts every few seconds while LOAD runs; judges flatness. */
async function soak(
  ctx: Context,
  proc: ServeProcess,
  load: (until: number) => Promise<void>,
): Promise<{ figures: Record<string, number | string>; failures: string[] }> {
  const failures: string[] = [];
  const idle = await proc.probe();
  const rss: number[] = [];
  const res: number[] = [];
  const heap: number[] = [];
  const until = performance.now() + ctx.soakSeconds * 1000;
  const every = Math.max(1000, (ctx.soakSeconds * 1000) / 12);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, every));
      if (!sampling) break;
      const p = await proc.probe().catch(() => null);
      rss.push(proc.sample().rss);
      if (p) {
        res.push(total(p.resources));
        heap.push(p.heap);
      }
    }
  })();
  await load(until);
  sampling = false;
  await sampler;
  // The clients' last closes are still in flight when the load returns (the server sees
  // the FIN, ends its side, then the socket closes): wait for that, bounded, before judging.
  let after = await proc.probe();
  await eventually(async () => {
    after = await proc.probe();
    return total(after.resources) <= total(idle.resources);
  }, 10_000);
  // Flat: the last third of the samples against the first third (after warm-up).
  const third = Math.max(1, Math.floor(rss.length / 3));
  const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const rssGrowth = avg(rss.slice(-third)) - avg(rss.slice(0, third));
  const heapGrowth = avg(heap.slice(-third)) - avg(heap.slice(0, third));
  check(
    failures,
    rssGrowth <= 16 * MiB,
    `RSS grew ${mib(rssGrowth)} MiB from the first to the last third`,
  );
  check(
    failures,
    heapGrowth <= 8 * MiB,
    `heap after GC grew ${mib(heapGrowth)} MiB from the first to the last third`,
  );
  check(
    failures,
    total(after.resources) <= total(idle.resources),
    `active resources after the load ${JSON.stringify(after.resources)} vs idle ${JSON.stringify(idle.resources)}`,
  );
  check(
    failures,
    res.length < 2 || Math.max(...res) - Math.min(...res) <= 4,
    `active resources varied ${Math.min(...res)}–${Math.max(...res)} under steady load`,
  );
  return {
    figures: {
      samples: rss.length,
      'RSS first/last third (MiB)': `${mib(avg(rss.slice(0, third)))}/${mib(avg(rss.slice(-third)))}`,
      'heap after GC first/last third (MiB)': `${mib(avg(heap.slice(0, third)))}/${mib(avg(heap.slice(-third)))}`,
      'active resources idle/under load/after': `${total(idle.resources)}/${Math.min(...res)}–${Math.max(...res)}/${total(after.resources)}`,
      'CPU (s)': Math.round(proc.sample().cpu * 10) / 10,
    },
    failures,
  };
}

export const soakEcho: Scenario = {
  name: 'soak-echo',
  category: 'soak',
  title: 'echo under steady load: every byte back in order, RSS and active resources flat',
  short: true,
  async run(ctx): Promise<Outcome> {
    const clients = 16;
    const proc = await startOne('echo', ['--tcp']);
    const port = proc.port('echo');
    let sent = 0;
    let lost = 0;
    const { figures, failures } = await soak(ctx, proc, async (until) => {
      await pool(clients, clients, async () => {
        const s = await connectTcp(port);
        let pending: { want: Buffer; got: number; resolve: () => void } | undefined;
        s.on('data', (c: Buffer) => {
          const p = pending!;
          if (!p.want.subarray(p.got, p.got + c.length).equals(c)) lost += c.length;
          p.got += c.length;
          if (p.got >= p.want.length) p.resolve();
        });
        while (performance.now() < until) {
          const want = randomBytes(16 * 1024);
          await new Promise<void>((resolve) => {
            pending = { want, got: 0, resolve };
            s.write(want);
          });
          sent += want.length;
        }
        s.destroy();
      });
    });
    await proc.stop();
    return {
      load: `${clients} clients, 16 KiB round trips back to back, ${ctx.soakSeconds} s`,
      lost,
      figures: {
        'bytes echoed': sent,
        'MiB/s': Math.round(sent / MiB / ctx.soakSeconds),
        ...figures,
      },
      failures,
    };
  },
};

export const soakChat: Scenario = {
  name: 'soak-chat',
  category: 'soak',
  title:
    'chat under steady load: every line delivered to every member, RSS and active resources flat',
  short: true,
  async run(ctx): Promise<Outcome> {
    const members = 20;
    const senders = 5;
    const perSecond = 10;
    const proc = await startOne('chat', []);
    const port = proc.port('chat');
    const clients = await pool(members, 10, async (i) => {
      const c = await LineClient.open(port, { localAddress: sourceAddress(i) });
      await c.waitFor(/welcome/, 15_000);
      c.send(`/nick m${i}`);
      await c.waitFor(new RegExp(`is now known as m${i}`), 15_000);
      return c;
    });
    const sent = new Array<number>(senders).fill(0);
    const { figures, failures } = await soak(ctx, proc, async (until) => {
      await pool(senders, senders, async (k) => {
        for (let n = 0; performance.now() < until; n++) {
          clients[k]!.send(`soak ${k} ${n}`);
          sent[k] = n + 1;
          await new Promise((r) => setTimeout(r, 1000 / perSecond));
        }
      });
    });
    // Every member gets every other sender's lines; wait for the last ones.
    const expected = (i: number): number => sent.reduce((a, n, k) => a + (k === i ? 0 : n), 0);
    const counters = clients.map((c) => c.counter(/^<m\d+> soak \d+ \d+$/));
    const got = (i: number): number => counters[i]!();
    await Promise.all(
      clients.map((c, i) => c.until(() => got(i) >= expected(i), 15_000).catch(() => {})),
    );
    const lost = clients.reduce((a, _, i) => a + Math.max(0, expected(i) - got(i)), 0);
    clients.forEach((c) => c.close());
    await proc.stop();
    const lines = sent.reduce((a, b) => a + b, 0);
    return {
      load: `${members} members in #lobby, ${senders} senders at ${perSecond} lines/s each, ${ctx.soakSeconds} s`,
      lost,
      figures: { 'lines sent': lines, deliveries: lines * (members - 1), ...figures },
      failures,
    };
  },
};

export const soakSntp: Scenario = {
  name: 'soak-sntp',
  category: 'soak',
  title:
    'SNTP under steady load from many sources: every request answered (after UDP retries), RSS and resources flat',
  short: true,
  async run(ctx): Promise<Outcome> {
    const sources = 20;
    const proc = await startOne('sntp', ['--rate', '1000', '--burst', '1000']);
    const port = proc.port('sntp', 'udp');
    let asked = 0;
    let lost = 0;
    let retries = 0;
    const { figures, failures } = await soak(ctx, proc, async (until) => {
      await pool(sources, sources, async (i) => {
        for (let n = 0; performance.now() < until; n++) {
          const tag = i * 1_000_000 + n;
          asked++;
          let ok = false;
          for (let t = 0; t < 5 && !ok; t++) {
            if (t > 0) retries++;
            ok = isSntpReply(
              await udpRequest(port, sntpRequest(tag), {
                localAddress: sourceAddress(i),
                timeoutMs: 1000,
              }),
              tag,
            );
          }
          if (!ok) lost++;
        }
      });
    });
    await proc.stop();
    return {
      load: `${sources} sources, one request in flight each, ${ctx.soakSeconds} s`,
      lost,
      figures: {
        requests: asked,
        'requests/s': Math.round(asked / ctx.soakSeconds),
        'UDP retries': retries,
        ...figures,
      },
      failures,
    };
  },
};

export const SOAK: Scenario[] = [soakEcho, soakChat, soakSntp];
