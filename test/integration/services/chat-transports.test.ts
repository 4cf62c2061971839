// The chat over TLS and a Unix socket, with plain TCP clients in the same chat: the
// service's handler does not care how a client arrived.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import tls from 'node:tls';
import { TcpServer } from '../../../src/server/tcp-server.js';
import { UnixStreamServer } from '../../../src/server/unix-stream-server.js';
import { createChat } from '../../../src/services/chat/index.js';
import { selfSignedPem } from '../../helpers/tls-cert.js';
import { until } from '../../helpers/wait.js';
import { TestClient } from './chat-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'sk-chat-'));

/** Collects what a stream socket receives; `until` waits for a pattern (without consuming). */
function collector(sock: net.Socket): { until(pattern: RegExp): Promise<string> } {
  let text = '';
  sock.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  return {
    async until(pattern) {
      await until(() => pattern.test(text), sock, 'data', { what: `${pattern} in ${text}` });
      return text;
    },
  };
}

describe('chat over TLS and Unix sockets', () => {
  const pem = selfSignedPem(dir);
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it('TCP, TLS and Unix clients share one chat', async () => {
    const { hub, stream } = await createChat({});
    cleanups.push(() => hub.close());
    const tcp = new TcpServer({ host: '127.0.0.1', port: 0, handler: stream });
    await tcp.listen();
    void tcp.serveForever();
    cleanups.push(() => tcp.shutdown({ drainTimeout: 1 }));
    const path = join(dir, 'chat.sock');
    const unix = new UnixStreamServer({ path, handler: stream });
    await unix.listen();
    void unix.serveForever();
    cleanups.push(() => unix.shutdown({ drainTimeout: 1 }));
    const address = tcp.address;
    const tcpClient = await TestClient.join('port' in address ? address.port : 0, 'tcp');
    cleanups.push(() => tcpClient.close());

    const u = net.connect(path);
    const uText = collector(u);
    await once(u, 'connect');
    cleanups.push(async () => void u.destroy());
    await uText.until(/you are in #lobby/);
    u.write('/nick unix\nfrom unix\n');
    await tcpClient.waitFor(/^<unix> from unix$/);

    if (pem !== null) {
      const secure = new TcpServer({ host: '127.0.0.1', port: 0, handler: stream, tls: pem });
      await secure.listen();
      void secure.serveForever();
      cleanups.push(() => secure.shutdown({ drainTimeout: 1 }));
      const sa = secure.address;
      const t = tls.connect({
        host: '127.0.0.1',
        port: 'port' in sa ? sa.port : 0,
        ca: pem.cert,
        servername: 'localhost',
      });
      const tText = collector(t);
      await once(t, 'secureConnect');
      cleanups.push(async () => void t.destroy());
      await tText.until(/you are in #lobby/);
      t.write('/nick secure\nover tls\n');
      await tcpClient.waitFor(/^<secure> over tls$/);
      tcpClient.send('hello both');
      assert.match(await tText.until(/<tcp> hello both/), /<tcp> hello both/);
    } else {
      console.warn(
        '!!! openssl not installed: the TLS part of the chat transport test is SKIPPED !!!',
      );
    }
    assert.match(await uText.until(/<tcp> hello both/), /<tcp> hello both/);
  });
});
