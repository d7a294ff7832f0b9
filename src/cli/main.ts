/**
 * The hermode command line: a thin shell that parses arguments, calls the library and formats the
 * result. Errors from the library arrive as HermodeError and leave as one line on stderr with exit
 * code 2 (bad input) or 1 (a computation that could not complete).
 */
import { Command, CommanderError, Option } from 'commander';
import { HermodeError, usageError } from '../errors.ts';
import { registerCommands } from './commands.ts';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('hermode')
    .description('Overlap ODEs for two-layer networks trained by online SGD on Gaussian inputs: derive, generate, integrate.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof HermodeError) {
      process.stderr.write(`hermode: ${err.line()}\n`);
      return err.exitCode;
    }
    process.stderr.write(`hermode: internal error: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

export { Option, usageError };

const code = await main(process.argv);
process.exitCode = code;
