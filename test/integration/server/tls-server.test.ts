// TLS stream servers with a throwaway self-signed certificate made by openssl.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import tls from 'node:tls';
import { TcpServer, UnixStreamServer } from '../../../src/server/index.js';
import type { Socket } from '../../../src/socket/tcp-socket.js';
import { selfSignedPem } from '../../helpers/tls-cert.js';
import { recorder } from '../../helpers/wait.js';
import { tempDir } from './helpers/clients.js';

const tmp = tempDir();
after(tmp.cleanup);
const pem = selfSignedPem(tmp.dir);
const skip = pem === null ? 'openssl is not installed' : false;

async function echo(conn: Socket): Promise<void> {
  for await (const chunk of conn) await conn.sendAll(chunk);
}

function tlsRoundTrip(options: tls.ConnectionOptions, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect(options, () => sock.end(message));
    let got = '';
    sock.on('data', (d) => {
      got += d;
    });
    sock.on('end', () => resolve(got));
    sock.on('error', reject);
  });
}

describe('TLS', { skip }, () => {
  test('a TcpServer with tls serves an echo over TLS, verified against its certificate', async (t) => {
    const transports: string[] = [];
    const server = await new TcpServer({
      port: 0,
      tls: { key: pem!.key, cert: pem!.cert },
      handler: async (conn, ctx) => {
        transports.push(ctx.transport);
        await echo(conn);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal(server.transport, 'tls');
    const { port } = server.address as { port: number };
    const reply = await tlsRoundTrip(
      { host: '127.0.0.1', port, ca: pem!.cert, servername: 'localhost' },
      'over tls',
    );
    assert.equal(reply, 'over tls');
    assert.deepEqual(transports, ['tls']);
  });

  test('a failed handshake is reported, not fatal', async (t) => {
    const errors = recorder<string>();
    const server = await new TcpServer({
      port: 0,
      tls: { key: pem!.key, cert: pem!.cert },
      handler: echo,
      handleError: (_e, ctx) => {
        errors.push(ctx.phase);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const { port } = server.address as { port: number };
    // Plain text to a TLS port: the handshake fails.
    const net = await import('node:net');
    await new Promise<void>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => s.write('GET / HTTP/1.0\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => {});
    });
    await errors.waitFor();
    assert.deepEqual([...errors], ['tls-handshake']);
    const reply = await tlsRoundTrip(
      { host: '127.0.0.1', port, ca: pem!.cert, servername: 'localhost' },
      'still here',
    );
    assert.equal(reply, 'still here');
  });

  test('a UnixStreamServer can speak TLS too', async (t) => {
    const path = join(tmp.dir, 'tls.sock');
    const server = await new UnixStreamServer({
      path,
      tls: { key: pem!.key, cert: pem!.cert },
      handler: echo,
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const reply = await tlsRoundTrip({ path, ca: pem!.cert, servername: 'localhost' }, 'unix tls');
    assert.equal(reply, 'unix tls');
  });
});
