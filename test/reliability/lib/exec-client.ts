/**
 * exec through the built CLI (`socketkit exec`), so the suite follows whatever protocol
 * version this build speaks: a health request, and requests captured on a private
 * listener to serve as the fuzzer's corpus.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { secretFile } from './targets.js';

const BIN = fileURLToPath(new URL('../../../bin/socketkit.js', import.meta.url));

/** Runs `socketkit exec 127.0.0.1 PORT … ARGS`; resolves with exit code and output. */
export function execCli(
  port: number,
  args: string[],
  options: { udp?: boolean; secret?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'exec',
        ...(options.udp ? ['--udp'] : []),
        '--secret-file',
        options.secret ?? secretFile(),
        '-t',
        '5',
        '127.0.0.1',
        String(port),
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The bytes `socketkit exec … ARGS` sends first (captured by a listener that never answers). */
export function captureRequest(args: string[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let child: ReturnType<typeof spawn> | undefined;
    let idle: NodeJS.Timeout | undefined;
    const open: import('node:net').Socket[] = [];
    const server = createServer((sock) => {
      open.push(sock);
      sock.on('data', (c: Buffer) => {
        chunks.push(c);
        clearTimeout(idle);
        // The client has sent its request when it stops writing and waits for the reply.
        idle = setTimeout(done, 300);
      });
      sock.on('error', () => {});
    });
    const done = (): void => {
      clearTimeout(hard);
      child?.kill('SIGKILL');
      server.close();
      for (const s of open) s.destroy();
      resolve(Buffer.concat(chunks));
    };
    const hard = setTimeout(done, 10_000);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      child = spawn(
        process.execPath,
        [
          BIN,
          'exec',
          '--secret-file',
          secretFile(),
          '-t',
          '10',
          '127.0.0.1',
          String(port),
          ...args,
        ],
        {
          stdio: 'ignore',
        },
      );
    });
  });
}
