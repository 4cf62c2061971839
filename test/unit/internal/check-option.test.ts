import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import {
  checkBoolean,
  checkInteger,
  checkOneOf,
  checkPort,
  checkPositiveInt,
  checkSeconds,
  checkSecondsBetween,
} from '../../../src/internal/check-option.js';

/** Asserts `fn` throws an InvalidArgumentError whose message matches `message`. */
function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message));
}

describe('check-option: the one set of option validators', () => {
  test('checkInteger returns the value in range and names the range otherwise', () => {
    assert.equal(checkInteger(3, 'n', 1, 5), 3);
    assert.equal(checkInteger(0, 'n', 0), 0);
    rejects(() => checkInteger(6, 'n', 1, 5), /^n must be an integer from 1 to 5, got 6$/);
    rejects(() => checkInteger(1.5, 'n', 0), /^n must be an integer >= 0, got 1\.5$/);
    rejects(() => checkInteger('3', 'n', 0), /got 3$/);
    rejects(() => checkInteger(undefined, 'n', 0), /got undefined$/);
  });

  test('checkPositiveInt lets a left-out option pass', () => {
    checkPositiveInt(undefined, 'maxQueue');
    checkPositiveInt(1, 'maxQueue');
    rejects(() => checkPositiveInt(0, 'maxQueue'), /^maxQueue must be a positive integer, got 0$/);
    rejects(() => checkPositiveInt(null, 'maxQueue'), /got null$/);
  });

  test('checkPort takes 0..65535', () => {
    checkPort(0);
    checkPort(65535, 'address.port');
    rejects(() => checkPort(65536), /^port must be an integer from 0 to 65535, got 65536$/);
    rejects(() => checkPort(-1, 'address.port'), /^address\.port must be/);
  });

  test('checkSeconds: >= 0, null only when nullable, undefined passes', () => {
    checkSeconds(undefined, 'timeout');
    checkSeconds(0, 'timeout');
    checkSeconds(null, 'timeout', true);
    rejects(
      () => checkSeconds(null, 'timeout'),
      /^timeout must be a number of seconds >= 0, got null$/,
    );
    rejects(() => checkSeconds(-1, 'timeout', true), /seconds >= 0 or null, got -1$/);
    rejects(() => checkSeconds(Infinity, 'timeout'), /got Infinity$/);
  });

  test('checkSecondsBetween names its bounds', () => {
    assert.equal(checkSecondsBetween(0.5, '--hold', 0, 10), 0.5);
    rejects(
      () => checkSecondsBetween(11, '--hold', 0, 10),
      /^--hold must be a number of seconds from 0 to 10, got 11$/,
    );
  });

  test('checkBoolean and checkOneOf', () => {
    assert.equal(checkBoolean(false, 'x'), false);
    rejects(() => checkBoolean(0, 'C: x'), /^C: x must be a boolean, got 0$/);
    assert.equal(checkOneOf(null, 'encoding', ['utf8', null]), null);
    rejects(
      () => checkOneOf('latin1', 'encoding', ['utf8', null]),
      /^encoding must be one of "utf8", null, got "latin1"$/,
    );
  });
});
