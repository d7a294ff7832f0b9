/**
 * The hermode command line: a thin shell that parses arguments, calls the library and formats the
 * result. Errors from the library arrive as HermodeError and leave as one line on stderr with exit
 * code 2 (bad input) or 1 (a computation that could not complete). `main` runs nothing at import
 * time; `bin.ts` is the process entry.
 */
import { CommanderError, type Command } from 'commander';
import { HermodeError } from '../errors.ts';
import { buildProgram } from './program.ts';
import { packageRoot } from '../package.ts';
import { NestedExit } from './exit.ts';
import { assignmentOption } from '../numeric/setup.ts';

/** hermode's version, read from the package.json above this module (source tree or dist/). */
export function packageVersion(): string {
  return packageRoot()?.version ?? 'unknown';
}

/**
 * Library errors name the field as the library knows it (`tau`, `threshold`); on the command line the
 * same value came from an option, so the line names the option (`--tau`) the user typed.
 */
function optionSpelling(cmd: Command, field: string | undefined): string | undefined {
  if (!field || field.startsWith('-')) return field;
  // parameter assignments (sets.eta_bar) came from --set name=value
  if (field === 'sets' || field.startsWith('sets.')) return assignmentOption(field);
  const opt = cmd.options.find((o) => o.attributeName() === field);
  return opt?.long ?? field;
}

/**
 * Commander's usage error as one line in hermode's format: `error: unknown command 'integrat'` and its
 * `(Did you mean integrate?)` become `unknown command 'integrat' (did you mean integrate?); …--help`.
 */
function usageLine(err: CommanderError, argv: string[]): string {
  const [first, ...rest] = err.message.split('\n').map((l) => l.trim()).filter(Boolean);
  const text = first.replace(/^error:\s*/, '');
  const hint = rest.map((l) => l.replace(/^\((.*)\)$/, '$1').replace(/^Did you mean/, 'did you mean')).join('; ');
  const command = argv.slice(2).find((a) => !a.startsWith('-'));
  const help = err.code === 'commander.unknownCommand' || !command ? 'hermode --help' : `hermode ${command} --help`;
  return `${text}${hint ? ` (${hint})` : ''}; ${help} shows the usage`;
}

/** Runs the CLI on `argv` (node-style: [node, script, ...args]) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(packageVersion(), { writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  let active: Command = program;
  program.hook('preAction', (_program, command) => {
    active = command;
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof NestedExit) return err.code;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      process.stderr.write(`hermode: ${usageLine(err, argv)}\n`);
      return 2;
    }
    if (err instanceof HermodeError) {
      // a field of a file (err.where.file) is named as the file names it
      const field = err.where.file ? err.where.field : optionSpelling(active, err.where.field);
      const e = field === err.where.field ? err : new HermodeError(err.kind, err.message, { ...err.where, field });
      process.stderr.write(`hermode: ${e.line()}\n`);
      return err.exitCode;
    }
    process.stderr.write(`hermode: internal error: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}
