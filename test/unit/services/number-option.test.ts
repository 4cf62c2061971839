import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { integerOption, numberOption } from '../../../src/services/number-option.js';

test('numberOption and integerOption read a flag and name it when they refuse one', () => {
  assert.equal(numberOption('rate', 0.001, 1e6)('0.5'), 0.5);
  assert.equal(integerOption('history', 0)(' 12 '), 12);
  assert.equal(integerOption('precision', -32, 0)('-20'), -20);
  const refused = (parse: (raw: string) => number, raw: string, message: string): void => {
    assert.throws(
      () => parse(raw),
      (e: unknown) => e instanceof InvalidArgumentError && e.message === message,
    );
  };
  refused(integerOption('rate-limit', 0), 'x', '--rate-limit must be an integer >= 0, got "x"');
  refused(integerOption('history', 0), '', '--history must be an integer >= 0, got ""');
  refused(
    integerOption('burst', 1, 1e6),
    '1.5',
    '--burst must be an integer in [1, 1000000], got "1.5"',
  );
  refused(
    numberOption('rate', 0.001, 1e6),
    '0',
    '--rate must be a number in [0.001, 1000000], got "0"',
  );
  refused(
    integerOption('max-queue', 1024),
    '1023',
    '--max-queue must be an integer >= 1024, got "1023"',
  );
});
