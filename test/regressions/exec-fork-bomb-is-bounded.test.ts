// Issue 10, defect 15: a command could fork without limit. Now --max-procs (default 32)
// bounds the processes of one command (a pids cgroup where the host has one; a
// PID namespace alone does not count). A command that tries to start 200 processes
// gets at most the limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectConfinement } from '../../src/services/exec/index.js';
import {
  rawTcpRequest,
  request,
  serveExec,
  stdoutOf,
} from '../integration/services/exec-harness.js';

// python3 forks one at a time and counts refusals (a shell gives up at the first one).
const BOMB = `
import os, time
ok = failed = 0
for i in range(200):
    try:
        pid = os.fork()
    except OSError:
        failed += 1
        continue
    if pid == 0:
        time.sleep(300)
        os._exit(0)
    ok += 1
print(ok, failed, flush=True)
`;
import { needs, toolPath } from '../helpers/needs.js';

test('exec --max-procs 32: a command trying to start 200 processes gets at most 32', async (t) => {
  const why = needs('python3');
  if (why) return t.skip(why);
  const c = detectConfinement({ maxProcs: 32 });
  if (c.limit.kind === 'none')
    return t.skip(`SKIPPED LOUDLY: no process-count limit on this host (${c.description})`);
  const python = toolPath('python3') ?? 'python3';
  const port = await serveExec(t, 'tcp', {
    maxProcs: 32,
    execTimeout: 30,
    commands: { bomb: { path: python, args: ['-c', BOMB] } },
  });
  const { frames } = await rawTcpRequest(port, [request('bomb')]);
  const [ok, failed] = stdoutOf(frames).toString().trim().split(' ').map(Number);
  t.diagnostic(`started ${ok} processes, ${failed} forks refused`);
  assert.ok(ok !== undefined && ok < 32, `started ${ok} of 200 (limit 32, the command included)`);
  assert.equal((ok ?? 0) + (failed ?? 0), 200);
  const end = frames.at(-1);
  assert.ok(end?.type === 'end' && !end.end.timedOut, JSON.stringify(end));
});
