/**
 * Backslash escapes for `--send TEXT`, so that `'GET / HTTP/1.0\r\n\r\n'` typed in a
 * shell (where `\r\n` stays two characters each) becomes the bytes a server expects.
 * @module
 */
import { InvalidArgumentError } from '../../errors.js';

const SIMPLE: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '0': '\0',
  '\\': '\\',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  e: '\x1b',
};

/**
 * Interprets `\r`, `\n`, `\t`, `\0`, `\\`, `\xHH` (one byte) and `\e` in `text` and
 * returns the bytes (the rest of the text is encoded as UTF-8).
 * @throws {InvalidArgumentError} for an unknown escape or a bad `\x` sequence.
 * @example
 * interpretEscapes('GET / HTTP/1.0\\r\\n\\r\\n').toString(); // 'GET / HTTP/1.0\r\n\r\n'
 */
export function interpretEscapes(text: string): Buffer {
  const parts: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch !== '\\') {
      plain += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) {
      throw new InvalidArgumentError('--send: the text ends with a lone backslash (write \\\\)');
    }
    if (next === 'x') {
      const hex = text.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw new InvalidArgumentError(
          `--send: \\x must be followed by two hex digits, not "${hex}"`,
        );
      }
      parts.push(Buffer.from(plain, 'utf8'), Buffer.from([Number.parseInt(hex, 16)]));
      plain = '';
      i += 3;
      continue;
    }
    const simple = SIMPLE[next];
    if (simple === undefined) {
      throw new InvalidArgumentError(
        `--send: unknown escape \\${next} (known: \\r \\n \\t \\0 \\\\ \\xHH \\e \\a \\b \\f \\v)`,
      );
    }
    plain += simple;
    i += 1;
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}
