/**
 * Tutorial program S4 (docs/tutorial-map.md): the "phone call" server. It takes one call at a time:
 * the caller speaks a line, the server answers with a line typed at its keyboard, and
 * so on in turns (half duplex). When the caller hangs up, the server waits for the next.
 *
 * Python (the tutorial, abridged):
 * ```python
 * s.bind(ip_port); s.listen(5)
 * while True:                          # keep taking calls
 *     conn, address = s.accept()
 *     while True:                      # the conversation
 *         try:
 *             print("from>>> ", conn.recv(1024).decode())
 *             conn.sendall(input(">>>").encode())
 *         except Exception:
 *             break
 * ```
 *
 * socketkit: messages are lines (`recvUntil('\n')`), so a message split or merged by TCP
 * is still one message; a caller that hangs up ends the call at once (the tutorial's
 * `recv` returned b'' for ever and spun, printing empty messages); a caller that vanishes
 * (reset) is reported and the next call is taken; the server stops cleanly on Ctrl-C
 * or when its keyboard input ends.
 *
 * The same from the shell: `socketkit listen -k 8080` (full duplex, no turns needed).
 *
 * Run: `npx tsx examples/s04-phone-call-server.ts [--host 127.0.0.1] [--port 8080]`
 * and call it with `npx tsx examples/s04-phone-call-client.ts` or `socketkit connect 127.0.0.1 8080`.
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { IncompleteReadError, SocketkitError } from 'socketkit/errors';
import { type Accepted, Listener, type Socket } from 'socketkit/socket';

/** Where the server's answers come from (the keyboard) and where it writes the talk. */
export interface PhoneServerIO {
  /** One answer per turn; when it ends, the current call is closed and serving stops. */
  answers: AsyncIterator<string>;
  print: (line: string) => void;
}

/** Talks with one caller until they hang up; false when the answers ran out. */
async function takeCall(sock: Socket, io: PhoneServerIO): Promise<boolean> {
  for (;;) {
    let heard: Buffer;
    try {
      heard = await sock.recvUntil('\n');
    } catch (err) {
      if (err instanceof IncompleteReadError) return true; // hung up (EOF)
      throw err;
    }
    io.print(`from>>> ${heard.toString('utf8').replace(/\r$/, '')}`);
    const answer = await io.answers.next();
    if (answer.done) return false;
    await sock.sendAll(`${answer.value}\n`);
  }
}

/**
 * Takes calls one after another until the answers run out or the listener is closed;
 * resolves to the number of calls taken.
 */
export async function servePhoneCalls(listener: Listener, io: PhoneServerIO): Promise<number> {
  let calls = 0;
  for (;;) {
    let call: Accepted;
    try {
      call = await listener.accept();
    } catch (err) {
      if (listener.closed) return calls; // Ctrl-C: stop taking calls
      throw err;
    }
    calls += 1;
    const who =
      'port' in call.address ? `${call.address.address}:${call.address.port}` : 'a Unix socket';
    io.print(`call from ${who}`);
    let more = true;
    try {
      more = await takeCall(call.socket, io);
      io.print('the caller hung up');
    } catch (err) {
      // A reset or timeout ends this call only: the next caller is still served.
      if (!(err instanceof SocketkitError)) throw err;
      io.print(`call dropped: ${err.message}`);
    } finally {
      await call.socket.close();
    }
    if (!more) return calls;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
    },
  });
  const listener = await Listener.bind({ host: values.host, port: Number(values.port) });
  const { address, port } = listener.address as { address: string; port: number };
  process.stdout.write(`waiting for calls on ${address}:${port}\n`);
  const keyboard = createInterface({ input: process.stdin, terminal: false });
  const lines = keyboard[Symbol.asyncIterator]();
  const answers: AsyncIterator<string> = {
    next: () => {
      if (process.stdin.isTTY) process.stdout.write('>>> ');
      return lines.next();
    },
  };
  const stop = (): void => {
    void listener.close();
    keyboard.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await servePhoneCalls(listener, { answers, print: (line) => process.stdout.write(`${line}\n`) });
  await listener.close();
  keyboard.close();
}
