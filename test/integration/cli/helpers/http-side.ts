/**
 * What the `serve --http` tests share: a bounded echo load, raw HTTP requests with any
 * Host/Origin (fetch() would not let a test forge them), and the HTTP side's port from
 * the listening table.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { TableRow } from '../../services/helpers/serve-harness.js';
import { within } from '../../../helpers/wait.js';

/** The HTTP side's port, from its `dashboard` row. */
export function dashboardPort(rows: readonly TableRow[]): number {
  const row = rows.find((r) => r.service === 'dashboard');
  if (row?.port === undefined) throw new Error(`no dashboard row in ${JSON.stringify(rows)}`);
  return row.port;
}

/** One TCP echo round trip: connect, send `line`, read it back, close. Resolves to its bytes. */
function echoOnce(port: number, line: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(line));
    socket.on('data', (d: string) => {
      got += d;
      if (got.length >= line.length) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () =>
      got === line
        ? resolve(line.length)
        : reject(new Error(`echo answered ${JSON.stringify(got)}`)),
    );
  });
}

/**
 * `count` echo round trips over TCP, `parallel` at a time (bounded in count and time).
 * Resolves to the bytes sent (= the bytes echoed).
 */
export async function echoLoad(port: number, count: number, parallel = 16): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const n = await echoOnce(port, `ping ${next}\n`);
      bytes += n;
    }
  };
  await within(
    Promise.all(Array.from({ length: Math.min(parallel, count) }, worker)),
    `${count} echo round trips`,
  );
  return bytes;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET with exactly these headers (Host included). */
export function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return within(
    new Promise<RawResponse>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path, headers: { Host: `127.0.0.1:${port}`, ...headers } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    }),
    `GET ${path}`,
  );
}

/** A WebSocket upgrade with these headers: resolves to the status line's code (101 = accepted). */
export function rawUpgrade(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  return within(
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path,
        headers: {
          Host: `127.0.0.1:${port}`,
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          ...headers,
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    }),
    `upgrade ${path}`,
  );
}
