/**
 * The demo allowlist of the S5/S8 examples: a few harmless commands that exist on this
 * machine, by absolute path. `echo` takes any arguments (they reach it literally: there
 * is no shell to interpret `;` or `$(…)`) but no options; `ls` only paths made of safe
 * characters, and of its options only `-l`, `-a` and `-la` (an argument starting with `-`
 * is refused unless the entry lists it: `sort --output=FILE` would write files).
 */
import { existsSync } from 'node:fs';

type Entry =
  string | { path: string; args?: string[]; allowArgs?: string; options?: boolean | string[] };

/** The commands that exist here, in the shape of the exec service's `commands` option. */
export function demoCommands(): Record<string, Entry> {
  const candidates: Record<string, Entry> = {
    echo: { path: '/bin/echo', allowArgs: '.*' },
    date: '/bin/date',
    uptime: '/usr/bin/uptime',
    ls: { path: '/bin/ls', allowArgs: '[\\w./-]*', options: ['-l', '-a', '-la'] },
  };
  return Object.fromEntries(
    Object.entries(candidates).filter(([, e]) => existsSync(typeof e === 'string' ? e : e.path)),
  );
}
