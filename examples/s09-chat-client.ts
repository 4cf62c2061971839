/**
 * Tutorial program S9 (docs/tutorial-map.md): the chat client, the socketkit way. The tutorial's client runs a
 * receive thread and a send thread on one socket (examples/s09-chat-client.py is that
 * client, kept as it is to show it still works). Here the two "threads" are two async
 * loops on one promise-based `Socket`:
 *
 * - receive: `for await (const chunk of sock)` prints what arrives, until the server
 *   closes (the tutorial's `recv() == b''` check);
 * - send: each stdin line goes out with its newline, whole (`sendAll`, the tutorial's `sendall`);
 *   at the end of stdin we say `/quit` instead of leaving the receive thread hanging.
 *
 * For a prompt that incoming lines do not garble, colours and history, use
 * `socketkit chat HOST PORT`; this file is the minimal, readable version.
 *
 * Run: `npx tsx examples/s09-chat-client.ts [--host 127.0.0.1] [--port 7777]`.
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Socket } from 'socketkit/socket';

/**
 * Chats on `host:port`: `input` lines are sent, received text goes to `output`.
 * @returns when the server has closed the connection.
 */
export async function chatClient(
  host: string,
  port: number,
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<void> {
  const sock = await Socket.createConnection({ host, port });
  const lines = createInterface({ input, terminal: false });
  const sending = (async () => {
    for await (const line of lines) await sock.sendAll(`${line}\n`);
    await sock.sendAll('/quit\n');
  })().catch(() => {}); // the server may close first: nothing left to send then
  for await (const chunk of sock) output.write(chunk);
  lines.close();
  await sending;
  await sock.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '7777' },
    },
  });
  chatClient(values.host, Number(values.port), process.stdin, process.stdout).catch(
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
