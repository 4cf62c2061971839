/**
 * `relay tcp-listen:… tls:HOST:PORT --tls-fingerprint FP`: each accepted client is relayed
 * to a TLS server whose certificate is pinned (the library's `fingerprint256`, through
 * connect's one TLS path). The server is a `listen --tls` with its temporary certificate;
 * the clients are plain `node:net` sockets.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';
import { needs } from '../../helpers/needs.js';
import { startCli, within } from '../../helpers/netcat.js';
import { upperCaseTlsListener, WRONG_FINGERPRINT } from './helpers/tls-listener.js';

interface Client {
  /** Resolves once `text` arrived. */
  received(text: string): Promise<void>;
  /** Resolves when the connection is closed: what arrived, and the error that closed it. */
  closed: Promise<{ data: string; error: string | null }>;
  sock: net.Socket;
}

/** A plain client of the relay on 127.0.0.1:`port`, half-open. */
function client(port: number): Client {
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let data = '';
  let error: string | null = null;
  const waiters: Array<() => void> = [];
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    data += chunk;
    for (const w of waiters.splice(0)) w();
  });
  sock.on('end', () => sock.end());
  sock.on('error', (err: NodeJS.ErrnoException) => {
    error = err.code ?? err.message;
  });
  return {
    sock,
    received: async (text) => {
      while (!data.includes(text)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    closed: new Promise((resolve) => sock.on('close', () => resolve({ data, error }))),
  };
}

test(
  'relay tcp-listen: → tls: --tls-fingerprint: the printed pin relays both ways; a wrong one resets the client and logs one line',
  { skip: needs('openssl') },
  async (t) => {
    const listener = await upperCaseTlsListener(t);
    const target = `tls:127.0.0.1:${listener.port}`;

    const relay = startCli(t, [
      'relay',
      '-v',
      '--tls-fingerprint',
      listener.fingerprint,
      'tcp-listen:127.0.0.1:0',
      target,
    ]);
    const port = Number((await relay.stderr.waitFor(/listening on \S+:(\d+)/))[1]);
    const ok = client(port);
    ok.sock.write('through the relay\n');
    // The listener's command upper-cased it: there and back, while the client is open.
    await within(ok.received('THROUGH THE RELAY\n'), 'the answer through the relay');
    ok.sock.end();
    assert.deepEqual(await within(ok.closed, 'the relayed connection to close'), {
      data: 'THROUGH THE RELAY\n',
      error: null,
    });
    await relay.stderr.waitFor(/relay #1 done: 18 bytes →, 18 bytes ←/);

    const wrong = startCli(t, [
      'relay',
      '-v',
      '--tls-fingerprint',
      WRONG_FINGERPRINT,
      'tcp-listen:127.0.0.1:0',
      target,
    ]);
    const wrongPort = Number((await wrong.stderr.waitFor(/listening on \S+:(\d+)/))[1]);
    const refused = client(wrongPort);
    refused.sock.write('must not arrive\n');
    // Reset, not closed: a clean EOF would look like an empty answer.
    assert.deepEqual(await within(refused.closed, 'the refused client to close'), {
      data: '',
      error: 'ECONNRESET',
    });
    // One line names the relay, the client, the destination and both fingerprints.
    const line = await wrong.stderr.waitFor(/^.*is not the pinned one.*$/m, 'the mismatch line');
    assert.match(
      line[0],
      new RegExp(
        `^socketkit: relay #1: 127\\.0\\.0\\.1:\\d+: cannot open the other address: the TLS certificate of 127\\.0\\.0\\.1:${listener.port} is not the pinned one: SHA-256 fingerprint ${listener.fingerprint}, expected ${WRONG_FINGERPRINT}$`,
      ),
    );
    assert.equal(wrong.stderr.text.match(/pinned/g)?.length, 1, wrong.stderr.text);
  },
);
