import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { colorize } from '../../../src/cli/commands/chat.js';
import { main } from '../../../src/cli/main.js';
import { runCli } from '../../helpers/cli.js';
import { until } from '../../helpers/wait.js';
import { type ChatServerHandle, startChat, TestClient } from '../services/chat-harness.js';

const ESC = '\u001b';

/** Runs `socketkit chat` in-process with live streams (runCli only returns at the end). */
function startClient(argv: string[], tty: boolean, env: Record<string, string> = {}) {
  const stdin = Object.assign(new PassThrough(), tty ? { isTTY: true, setRawMode: () => {} } : {});
  const stdout = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 80 } : {});
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  stderr.resume();
  const code = main(argv, { stdin, stdout, stderr, env, signal: new AbortController().signal });
  return {
    stdin,
    code,
    output: () => out,
    async waitFor(pattern: RegExp): Promise<void> {
      await until(() => pattern.test(out), stdout, 'data', {
        what: `${pattern} in ${JSON.stringify(out)}`,
      });
    },
  };
}

describe('socketkit chat', () => {
  let server: ChatServerHandle;
  before(async () => {
    server = await startChat();
  });
  after(async () => {
    await server.close();
  });

  it('plain mode: stdin lines out, lines in to stdout, /quit at end of input', async (t) => {
    const watcher = await TestClient.join(server.port, 'watcher');
    t.after(() => watcher.close());
    const { code, stdout } = await runCli(
      ['chat', '127.0.0.1', String(server.port), '--nick', 'bot'],
      {
        stdin: 'hello from a pipe\n/who\n',
      },
    );
    assert.equal(code, 0);
    await watcher.waitFor(/^<bot> hello from a pipe$/);
    assert.match(stdout, /^<server> \d+ online: .*bot \(#lobby\)/m);
    assert.match(stdout, /^<server> bye$/m);
    assert.ok(!stdout.includes('\u001b['), 'no colours in a pipe');
    await watcher.waitFor(/^<announce> bot left #lobby$/);
  });

  it('terminal mode: an incoming line does not garble what is being typed', async (t) => {
    const peer = await TestClient.join(server.port, 'peer');
    t.after(() => peer.close());
    const c = startClient(['chat', '127.0.0.1', String(server.port), '--nick', 'tty'], true);
    await c.waitFor(/is now known as tty/);
    c.stdin.write('hel'); // typed, not yet sent
    await c.waitFor(/hel$/);
    peer.send('interrupting');
    await c.waitFor(/interrupting/);
    // The line was printed on a cleared line, then the prompt came back with "hel".
    const out = c.output();
    const at = out.lastIndexOf('\r\u001b[2K');
    assert.ok(at !== -1 && out.slice(at).includes('<peer>'), JSON.stringify(out.slice(-200)));
    const visible = out.slice(at).replace(new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, 'g'), '');
    assert.match(visible, /\r<peer> interrupting\n> hel$/);
    c.stdin.write('lo\r');
    await peer.waitFor(/^<tty> hello$/);
    c.stdin.write('/quit\r');
    assert.equal(await c.code, 0);
  });

  it('colours by marker, and NO_COLOR turns them off', async (t) => {
    assert.equal(colorize('plain text'), 'plain text');
    assert.ok(colorize('<server> error: nope').startsWith(`${ESC}[31m`));
    assert.match(colorize('<alice> hi'), new RegExp(`^${ESC}\\[\\d+m<alice>${ESC}\\[0m hi$`));
    assert.match(colorize('<history> <alice> old'), /<alice>/);
    const peer = await TestClient.join(server.port, 'peer2');
    t.after(() => peer.close());
    const c = startClient(['chat', '127.0.0.1', String(server.port), '--nick', 'nocolor'], true, {
      NO_COLOR: '1',
    });
    await c.waitFor(/is now known as nocolor/);
    peer.send('plain please');
    await c.waitFor(/<peer2> plain please/);
    assert.ok(!new RegExp(`${ESC}\\[\\d+m`).test(c.output()), 'no SGR colour codes');
    c.stdin.write('/quit\r');
    assert.equal(await c.code, 0);
  });

  it('fails with exit 1 when nothing listens, 2 on a bad port', async () => {
    const closed = await startChat();
    const port = closed.port;
    await closed.close();
    const refused = await runCli(['chat', '127.0.0.1', String(port)]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused/i);
    const bad = await runCli(['chat', '127.0.0.1', '99999']);
    assert.equal(bad.code, 2);
  });
});
