/**
 * `splitCommand`: the argv of `exec:COMMAND`, split as a shell would split words but
 * with nothing else a shell does — no variables, globs, pipes, redirections or `;`. A
 * `;` or `|` is an ordinary character of a word, so `exec:echo a;rm x` runs `echo` with
 * the one argument `a;rm` and then `x`, never `rm`.
 *
 * ```
 *  cat -n            ─▶ ["cat", "-n"]
 *  printf '%s\n' "a b" ─▶ ["printf", "%s\n", "a b"]     quotes group; \ escapes outside '…'
 * ```
 * @module
 */

/**
 * Splits `command` into words: whitespace separates them, `'…'` keeps its content as
 * is, `"…"` keeps it with `\"` and `\\` escapes, and `\` outside quotes escapes the
 * next character.
 * @throws {Error} for an unterminated quote or a trailing backslash.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      if (end === -1) throw new Error('unterminated single quote');
      word += command.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === '\\' && (command[j + 1] === '"' || command[j + 1] === '\\')) j++;
        word += command[j];
      }
      if (j >= command.length) throw new Error('unterminated double quote');
      i = j;
    } else if (ch === '\\') {
      if (i + 1 >= command.length) throw new Error('trailing backslash');
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
