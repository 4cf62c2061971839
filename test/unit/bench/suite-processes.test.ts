import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  pinPlan,
  pinPrefix,
  processTree,
  readStat,
  stopProcess,
  treeCpuOf,
  treeRssOf,
} from '../../../bench/lib/processes.mjs';

const linux = process.platform === 'linux' && existsSync('/proc/self/stat');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('suite process measurement', { skip: !linux && 'needs Linux /proc' }, () => {
  it('a server is measured as its whole tree, and stopping it leaves none behind', async () => {
    // A parent with two children and a grandchild, like a primary and its workers.
    const child = spawn('sh', ['-c', 'sleep 20 & sleep 20 & (sleep 20 & wait) ; wait'], {
      stdio: 'ignore',
    });
    try {
      let tree: number[] = [];
      for (let i = 0; i < 50 && tree.length < 5; i++) {
        await sleep(20);
        tree = processTree(child.pid as number);
      }
      assert.equal(tree[0], child.pid);
      assert.equal(tree.length, 5, `tree ${tree.join(',')}`);
      const cpu = treeCpuOf(child.pid as number);
      assert.equal(cpu?.processes, 5);
      assert.ok(typeof cpu?.seconds === 'number' && cpu.seconds >= 0);
      assert.ok((treeRssOf(child.pid as number) ?? 0) > 0);
      await stopProcess(child);
      await sleep(100);
      for (const pid of tree) {
        const st = readStat(pid);
        assert.ok(st === null || st.state === 'Z', `process ${pid} still running`);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('a process that is gone has no tree and no figures', () => {
    assert.deepEqual(processTree(2 ** 22 + 7), []);
    assert.equal(treeCpuOf(2 ** 22 + 7), null);
    assert.equal(treeRssOf(2 ** 22 + 7), null);
  });
});

describe('suite pinning plan', () => {
  it('off never pins', () => {
    const plan = pinPlan('off');
    assert.equal(plan.applied, false);
    assert.match(plan.reason, /--pin off/);
    assert.deepEqual(pinPrefix(plan.serverCpus), []);
  });

  it('auto pins only with a core for the generator besides the servers’', () => {
    const cpus = pinPlan('auto').cpus.split(',').length;
    // Ask for more server cores than there are: never pinned, and the reason says why.
    const tooMany = pinPlan('auto', cpus);
    assert.equal(tooMany.applied, false);
    if (linux) assert.match(tooMany.reason, /core\(s\) available; pinning needs at least/);
    // One server core on a machine of two or more: pinned when taskset works.
    const one = pinPlan('auto', 1);
    if (linux && cpus >= 2 && one.tasksetAvailable) {
      assert.equal(one.applied, true);
      assert.deepEqual(pinPrefix(one.serverCpus), ['taskset', '-c', one.serverCpus]);
      assert.notEqual(one.serverCpus, one.generatorCpus);
    }
  });
});
