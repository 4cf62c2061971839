// Issue 10, defect 15: a command's grandchild that called setsid() left the process
// group, so the timeout's group kill missed it and it ran on. Now a command runs in its
// own PID namespace (and/or a pids cgroup) where the host allows it: at the timeout
// everything it started dies, checked here by PID.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectConfinement } from '../../src/services/exec/index.js';
import {
  rawTcpRequest,
  request,
  serveExec,
  stdoutOf,
} from '../integration/services/exec-harness.js';

// The grandchild prints its PID as the host sees it (/proc/self is the host's procfs),
// then becomes `sleep`: it has left the command's session and process group.
const SCRIPT =
  "setsid sh -c 'read -r pid rest < /proc/self/stat; echo $pid; exec sleep 300' & sleep 300";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const confine of ['auto', 'pgroup'] as const) {
  test(`exec --confine ${confine}: a setsid() grandchild is killed at the timeout`, async (t) => {
    const c = detectConfinement({ mode: confine });
    if (c.unshare === null && c.limit.kind !== 'cgroup')
      return t.skip(
        `SKIPPED LOUDLY: this host allows neither a PID namespace nor a pids cgroup (${c.description})`,
      );
    const port = await serveExec(t, 'tcp', {
      confine,
      execTimeout: 1,
      commands: { escape: { path: '/bin/sh', args: ['-c', SCRIPT] } },
    });
    const { frames } = await rawTcpRequest(port, [request('escape')]);
    const end = frames.at(-1);
    assert.ok(end?.type === 'end' && end.end.timedOut, JSON.stringify(end));
    const pid = Number(stdoutOf(frames).toString().trim());
    assert.ok(pid > 1, `no PID printed: ${stdoutOf(frames).toString()}`);
    t.after(() => {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
    // The kernel reaps it asynchronously: a bounded wait (at most 5 s) for the PID to go.
    for (let i = 0; i < 250 && alive(pid); i++) await sleep(20);
    assert.equal(alive(pid), false, `setsid() grandchild ${pid} survived the timeout`);
  });
}
