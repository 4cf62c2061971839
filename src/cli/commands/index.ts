/**
 * Every CLI subcommand, in the order `--help` lists them. A command is added here
 * by the change that makes it work: none is listed before it does.
 * @module
 */
import type { Command } from 'commander';
import type { CliIO } from '../io.js';

/** Builds one subcommand. Its action must resolve to an exit code via `setExitCode`. */
export type CommandFactory = (io: CliIO, setExitCode: (code: number) => void) => Command;

export const commands: CommandFactory[] = [];
