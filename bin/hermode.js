#!/usr/bin/env node
// hermode's command line: the bundle that `npm ci` (prepare) and `npm run build` write to dist/.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('hermode: dist/cli.js is missing; run `npm run build` (npm ci runs it)\n');
  process.exit(1);
}
await import(cli.href);
