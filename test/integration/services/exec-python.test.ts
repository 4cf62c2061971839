// Seeds S5/S8: the tutorials' own Python clients (raw command text, no auth, recv(1024))
// against the safe exec service: each gets one clear refusal line, never a hang or a shell.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { serveExec } from './exec-harness.js';
import { needs } from '../../helpers/needs.js';

/** Seed 001's TCP client, verbatim but for the port (and print flushed for the pipe). */
const TCP_CLIENT = `
from socket import *
ip_port = ("127.0.0.1", PORT)
buffer_size = 1024
tcp_client = socket(AF_INET, SOCK_STREAM)
tcp_client.connect(ip_port)
while True:
    msg = input(">>>")
    if not msg: continue
    if msg == "q": break
    tcp_client.send(msg.encode("utf-8"))
    cmd_res = tcp_client.recv(buffer_size)
    print("命令行的结果是", cmd_res.decode("gbk"), flush=True)
tcp_client.close()
`;

/** A UDP client in the same style (the seed's S8 server answers one datagram per command). */
const UDP_CLIENT = `
from socket import *
ip_port = ("127.0.0.1", PORT)
udp_client = socket(AF_INET, SOCK_DGRAM)
udp_client.settimeout(10)
while True:
    msg = input(">>>")
    if not msg: continue
    if msg == "q": break
    udp_client.sendto(msg.encode("utf-8"), ip_port)
    cmd_res, addr = udp_client.recvfrom(1024)
    print("命令行的结果是", cmd_res.decode("gbk"), flush=True)
`;

function runPython(
  code: string,
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('python3', ['-c', code], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

for (const kind of ['tcp', 'udp'] as const) {
  test(`exec/${kind}: the tutorial's python client is refused in one line, promptly`, async (t) => {
    const why = needs('python3');
    if (why) return t.skip(why);
    const port = await serveExec(t, kind);
    const code = (kind === 'tcp' ? TCP_CLIENT : UDP_CLIENT).replace('PORT', String(port));
    const r = await runPython(code, 'echo pwned\nq\n');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .split('>>>')
      .map((s) => s.trim())
      .filter(Boolean);
    assert.equal(lines.length, 1, r.stdout);
    assert.match(
      lines[0] ?? '',
      /^命令行的结果是 socketkit exec: refused: not an authenticated exec request/,
    );
    assert.doesNotMatch(r.stdout, /pwned/);
  });
}
