/**
 * Real clients against the services: OpenBSD netcat, socat and a Python 3 client
 * written the way the tutorials write theirs. Skipped loudly when a tool is missing (a
 * failure under CI=true; .ci/run installs them all). A UDP peer is stopped as soon as it
 * printed the reply, and run again if its datagram was lost (see test/helpers/peer.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { DAYTIME_PATTERN, daytimeService } from '../../../src/services/daytime/index.js';
import { echoService } from '../../../src/services/echo/index.js';
import { needs } from '../../helpers/needs.js';
import { udpPeer } from '../../helpers/peer.js';
import { instanceOf, serve } from './helpers/service-harness.js';

/** A UDP exchange with a peer: its output once it printed the reply (retried if lost). */
const udp = async (cmd: string, args: string[], input: string): Promise<string> =>
  (await udpPeer(cmd, args, { input })).stdout.toString();

function sh(
  command: string,
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('sh', ['-c', command], { timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

const PY_ECHO_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
for msg in ["hello", "你好", "bye"]:
    s.sendall(msg.encode("utf-8"))
    data = b""
    while len(data) < len(msg.encode("utf-8")):
        chunk = s.recv(1024)
        if not chunk:
            break
        data += chunk
    print(data.decode("utf-8"))
s.close()
`;

const PY_UDP_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(sys.argv[2].encode("utf-8"), ("127.0.0.1", int(sys.argv[1])))
try:
    data, addr = s.recvfrom(1024)
    print(data.decode("utf-8"), end="", flush=True)
except socket.timeout:
    pass
`;

const PY_DAYTIME_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
msg = s.recv(1024)
s.close()
print(msg.decode("utf-8"), end="")
`;

test(
  'echo with nc, socat and a Python client (TCP and UDP)',
  {
    skip: needs('nc', 'socat', 'python3'),
  },
  async (t) => {
    const instance = await instanceOf(t, echoService);
    const tcp = await serve(t, instance, 'tcp');
    const udpAt = await serve(t, instance, 'udp');
    assert.ok('port' in tcp && 'port' in udpAt);
    const { port } = udpAt;
    // nc -N: shut down the sending side at stdin EOF, so the server closes and nc exits.
    const nc = await sh(`nc -N 127.0.0.1 ${tcp.port}`, 'hello nc\n');
    assert.equal(nc.stdout, 'hello nc\n');
    const ncu = await udp('nc', ['-u', '-w5', '127.0.0.1', String(port)], 'hello udp\n');
    assert.equal(ncu, 'hello udp\n');
    // -t 5: after stdin's EOF, wait up to 5 s (not 0.5) for the echo and the server's close.
    const socat = await sh(`socat -t 5 - TCP:127.0.0.1:${tcp.port}`, 'hello socat\n');
    assert.equal(socat.stdout, 'hello socat\n');
    // -t, not -T: stdin's EOF comes first, then socat waits up to -t s for the reply (only a
    // safety bound: the peer is stopped once it printed the reply).
    const socatu = await udp(
      'socat',
      ['-t', '5', '-', `UDP:127.0.0.1:${port}`],
      'hello socat udp\n',
    );
    assert.equal(socatu, 'hello socat udp\n');
    const py = await sh(`python3 -c '${PY_ECHO_CLIENT}' ${tcp.port}`);
    assert.equal(py.stdout, 'hello\n你好\nbye\n', py.stderr);
    const pyu = await udp('python3', ['-c', PY_UDP_CLIENT, String(port), 'hi udp'], '');
    assert.equal(pyu, 'hi udp');
  },
);

test(
  'daytime with nc, socat and a Python client (TCP and UDP)',
  {
    skip: needs('nc', 'socat', 'python3'),
  },
  async (t) => {
    const instance = await instanceOf(t, daytimeService);
    const tcp = await serve(t, instance, 'tcp');
    const udpAt = await serve(t, instance, 'udp');
    assert.ok('port' in tcp && 'port' in udpAt);
    const { port } = udpAt;
    assert.match((await sh(`nc 127.0.0.1 ${tcp.port} </dev/null`)).stdout, DAYTIME_PATTERN);
    assert.match(await udp('nc', ['-u', '-w5', '127.0.0.1', String(port)], '\n'), DAYTIME_PATTERN);
    assert.match((await sh(`socat -u TCP:127.0.0.1:${tcp.port} -`)).stdout, DAYTIME_PATTERN);
    assert.match(
      await udp('socat', ['-t', '5', '-', `UDP:127.0.0.1:${port}`], '\n'),
      DAYTIME_PATTERN,
    );
    assert.match(
      (await sh(`python3 -c '${PY_DAYTIME_CLIENT}' ${tcp.port}`)).stdout,
      DAYTIME_PATTERN,
    );
    assert.match(
      await udp('python3', ['-c', PY_UDP_CLIENT, String(port), ''], ''),
      DAYTIME_PATTERN,
    );
  },
);
