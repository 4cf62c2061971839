/**
 * Regression (issue 10, defect 19): a port scanner's probes (an HTTP request, a TLS
 * ClientHello, SIP, RPC) joined the chat and became its history, and any web page
 * could make a browser POST lines into it. Line-based services now close a connection
 * that opens with another protocol's request line or a TLS ClientHello without acting
 * on it (one detector: src/framing/foreign-protocol.ts), and a chat client is only
 * announced to its room after its first valid line.
 */
import assert from 'node:assert/strict';
import { after, describe, it, test } from 'node:test';
import { detectForeignProtocol } from '../../src/framing/foreign-protocol.js';
import { strftimeService } from '../../src/services/strftime/index.js';
import {
  startChat,
  TestClient,
  type ChatServerHandle,
} from '../integration/services/chat-harness.js';
import {
  dial,
  instanceOf,
  serve,
  type Where,
} from '../integration/services/helpers/service-harness.js';

/** A TLS 1.2 ClientHello's first bytes (record header, handshake header). */
const TLS_HELLO = Buffer.from('16030100a5010000a10303', 'hex');
const PROBES: [string, Buffer][] = [
  ['http GET', Buffer.from('GET / HTTP/1.0\r\n\r\n')],
  [
    'browser POST',
    Buffer.from(
      'POST / HTTP/1.1\r\nHost: 127.0.0.1:7777\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n\r\nhello\n/nick pwned\n',
    ),
  ],
  ['tls hello', TLS_HELLO],
  ['sip', Buffer.from('OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/TCP nm;branch=foo\r\n\r\n')],
  ['rtsp', Buffer.from('OPTIONS / RTSP/1.0\r\n\r\n')],
  // nmap's RPCCheck probe: binary, not text.
  [
    'rpc',
    Buffer.from(
      '80000028729fc5a90000000000000002000186a0000170490000000000000000000000000000000000000000',
      'hex',
    ),
  ],
];

/** Sends `payload` and collects what comes back until the server closes (or 5 s). */
async function probe(where: Where, payload: Buffer): Promise<{ reply: string; closed: boolean }> {
  const sock = await dial(where);
  let reply = '';
  sock.setEncoding('utf8');
  sock.on('data', (s: string) => {
    reply += s;
  });
  sock.on('error', () => {});
  sock.write(payload);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    sock.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  sock.destroy();
  return { reply, closed };
}

test('the detector', () => {
  assert.equal(detectForeignProtocol(Buffer.from('GET /x HTTP/1.1\r\n')), 'http');
  assert.equal(detectForeignProtocol(Buffer.from('CONNECT a:443 HTTP/1.1\n')), 'http');
  assert.equal(detectForeignProtocol(Buffer.from('PRI * HTTP/2.0\r\n')), 'http');
  assert.equal(detectForeignProtocol(TLS_HELLO), 'tls');
  assert.equal(detectForeignProtocol(Buffer.from('OPTIONS sip:x SIP/2.0\r\n')), 'request-line');
  assert.equal(detectForeignProtocol(Buffer.from('GET /x')), undefined, 'undecided');
  assert.equal(detectForeignProtocol(Buffer.from([0x16])), undefined, 'undecided');
  assert.equal(detectForeignProtocol(Buffer.from('hello everyone\n')), null);
  assert.equal(detectForeignProtocol(Buffer.from('GET the milk HTTPS\n')), null);
  assert.equal(detectForeignProtocol(Buffer.from('%H:%M\n')), null);
  assert.equal(detectForeignProtocol(Buffer.from('hello')), null);
});

describe('chat', () => {
  let server: ChatServerHandle;
  const clients: TestClient[] = [];
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it('closes probes unannounced; they leave no history', async () => {
    server = await startChat({ history: 20 });
    const watcher = await TestClient.join(server.port, 'watcher');
    clients.push(watcher);
    for (const [name, payload] of PROBES) {
      const { reply, closed } = await probe({ port: server.port }, payload);
      assert.ok(closed, `${name}: closed`);
      assert.ok(!/joined|error/.test(reply), `${name}: ${reply}`);
    }
    // A client that only connects and leaves is not announced either.
    const silent = await TestClient.connect(server.port);
    await silent.waitFor(/^<server> you are in #lobby/);
    await silent.close();
    // The watcher saw nothing of them; a newcomer gets no history.
    watcher.send('/who');
    await watcher.waitFor(/^<server> 1 online: watcher/);
    assert.deepEqual(
      watcher.lines.filter((l) => l.startsWith('<announce>') || l.startsWith('<user')),
      ['<announce> watcher joined #lobby'],
    );
    const late = await TestClient.join(server.port, 'late');
    clients.push(late);
    assert.ok(!late.lines.some((l) => l.startsWith('<history>')), late.lines.join('\n'));
  });
});

test('strftime over TCP closes probes without a reply', async (t) => {
  const where = await serve(t, await instanceOf(t, strftimeService, { utc: true }), 'tcp');
  for (const [name, payload] of PROBES.slice(0, 5)) {
    const { reply, closed } = await probe(where, payload);
    assert.ok(closed, `${name}: closed`);
    assert.equal(reply, '', `${name}: no reply`);
  }
  // A format is still answered.
  const sock = await dial(where);
  sock.write('%Y\n');
  const [data] = await new Promise<[Buffer]>((resolve) => sock.once('data', (d) => resolve([d])));
  assert.match(data.toString(), /^\d{4}\n$/);
  sock.destroy();
});
