import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../../src/errors.js';
import {
  buildAllowlist,
  ExecRefusedError,
  parseCommandSpec,
  resolveCommand,
} from '../../../../src/services/exec/index.js';

test('parseCommandSpec: NAME=/abs/path and fixed args split on spaces', () => {
  const e = parseCommandSpec('say=/bin/echo  -n hello');
  assert.equal(e.name, 'say');
  assert.equal(e.file, '/bin/echo');
  assert.deepEqual(e.fixedArgs, ['-n', 'hello']);
  assert.equal(e.allowArgs, null);
});

test('parseCommandSpec: relative paths, missing files, bad names are refused', () => {
  for (const spec of [
    'echo=echo',
    'echo',
    '=/bin/echo',
    'x=/no/such/file',
    'a b=/bin/echo',
    'exec',
  ]) {
    assert.throws(() => parseCommandSpec(spec), InvalidArgumentError, spec);
  }
});

test('buildAllowlist: flags and a config map, patterns anchored', () => {
  const list = buildAllowlist({
    allowCommand: ['echo=/bin/echo'],
    allowArgs: 'echo=[a-z]+',
    commands: {
      e2: '/bin/echo',
      e3: { path: '/bin/echo', args: ['-n'], allowArgs: '\\d+', maxArgs: 2 },
    },
  });
  assert.deepEqual([...list.keys()], ['echo', 'e2', 'e3']);
  assert.deepEqual(resolveCommand(list, 'echo', ['abc']).argv, ['abc']);
  assert.deepEqual(resolveCommand(list, 'e3', ['1', '22']).argv, ['-n', '1', '22']);
  const refused = (cmd: string, args: string[], reason: string) =>
    assert.throws(
      () => resolveCommand(list, cmd, args),
      (e: unknown) => e instanceof ExecRefusedError && e.reason === reason,
      `${cmd} ${args.join(' ')}`,
    );
  refused('echo', ['abc; rm'], 'ERR_EXEC_ARGS'); // anchored: a matching prefix is not enough
  refused('echo', ['a\0b'], 'ERR_EXEC_ARGS');
  refused('e2', ['x'], 'ERR_EXEC_ARGS'); // no pattern: no client args
  refused('e3', ['1', '2', '3'], 'ERR_EXEC_ARGS'); // maxArgs
  refused('sh', [], 'ERR_EXEC_UNKNOWN_COMMAND');
});

test('buildAllowlist: JSON text for --commands, duplicates and orphan patterns refused', () => {
  assert.equal(buildAllowlist({ commands: '{"e":"/bin/echo"}' }).size, 1);
  assert.throws(() => buildAllowlist({ commands: '{' }), InvalidArgumentError);
  assert.throws(
    () => buildAllowlist({ allowCommand: 'e=/bin/echo', commands: { e: '/bin/echo' } }),
    /defined twice/,
  );
  assert.throws(() => buildAllowlist({ allowArgs: 'nope=.*' }), /--allow-command/);
  assert.throws(
    () => buildAllowlist({ allowCommand: 'e=/bin/echo', allowArgs: 'e=(' }),
    InvalidArgumentError,
  );
});
