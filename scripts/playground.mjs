#!/usr/bin/env node
// Builds the playground page into dist/playground/ — index.html, page.js (the page), worker.js (the
// Web Worker that derives, integrates and simulates), worker-source.js (the same code as text, for a
// page opened from the file system, where a worker cannot be started from a file), katex/ (CSS and
// fonts) — with no CDN and nothing fetched; with --serve also serves it on 127.0.0.1 (--port N, default
// 8765) from Node's standard library. `npm run playground` builds and serves.
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'playground');
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : 8765;
if (portAt >= 0 && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
  process.stderr.write(`hermode playground: --port = ${JSON.stringify(args[portAt + 1])}: expected an integer port 0–65535\n`);
  process.exit(2);
}
for (const a of args) if (a.startsWith('--') && !['--serve', '--port', '--quiet'].includes(a)) {
  process.stderr.write(`hermode playground: unknown option ${a} (known: --serve, --port N, --quiet)\n`);
  process.exit(2);
}

// Node's modules in the browser: each replaced by a shim of src/playground/shims/ (node:module by the
// two CommonJS packages hermode requires, bundled and evaluated when first required)
const SHIMMED = ['fs', 'path', 'url', 'crypto', 'v8', 'worker_threads'];
const browserNode = {
  name: 'hermode-browser-node',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => {
      const name = a.path.slice(5);
      if (name === 'module') return { path: 'module', namespace: 'hermode-shim' };
      if (SHIMMED.includes(name)) return { path: join(root, 'src', 'playground', 'shims', `${name}.ts`) };
      return { errors: [{ text: `${a.path} has no browser shim (imported by ${a.importer})` }] };
    });
    b.onResolve({ filter: /^esbuild$/ }, () => ({ path: join(root, 'src', 'playground', 'shims', 'esbuild.ts') }));
    b.onLoad({ filter: /.*/, namespace: 'hermode-shim' }, () => ({
      resolveDir: root,
      loader: 'js',
      // required on first use (the bundler initialises a required module at the call): a page that
      // parses no expression never evaluates mathjs
      contents: `export function createRequire() {
  const req = (id) => {
    if (id === 'odex') return require('odex');
    if (id === 'mathjs/lib/browser/math.js') return require('mathjs/lib/browser/math.js');
    throw new TypeError(id + ' is not bundled into the page');
  };
  req.resolve = (id) => { throw new TypeError(id + ' has no path in the browser'); };
  return req;
}
export default { createRequire };`,
    }));
  },
};

const common = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome110',
  minify: true,
  absWorkingDir: root,
  logLevel: 'warning',
  legalComments: 'none',
  write: false,
  plugins: [browserNode],
  define: { 'import.meta.url': '"file:///hermode/"' },
};

export async function buildPlayground() {
  const t0 = Date.now();
  const worker = await build({ ...common, entryPoints: ['src/playground/worker.ts'] });
  const presets = Object.fromEntries(
    readdirSync(join(root, 'derivations'))
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => [f.replace(/\.yaml$/, ''), readFileSync(join(root, 'derivations', f), 'utf8')])
      // parameter-dynamics files are not overlap models: the page derives overlap models only
      .filter(([, text]) => !/^kind:\s*parameter-dynamics/m.test(text)),
  );
  const page = await build({
    ...common,
    entryPoints: ['src/playground/page.ts'],
    define: { ...common.define, HERMODE_PRESETS: JSON.stringify(presets) },
  });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'page.js'), page.outputFiles[0].text);
  writeFileSync(join(out, 'worker.js'), worker.outputFiles[0].text);
  // from the file system a worker cannot be started from a file: the page makes it from this text
  writeFileSync(join(out, 'worker-source.js'), `window.HERMODE_WORKER_SOURCE = ${JSON.stringify(worker.outputFiles[0].text)};\n`);
  const katexDist = join(dirname(require.resolve('katex/package.json')), 'dist');
  mkdirSync(join(out, 'katex'), { recursive: true });
  cpSync(join(katexDist, 'katex.min.css'), join(out, 'katex', 'katex.min.css'));
  cpSync(join(katexDist, 'fonts'), join(out, 'katex', 'fonts'), { recursive: true });
  writeFileSync(join(out, 'index.html'), readFileSync(join(root, 'src', 'playground', 'index.html'), 'utf8'));
  return { dir: out, pageBytes: statSync(join(out, 'page.js')).size, workerBytes: worker.outputFiles[0].text.length, ms: Date.now() - t0 };
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf' };

/** A static server of dist/playground on 127.0.0.1 (nothing outside the folder is served). */
export function servePlayground(listenPort) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(out, path === '/' ? 'index.html' : path));
    if (!file.startsWith(out) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(file));
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolveListen(server));
  });
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const quiet = args.includes('--quiet');
  const built = await buildPlayground();
  if (!quiet) process.stdout.write(`built ${built.dir}: page.js ${(built.pageBytes / 1e6).toFixed(2)} MB, worker.js ${(built.workerBytes / 1e6).toFixed(2)} MB in ${(built.ms / 1000).toFixed(1)} s; open index.html from the file system, or --serve\n`);
  if (args.includes('--serve')) {
    try {
      const server = await servePlayground(port);
      process.stdout.write(`hermode playground: http://127.0.0.1:${server.address().port}/ (Ctrl-C stops)\n`);
    } catch (err) {
      process.stderr.write(`hermode playground: --port = ${port}: cannot listen (${err.code ?? err.message})\n`);
      process.exit(1);
    }
  }
}
