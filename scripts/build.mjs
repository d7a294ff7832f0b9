#!/usr/bin/env node
// Builds dist/: the CLI and the library as ES-module bundles (code-split, so each command loads only
// what it uses), the simulation worker as one CommonJS file, and with --types the library's
// declaration files (--types-only: just those). Run by `npm ci` (prepare), `npm start`, `npm run
// build` and the test suite.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  absWorkingDir: root,
  logLevel: 'warning',
  legalComments: 'none',
  // Loaded when used: plots (vega), KaTeX, esbuild; mathjs (its single-file build, src/symbolic/mathjs.ts)
  // and odex are required at run time from node_modules.
  external: ['vega', 'vega-lite', 'katex', 'esbuild', 'odex', 'mathjs'],
};

const noParserInWorker = {
  name: 'no-parser-in-worker',
  setup(b) {
    b.onResolve({ filter: /(^|\/)mathjs\.ts$/ }, (a) => (a.importer.includes('symbolic') ? { path: 'mathjs-stub', namespace: 'stub' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: "export const math = new Proxy({}, { get() { throw new Error('a simulation worker parses no expression'); } });",
      loader: 'js',
    }));
  },
};

const typesOnly = process.argv.includes('--types-only');
if (!typesOnly) rmSync(dist, { recursive: true, force: true });
if (!typesOnly) await Promise.all([
  build({
    ...shared,
    entryPoints: { cli: 'src/cli/bin.ts', index: 'src/index.ts' },
    outdir: dist,
    format: 'esm',
    splitting: true,
    chunkNames: '[name]-[hash]',
    // bundled CommonJS (mathjs, commander) may call require(); give the ES module one
    banner: { js: "import { createRequire as __hermodeRequire } from 'node:module'; const require = __hermodeRequire(import.meta.url);" },
  }),
  // the worker evaluates compiled sources only: the rules' files it carries may name the expression
  // parser, never call it, so mathjs is left out of its bundle (a call would say so)
  build({ ...shared, entryPoints: { worker: 'src/simulate/worker.ts' }, outdir: dist, format: 'cjs', outExtension: { '.js': '.cjs' }, plugins: [noParserInWorker] }),
]);

if (typesOnly || process.argv.includes('--types')) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  // declaration files keep the sources' `.ts` specifiers; consumers resolve `.js` to the `.d.ts` beside it
  const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
  for (const f of walk(join(dist, 'types')).filter((f) => f.endsWith('.d.ts')))
    writeFileSync(f, readFileSync(f, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
}
