import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neutralizeTerminalText } from '../../../src/cli/terminal-text.js';

describe('neutralizeTerminalText', () => {
  it('leaves ordinary text (tabs, accents, emoji, CJK) alone', () => {
    for (const t of ['hello', 'a\tb', 'héllo wörld', '😀 漢字', '<alice> hi']) {
      assert.equal(neutralizeTerminalText(t), t);
    }
  });

  it('escapes C0, DEL, C1, bidi controls and separators', () => {
    assert.equal(neutralizeTerminalText('\u001b[31mred'), '\\x1b[31mred');
    assert.equal(neutralizeTerminalText('a\rb\nc\u0000'), 'a\\x0db\\x0ac\\x00');
    assert.equal(neutralizeTerminalText('\u007f\u0085\u009b'), '\\x7f\\x85\\x9b');
    assert.equal(
      neutralizeTerminalText('\u202e\u202a\u2066\u2069\u200e\u200f\u061c\u2028\u2029'),
      '\\u{202e}\\u{202a}\\u{2066}\\u{2069}\\u{200e}\\u{200f}\\u{61c}\\u{2028}\\u{2029}',
    );
  });

  it('is idempotent on its own output', () => {
    const once = neutralizeTerminalText('x\u001b]0;t\u0007\u202e');
    assert.equal(neutralizeTerminalText(once), once);
  });
});
