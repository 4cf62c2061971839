/**
 * Regression (session 6 probe): when an `exec:` relay was reset (its client reset, an
 * error, Ctrl-C), only the command's own process got a SIGTERM. A command that ignores
 * TERM, or one a shell started (`sh -c 'sleep 600; …'`: the shell dies, `sleep` goes on),
 * outlived its relay: every client that connected and reset left processes behind, and
 * `--max-connections`, which counts relays, bounded nothing. Now the command runs in a
 * process group of its own; a reset sends the group TERM, then KILL after the grace time.
 *
 * The command holds a FIFO open for writing (inherited by everything it starts); the test
 * reads the FIFO and waits for its end, which comes only once every process of the
 * command is gone.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCli, tempDir, within } from '../helpers/netcat.js';
import { needs } from '../helpers/needs.js';

test(
  'relay exec: a reset stops the whole command, a TERM-ignoring child of a shell included',
  { skip: needs('mkfifo') },
  async (t) => {
    const fifo = join(tempDir(t), 'held');
    execFileSync('mkfifo', [fifo]);
    // The shell and its `sleep` ignore TERM (an ignored signal stays ignored across exec).
    const command = `sh -c "exec 3>${fifo}; trap '' TERM; sleep 600; echo never"`;
    const cli = startCli(t, ['relay', '-v', '--allow-exec', 'tcp-listen:0', `exec:${command}`]);
    const port = Number((await cli.stderr.waitFor(/listening on \S+:(\d+)/))[1]);
    // Opening the FIFO for reading completes once the command opened it for writing.
    const held = createReadStream(fifo);
    held.resume();
    const opened = once(held, 'open');
    const gone = once(held, 'end');
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    await within(opened, 'the command to start');
    client.resetAndDestroy();
    await cli.stderr.waitFor(/relay #1 failed/);
    await within(gone, 'every process of the command to be gone');
    assert.ok(held.readableEnded);
  },
);
