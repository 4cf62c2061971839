import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isValidPresence,
  parseBusEvent,
  parseBusTopic,
} from '../../../../src/services/chat/bus-event.js';

const MAX = 64 * 1024;
const base = { kind: 'msg', room: '#lobby', nick: 'alice', text: 'hi', origin: 'node1/3' };
const parse = (over: Record<string, unknown>) =>
  parseBusEvent(JSON.stringify({ ...base, ...over }), MAX);

describe('parseBusEvent', () => {
  it('accepts a well-formed event and keeps only the known fields', () => {
    const r = parse({ extra: 'x', __proto__: { polluted: true } });
    assert.deepEqual(r, { event: base });
    const p = parse({ kind: 'private', to: 'bob' });
    assert.deepEqual(p, { event: { ...base, kind: 'private', to: 'bob' } });
    assert.ok('event' in parse({ kind: 'private', room: '', to: 'bob' }));
    assert.ok('event' in parse({ kind: 'nick', text: 'bob' }));
  });

  it('escapes the text like client input', () => {
    const r = parse({ text: 'a\u001b[2Jb\u0007\u009b' });
    assert.ok('event' in r);
    assert.equal(r.event.text, 'a\\x1b[2Jb\\x07\\x9b');
  });

  it('refuses every malformed field with a reason', () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /no "e"/],
      ['{', /not JSON/],
      ['null', /object/],
      ['[]', /object/],
      ['"s"', /object/],
      [JSON.stringify({ ...base, kind: 'boom' }), /kind/],
      [JSON.stringify({ ...base, kind: 1 }), /kind/],
      [JSON.stringify({ ...base, room: 'lobby' }), /room/],
      [JSON.stringify({ ...base, room: '#LOBBY' }), /room/],
      [JSON.stringify({ ...base, room: '' }), /room/],
      [JSON.stringify({ ...base, nick: 'server' }), /nick/],
      [JSON.stringify({ ...base, nick: 'Announce' }), /nick/],
      [JSON.stringify({ ...base, nick: 'a b' }), /nick/],
      [JSON.stringify({ ...base, nick: 'ａlice' }), /nick/],
      [JSON.stringify({ ...base, nick: null }), /nick/],
      [JSON.stringify({ ...base, text: 5 }), /text/],
      [JSON.stringify({ ...base, origin: '' }), /origin/],
      [JSON.stringify({ ...base, origin: 'a b' }), /origin/],
      [JSON.stringify({ ...base, kind: 'nick', text: 'history' }), /new nick/],
      [JSON.stringify({ ...base, kind: 'private' }), /recipient/],
      [JSON.stringify({ ...base, text: 'x'.repeat(MAX) }), /larger/],
    ];
    for (const [raw, reason] of cases) {
      const r = parseBusEvent(raw, MAX);
      assert.ok('error' in r, `accepted ${raw}`);
      assert.match(r.error, reason, String(raw));
    }
  });
});

describe('presence and topics from the bus', () => {
  it('checks presence entries and topics', () => {
    assert.equal(isValidPresence('alice', '#lobby'), true);
    assert.equal(isValidPresence('server', '#lobby'), false);
    assert.equal(isValidPresence('alice', 'lobby'), false);
    assert.equal(parseBusTopic('a\u001bb', 100), 'a\\x1bb');
    assert.equal(parseBusTopic('x'.repeat(101), 100), null);
    assert.equal(parseBusTopic(7, 100), null);
  });
});
