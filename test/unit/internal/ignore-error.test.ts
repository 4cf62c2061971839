// An error socketkit ignores on purpose is published with its reason, and the lint refuses
// a new one dropped in silence (eslint.config.js, src/ only).
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import {
  ignoreError,
  ignored,
  type IgnoredErrorMessage,
} from '../../../src/internal/ignore-error.js';

const root = join(import.meta.dirname, '..', '..', '..');
const CHANNEL = 'socketkit:error:ignored';

test('an ignored error is published on socketkit:error:ignored with its reason', async (t) => {
  const seen: IgnoredErrorMessage[] = [];
  const onMessage = (m: unknown): void => void seen.push(m as IgnoredErrorMessage);
  diagnostics.subscribe(CHANNEL, onMessage);
  t.after(() => diagnostics.unsubscribe(CHANNEL, onMessage));
  const boom = new Error('boom');
  await Promise.reject(boom).catch(ignoreError('test:rejection'));
  ignored('test:catch-block', 'not even an Error');
  assert.deepEqual(seen, [
    { reason: 'test:rejection', error: boom },
    { reason: 'test:catch-block', error: 'not even an Error' },
  ]);
});

test('with no subscriber, ignoring publishes nothing and never throws', async () => {
  assert.equal(diagnostics.channel(CHANNEL).hasSubscribers, false);
  await Promise.reject(new Error('unseen')).catch(ignoreError('test:nobody'));
  ignored('test:nobody', null);
});

test('the lint refuses an error dropped in silence in src/ (and an empty catch without a why)', async () => {
  // Linted without types: the rules are syntactic, and the probe is not a file of the project.
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: { files: ['src/**'], ...tseslint.configs.disableTypeChecked },
  });
  const probe = [
    'declare const p: Promise<void>;',
    'declare const e: NodeJS.EventEmitter;',
    'export async function f(): Promise<void> {',
    '  await p.catch(() => {});',
    '  await p.catch(() => undefined);',
    '  await p.then(() => 1, () => {});',
    "  e.on('error', () => {});",
    '  try {',
    '    await p;',
    '  } catch {}',
    '}',
    '',
  ].join('\n');
  const [result] = await eslint.lintText(probe, {
    filePath: join(root, 'src', 'internal', 'lint-probe.ts'),
  });
  const found = (result?.messages ?? []).map((m) => `${m.line}:${m.ruleId ?? 'parse'}`);
  assert.deepEqual(found, [
    '4:no-restricted-syntax',
    '5:no-restricted-syntax',
    '6:no-restricted-syntax',
    '7:no-restricted-syntax',
    '10:no-empty',
  ]);
  const fixed = [
    "import { ignoreError } from './ignore-error.js';",
    'declare const p: Promise<void>;',
    'export async function f(): Promise<void> {',
    "  await p.catch(ignoreError('probe:close'));",
    '  try {',
    '    await p;',
    '  } catch {',
    '    // Why it cannot matter.',
    '  }',
    '}',
    '',
  ].join('\n');
  const [clean] = await eslint.lintText(fixed, {
    filePath: join(root, 'src', 'internal', 'lint-probe.ts'),
  });
  assert.deepEqual(clean?.messages, []);
});

test('every reason the library ignores an error for is listed in docs/errors.md', () => {
  const docs = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const reasons = new Set<string>();
  for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const m of text.matchAll(/\b(?:ignoreError\(|ignored\()'([a-z-]+:[a-z-]+)'/g)) {
      if (m[1] !== 'area:what') reasons.add(m[1] ?? '');
    }
  }
  assert.ok(reasons.size >= 20, `found ${reasons.size}`);
  const missing = [...reasons].filter((r) => !docs.includes(`\`${r}\``));
  assert.deepEqual(missing, [], 'reasons missing from docs/errors.md');
});
