/**
 * Tutorial program S12 (docs/tutorial-map.md): the verification client. It connects, waits a little, sends
 * its word and prints the server's answer: "1" gets "welcome to server!", anything
 * else "please go out!"; waiting longer than the server's 5 s gets it dropped.
 *
 * Python (the tutorial's client.py):
 * ```python
 * sock.connect(('localhost', 8001))
 * time.sleep(2)
 * sock.send('1')
 * print sock.recv(1024)
 * sock.close()
 * ```
 *
 * socketkit: the same, with a timeout on every wait, the whole word sent, and a
 * clear message when the server has dropped us instead of printing an empty string.
 *
 * Run: `npx tsx examples/s12-verification-client.ts [--port 8001] [--word 1] [--delay 2]`
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConnectionResetError } from 'socketkit/errors';
import { Socket, type TcpAddress } from 'socketkit/socket';

/** Options of {@link askServer}. */
export interface VerificationClientOptions {
  /** What to send; the tutorial sends "1". */
  word?: string;
  /** Seconds to wait before sending (the tutorial's `time.sleep(2)`). */
  delay?: number;
  /** Seconds any connect or receive may take. */
  timeout?: number;
}

/**
 * Connects, waits `delay` seconds, sends `word`, and resolves to the server's answer,
 * or to `null` when the server closed the connection first (it timed us out).
 */
export async function askServer(
  address: TcpAddress,
  options: VerificationClientOptions = {},
): Promise<string | null> {
  const { word = '1', delay = 2, timeout = 10 } = options;
  const sock = await Socket.createConnection(address, { timeout });
  try {
    await sleep(delay * 1000);
    try {
      await sock.sendAll(word);
      const answer = await sock.recv(1024);
      return answer.length === 0 ? null : answer.toString('utf8');
    } catch (err) {
      // Writing to a connection the server already closed may be answered with a reset.
      if (err instanceof ConnectionResetError) return null;
      throw err;
    }
  } finally {
    await sock.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8001' },
      word: { type: 'string', default: '1' },
      delay: { type: 'string', default: '2' },
    },
  });
  const answer = await askServer(
    { host: values.host, port: Number(values.port) },
    { word: values.word, delay: Number(values.delay) },
  );
  console.log(answer ?? 'the server closed the connection (it timed us out)');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
