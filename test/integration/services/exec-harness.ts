/** Shared set-up of the exec service tests: a served instance and a raw frame client. */
import { connect } from 'node:net';
import type { TestContext } from 'node:test';
import {
  decodeReplyPayload,
  encodeRequest,
  type ExecReplyFrame,
  type ExecRequestHeader,
  execService,
  lengthPrefixed,
  type SignedRequest,
  signRequest,
} from '../../../src/services/exec/index.js';
import { instanceOf, serve } from './helpers/service-harness.js';
import { WAIT_MS } from '../../helpers/wait.js';

export const SECRET = Buffer.from('test-secret-0123456789abcdef');

/** A node one-liner as an allowlist entry (no shell: argv is [execPath, -e, code]). */
export function nodeCommand(code: string): { path: string; args: string[] } {
  return { path: process.execPath, args: ['-e', code] };
}

/** Serves exec on loopback `kind` with these options (secret and a default allowlist added). */
export async function serveExec(
  t: TestContext,
  kind: 'tcp' | 'udp',
  options: Record<string, unknown> = {},
): Promise<number> {
  const instance = await instanceOf(t, execService, {
    secret: SECRET,
    allowCommand: ['echo=/bin/echo', 'plain=/bin/echo fixed'],
    allowArgs: ['echo=.*'],
    replayStore: 'memory',
    ...options,
  });
  const where = await serve(t, instance, kind);
  return (where as { port: number }).port;
}

/** Writes requests (signed, or raw bytes) and reads reply frames to the end. */
export function rawTcpRequest(
  port: number,
  requests: (SignedRequest | Buffer)[],
  timeoutMs = WAIT_MS,
): Promise<{ frames: ExecReplyFrame[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const frames: ExecReplyFrame[] = [];
    let buf = Buffer.alloc(0);
    let ends = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete reply in ${timeoutMs} ms: ${JSON.stringify(frames)}`));
    }, timeoutMs);
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ frames, closed });
    };
    sock.on('connect', () => {
      for (const r of requests) sock.write(Buffer.isBuffer(r) ? r : encodeRequest(r));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const len = buf.readUInt32BE(0);
        const frame = decodeReplyPayload(buf.subarray(4, 4 + len));
        buf = buf.subarray(4 + len);
        frames.push(frame);
        if (frame.type === 'end' || frame.type === 'error') ends++;
        if (ends === requests.length) finish(false);
      }
    });
    sock.on('close', () => finish(true));
    sock.on('error', () => {});
  });
}

/** Signs a request with the test secret. */
export function request(command: string, args: string[] = [], now?: number) {
  return signRequest(SECRET, command, args, now === undefined ? {} : { now });
}

/** A request with header fields changed after signing (its MAC no longer verifies). */
export function tampered(r: SignedRequest, patch: Partial<ExecRequestHeader>): SignedRequest {
  return { header: { ...r.header, ...patch }, body: r.body };
}

/** A header frame of any JSON (no body), as raw bytes. */
export function rawHeader(json: object): Buffer {
  return lengthPrefixed(Buffer.from(JSON.stringify(json)));
}

/** The stdout bytes of reply frames. */
export function stdoutOf(frames: ExecReplyFrame[]): Buffer {
  return Buffer.concat(frames.flatMap((f) => (f.type === 'stdout' ? [f.data] : [])));
}
