/**
 * Defect 18: every test checked for its external peers its own way (`which`, `command -v`,
 * spawnSync, ENOENT catches), and a missing peer was a silent skip even in CI. There is now
 * one guard, needs(tool): outside CI a loud skip, under CI=true a failure.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { needs, toolPath } from '../helpers/needs.js';

const probe = (ci: string | undefined) => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  return spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "import { needs } from './test/helpers/needs.ts'; console.log(JSON.stringify(needs('sh', 'socketkit-no-such-peer')));",
    ],
    { encoding: 'utf8', env },
  );
};

test('needs() finds installed tools without spawning them', () => {
  assert.equal(needs('sh'), false);
  assert.ok(toolPath('sh')?.endsWith('/sh'));
});

test('a missing peer is a loud skip outside CI', () => {
  const r = probe(undefined);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /SKIPPED LOUDLY: not installed: socketkit-no-such-peer/);
  assert.match(r.stderr, /!!! SKIPPED LOUDLY/);
});

test('a missing peer fails under CI=true', () => {
  const r = probe('true');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /CI=true but a test peer is missing/);
});
