/**
 * Every CLI subcommand, in the order `--help` lists them. A command is added here
 * by the change that makes it work: none is listed before it does.
 * @module
 */
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { benchCommand } from './bench.js';
import { chatCommand } from './chat.js';
import { connectCommand } from './connect.js';
import { execCommand } from './exec.js';
import { listenCommand } from './listen.js';
import { rdateCommand } from './rdate.js';
import { resolveCommand } from './resolve.js';
import { serveCommand } from './serve.js';
import { sntpCommand } from './sntp.js';
import { timeCommand } from './time.js';

/** Builds one subcommand. Its action must resolve to an exit code via `setExitCode`. */
export type CommandFactory = (io: CliIO, setExitCode: (code: number) => void) => Command;

export const commands: CommandFactory[] = [
  serveCommand,
  connectCommand,
  listenCommand,
  resolveCommand,
  timeCommand,
  sntpCommand,
  rdateCommand,
  chatCommand,
  execCommand,
  benchCommand,
];
