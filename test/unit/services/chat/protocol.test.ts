import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareEventIds,
  escapeControls,
  formatEvent,
  normalizeRoom,
  sanitizeLine,
  validateNick,
} from '../../../../src/services/chat/protocol.js';

describe('chat protocol', () => {
  it('validates nicknames', () => {
    assert.equal(validateNick('alice'), null);
    assert.equal(validateNick('Zoë_2-x'), null);
    assert.match(validateNick('') ?? '', /empty/);
    assert.match(validateNick('2fast') ?? '', /starts with a letter/);
    assert.match(validateNick('has space') ?? '', /letters, digits/);
    assert.match(validateNick('a'.repeat(25)) ?? '', /at most 24/);
    assert.match(validateNick('Announce') ?? '', /reserved/);
    assert.match(validateNick('<server>') ?? '', /starts with a letter/);
  });

  it('normalises room names', () => {
    assert.deepEqual(normalizeRoom('Dev'), { room: '#dev' });
    assert.deepEqual(normalizeRoom('#dev'), { room: '#dev' });
    assert.ok('error' in normalizeRoom('#'));
    assert.ok('error' in normalizeRoom('#a b'));
    assert.ok('error' in normalizeRoom(`#${'x'.repeat(40)}`));
  });

  it('replaces invalid UTF-8, strips the CR of CRLF, escapes controls', () => {
    assert.equal(sanitizeLine(Buffer.from('hello\r')), 'hello');
    assert.equal(sanitizeLine(Buffer.from([0x61, 0xc3, 0x28, 0x62])), 'a\uFFFD(b');
    assert.equal(
      sanitizeLine(Buffer.from('a\u001b[31mred\u0000\r\u0007b')),
      'a\\x1b[31mred\\x00\\x0d\\x07b',
    );
    assert.equal(escapeControls('tab\tok\u009bcsi\u007f'), 'tab\tok\\x9bcsi\\x7f');
    assert.equal(sanitizeLine(Buffer.from('日本語 ok')), '日本語 ok');
  });

  it('formats every event kind', () => {
    const base = { room: '#lobby', nick: 'alice', origin: 'n/1' };
    assert.equal(formatEvent({ ...base, kind: 'msg', text: 'hi' }), '<alice> hi');
    assert.equal(formatEvent({ ...base, kind: 'action', text: 'waves' }), '* alice waves');
    assert.equal(
      formatEvent({ ...base, kind: 'join', text: '' }),
      '<announce> alice joined #lobby',
    );
    assert.equal(formatEvent({ ...base, kind: 'leave', text: '' }), '<announce> alice left #lobby');
    assert.equal(
      formatEvent({ ...base, kind: 'leave', text: 'bye' }),
      '<announce> alice left #lobby (bye)',
    );
    assert.equal(
      formatEvent({ ...base, kind: 'nick', text: 'al' }),
      '<announce> alice is now known as al',
    );
    assert.equal(
      formatEvent({ ...base, kind: 'topic', text: 't' }),
      '<announce> alice set the topic of #lobby: t',
    );
    assert.equal(
      formatEvent({ ...base, kind: 'private', text: 'psst', to: 'bob' }),
      '*alice* psst',
    );
  });

  it('compares stream ids numerically', () => {
    assert.ok(compareEventIds('0-9', '0-10') < 0);
    assert.ok(compareEventIds('1700000000001-0', '1700000000000-99') > 0);
    assert.equal(compareEventIds('5-5', '5-5'), 0);
  });
});
