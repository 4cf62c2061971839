import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BaseRequestHandler,
  DatagramRequestHandler,
  isHandlerClass,
  runHandler,
  StreamRequestHandler,
} from '../../../src/server/request-handler.js';

test('isHandlerClass tells handler classes from plain functions', () => {
  class Mine extends StreamRequestHandler {}
  assert.equal(isHandlerClass(Mine, StreamRequestHandler), true);
  assert.equal(isHandlerClass(StreamRequestHandler, StreamRequestHandler), true);
  assert.equal(
    isHandlerClass(async () => {}, StreamRequestHandler),
    false,
  );
  assert.equal(
    isHandlerClass(function plain() {}, StreamRequestHandler),
    false,
  );
  assert.equal(isHandlerClass(Mine, DatagramRequestHandler), false);
});

test('runHandler: setup, then handle, then finish even when handle throws', async () => {
  const calls: string[] = [];
  class H extends BaseRequestHandler {
    override setup(): void {
      calls.push('setup');
    }
    async handle(): Promise<void> {
      calls.push('handle');
      throw new Error('handle failed');
    }
    override finish(): void {
      calls.push('finish');
    }
  }
  await assert.rejects(runHandler(new H()), /handle failed/);
  assert.deepEqual(calls, ['setup', 'handle', 'finish']);
});

test('runHandler: a failing setup skips handle and finish (as in Python)', async () => {
  const calls: string[] = [];
  class H extends BaseRequestHandler {
    override setup(): void {
      throw new Error('setup failed');
    }
    handle(): void {
      calls.push('handle');
    }
    override finish(): void {
      calls.push('finish');
    }
  }
  await assert.rejects(runHandler(new H()), /setup failed/);
  assert.deepEqual(calls, []);
});
