/**
 * Fuzzing: random and mutated bytes (fast-check, from a corpus of each protocol's valid
 * messages and of the probes port scanners send) into every service of a real `serve`
 * process, and into every codec of src/framing in this process.
 */
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { DecoderError } from '../../../src/errors.js';
import type { Decoder } from '../../../src/framing/codec.js';
import { DelimiterCodec } from '../../../src/framing/delimiter.js';
import { FixedLengthCodec } from '../../../src/framing/fixed-length.js';
import { FrameReader } from '../../../src/framing/frame-reader.js';
import { LengthPrefixedCodec } from '../../../src/framing/length-prefixed.js';
import { LineCodec } from '../../../src/framing/line.js';
import { NetstringCodec } from '../../../src/framing/netstring.js';
import { connectTcp, pool, readUntil, sntpRequest } from '../lib/clients.js';
import { MiB, mib } from '../lib/proc-stats.js';
import { type Outcome, type Scenario, check } from '../lib/scenario.js';
import { captureRequest } from '../lib/exec-client.js';
import { health, startAll } from '../lib/targets.js';

/** Requests as this build's `socketkit exec` sends them (filled by fuzz-services). */
let execCorpus: Buffer[] = [];

/** What port scanners and browsers send to any open port (issue 10, defect 19). */
export const PROBES: Buffer[] = [
  Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
  Buffer.from('POST / HTTP/1.1\r\nHost: 127.0.0.1:7777\r\nContent-Length: 11\r\n\r\nhello world'),
  Buffer.from('OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/TCP nm;branch=foo\r\n\r\n'),
  // A TLS 1.2 ClientHello record header and the start of its body.
  Buffer.from('16030100a5010000a10303' + '00'.repeat(32) + '000002c02f01000076', 'hex'),
  // An ONC RPC call (portmapper NULL), record-marked.
  Buffer.from(
    '80000028000000010000000000000002000186a0000000020000000000000000000000000000000000000000',
    'hex',
  ),
  Buffer.from('\r\n\r\n'),
  Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'),
];

/** Valid messages of each service's protocol, mutated by the fuzzer. */
export function corpus(service: string): Buffer[] {
  const lines = (xs: string[]): Buffer[] => xs.map((x) => Buffer.from(x));
  switch (service) {
    case 'chat':
      return lines([
        '/nick fuzzer\n',
        'hello everyone\n',
        '/join #fuzz\n',
        '/me waves\n',
        '/msg fuzzer hi\n',
        '/topic a topic\n',
        '/who\n',
        '/rooms\n',
        '/part\n',
        '/echo on\n',
        '//slash\n',
        '/help\n',
        '/quit bye\n',
        'é\u202ehidden\u200b\r\n',
      ]);
    case 'strftime':
      return lines([
        '%F %T\n',
        '%Y-%m-%d\n',
        '%%\n',
        '%c %x %X\n',
        '%-d %e %j\n',
        '%s\n',
        '\n',
        '%Ez %Oy\n',
      ]);
    case 'exec':
      return [
        ...execCorpus,
        Buffer.from([0, 0, 0, 2, 0x7b, 0x7d]),
        Buffer.from([0xff, 0xff, 0xff, 0xff]),
      ];
    case 'sntp':
      return [sntpRequest(1), Buffer.from(sntpRequest(2)).fill(0x1b, 0, 1), Buffer.alloc(68, 0x23)];
    default:
      return lines(['hello\n', 'x'.repeat(100), '\0\xff\n']);
  }
}

/** Corpus entries, probes, their mutations, concatenations and plain random bytes. */
function inputs(service: string, count: number, seed: number): Buffer[] {
  const base = [...corpus(service), ...PROBES];
  const mutated = fc
    .tuple(
      fc.constantFrom(...base),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat()),
    )
    .map(([b, flips, cut]) => {
      const out = Buffer.from(b);
      for (const [at, v] of flips) if (out.length > 0) out[at % out.length] = v;
      return cut === null ? out : out.subarray(0, cut % (out.length + 1));
    });
  const arb = fc.oneof(
    fc.uint8Array({ maxLength: 4096 }).map((u) => Buffer.from(u)),
    mutated,
    fc.array(mutated, { maxLength: 20 }).map((xs) => Buffer.concat(xs)),
    fc.constantFrom(...base),
  );
  return fc.sample(arb, { numRuns: count, seed });
}

