/**
 * Text from the network, made safe to print on a terminal: every character that a
 * terminal would act on instead of showing — C0 controls (except tab), DEL, C1 controls
 * (U+0080–U+009F, where a single U+009B is a CSI), and the bidirectional-text controls
 * and line/paragraph separators that reorder or split what is shown — is written
 * visibly as `\xNN` or `\u{NNNN}`. ESC itself is escaped, so no escape sequence (colour,
 * cursor movement, screen clearing, window title, OSC 8 links, …) survives.
 *
 * ```
 *  "hi \x1b[2J\u202e!"  ─▶  "hi \\x1b[2J\\u{202e}!"
 * ```
 * @module
 */

/** What is escaped: C0 except tab, DEL, C1, ALM, LRM/RLM, LS/PS, bidi embeddings, overrides, isolates. */
const UNSAFE =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');

/**
 * Escapes the characters a terminal would act on (see the module comment).
 * @example
 * neutralizeTerminalText('a\x1b[31mb'); // 'a\\x1b[31mb'
 */
export function neutralizeTerminalText(text: string): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
