// Issue 10, defect 2: the server checked the timestamp before the MAC, so anyone could
// learn its clock ("… s off the server clock") without the secret. Now the MAC comes
// first: a forged request with a stale timestamp is "authentication failed", and only
// a request that verified may hear about the clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signRequest } from '../../src/services/exec/index.js';
import { rawTcpRequest, request, serveExec } from '../integration/services/exec-harness.js';

const WRONG = Buffer.from('not-the-server-secret-at-all');

async function refusal(port: number, r: ReturnType<typeof request>): Promise<[string, string]> {
  const { frames } = await rawTcpRequest(port, [r]);
  const last = frames.at(-1);
  assert.equal(last?.type, 'error');
  return last?.type === 'error' ? [last.error.code, last.error.message] : ['', ''];
}

test('exec: a forged request with a stale timestamp learns nothing about the clock', async (t) => {
  const port = await serveExec(t, 'tcp');
  for (const skew of [-5 * 60_000, 5 * 60_000]) {
    const forged = signRequest(WRONG, 'echo', ['x'], { now: Date.now() + skew });
    const [code, message] = await refusal(port, forged);
    assert.equal(code, 'ERR_EXEC_AUTH');
    assert.doesNotMatch(message, /clock|timestamp|\d+ s/);
    // The genuine request with the same skew is told to fix its clock.
    const [realCode] = await refusal(port, request('echo', ['x'], Date.now() + skew));
    assert.equal(realCode, 'ERR_EXEC_CLOCK_SKEW');
  }
});
