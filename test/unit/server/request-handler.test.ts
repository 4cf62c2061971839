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
  await assert.rejects(async () => runHandler(new H()), /handle failed/);
  assert.deepEqual(calls, ['setup', 'handle', 'finish']);
});

test('runHandler: a failing setup skips handle and finish (as in Python)', () => {
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
  // Synchronous hooks: the failure is thrown at once, with no promise.
  assert.throws(() => runHandler(new H()), /setup failed/);
  assert.deepEqual(calls, []);
});

test('runHandler: synchronous hooks run with no promise; a throwing handle still finishes', () => {
  const calls: string[] = [];
  class H extends BaseRequestHandler {
    fail = false;
    override setup(): void {
      calls.push('setup');
    }
    handle(): void {
      calls.push('handle');
      if (this.fail) throw new Error('handle failed');
    }
    override finish(): void {
      calls.push('finish');
    }
  }
  assert.equal(runHandler(new H()), undefined);
  const failing = new H();
  failing.fail = true;
  assert.throws(() => runHandler(failing), /handle failed/);
  assert.deepEqual(calls, ['setup', 'handle', 'finish', 'setup', 'handle', 'finish']);
});

test('runHandler: an async setup is awaited before handle, then finish', async () => {
  const calls: string[] = [];
  class H extends BaseRequestHandler {
    override async setup(): Promise<void> {
      await Promise.resolve();
      calls.push('setup');
    }
    handle(): void {
      calls.push('handle');
    }
    override finish(): void {
      calls.push('finish');
    }
  }
  const running = runHandler(new H());
  assert.ok(running instanceof Promise);
  assert.deepEqual(calls, []);
  await running;
  assert.deepEqual(calls, ['setup', 'handle', 'finish']);
});
