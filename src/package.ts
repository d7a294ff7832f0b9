/**
 * Where hermode's own package lies (the folder with its package.json, above this module in the
 * source tree and in dist/ alike), its version, and the derivations it ships: a name such as
 * `saad-solla-erf` is `derivations/saad-solla-erf.yaml` of the package, wherever the caller runs.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: { dir: string; version: string } | null | undefined;

/** The package folder and version, or null when this module is not inside hermode's package. */
export function packageRoot(): { dir: string; version: string } | null {
  if (root !== undefined) return root;
  root = null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const f = join(dir, 'package.json');
    if (!existsSync(f)) continue;
    const pkg = JSON.parse(readFileSync(f, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'hermode' && pkg.version) return (root = { dir, version: pkg.version });
  }
  return root;
}

/** The names of the derivations hermode ships (derivations/*.yaml of the package). */
export function shippedDerivations(): string[] {
  const r = packageRoot();
  const dir = r && join(r.dir, 'derivations');
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * A derivation file as given when it exists; otherwise a bare name (no folder, with or without
 * .yaml) that hermode ships resolves to the package's file. Anything else is returned unchanged,
 * for the reader to report.
 */
export function resolveDerivationFile(file: string): string {
  if (existsSync(file) || /[\\/]/.test(file)) return file;
  const name = file.endsWith('.yaml') ? file.slice(0, -5) : file;
  const r = packageRoot();
  const shipped = r && join(r.dir, 'derivations', `${name}.yaml`);
  return shipped && existsSync(shipped) ? shipped : file;
}
