/**
 * Defect (issue 12 point 13): ESLint linted git-ignored folders while Prettier did not, so a
 * scratch file in a clone (say tmp/try.ts) turned `npm test` red. ESLint now takes its
 * ignores from .gitignore, as Prettier does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

test('ESLint ignores what .gitignore ignores, and still lints the sources', async () => {
  const eslint = new ESLint();
  for (const scratch of ['tmp/try.ts', 'debug.log', 'dist/index.js', 'node_modules/x/y.js'])
    assert.equal(await eslint.isPathIgnored(scratch), true, `${scratch} is ignored`);
  for (const source of ['src/index.ts', 'test/helpers/needs.ts', 'scripts/run-tests.mjs'])
    assert.equal(await eslint.isPathIgnored(source), false, `${source} is linted`);
});
