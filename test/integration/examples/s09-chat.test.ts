// Seed S9: the chat room, end to end with real programs: the example server (one process,
// or two on Redis), the tutorials' Python client, the example TS client, nc, scripted telnet and `socketkit chat`
// talking to each other. Every child is killed by PID in t.after.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { checkRoomOrdering } from '../services/chat-harness.js';
import {
  deletePrefix,
  redisSkipReason,
  SHARED_REDIS_URL,
  uniquePrefix,
} from '../services/chat-redis-harness.js';
import { needs } from '../../helpers/needs.js';
import { untilAny, WAIT_MS } from '../../helpers/wait.js';

/** A child process whose stdout lines are collected. */
class Proc {
  readonly child: ChildProcess;
  readonly name: string;
  out = '';

  constructor(name: string, cmd: string, args: string[]) {
    this.name = name;
    this.child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    this.child.stdout?.on('data', (c: Buffer) => {
      this.out += c.toString('utf8');
    });
    this.child.stderr?.on('data', (c: Buffer) => {
      this.out += c.toString('utf8');
    });
    this.child.stdin?.on('error', () => {});
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  async waitFor(pattern: RegExp, timeout = WAIT_MS): Promise<RegExpExecArray> {
    await untilAny(
      () => pattern.test(this.out) || this.child.exitCode !== null,
      [
        [this.child.stdout!, 'data'],
        [this.child.stderr!, 'data'],
        [this.child, 'exit'],
      ],
      { timeout, what: `${this.name}: ${pattern}` },
    ).catch(() => {});
    const m = pattern.exec(this.out);
    if (m !== null) return m;
    if (this.child.exitCode !== null) throw new Error(`${this.name} exited: ${this.out}`);
    throw new Error(`${this.name}: no ${pattern} in:\n${this.out}`);
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

const tsx = (file: string, args: string[]): [string, string[]] => [
  process.execPath,
  ['--import', 'tsx', file, ...args],
];
const CLI = `import { main } from './src/cli/main.ts';
const ac = new AbortController();
process.on('SIGTERM', () => ac.abort());
process.exitCode = await main(process.argv.slice(1), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signal: ac.signal });`;

async function startServer(procs: Proc[], name: string, args: string[] = []): Promise<number> {
  const server = new Proc(name, ...tsx('examples/s09-chat-server.ts', ['--port', '0', ...args]));
  procs.push(server);
  const m = await server.waitFor(/chat listening on 127\.0\.0\.1:(\d+)/, 30000);
  return Number(m[1]);
}

function client(
  procs: Proc[],
  kind: 'python' | 'nc' | 'ncat' | 'telnet' | 'socketkit' | 'example',
  port: number,
  nick: string,
): Proc {
  let p: Proc;
  if (kind === 'python')
    p = new Proc(kind, 'python3', ['-u', 'examples/s09-chat-client.py', String(port)]);
  else if (kind === 'nc') p = new Proc(kind, 'nc', ['127.0.0.1', String(port)]);
  else if (kind === 'ncat') p = new Proc(kind, 'ncat', ['127.0.0.1', String(port)]);
  else if (kind === 'telnet') p = new Proc(kind, 'telnet', ['127.0.0.1', String(port)]);
  else if (kind === 'example')
    p = new Proc(kind, ...tsx('examples/s09-chat-client.ts', ['--port', String(port)]));
  else {
    p = new Proc(kind, process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      CLI,
      'chat',
      '127.0.0.1',
      String(port),
      '--nick',
      nick,
    ]);
  }
  procs.push(p);
  return p;
}

/** Joins, renames (the Python client sends without newline: wait for each flush). */
async function setNick(p: Proc, nick: string): Promise<void> {
  await p.waitFor(/you are in #lobby/);
  if (p.name !== 'socketkit') p.write(p.name === 'python' ? `/nick ${nick}\n` : `/nick ${nick}\n`);
  await p.waitFor(new RegExp(`is now known as ${nick}`));
}

describe('S9 chat with real programs', () => {
  const procs: Proc[] = [];
  after(async () => {
    await Promise.all(procs.map((p) => p.kill()));
  });

  it('the tutorial Python client, nc, ncat, telnet, the example client and socketkit chat talk through one server', async () => {
    const port = await startServer(procs, 'server');
    const py = client(procs, 'python', port, 'py');
    await setNick(py, 'py');
    const nc = client(procs, 'nc', port, 'netcat');
    await setNick(nc, 'netcat');
    const sk = client(procs, 'socketkit', port, 'sk');
    await setNick(sk, 'sk');
    const ex = client(procs, 'example', port, 'ex');
    await setNick(ex, 'ex');
    const kinds = [py, nc, sk, ex];
    // needs() warns loudly when a peer is missing (and fails under CI=true).
    if (needs('telnet') === false) {
      const tn = client(procs, 'telnet', port, 'tel');
      await setNick(tn, 'tel');
      kinds.push(tn);
    }
    // Python's input() line goes out without "\n": the server's flush delay makes it a message.
    py.write('hello from python\n');
    for (const p of kinds.filter((k) => k !== py)) await p.waitFor(/<py> hello from python/);
    nc.write('hello from nc\n');
    await py.waitFor(/<netcat> hello from nc/);
    await sk.waitFor(/<netcat> hello from nc/);
    sk.write('hello from socketkit\n');
    await py.waitFor(/<sk> hello from socketkit/);
    await nc.waitFor(/<sk> hello from socketkit/);
    if (needs('ncat') === false) {
      const nc2 = client(procs, 'ncat', port, 'ncat');
      await setNick(nc2, 'ncat');
      nc2.write('hello from ncat\n');
      await py.waitFor(/<ncat> hello from ncat/);
      await nc2.waitFor(/<history> <py> hello from python/); // it joined later: history
    }
    ex.write('hello from the example client\n');
    await py.waitFor(/<ex> hello from the example client/);
    await ex.waitFor(/<sk> hello from socketkit/);
    if (kinds.length === 5) {
      const tn = kinds[4] as Proc;
      tn.write('hello from telnet\r\n');
      await py.waitFor(/<tel> hello from telnet/);
      await tn.waitFor(/<sk> hello from socketkit/);
    }
    // socketkit chat in plain mode: end of stdin says /quit and exits 0.
    sk.child.stdin?.end();
    const [code] = (await once(sk.child, 'exit')) as [number];
    assert.equal(code, 0);
    await nc.waitFor(/<announce> sk left #lobby/);
    ex.child.stdin?.end(); // the example client says /quit at the end of its input
    const [exCode] = (await once(ex.child, 'exit')) as [number];
    assert.equal(exCode, 0);
    await nc.waitFor(/<announce> ex left #lobby/);
  });

  it('two server processes on Redis form one chat', async (t) => {
    const skip = await redisSkipReason();
    if (skip !== null) return t.skip(skip);
    const prefix = uniquePrefix();
    const before = procs.length;
    t.after(async () => {
      // The servers publish leave events while stopping: stop them before deleting keys.
      await Promise.all(procs.slice(before).map((p) => p.kill()));
      await deletePrefix(SHARED_REDIS_URL, prefix);
    });
    const bus = ['--bus', SHARED_REDIS_URL, '--bus-prefix', prefix];
    const portA = await startServer(procs, 'serverA', bus);
    const portB = await startServer(procs, 'serverB', bus);
    const py = client(procs, 'python', portA, 'pya');
    await setNick(py, 'pya');
    const nc = client(procs, 'nc', portB, 'ncb');
    await setNick(nc, 'ncb');
    const sk = client(procs, 'socketkit', portB, 'skb');
    await setNick(sk, 'skb');
    py.write('across processes\n');
    await nc.waitFor(/<pya> across processes/);
    await sk.waitFor(/<pya> across processes/);
    nc.write('/nick pya\n');
    await nc.waitFor(/nickname "pya" is taken/);
    nc.write('/who\n');
    await nc.waitFor(/3 online: (?=.*ncb)(?=.*pya)(?=.*skb)/);
    sk.write('back at you\n');
    await py.waitFor(/<skb> back at you/);
    // Ordering and no loss per room, with clients spread over the two processes.
    assert.equal(await checkRoomOrdering([portA, portB], 60, 3, 10), 3 * 20 * 20 * 10);
  });
});
