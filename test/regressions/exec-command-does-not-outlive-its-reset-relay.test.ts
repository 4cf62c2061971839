/**
 * Regression (session 6 probe): when an `exec:` relay was reset (its client reset, an
 * error, Ctrl-C), only the command's own process got a SIGTERM. A command that ignores
 * TERM, or one a shell started (`sh -c 'sleep 600; …'`: the shell dies, `sleep` goes on),
 * outlived its relay: every client that connected and reset left processes behind, and
 * `--max-connections`, which counts relays, bounded nothing. Now the command runs in a
 * process group of its own; a reset sends the group TERM, then KILL after the grace time.
 * And when the CLI exits before that KILL (`connect --exec` whose server reset it: the
 * command was reset, the CLI is done), the group is killed as the process exits.
 *
 * The command ignores TERM, then holds a FIFO open for writing (inherited by everything
 * it starts); the test reads the FIFO: its open completes once the command runs, its end
 * comes only once every process of the command is gone.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCli, tempDir, within } from '../helpers/netcat.js';
import { needs } from '../helpers/needs.js';

const BIN = join(import.meta.dirname, '..', 'helpers', 'bin.ts');

/** A FIFO the command holds: `opened` once it runs (TERM ignored), `gone` once it is all gone. */
function heldFifo(dir: string): {
  command: string;
  opened: Promise<unknown>;
  gone: Promise<unknown>;
} {
  const fifo = join(dir, 'held');
  execFileSync('mkfifo', [fifo]);
  const held = createReadStream(fifo);
  held.resume();
  return {
    // The shell and its `sleep` ignore TERM (an ignored signal stays ignored across exec).
    command: `sh -c "trap '' TERM; exec 3>${fifo}; sleep 600; echo never"`,
    opened: once(held, 'open'),
    gone: once(held, 'end'),
  };
}

test(
  'relay exec: a reset stops the whole command, a TERM-ignoring child of a shell included',
  { skip: needs('mkfifo') },
  async (t) => {
    const { command, opened, gone } = heldFifo(tempDir(t));
    const cli = startCli(t, ['relay', '-v', '--allow-exec', 'tcp-listen:0', `exec:${command}`]);
    const port = Number((await cli.stderr.waitFor(/listening on \S+:(\d+)/))[1]);
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    await within(opened, 'the command to start');
    client.resetAndDestroy();
    await cli.stderr.waitFor(/relay #1 failed/);
    await within(gone, 'every process of the command to be gone');
  },
);

test(
  'connect --exec: the command is killed when the CLI exits after a reset',
  { skip: needs('mkfifo') },
  async (t) => {
    const { command, opened, gone } = heldFifo(tempDir(t));
    // A server that resets its client once the command runs.
    const server = createServer((sock) => {
      void opened.then(() => sock.resetAndDestroy());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const port = (server.address() as { port: number }).port;
    const cli = spawn(
      process.execPath,
      ['--import', 'tsx', BIN, 'connect', '--exec', command, '127.0.0.1', String(port)],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    t.after(() => cli.kill('SIGKILL'));
    const [code] = (await once(cli, 'exit')) as [number | null];
    assert.equal(code, 1);
    await within(gone, 'the command to be killed as the CLI exited');
  },
);
