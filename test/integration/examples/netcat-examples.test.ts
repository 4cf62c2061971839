// The netcat-flavoured seed examples, run as a user would (`node --import tsx examples/…`)
// and talking to `socketkit connect`/`listen`: S1 (HTTP GET by hand), S4 (the phone-call
// server and client, turn by turn, the server taking the next caller), S6 (UDP
// interactive server and client). Loopback only; every child is killed after its test.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { httpGetByHand } from '../../../examples/s01-http-get.js';
import { runCli } from '../../helpers/cli.js';
import { exitOf, freePort, run, startCli, within } from '../../helpers/netcat.js';

const example = (
  t: import('node:test').TestContext,
  file: string,
  args: string[],
  input: string /* or 'open' */,
) => run(t, process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], input);

async function httpServer(t: import('node:test').TestContext): Promise<number> {
  const body = 'x'.repeat(10_000); // longer than the seed's recv(4096): must arrive whole
  const server = http.createServer((req, res) => res.end(`${req.method} ${req.url} ${body}\n`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

test('S1: HTTP GET by hand, in-process, as a program and with connect --send', async (t) => {
  const port = await httpServer(t);
  const reply = (await httpGetByHand('127.0.0.1', port, '/seed')).toString();
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(reply, /\r\n\r\nGET \/seed x{10000}\n$/);

  const program = example(t, 's01-http-get.ts', ['127.0.0.1', String(port), '/prog'], 'open');
  program.child.stdin?.end();
  assert.equal(await exitOf(program), 0, program.stderr.text);
  assert.match(program.stdout.text, /GET \/prog x{10000}\n$/);

  const cli = await runCli([
    'connect',
    '127.0.0.1',
    String(port),
    '--send',
    'GET /cli HTTP/1.0\\r\\n\\r\\n',
  ]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /^HTTP\/1\.1 200 OK\r\n[\s\S]*GET \/cli x{10000}\n$/);

  const refused = example(t, 's01-http-get.ts', ['127.0.0.1', String(await freePort())], 'open');
  assert.equal(await exitOf(refused), 1);
  assert.match(refused.stderr.text, /s01-http-get: connection refused by 127\.0\.0\.1:\d+/);
});

test('S4: phone calls in turns; the server takes the next caller (here socketkit connect)', async (t) => {
  const server = example(t, 's04-phone-call-server.ts', ['--port', '0'], 'open');
  const port = (await server.stdout.waitFor(/waiting for calls on 127\.0\.0\.1:(\d+)\n/))[1]!;
  server.child.stdin?.write('hi caller\nsee you\n'); // the server's keyboard, one line per turn

  const client = example(t, 's04-phone-call-client.ts', ['--port', port], 'hello\n\nbye\nq\n');
  assert.equal(await exitOf(client), 0, client.stderr.text);
  assert.equal(client.stdout.text, 'from far away>>> hi caller\nfrom far away>>> see you\n');
  await server.stdout.waitFor(/the caller hung up\n/);

  server.child.stdin?.write('welcome back\n');
  const second = await runCli(['connect', '127.0.0.1', port], { stdin: 'second caller\n' });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, 'welcome back\n');
  await server.stdout.waitFor(/from>>> second caller\n[\s\S]*the caller hung up\n/);
  assert.match(
    server.stdout.text,
    /call from 127\.0\.0\.1:\d+\nfrom>>> hello\nfrom>>> bye\nthe caller hung up\n/,
  );

  server.child.kill('SIGINT');
  assert.equal(await exitOf(server), 0);
});

test('S4: the phone-call client talks to socketkit listen', async (t) => {
  const stdin = new PassThrough();
  const listener = startCli(t, ['listen', '-v', '127.0.0.1', '0'], stdin);
  const port = (await listener.stderr.waitFor(/Listening on 127\.0\.0\.1:(\d+)/))[1]!;
  const client = example(t, 's04-phone-call-client.ts', ['--port', port], 'open');
  client.child.stdin?.write('are you there?\n');
  await listener.stdout.waitFor(/are you there\?\n/);
  stdin.end('yes, socketkit here\n');
  await client.stdout.waitFor(/from far away>>> yes, socketkit here\n/);
  client.child.stdin?.end();
  assert.equal(await exitOf(client), 0);
  assert.equal(await within(listener.done, 'listen exits'), 0);
});

test('S6: UDP server and client in turns, an empty line is a datagram; connect -u and listen -u too', async (t) => {
  const server = example(t, 's06-udp-server.ts', ['--port', '0'], 'open');
  const port = (await server.stdout.waitFor(/listening on udp 127\.0\.0\.1:(\d+)\n/))[1]!;
  server.child.stdin?.write('pong 1\npong to nothing\npong 3\n');

  const client = example(t, 's06-udp-client.ts', ['--port', port], 'ping 1\n\n');
  assert.equal(await exitOf(client), 0, client.stderr.text);
  assert.equal(client.stdout.text, 'pong 1\npong to nothing\n');
  await server.stdout.waitFor(/from 127\.0\.0\.1:\d+: ping 1\nfrom 127\.0\.0\.1:\d+: \n/);

  const cli = await runCli(['connect', '-u', '127.0.0.1', port], { stdin: 'ping 3\n' });
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout, 'pong 3');
  await server.stdout.waitFor(/: ping 3\n/);
  server.child.kill('SIGINT');
  assert.equal(await exitOf(server), 0);

  const stdin = new PassThrough();
  const listener = startCli(t, ['listen', '-u', '-v', '127.0.0.1', '0'], stdin);
  const lport = (await listener.stderr.waitFor(/Listening on 127\.0\.0\.1:(\d+)/))[1]!;
  const c2 = example(t, 's06-udp-client.ts', ['--port', lport, '--timeout', '10'], 'open');
  c2.child.stdin?.write('hello listener\n');
  await listener.stdout.waitFor(/hello listener/);
  stdin.write('hello client\n');
  await c2.stdout.waitFor(/hello client\n/);
  c2.child.stdin?.end();
  assert.equal(await exitOf(c2), 0);
  listener.abort();
});
