/**
 * Every CLI subcommand, in the order `--help` lists them. A command is added here
 * by the change that makes it work: none is listed before it does.
 *
 * Each entry loads its module on demand: `socketkit serve …` imports the server and the
 * services, not the load generator, the chat client or the exec client. Besides start-up
 * time this matters for the servers' speed: a process that loaded every command keeps a
 * larger old generation, and V8 then answered the external-memory churn of bulk echo
 * (a fresh 64 KiB read buffer per chunk) with a major GC every ~30 ms, doubling the
 * server's CPU per megabyte (docs/performance.md, "stream").
 * @module
 */
import type { Command } from 'commander';
import type { CliIO } from '../io.js';

/** Builds one subcommand. Its action must resolve to an exit code via `setExitCode`. */
export type CommandFactory = (io: CliIO, setExitCode: (code: number) => void) => Command;

/** A subcommand's name and how to load its factory. */
export interface CommandEntry {
  readonly name: string;
  readonly load: () => Promise<CommandFactory>;
}

export const commandEntries: readonly CommandEntry[] = [
  { name: 'serve', load: async () => (await import('./serve.js')).serveCommand },
  { name: 'connect', load: async () => (await import('./connect.js')).connectCommand },
  { name: 'listen', load: async () => (await import('./listen.js')).listenCommand },
  { name: 'relay', load: async () => (await import('./relay.js')).relayCommand },
  { name: 'resolve', load: async () => (await import('./resolve.js')).resolveCommand },
  { name: 'time', load: async () => (await import('./time.js')).timeCommand },
  { name: 'sntp', load: async () => (await import('./sntp.js')).sntpCommand },
  { name: 'rdate', load: async () => (await import('./rdate.js')).rdateCommand },
  { name: 'chat', load: async () => (await import('./chat.js')).chatCommand },
  { name: 'exec', load: async () => (await import('./exec.js')).execCommand },
  { name: 'bench', load: async () => (await import('./bench.js')).benchCommand },
];

/**
 * The factories a command line needs: only the named subcommand's when `argv` starts with
 * one, else all of them (for `--help`, `--version` and the "unknown command" suggestions).
 */
export async function loadCommands(argv: readonly string[]): Promise<CommandFactory[]> {
  const named = commandEntries.find((entry) => entry.name === argv[0]);
  const entries = named === undefined ? commandEntries : [named];
  return Promise.all(entries.map((entry) => entry.load()));
}
