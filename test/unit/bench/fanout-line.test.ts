import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineKind, parseFanoutLine, writeDecimal } from '../../../src/bench/loads/fanout-load.js';

describe('fanout line format', () => {
  const marker = Buffer.from('skab12cd34 ', 'latin1');

  it('writeDecimal writes digits in place and returns the end', () => {
    const buf = Buffer.alloc(32, 0x2e);
    let end = writeDecimal(buf, 0, 0);
    end = writeDecimal(buf, end, 1_795_322_392_983_818);
    end = writeDecimal(buf, end, 42);
    assert.equal(buf.toString('latin1', 0, end), '0179532239298381842');
  });

  it('finds the marker anywhere (servers prefix a nick) and parses the numbers', () => {
    const line = Buffer.from('<user7> skab12cd34 3 41 1795322392983818\r', 'latin1');
    const out = new Float64Array(3);
    assert.equal(parseFanoutLine(line, 0, line.length, marker, out), LineKind.data);
    assert.deepEqual(Array.from(out), [3, 41, 1795322392983818]);
  });

  it('recognises probes and ignores other runs and other lines', () => {
    const out = new Float64Array(3);
    const probe = Buffer.from('<alice> skab12cd34 p', 'latin1');
    assert.equal(parseFanoutLine(probe, 0, probe.length, marker, out), LineKind.probe);
    for (const text of [
      '<announce> bob joined',
      'skffffffff 1 2 3',
      '<bob> skab12cd34 1 x 3',
      '',
    ]) {
      const b = Buffer.from(text, 'latin1');
      assert.equal(parseFanoutLine(b, 0, b.length, marker, out), LineKind.other, text);
    }
  });

  it('does not read a marker past the end of the line', () => {
    const buf = Buffer.from('hello\nskab12cd34 1 2 3', 'latin1');
    const out = new Float64Array(3);
    assert.equal(parseFanoutLine(buf, 0, 5, marker, out), LineKind.other);
  });
});
