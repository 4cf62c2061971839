/**
 * The demo allowlist of the S5/S8 examples: a few harmless commands that exist on this
 * machine, by absolute path. `echo` takes any arguments (they reach it literally: there
 * is no shell to interpret `;` or `$(…)`); `ls` only paths made of safe characters.
 */
import { existsSync } from 'node:fs';

type Entry = string | { path: string; args?: string[]; allowArgs?: string };

/** The commands that exist here, in the shape of the exec service's `commands` option. */
export function demoCommands(): Record<string, Entry> {
  const candidates: Record<string, Entry> = {
    echo: { path: '/bin/echo', allowArgs: '.*' },
    date: '/bin/date',
    uptime: '/usr/bin/uptime',
    ls: { path: '/bin/ls', allowArgs: '-?[\\w./-]*' },
  };
  return Object.fromEntries(
    Object.entries(candidates).filter(([, e]) => existsSync(typeof e === 'string' ? e : e.path)),
  );
}
