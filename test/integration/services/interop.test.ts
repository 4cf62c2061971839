/**
 * Real clients against the services: OpenBSD netcat, socat and a Python 3 client
 * written the way the tutorials write theirs. Skipped (with a note) when a tool is
 * missing; .ci/run installs them all.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { DAYTIME_PATTERN, daytimeService } from '../../../src/services/daytime/index.js';
import { echoService } from '../../../src/services/echo/index.js';
import { instanceOf, serve } from './helpers/service-harness.js';

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

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
s.settimeout(3)
s.sendto(sys.argv[2].encode("utf-8"), ("127.0.0.1", int(sys.argv[1])))
data, addr = s.recvfrom(1024)
print(data.decode("utf-8"), end="")
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
    skip: !has('nc') || !has('socat') || !has('python3'),
  },
  async (t) => {
    const instance = await instanceOf(t, echoService);
    const tcp = await serve(t, instance, 'tcp');
    const udp = await serve(t, instance, 'udp');
    assert.ok('port' in tcp && 'port' in udp);
    // nc -N: shut down the sending side at stdin EOF, so the server closes and nc exits.
    const nc = await sh(`nc -N 127.0.0.1 ${tcp.port}`, 'hello nc\n');
    assert.equal(nc.stdout, 'hello nc\n');
    const ncu = await sh(`nc -u -w1 127.0.0.1 ${udp.port}`, 'hello udp\n');
    assert.equal(ncu.stdout, 'hello udp\n');
    // -t 5: after stdin's EOF, wait up to 5 s (not 0.5) for the echo and the server's close.
    const socat = await sh(`socat -t 5 - TCP:127.0.0.1:${tcp.port}`, 'hello socat\n');
    assert.equal(socat.stdout, 'hello socat\n');
    // -t, not -T: stdin's EOF comes first, then socat waits -t s (default 0.5, too short on a
    // loaded machine) for the reply; see interop-matrix.test.ts.
    const socatu = await sh(`socat -t 3 - UDP:127.0.0.1:${udp.port}`, 'hello socat udp\n');
    assert.equal(socatu.stdout, 'hello socat udp\n');
    const py = await sh(`python3 -c '${PY_ECHO_CLIENT}' ${tcp.port}`);
    assert.equal(py.stdout, 'hello\n你好\nbye\n', py.stderr);
    const pyu = await sh(`python3 -c '${PY_UDP_CLIENT}' ${udp.port} 'hi udp'`);
    assert.equal(pyu.stdout, 'hi udp', pyu.stderr);
  },
);

test(
  'daytime with nc, socat and a Python client (TCP and UDP)',
  {
    skip: !has('nc') || !has('socat') || !has('python3'),
  },
  async (t) => {
    const instance = await instanceOf(t, daytimeService);
    const tcp = await serve(t, instance, 'tcp');
    const udp = await serve(t, instance, 'udp');
    assert.ok('port' in tcp && 'port' in udp);
    assert.match((await sh(`nc 127.0.0.1 ${tcp.port} </dev/null`)).stdout, DAYTIME_PATTERN);
    assert.match((await sh(`echo | nc -u -w1 127.0.0.1 ${udp.port}`)).stdout, DAYTIME_PATTERN);
    assert.match((await sh(`socat -u TCP:127.0.0.1:${tcp.port} -`)).stdout, DAYTIME_PATTERN);
    assert.match(
      (await sh(`echo | socat -t 3 - UDP:127.0.0.1:${udp.port}`)).stdout,
      DAYTIME_PATTERN,
    );
    assert.match(
      (await sh(`python3 -c '${PY_DAYTIME_CLIENT}' ${tcp.port}`)).stdout,
      DAYTIME_PATTERN,
    );
    assert.match(
      (await sh(`python3 -c '${PY_UDP_CLIENT}' ${udp.port} ''`)).stdout,
      DAYTIME_PATTERN,
    );
  },
);
