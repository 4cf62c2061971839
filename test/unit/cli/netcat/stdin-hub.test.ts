import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { type InputSink, StdinHub } from '../../../../src/cli/netcat/stdin-hub.js';

function sink(accept = true): InputSink & { got: string[]; ended: boolean; drain: () => void } {
  let listener: (() => void) | null = null;
  const s = {
    got: [] as string[],
    ended: false,
    accept,
    write(chunk: Buffer) {
      s.got.push(chunk.toString());
      return s.accept;
    },
    onDrain(l: () => void) {
      listener = l;
    },
    end() {
      s.ended = true;
    },
    drain() {
      s.accept = true;
      listener?.();
    },
  };
  return s;
}

test('broadcasts input to every attached sink and ends them all', async () => {
  const input = new PassThrough();
  const hub = new StdinHub(input, { crlf: true });
  const a = sink();
  const b = sink();
  hub.attach(a);
  hub.attach(b);
  input.write('hi\n');
  await new Promise((r) => setImmediate(r));
  input.end();
  await once(input, 'end');
  assert.deepEqual(a.got, ['hi\r\n']);
  assert.deepEqual(b.got, ['hi\r\n']);
  assert.equal(a.ended && b.ended && hub.ended, true);
  const late = sink();
  hub.attach(late);
  assert.equal(late.ended, true, 'a sink attached after EOF is ended at once');
});

test('pauses input while a sink is behind, resumes on its drain', async () => {
  const input = new PassThrough();
  const hub = new StdinHub(input);
  const slow = sink(false);
  hub.attach(slow);
  input.write('a');
  await new Promise((r) => setImmediate(r));
  assert.equal(input.isPaused(), true);
  slow.drain();
  assert.equal(input.isPaused(), false);
  hub.close();
});

test('reads nothing until a sink is attached', async () => {
  const input = new PassThrough();
  const hub = new StdinHub(input);
  input.write('kept');
  await new Promise((r) => setImmediate(r));
  const s = sink();
  hub.attach(s);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(s.got, ['kept']);
  hub.close();
});
