/** The process entry of the `hermode` command (bundled to dist/cli.js). */
import { main } from './main.ts';

process.exitCode = await main(process.argv);
