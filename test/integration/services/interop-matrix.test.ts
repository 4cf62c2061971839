/**
 * Every classic service × every real client .ci/run installs — OpenBSD `nc`, `ncat`,
 * `socat` and a Python 3 client written like the tutorials' — over TCP and UDP, each
 * answer checked byte for byte. All commands run at once, so the table stays fast.
 * Skipped (with a note) when a tool is missing.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { chargenService } from '../../../src/services/chargen/index.js';
import { DAYTIME_PATTERN, daytimeService } from '../../../src/services/daytime/index.js';
import { discardService } from '../../../src/services/discard/index.js';
import { echoService } from '../../../src/services/echo/index.js';
import { qotdService } from '../../../src/services/qotd/index.js';
import type { ServiceDefinition } from '../../../src/services/service.js';
import { timeService } from '../../../src/services/time/index.js';
import { instanceOf, serve } from './helpers/service-harness.js';

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const tools = ['nc', 'ncat', 'socat', 'python3'];
const missing = tools.filter((tool) => !has(tool));

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
s.settimeout(3)
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
  // -t 5: after stdin ends, wait up to 5 s (not 0.5) for the rest of the reply.
  socat: (p, n) => `socat -t 5 - TCP:127.0.0.1:${p} | head -c ${n}`,
  python3: (p, n) => `python3 -c '${PY_TCP}' ${p} ${n}`,
};
// UDP has no end: each client waits 3 s for replies (all run at once, so the test takes
// ~3 s; a shorter wait flakes while 48 clients start on a loaded machine).
const UDP_CLIENTS: Record<string, (port: number) => string> = {
  nc: (p) => `nc -u -w3 127.0.0.1 ${p}`,
  // ncat -u exits at stdin's end, before a reply could come: keep stdin open a while.
  ncat: (p) => `{ cat; sleep 3; } | ncat -u 127.0.0.1 ${p}`,
  // socat's -T (inactivity timeout) never comes into play here: stdin ends as soon as the
  // datagram is sent, and from then on -t rules (man socat: "When one channel has reached
  // EOF ... socat waits <timeout> seconds before terminating. Default is 0.5 seconds"),
  // restarted by each reply. 0.5 s flakes on a loaded machine: wait 3 s like the others.
  socat: (p) => `socat -t 3 - UDP:127.0.0.1:${p}`,
  python3: (p) => `python3 -c '${PY_UDP}' ${p}`,
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

function sh(
  command: string,
  input: string,
): Promise<{ code: number; stdout: Buffer; when: Window }> {
  const from = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      'sh',
      ['-c', command],
      { timeout: 10_000, encoding: 'buffer' },
      (err, stdout) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, when: { from, to: Date.now() } }),
    );
    child.stdin?.end(input);
  });
}

test(
  'every classic service with nc, ncat, socat and a tutorial-style Python client',
  {
    skip: missing.length > 0 ? `not installed: ${missing.join(', ')}` : false,
  },
  async (t) => {
    const runs: Promise<void>[] = [];
    for (const c of CASES) {
      const instance = await instanceOf(t, c.service, c.options);
      const tcp = await serve(t, instance, 'tcp');
      const udp = await serve(t, instance, 'udp');
      assert.ok('port' in tcp && 'port' in udp);
      // UDP needs a datagram to answer: send the input, or one newline (as `echo |` does).
      const udpInput = c.input === '' ? '\n' : c.input;
      for (const tool of tools) {
        const tcpLine = TCP_CLIENTS[tool]?.(tcp.port, c.limit ?? 4096) ?? '';
        const udpLine = UDP_CLIENTS[tool]?.(udp.port) ?? '';
        runs.push(
          sh(tcpLine, c.input).then(({ code, stdout, when }) => {
            const what = `${c.service.name}/tcp ${tool}: ${tcpLine.slice(0, 60)} → ${JSON.stringify(stdout.toString('latin1'))}`;
            assert.equal(code, 0, what);
            c.tcp(stdout, what, when);
          }),
          sh(udpLine, udpInput).then(({ stdout, when }) => {
            // Exit codes of UDP clients differ (socat/nc time out): the answer is what counts.
            c.udp(
              stdout,
              `${c.service.name}/udp ${tool}: ${udpLine.slice(0, 60)} → ${JSON.stringify(stdout.toString('latin1'))}`,
              when,
            );
          }),
        );
      }
    }
    await Promise.all(runs);
  },
);
