/**
 * `socketkit bench` against tiny servers started here (raw Node echo, UDP echo, a
 * broadcast chat, an SNTP responder, and a corrupting echo): each mode runs ~0.5 s and
 * must verify every reply. Only the JSON's shape and verification are checked — never
 * a speed.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';

function listenTcp(onConn: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer((s) => {
      s.on('error', () => s.destroy());
      onConn(s);
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function listenUdp(onMessage: (sock: dgram.Socket, m: Buffer, r: dgram.RemoteInfo) => void) {
  return new Promise<dgram.Socket>((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (m, r) => onMessage(sock, m, r));
    sock.bind(0, '127.0.0.1', () => resolve(sock));
  });
}

const portOf = (s: net.Server | dgram.Socket): string =>
  String((s.address() as net.AddressInfo).port);

interface Counters {
  ops: number;
  sent: number;
  errors: number;
  mismatches: number;
  lost: number;
  missing: number;
  reordered: number;
  connected: number;
  bytesSent: number;
  bytesReceived: number;
}

interface Json {
  mode: string;
  verified: boolean;
  opsPerSec: number;
  warmup: number;
  elapsed: number;
  options: { warmup: number; duration: number };
  counters: Counters;
  warmupCounters: Counters;
  latency: { count: number; p50: number | null; p99: number | null; p999: number | null };
  cpu: { user: number; system: number; percentOfCore: number };
  workers: number;
}

// Runs are short (0.5 s) unless a test bounds them by --count instead: a count-bound run
// gets a long --duration so that only the count ends it, however loaded the machine is.
async function bench(args: string[]): Promise<{ code: number; json: Json; stderr: string }> {
  const duration = args.includes('-n') ? '120' : '0.5';
  const r = await runCli(['bench', ...args, '--json', '--duration', duration, '--no-progress']);
  let json: Json;
  try {
    json = JSON.parse(r.stdout) as Json;
  } catch {
    assert.fail(`not JSON (exit ${r.code}): ${r.stdout} ${r.stderr}`);
  }
  return { code: r.code, json, stderr: r.stderr };
}

function assertShape(json: Json, mode: string): void {
  assert.equal(json.mode, mode);
  assert.equal(typeof json.opsPerSec, 'number');
  for (const k of ['ops', 'sent', 'errors', 'mismatches', 'lost', 'missing', 'reordered']) {
    assert.equal(typeof (json.counters as unknown as Record<string, unknown>)[k], 'number', k);
  }
  assert.ok(json.latency.count > 0);
  assert.equal(typeof json.latency.p99, 'number');
  assert.equal(typeof json.cpu.percentOfCore, 'number');
}

describe('socketkit bench', () => {
  const closers: (() => void)[] = [];
  let echo: net.Server;
  let udpEcho: dgram.Socket;
  let chat: net.Server;
  let sntp: dgram.Socket;
  let liar: net.Server;
  let lossyChat: net.Server;

  before(async () => {
    echo = await listenTcp((s) => s.pipe(s));
    udpEcho = await listenUdp((sock, m, r) => sock.send(m, r.port, r.address));
    const clients = new Set<net.Socket>();
    chat = await listenTcp((s) => {
      clients.add(s);
      s.on('close', () => clients.delete(s));
      let partial = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        const text = partial + d;
        const end = text.lastIndexOf('\n');
        partial = text.slice(end + 1);
        if (end < 0) return;
        for (const c of clients) if (c !== s) c.write(text.slice(0, end + 1));
      });
    });
    sntp = await listenUdp((sock, m, r) => {
      if (m.length < 48) return;
      const reply = Buffer.alloc(48);
      reply[0] = (4 << 3) | 4;
      reply[1] = 2;
      m.copy(reply, 24, 40, 48); // origin = the client's transmit timestamp
      sock.send(reply, r.port, r.address);
    });
    // A broadcast chat that drops the 20th data line it relays (early: in any warm-up).
    const lossyClients = new Set<net.Socket>();
    let dataLines = 0;
    lossyChat = await listenTcp((s) => {
      lossyClients.add(s);
      s.on('close', () => lossyClients.delete(s));
      let partial = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        const lines = (partial + d).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (/^sk\w+ \d+ \d+ \d+$/.test(line) && ++dataLines === 20) continue;
          for (const c of lossyClients) if (c !== s) c.write(`${line}\n`);
        }
      });
    });
    // Echoes every byte but flips the last one: every reply is wrong.
    liar = await listenTcp((s) =>
      s.on('data', (d: Buffer) => {
        const copy = Buffer.from(d);
        copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0xff;
        s.write(copy);
      }),
    );
    closers.push(
      () => echo.close(),
      () => udpEcho.close(),
      () => chat.close(),
      () => sntp.close(),
      () => liar.close(),
      () => lossyChat.close(),
    );
  });
  after(() => {
    for (const close of closers) close();
  });

  it('rr: verified request/response against a raw echo server', async () => {
    const { code, json } = await bench(['rr', '127.0.0.1', portOf(echo), '-c', '4', '-w', '2']);
    assert.equal(code, 0);
    assertShape(json, 'rr');
    assert.equal(json.verified, true);
    assert.equal(json.workers, 2);
    assert.equal(json.counters.ops, json.counters.sent);
  });

  it('rr: --count bounds the run exactly', async () => {
    const { code, json } = await bench(['rr', '127.0.0.1', portOf(echo), '-c', '2', '-n', '50']);
    assert.equal(code, 0);
    assert.equal(json.counters.ops, 50);
  });

  it('stream: bulk echo verified byte for byte', async () => {
    const { code, json } = await bench([
      'stream',
      'localhost',
      portOf(echo),
      '-c',
      '2',
      '-s',
      '16384',
    ]);
    assert.equal(code, 0);
    assertShape(json, 'stream');
    assert.equal(json.verified, true);
    assert.equal(json.counters.bytesReceived, json.counters.bytesSent);
  });

  it('udp: datagrams with a window, loss counted', async () => {
    const { code, json } = await bench([
      'udp',
      '127.0.0.1',
      portOf(udpEcho),
      '-c',
      '1',
      '--window',
      '8',
    ]);
    assert.equal(code, 0);
    assertShape(json, 'udp');
    assert.equal(json.counters.mismatches, 0);
    assert.equal(json.counters.ops + json.counters.lost, json.counters.sent);
  });

  it('conns: holds connections then pings each', async () => {
    const { code, json, stderr } = await bench([
      'conns',
      '127.0.0.1',
      portOf(echo),
      '-c',
      '50',
      '--hold',
      '0.2',
    ]);
    assert.equal(code, 0);
    assertShape(json, 'conns');
    assert.equal(json.counters.connected, 50);
    assert.equal(json.counters.ops, 50);
    assert.match(stderr, /holding 50 connections/);
  });

  it('conns: a run that ends before every connection is open fails instead of reporting fewer', async () => {
    const r = await runCli([
      'bench',
      'conns',
      '127.0.0.1',
      portOf(echo),
      '-c',
      '3000',
      '--burst',
      '1',
      '--hold',
      '0.1',
      '--duration',
      '0.05',
      '--json',
      '--no-progress',
    ]);
    const json = JSON.parse(r.stdout) as Json;
    assert.equal(r.code, 1, r.stderr);
    assert.ok(json.counters.connected < 3000, `connected ${json.counters.connected}`);
    assert.equal(json.counters.errors, 3000 - json.counters.connected);
  });

  it('fanout: every line delivered, in order, to every other client', async () => {
    const { code, json } = await bench([
      'fanout',
      '127.0.0.1',
      portOf(chat),
      '-c',
      '6',
      '--senders',
      '2',
      '--window',
      '4',
    ]);
    assert.equal(code, 0, JSON.stringify(json.counters));
    assertShape(json, 'fanout');
    assert.equal(json.verified, true);
    assert.equal(json.counters.missing, 0);
    assert.equal(json.counters.reordered, 0);
    assert.equal(json.counters.ops, json.counters.sent * 5);
  });

  it('sntp: mode-3 requests answered with our origin timestamp', async () => {
    const { code, json } = await bench(['sntp', '127.0.0.1', portOf(sntp), '-c', '1', '-w', '1']);
    assert.equal(code, 0);
    assertShape(json, 'sntp');
    assert.equal(json.counters.mismatches, 0);
  });

  it('fails (exit 1) when replies do not match', async () => {
    const { code, json } = await bench(['rr', '127.0.0.1', portOf(liar), '-c', '1', '-n', '5']);
    assert.equal(code, 1);
    assert.equal(json.verified, false);
    assert.ok(json.counters.mismatches > 0);
  });

  it('rr --warmup: only operations issued after the warm-up are measured', async () => {
    const { code, json, stderr } = await bench([
      'rr',
      '127.0.0.1',
      portOf(echo),
      '-c',
      '2',
      '--warmup',
      '0.3',
    ]);
    assert.equal(code, 0, stderr);
    assertShape(json, 'rr');
    assert.equal(json.verified, true);
    assert.equal(json.warmup, 0.3);
    assert.equal(json.options.warmup, 0.3);
    // The warm-up ran (and was verified) but is not in the measured figures.
    assert.ok(json.warmupCounters.ops > 0, JSON.stringify(json.warmupCounters));
    assert.equal(json.warmupCounters.ops, json.warmupCounters.sent);
    assert.equal(json.counters.ops, json.counters.sent);
    assert.equal(json.latency.count, json.counters.ops);
    assert.equal(json.counters.bytesReceived, json.counters.ops * 64);
    // The measured time is --duration (plus the drain), not warm-up + duration.
    assert.ok(json.elapsed >= 0.45 && json.elapsed < 0.75, `elapsed ${json.elapsed}`);
    assert.match(stderr, /warm-up of 0\.3 s over, measuring for 0\.5 s/);
  });

  it('rr --warmup with --count: the count bounds measured operations only', async () => {
    const { code, json } = await bench([
      'rr',
      '127.0.0.1',
      portOf(echo),
      '-c',
      '2',
      '-n',
      '50',
      '--warmup',
      '1',
    ]);
    assert.equal(code, 0);
    assert.equal(json.counters.ops, 50);
    assert.equal(json.latency.count, 50);
    assert.ok(json.warmupCounters.ops > 0);
  });

  it('rr --warmup: a wrong reply during the warm-up still fails the run', async () => {
    const { code, json } = await bench([
      'rr',
      '127.0.0.1',
      portOf(liar),
      '-c',
      '1',
      '-n',
      '5',
      '--warmup',
      '0.3',
    ]);
    assert.equal(code, 1);
    assert.equal(json.verified, false);
    assert.ok(json.counters.mismatches > 0);
  });

  it('udp --warmup: ops + lost = sent in each phase, across in-flight datagrams', async () => {
    const { code, json } = await bench([
      'udp',
      '127.0.0.1',
      portOf(udpEcho),
      '-c',
      '2',
      '--window',
      '16',
      '--warmup',
      '0.3',
    ]);
    assert.equal(code, 0);
    assertShape(json, 'udp');
    assert.equal(json.counters.mismatches, 0);
    assert.equal(json.counters.ops + json.counters.lost, json.counters.sent);
    const w = json.warmupCounters;
    assert.ok(w.sent > 0);
    assert.equal(w.ops + w.lost, w.sent);
    assert.equal(json.latency.count, json.counters.ops);
  });

  it('stream --warmup: bytes of each phase add up', async () => {
    const { code, json } = await bench([
      'stream',
      '127.0.0.1',
      portOf(echo),
      '-c',
      '2',
      '-s',
      '16384',
      '--warmup',
      '0.2',
    ]);
    assert.equal(code, 0);
    assert.equal(json.verified, true);
    assert.equal(json.counters.bytesReceived, json.counters.bytesSent);
    assert.equal(json.warmupCounters.bytesReceived, json.warmupCounters.bytesSent);
    assert.equal(json.counters.ops, json.counters.sent);
    assert.equal(json.latency.count, json.counters.ops);
    assert.ok(json.warmupCounters.ops > 0);
  });

  it('fanout --warmup: order and completeness still verified, per phase', async () => {
    const { code, json } = await bench([
      'fanout',
      '127.0.0.1',
      portOf(chat),
      '-c',
      '6',
      '--senders',
      '2',
      '--window',
      '4',
      '-w',
      '2',
      '--warmup',
      '0.3',
    ]);
    assert.equal(code, 0, JSON.stringify(json.counters));
    assertShape(json, 'fanout');
    assert.equal(json.verified, true);
    assert.equal(json.counters.missing, 0);
    assert.equal(json.counters.reordered, 0);
    assert.ok(json.warmupCounters.sent > 0);
    assert.equal(json.counters.ops, json.counters.sent * 5);
    assert.equal(json.warmupCounters.ops, json.warmupCounters.sent * 5);
    assert.equal(json.latency.count, json.counters.ops);
  });

  it('fanout --warmup: a line lost during the warm-up fails the run', async () => {
    const { code, json } = await bench([
      'fanout',
      '127.0.0.1',
      portOf(lossyChat),
      '-c',
      '4',
      '--senders',
      '2',
      '--window',
      '4',
      '-n',
      '200',
      '--warmup',
      '0.3',
    ]);
    assert.equal(code, 1);
    assert.equal(json.verified, false);
    assert.ok(json.counters.missing > 0, JSON.stringify(json.counters));
  });

  it('rejects a bad --warmup, and any warm-up in conns mode, as usage errors', async () => {
    for (const [args, message] of [
      [['--warmup', '-1'], /--warmup must be a number of seconds from 0 to 3600, got -1/],
      [['--warmup', '4000'], /--warmup must be a number of seconds from 0 to 3600/],
      [['--warmup', 'soon'], /--warmup must be a number, got "soon"/],
    ] as const) {
      const r = await runCli(['bench', 'rr', '127.0.0.1', '7', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
    const c = await runCli(['bench', 'conns', '127.0.0.1', '7', '--warmup', '1']);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /--warmup does not apply to conns mode/);
  });

  it('refuses a non-loopback target without --allow-remote (exit 2, nothing sent)', async () => {
    const r = await runCli(['bench', 'rr', '192.0.2.1', '7', '--duration', '0.1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a loopback address; pass --allow-remote/);
  });

  it('rejects bad flags as usage errors', async () => {
    const r = await runCli(['bench', 'rr', '127.0.0.1', '7', '--connections', 'lots']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--connections must be a number/);
    const m = await runCli(['bench', 'nope', '127.0.0.1', '7']);
    assert.equal(m.code, 2);
  });
});