export const fuzzServices: Scenario = {
  name: 'fuzz-services',
  category: 'fuzz',
  title:
    'random and mutated bytes into every service (TCP and UDP): no crash, every listener still answers, RSS bounded',
  short: true,
  async run(ctx): Promise<Outcome> {
    const perListener = ctx.short ? 20 : 400;
    const bound = 256 * MiB;
    execCorpus = (
      await Promise.all([captureRequest(['echo', 'a']), captureRequest(['nope', 'x'])])
    ).filter((b) => b.length > 0);
    const proc = await startAll();
    const failures: string[] = [];
    const before = proc.sample();
    let peak = before.rss;
    const sampler = setInterval(() => (peak = Math.max(peak, proc.sample().rss)), 200);
    let sent = 0;
    try {
      for (const l of proc.listeners) {
        const batch = inputs(l.service, perListener, ctx.seed);
        if (l.transport === 'udp') {
          const sock = createSocket('udp4');
          // From an address of its own: the services' per-source UDP limits then throttle the
          // fuzzer, not the health probe (from 127.0.0.1) that follows.
          await new Promise<void>((r) => sock.bind(0, '127.0.9.20', r));
          for (const b of batch) {
            const d = b.subarray(0, 65_000);
            await new Promise<void>((r) => sock.send(d, l.port, '127.0.0.1', () => r()));
            sent++;
          }
          sock.close();
          continue;
        }
        await pool(batch.length, 16, async (i) => {
          const b = batch[i]!;
          const sock = await connectTcp(l.port);
          sent++;
          // How the connection ends varies with the input: half-close, close, reset, linger.
          const how = i % 4;
          await readUntil(sock, undefined, 150, () => {
            const mid = b.length >> 1;
            sock.write(b.subarray(0, mid));
            sock.write(b.subarray(mid));
            if (how === 0) sock.end();
            else if (how === 1) sock.destroy();
            else if (how === 2) sock.resetAndDestroy();
          });
        });
        ctx.log(`fuzz-services: ${l.service}/${l.transport} ${batch.length} inputs`);
      }
      failures.push(...(await health(proc)));
    } finally {
      clearInterval(sampler);
    }
    const after = proc.sample();
    check(failures, peak <= bound, `peak RSS ${mib(peak)} MiB over the ${mib(bound)} MiB bound`);
    check(failures, proc.alive, 'serve exited');
    await proc.stop();
    return {
      load: `${sent} inputs over ${proc.listeners.length} listeners (${perListener} each, 16 connections at once)`,
      badInputs:
        'random bytes ≤ 4 KiB, mutated protocol messages, HTTP/TLS/SIP/RPC/SSH probes; ends: FIN, close, RST, linger',
      lost: 0,
      figures: {
        'RSS before (MiB)': mib(before.rss),
        'RSS peak (MiB)': mib(peak),
        'RSS after (MiB)': mib(after.rss),
        'RSS bound (MiB)': mib(bound),
        'fds before/after': `${before.fds}/${after.fds}`,
        'CPU (s)': Math.round((after.cpu - before.cpu) * 10) / 10,
        seed: ctx.seed,
      },
      failures,
    };
  },
};

/** The codecs of src/framing, each with a small limit so the fuzzer reaches it. */
function codecs(): [string, () => Decoder<unknown>, number][] {
  const max = 1024;
  return [
    ['line', () => new LineCodec({ maxLineLength: max }), max],
    [
      'line (no recovery)',
      () => new LineCodec({ maxLineLength: max, discardOnOverflow: false }),
      max,
    ],
    [
      'delimiter',
      () => new DelimiterCodec({ delimiters: ['\r\n', '\0'], maxFrameLength: max }),
      max,
    ],
    [
      'length-prefixed u32',
      () => new LengthPrefixedCodec({ lengthFieldLength: 4, maxFrameLength: max }),
      max,
    ],
    [
      'length-prefixed u16 offset',
      () =>
        new LengthPrefixedCodec({
          lengthFieldLength: 2,
          lengthFieldOffset: 1,
          lengthAdjustment: -1,
          maxFrameLength: max,
        }),
      max,
    ],
    ['fixed-length', () => new FixedLengthCodec({ frameLength: 16 }), 16],
    ['netstring', () => new NetstringCodec({ maxFrameLength: max }), max],
  ];
}

export const fuzzCodecs: Scenario = {
  name: 'fuzz-codecs',
  category: 'fuzz',
  title:
    'random chunks into every framing codec: only DecoderErrors, the queue stays bounded after an error',
  short: true,
  async run(ctx): Promise<Outcome> {
    const runs = ctx.short ? 300 : 5000;
    const failures: string[] = [];
    const figures: Record<string, number | string> = {};
    const chunkMax = 2048;
    for (const [name, make, max] of codecs()) {
      let maxBuffered = 0;
      let errors = 0;
      const result = fc.check(
        fc.property(
          fc.array(
            fc.oneof(
              fc.uint8Array({ maxLength: chunkMax }),
              // Runs without any delimiter, to reach the limits.
              fc.integer({ min: 0, max: chunkMax }).map((n) => new Uint8Array(n).fill(0x61)),
            ),
            { maxLength: 24 },
          ),
          (chunks) => {
            const reader = new FrameReader(make());
            for (const c of chunks) {
              reader.push(c);
              try {
                reader.drain();
              } catch (err) {
                if (!(err instanceof DecoderError)) throw err;
                errors++;
              }
              maxBuffered = Math.max(maxBuffered, reader.buffered);
              // The queue may hold at most a frame's limit plus what one read added.
              if (reader.buffered > max + 16 + chunkMax)
                throw new Error(`queue grew to ${reader.buffered}`);
            }
            try {
              reader.end();
            } catch (err) {
              if (!(err instanceof DecoderError)) throw err;
            }
          },
        ),
        { numRuns: runs, seed: ctx.seed },
      );
      if (result.failed)
        failures.push(
          `${name}: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)} (counterexample ${JSON.stringify(result.counterexample)?.slice(0, 200)})`,
        );
      figures[`${name}: max queued (bytes)`] = maxBuffered;
      figures[`${name}: decoder errors`] = errors;
    }
    return {
      load: `${runs} random chunk sequences (≤ 24 chunks of ≤ ${chunkMax} bytes) per codec, 7 codec settings`,
      badInputs:
        'random bytes, delimiter-free runs past the limit, corrupt headers, truncated ends',
      lost: 0,
      figures: { ...figures, seed: ctx.seed },
      failures,
    };
  },
};
