/**
 * Every classic service × every real client .ci/run installs — OpenBSD `nc`, `ncat`,
 * `socat` and a Python 3 client written like the tutorials' — over TCP and UDP, each
 * answer checked byte for byte. The 48 runs go through a small pool (a loaded 2-core
 * machine is not asked to start them all at once), and each UDP run ends as soon as its
 * peer printed the reply (or, for discard, once the server received the datagram); a UDP
 * peer that got nothing — a lost datagram — is run again. The peers' own timeouts
 * (`-w5`, `-i5`, `-t5`, `settimeout(5)`) are only safety bounds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chargenService } from '../../../src/services/chargen/index.js';
import { DAYTIME_PATTERN, daytimeService } from '../../../src/services/daytime/index.js';
import { discardService } from '../../../src/services/discard/index.js';
import { echoService } from '../../../src/services/echo/index.js';
import { qotdService } from '../../../src/services/qotd/index.js';
import type { DatagramMessage } from '../../../src/server/index.js';
import type { ServiceDefinition } from '../../../src/services/service.js';
import { timeService } from '../../../src/services/time/index.js';
import { needs } from '../../helpers/needs.js';
import { mapLimit, runPeer, udpPeer } from '../../helpers/peer.js';
import { watchChannel } from '../../helpers/wait.js';
import { instanceOf, serve } from './helpers/service-harness.js';

const tools = ['nc', 'ncat', 'socat', 'python3'] as const;
/** How many peers run at once. */
const POOL = 6;

/** The tutorials' clients: connect, send what stdin has, read until the server closes. */
const PY_TCP = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
limit = int(sys.argv[2])
data = sys.stdin.buffer.read()
if data:
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
reply = b""
while len(reply) < limit:
    chunk = s.recv(1024)
    if not chunk:
        break
    reply += chunk
s.close()
sys.stdout.buffer.write(reply[:limit])
`;
const PY_UDP = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(sys.stdin.buffer.read(), ("127.0.0.1", int(sys.argv[1])))
try:
    data, addr = s.recvfrom(1024)
    sys.stdout.buffer.write(data)
except socket.timeout:
    pass
`;

/** One client command per tool: `P` is the port, LIMIT the bytes kept (chargen is endless). */
const TCP_CLIENTS: Record<string, (port: number, limit: number) => string> = {
  // -N: half-close at stdin's end, so the server sees EOF (echo, discard) and closes.
  nc: (p, n) => `nc -N 127.0.0.1 ${p} | head -c ${n}`,
  ncat: (p, n) => `ncat 127.0.0.1 ${p} | head -c ${n}`,
  // -t 5: after stdin ends, wait up to 5 s (not 0.5) for the rest of the reply; the server
  // closes first, which ends socat at once.
  socat: (p, n) => `socat -t 5 - TCP:127.0.0.1:${p} | head -c ${n}`,
  python3: (p, n) => `python3 -c '${PY_TCP}' ${p} ${n}`,
};

/** A UDP client: the command, and whether its stdin stays open (ncat -u quits at EOF). */
interface UdpClient {
  cmd: string;
  args: (port: number) => string[];
  keepStdinOpen?: boolean;
}
// UDP has no end: each peer would wait for more replies; the test stops it once it printed
// the reply. The timeouts only bound a peer whose datagram (or reply) was lost.
const UDP_CLIENTS: Record<string, UdpClient> = {
  nc: { cmd: 'nc', args: (p) => ['-u', '-w5', '127.0.0.1', String(p)] },
  ncat: {
    cmd: 'ncat',
    args: (p) => ['-u', '-i', '5', '127.0.0.1', String(p)],
    keepStdinOpen: true,
  },
  // After stdin's EOF socat waits -t seconds for replies (default 0.5).
  socat: { cmd: 'socat', args: (p) => ['-t', '5', '-', `UDP:127.0.0.1:${p}`] },
  python3: { cmd: 'python3', args: (p) => ['-c', PY_UDP, String(p)] },
};

function chargenText(lines: number, from = 0): string {
  let text = '';
  for (let n = from; n < from + lines; n++) {
    for (let k = 0; k < 72; k++) text += String.fromCharCode(0x20 + ((n + k) % 95));
    text += '\r\n';
  }
  return text;
}

/** When a client command ran (Unix ms): the server's answer was made in between. */
interface Window {
  from: number;
  to: number;
}

function assertNow1900(out: Buffer, what: string, when: Window): void {
  assert.equal(out.length, 4, what);
  // RFC 868 sends whole seconds since 1900: the answer lies within the client's run (not
  // "now", as UDP clients linger 3 s after the reply and a loaded machine adds more).
  const seconds = out.readUInt32BE(0) - 2_208_988_800;
  assert.ok(
    seconds >= Math.floor(when.from / 1000) && seconds <= Math.ceil(when.to / 1000),
    `${what} (ran ${when.from}–${when.to} ms)`,
  );
}

