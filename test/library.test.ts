/**
 * hermode as a dependency: a separate project (README's set-up: hermode in node_modules, ES modules,
 * NodeNext) that imports 'hermode' type-checks against the published declarations, and README's
 * library example (examples/library.ts) runs there — from a folder with no derivations/ of its own,
 * so the shipped derivation is found by name.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { tmp } from './helpers.ts';

const require = createRequire(import.meta.url);
const root = process.cwd();

/** A user project as README sets it up: hermode in node_modules, "type": "module", tsconfig with NodeNext. */
function consumerProject(): string {
  const dir = tmp('hermode-consumer-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'hermode'), 'dir');
  symlinkSync(join(root, 'node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'] }, include: ['*.ts'] }),
  );
  copyFileSync(join(root, 'examples/library.ts'), join(dir, 'library.ts'));
  return dir;
}

describe('the public API', () => {
  // the declarations a consumer type-checks against (dist/ itself is built by the global setup)
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build.mjs', '--types-only']);
  });

  it('a separate project importing hermode type-checks (strict, NodeNext) against dist/types', () => {
    const dir = consumerProject();
    // a type error the declarations must catch: integrate's request has no field `tau`
    writeFileSync(join(dir, 'wrong.ts'), "import { derive, integrate } from 'hermode';\nintegrate(derive('x.yaml'), { tau: 5 });\n");
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: dir, encoding: 'utf8' });
    const errors = r.stdout.split('\n').filter((l) => /error TS/.test(l));
    expect(errors.filter((l) => !l.startsWith('wrong.ts'))).toEqual([]);
    expect(errors.some((l) => l.startsWith('wrong.ts') && /tau/.test(l))).toBe(true);
  });

  it('examples/library.ts runs in a user project without derivations/: derive by name, integrate, map, simulate, compare, a rule, diagnostics, and a HermodeError for bad input', () => {
    const dir = consumerProject();
    expect(existsSync(join(dir, 'derivations'))).toBe(false);
    const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const r = spawnSync(process.execPath, ['--import', tsx, 'library.ts'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/c_1\(erf\(z\/√2\)\) = 0\.564190, information exponent 1/);
    // risk falls along the ODE: first and last values printed
    const [, r0, r1] = /ODE: risk ([\d.]+) → ([\d.]+)/.exec(r.stdout) ?? [];
    expect(Number(r1)).toBeLessThan(Number(r0));
    expect(r.stdout).toMatch(/compare: M_11 z≤/);
    // a rule through the library: γ_t and the clock; diagnostics: the gradient norm falls with n_b
    const [, steps, samples] = /LARS: γ_t [\d.]+ → [\d.]+, (\d+) steps, (\d+) samples/.exec(r.stdout) ?? [];
    expect(Number(samples)).toBeCloseTo(10 * Number(steps), -1);
    const norms = (/diagnose: ‖g_W‖ = ([\d., ]+);/.exec(r.stdout)?.[1] ?? '').split(', ').map(Number);
    expect(norms).toHaveLength(3);
    expect(norms[0]).toBeGreaterThan(norms[1]);
    expect(norms[1]).toBeGreaterThan(norms[2]);
    expect(r.stdout).toMatch(/bad input: tau = -1: must be a finite number > 0 \(exit code 2\)/);
  });
});
