/**
 * What the scenarios serve: one `serve --config` process with every service on port 0
 * (exec with a throwaway secret and allowlist), TLS material, and a health probe that
 * asks every listener one valid question.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from '../../helpers/tls-cert.js';
import { connect as tlsConnect } from 'node:tls';
import { isSntpReply, exchange, readUntil, sntpRequest, udpAsk } from './clients.js';
import { execCli } from './exec-client.js';
import { type Listening, ServeProcess, type StartOptions } from './serve-process.js';

export const EXEC_SECRET = 'reliability-secret-0123456789abcdef';

let dir: string | undefined;
/** A private temporary folder for this run (secret file, config, certificates). */
export function workDir(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'socketkit-reliability-'));
  return dir;
}

/** The exec secret file (mode 600). */
export function secretFile(): string {
  // Written once: rewriting it while a server or client reads it would race (an empty file).
  if (secretPath === undefined) {
    secretPath = join(workDir(), 'exec.secret');
    writeFileSync(secretPath, EXEC_SECRET, { mode: 0o600 });
  }
  return secretPath;
}
let secretPath: string | undefined;

/** Removes the temporary folder (end of a run). */
export function cleanWorkDir(): void {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  cert = undefined;
  secretPath = undefined;
}

let cert: { cert: string; key: string } | undefined;
/** A self-signed certificate for 127.0.0.1 (openssl). */
export function tlsCert(): { cert: string; key: string } {
  cert ??= selfSignedCert(workDir());
  return cert;
}

export const ALL_SERVICES = [
  'echo',
  'discard',
  'chargen',
  'qotd',
  'daytime',
  'time',
  'strftime',
  'sntp',
  'chat',
  'exec',
] as const;

/** `serve --config` with every service on port 0 (plus SERVICE_OPTIONS per service). */
export function startAll(
  serviceOptions: Record<string, Record<string, unknown>> = {},
  extra: string[] = [],
  options: StartOptions = {},
): Promise<ServeProcess> {
  const services = ALL_SERVICES.map((service) => ({
    service,
    port: 0,
    ...(service === 'exec'
      ? {
          options: {
            secretFile: secretFile(),
            allowCommand: ['echo=/bin/echo'],
            allowArgs: ['echo=[a-z ]*'],
            ...serviceOptions.exec,
          },
        }
      : serviceOptions[service]
        ? { options: serviceOptions[service] }
        : {}),
  }));
  const path = join(workDir(), `all-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(path, JSON.stringify({ host: '127.0.0.1', services }));
  return ServeProcess.start(['--config', path, '-q', ...extra], options);
}

/** One valid question to LISTENER; resolves with a failure message or null. */
export async function probe(l: Listening): Promise<string | null> {
  const what = `${l.service}/${l.transport}:${l.port}`;
  try {
    if (l.service === 'exec') {
      const r = await execCli(l.port, ['echo', 'health'], { udp: l.transport === 'udp' });
      return r.stdout.includes('health')
        ? null
        : `${what}: exit ${r.code}: ${r.stderr.slice(0, 300)}`;
    }
    if (l.transport === 'tls') {
      const sock = tlsConnect({ port: l.port, host: '127.0.0.1', rejectUnauthorized: false });
      sock.on('error', () => {});
      const send = l.service === 'echo' ? 'ping\n' : '';
      const r = await readUntil(
        sock,
        (b) => b.length > 0,
        5000,
        () => sock.write(send),
      );
      return r.ending === 'until' ? null : `${what}: ${r.ending} ${r.error ?? ''}`;
    }
    if (l.transport === 'udp') {
      if (l.service === 'discard') return null;
      const tag = 0x5a5a;
      const ask =
        l.service === 'sntp' ? sntpRequest(tag) : l.service === 'strftime' ? '%Y' : 'ping';
      const reply = await udpAsk(l.port, ask);
      if (reply === null) return `${what}: no reply`;
      if (l.service === 'sntp' && !isSntpReply(reply, tag)) return `${what}: not an SNTP reply`;
      if (l.service === 'echo' && reply.toString() !== 'ping')
        return `${what}: echoed ${reply.length} bytes`;
      return null;
    }
    const spec: Record<string, [string | Buffer, (b: Buffer) => boolean]> = {
      echo: ['ping\n', (b) => b.includes('ping\n')],
      discard: ['x', () => false],
      chargen: ['', (b) => b.length >= 72],
      qotd: ['', (b) => b.length > 0],
      daytime: ['', (b) => b.includes('\n')],
      time: ['', (b) => b.length >= 4],
      strftime: ['%Y\n', (b) => /\d{4}/.test(b.toString())],
      chat: ['', (b) => b.includes('welcome')],
    };
    const [send, ok] = spec[l.service] ?? ['', () => true];
    const r = await exchange(l.port, send, {
      until: ok,
      // discard must stay silent: a short read window, but the connect keeps its own bound.
      timeoutMs: 30_000,
      ...(l.service === 'discard' ? { readMs: 300 } : {}),
    });
    if (l.service === 'discard') return r.ending === 'timeout' ? null : `${what}: ${r.ending}`;
    return r.ending === 'until' || (r.ending === 'clean' && ok(r.data))
      ? null
      : `${what}: ${r.ending} after ${r.data.length} bytes ${r.error ?? ''}`;
  } catch (err) {
    return `${what}: ${(err as Error).message}`;
  }
}

/** Every listener of PROC answers (the process is up and serving): the failures, if any. */
export async function health(proc: ServeProcess): Promise<string[]> {
  if (!proc.alive) return [`serve exited: ${proc.stderr.slice(-500)}`];
  const out = await Promise.all(proc.listeners.map((l) => probe(l)));
  return out.filter((x): x is string => x !== null);
}

/** `serve SERVICE --port 0 -q ARGS`. */
export function startOne(
  service: string,
  args: string[] = [],
  options: StartOptions = {},
): Promise<ServeProcess> {
  return ServeProcess.start([service, '--port', '0', '-q', ...args], options);
}

/** Resolves once TEST holds, polled every 100 ms (a /proc figure has no event), or false after TIMEOUT. */
export async function eventually(
  test: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    if (await test()) return true;
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