interface Case {
  service: ServiceDefinition;
  options?: Record<string, unknown>;
  input: string;
  /** Bytes of the TCP reply kept (chargen never ends). */
  limit?: number;
  tcp: (out: Buffer, what: string, when: Window) => void;
  udp: (out: Buffer, what: string, when: Window) => void;
  /** Whether a UDP reply always has bytes (discard sends none, chargen may send 0). */
  udpReplies?: false | 'maybe';
}

const CASES: Case[] = [
  {
    service: echoService,
    input: 'hello 你好\n',
    tcp: (out, what) => assert.equal(out.toString(), 'hello 你好\n', what),
    udp: (out, what) => assert.equal(out.toString(), 'hello 你好\n', what),
  },
  {
    service: discardService,
    input: 'into the void\n',
    tcp: (out, what) => assert.equal(out.length, 0, what),
    udp: (out, what) => assert.equal(out.length, 0, what),
    udpReplies: false,
  },
  {
    service: chargenService,
    input: '',
    limit: 3 * 74,
    tcp: (out, what) => assert.equal(out.toString('latin1'), chargenText(3), what),
    udp: (out, what) => {
      // Each datagram starts a line further on; a whole number of lines, at most 512 bytes.
      const first = out[0] === undefined ? 0 : out[0] - 0x20;
      // RFC 864 allows 0 to 512 characters, so an empty reply (1 run in 513) is valid too.
      assert.ok(out.length <= 512, what);
      assert.equal(out.toString('latin1'), chargenText(8, first).slice(0, out.length), what);
    },
    udpReplies: 'maybe',
  },
  {
    service: qotdService,
    options: { message: 'welcome to server!' },
    input: '',
    tcp: (out, what) => assert.equal(out.toString(), 'welcome to server!\r\n', what),
    udp: (out, what) => assert.equal(out.toString(), 'welcome to server!\r\n', what),
  },
  {
    service: daytimeService,
    input: '',
    tcp: (out, what) => assert.match(out.toString(), DAYTIME_PATTERN, what),
    udp: (out, what) => assert.match(out.toString(), DAYTIME_PATTERN, what),
  },
  { service: timeService, input: '', tcp: assertNow1900, udp: assertNow1900 },
];

test(
  'every classic service with nc, ncat, socat and a tutorial-style Python client',
  {
    skip: needs(...tools),
  },
  async (t) => {
    const received = watchChannel<DatagramMessage>(t, 'socketkit:server:datagram');
    const receivedOn = (port: number, signal: AbortSignal): Promise<unknown> =>
      received.waitFor(
        (all) => all.some((m) => (m.server.address as { port?: number }).port === port),
        { what: `a datagram on port ${port}`, signal },
      );
    const runs: Array<() => Promise<void>> = [];
    for (const c of CASES) {
      const instance = await instanceOf(t, c.service, c.options);
      const tcp = await serve(t, instance, 'tcp');
      assert.ok('port' in tcp);
      // UDP needs a datagram to answer: send the input, or one newline (as `echo |` does).
      const udpInput = c.input === '' ? '\n' : c.input;
      for (const tool of tools) {
        const tcpLine = TCP_CLIENTS[tool]?.(tcp.port, c.limit ?? 4096) ?? '';
        runs.push(async () => {
          const r = await runPeer('sh', ['-c', tcpLine], { input: c.input });
          const what = `${c.service.name}/tcp ${tool}: ${tcpLine.slice(0, 60)} → ${JSON.stringify(r.stdout.toString('latin1'))} ${r.stderr}`;
          assert.equal(r.code, 0, what);
          c.tcp(r.stdout, what, r);
        });
        // One UDP server per client, so "the server received this peer's datagram" is an
        // event of that server alone.
        const udp = await serve(t, instance, 'udp');
        assert.ok('port' in udp);
        const client = UDP_CLIENTS[tool] as UdpClient;
        const args = client.args(udp.port);
        runs.push(async () => {
          const r = await udpPeer(client.cmd, args, {
            input: udpInput,
            keepStdinOpen: client.keepStdinOpen,
            // Discard never answers: its exchange is done once the server has the datagram.
            stopEach: c.udpReplies === false ? (signal) => receivedOn(udp.port, signal) : undefined,
            answered: (res) =>
              c.udpReplies === undefined
                ? res.stdout.length > 0
                : // no reply to wait for: answered when the server got the datagram
                  received.messages.some(
                    (m) => (m.server.address as { port?: number }).port === udp.port,
                  ) &&
                  (c.udpReplies === false || res.stdout.length > 0 || !res.stopped),
          });
          const what = `${c.service.name}/udp ${tool}: ${client.cmd} ${args.join(' ').slice(0, 50)} (try ${r.tries}) → ${JSON.stringify(r.stdout.toString('latin1'))} ${r.stderr}`;
          c.udp(r.stdout, what, r);
        });
      }
    }
    await mapLimit(runs, POOL, (run) => run());
  },
);
