/**
 * Regression (issue 10, defect 9): nicknames could be forged with look-alike characters
 * (`ѕerver` in Cyrillic, fullwidth `Ｓｅｒｖｅｒ`, `ſerver`, `аnnounce`) or be blank
 * (U+3164, U+115F), and message text could hold bidi controls, line separators and
 * zero-width characters. Nicknames are now NFKC-normalised and unique (and reserved) by
 * their UTS #39 confusable skeleton; invisible characters are refused; message text
 * shows those characters escaped.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  escapeControls,
  nickKey,
  normalizeNick,
  validateNick,
} from '../../src/services/chat/protocol.js';
import {
  startChat,
  TestClient,
  type ChatServerHandle,
} from '../integration/services/chat-harness.js';

const FORGED_RESERVED = [
  'ѕerver',
  'Ｓｅｒｖｅｒ',
  'ſerver',
  'аnnounce',
  'HISTORY',
  'hіstory',
  'sеrvеr',
];
const BLANK = ['\u3164', '\u115f', 'a\u200bb', 'a\u202eb', 'a\u2066b', 'ab\u00ad', '\u3164\u3164x'];

describe('chat nicknames cannot be forged', () => {
  it('refuses reserved names in any look-alike spelling', () => {
    for (const raw of FORGED_RESERVED) {
      const err = validateNick(normalizeNick(raw));
      assert.ok(err !== null && /reserved/.test(err), `${raw}: ${err}`);
    }
  });

  it('refuses invisible, format, bidi and filler characters', () => {
    for (const raw of BLANK)
      assert.notEqual(validateNick(normalizeNick(raw)), null, JSON.stringify(raw));
    assert.equal(validateNick(normalizeNick('Ｊｏｓé')), null, 'fullwidth letters become ASCII');
    assert.equal(normalizeNick('Ｊｏｓé'), 'José');
  });

  it('look-alikes share one key (so one holder)', () => {
    assert.equal(nickKey('alice'), nickKey('аlice')); // Cyrillic а
    assert.equal(nickKey('bob'), nickKey('b0b'));
    assert.equal(nickKey('Paypal'), nickKey('PayPaI'));
    assert.notEqual(nickKey('alice'), nickKey('alicia'));
  });

  it('escapes bidi controls, separators and zero-width characters in messages', () => {
    assert.equal(escapeControls('a\u202eb'), 'a\\u{202e}b');
    assert.equal(escapeControls('a\u2028b\u2029c'), 'a\\u{2028}b\\u{2029}c');
    assert.equal(escapeControls('a\u200bb\ufeff'), 'a\\u{200b}b\\u{feff}');
    assert.equal(escapeControls('a\u2066b\u2069'), 'a\\u{2066}b\\u{2069}');
    assert.equal(escapeControls('tab\tok, 👩‍💻 ok'), 'tab\tok, 👩‍💻 ok');
  });

  describe('over loopback', () => {
    let server: ChatServerHandle;
    const clients: TestClient[] = [];
    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await server?.close();
    });

    it('an existing user cannot be impersonated, a marker cannot be taken', async () => {
      server = await startChat();
      const alice = await TestClient.join(server.port, 'alice');
      const mallory = await TestClient.join(server.port, 'mallory');
      clients.push(alice, mallory);
      mallory.send('/nick аlice'); // Cyrillic а
      await mallory.waitFor(/^<server> error: nickname "аlice" is taken$/);
      for (const forged of ['ѕerver', 'Ｓｅｒｖｅｒ', 'ſerver', 'аnnounce']) {
        const from = mallory.lines.length;
        mallory.send(`/nick ${forged}`);
        await mallory.waitFor(/^<server> error: .*reserved/, { from });
      }
      const from = mallory.lines.length;
      mallory.send('/nick \u3164');
      await mallory.waitFor(/^<server> error: /, { from });
      mallory.send('look \u202eright');
      await alice.waitFor(/^<mallory> look \\u\{202e\}right$/);
    });
  });
});
