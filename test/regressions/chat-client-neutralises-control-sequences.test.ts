/**
 * Issue 10, defect 14 (client side): `socketkit chat` printed whatever the server sent,
 * so a hostile or compromised server (or anything it relays) could clear the screen,
 * retitle the window, hide text or reorder it with bidi controls. Now every control
 * character, escape sequence and bidi control is shown escaped, from any server.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const HOSTILE = [
  'clear \u001b[2J\u001b[H screen',
  'title \u001b]0;pwned\u0007 set',
  'csi \u009b31m c1',
  'bidi \u202egnp.exe\u202c \u2066x\u2069 \u200f',
  'bell \u0007 bs \b del \u007f nul \u0000',
  'split \u2028 line',
  'carriage \r return',
];

describe('socketkit chat: control sequences from the server', () => {
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    // One hostile line per write, then wait for the client's /quit and close.
    sock.write(HOSTILE.map((l) => `${l}\r\n`).join(''));
    sock.on('data', () => sock.end());
  });
  after(() => server.close());

  it('are shown escaped, never acted on', async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const { code, stdout } = await runCli(['chat', '127.0.0.1', String(port), '--plain']);
    assert.equal(code, 0);
    assert.ok(
      !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u2028\u2029]/u.test(
        stdout,
      ),
      `raw control in ${JSON.stringify(stdout)}`,
    );
    assert.match(stdout, /^clear \\x1b\[2J\\x1b\[H screen$/m);
    assert.match(stdout, /^title \\x1b\]0;pwned\\x07 set$/m);
    assert.match(stdout, /^csi \\x9b31m c1$/m);
    assert.match(
      stdout,
      /^bidi \\u\{202e\}gnp\.exe\\u\{202c\} \\u\{2066\}x\\u\{2069\} \\u\{200f\}$/m,
    );
    assert.match(stdout, /^split \\u\{2028\} line$/m);
    assert.match(stdout, /^carriage \\x0d return$/m);
  });
});
