/** The process entry of the `hermode` command (bundled to dist/cli.js). */
import { main } from './main.ts';

// a reader that stops early (`hermode … | head`) is not an error
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv);
