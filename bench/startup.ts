/**
 * Start-up and whole-process benchmarks (`npm run bench:startup`, part of `npm run bench`): each
 * command is run as a separate process through the real binary (bin/hermode.js → dist/), pinned to
 * one core with taskset where available, 5 times; the table gives the median wall time and the median
 * CPU time (user + system, from /usr/bin/time). In-process, the first integration after loading is
 * JIT-cold: its time is measured beside the warm median, in a fresh process for each.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { table } from '../src/report/format.ts';

const rows: (string | number)[][] = [];
const pin = existsSync('/usr/bin/taskset') ? ['/usr/bin/taskset', '-c', '0'] : [];
const timed = existsSync('/usr/bin/time');
if (!existsSync('dist/cli.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });

/** Median wall and CPU seconds of `reps` runs of `node bin/hermode.js ...args`. */
function processTime(args: string[], reps = 5): { wall: number; cpu: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < reps; i++) {
    const cmd = [...pin, ...(timed ? ['/usr/bin/time', '-f', '%e %U %S'] : []), process.execPath, 'bin/hermode.js', ...args];
    const t0 = performance.now();
    const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    if (timed) {
      const [, u, s] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
      cpus.push(u + s);
    }
    walls.push(wall);
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { wall: med(walls), cpu: timed ? med(cpus) : NaN };
}

const report = (what: string, args: string[], aim: string) => {
  const t = processTime(args);
  rows.push([what, `${t.wall.toFixed(3)} s`, `${t.cpu.toFixed(3)} s`, aim]);
  console.error(`  ${what}: wall ${t.wall.toFixed(3)} s, CPU ${t.cpu.toFixed(3)} s`);
  return t;
};

report('hermode --version', ['--version'], '≤ 0.2 s');
report('hermode --help', ['--help'], '≤ 0.2 s');
report('hermode hermite "tanh(z)"', ['hermite', 'tanh(z)'], '');
report('integrate saad-solla-erf-classic, η = 0.5, α ≤ 1000', ['integrate', 'derivations/saad-solla-erf-classic.yaml', '--set', 'eta=0.5', '--alpha', '1000'], '');
process.env.HERMODE_KERNELS = 'js';
report('the same with HERMODE_KERNELS=js (generated/X.ts instead of X.wasm)', ['integrate', 'derivations/saad-solla-erf-classic.yaml', '--set', 'eta=0.5', '--alpha', '1000'], '');
delete process.env.HERMODE_KERNELS;
const out = mkdtempSync(join(tmpdir(), 'hermode-bench-'));
for (const f of readdirSync('derivations').filter((f) => f.endsWith('.yaml')).sort())
  report(`derive ${f}`, ['derive', join('derivations', f), '--out-dir', out], '≤ 0.5 s');

// The same job in C: the generated C right-hand side of the same file, driven by fixed-step Euler
// (dα = 0.01, the classic integrators' scheme; examples/euler.c) from the same initial state.
{
  const { defaultOverlaps, derive, stateOf } = await import('../src/index.ts');
  const d = derive('derivations/saad-solla-erf-classic.yaml');
  const y0 = stateOf(defaultOverlaps(d.model, 1), d.layout);
  const exe = join(out, 'euler');
  const cc = spawnSync('cc', ['-std=c99', '-O2', '-I', 'generated', 'examples/euler.c', 'generated/saad-solla-erf-classic.c', '-lm', '-o', exe], { encoding: 'utf8' });
  if (cc.status === 0) {
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < 5; i++) {
      const cmd = [...pin, ...(timed ? ['/usr/bin/time', '-f', '%e %U %S'] : []), exe, '1000', ...y0.map(String)];
      const t0 = performance.now();
      const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
      walls.push((performance.now() - t0) / 1000);
      if (timed) {
        const [, u, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
        cpus.push(u + sys);
      }
    }
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[2];
    rows.push(['same job in C: generated C RHS + Euler dα = 0.01 (examples/euler.c, cc -O2)', `${med(walls).toFixed(3)} s`, `${timed ? med(cpus).toFixed(3) : 'NaN'} s`, '']);
  }
}

// JIT-cold against warm integration in one process (library from dist/)
const probe = `
import { derive, integrate } from './dist/index.js';
const t0 = performance.now();
const d = derive('derivations/saad-solla-erf-classic.yaml');
const t1 = performance.now();
const run = () => integrate(d, { tauEnd: 500, points: 61, sets: { eta: 0.5 } });
run();
const t2 = performance.now();
const warm = [];
for (let i = 0; i < 7; i++) { const s = performance.now(); run(); warm.push(performance.now() - s); }
warm.sort((a, b) => a - b);
console.log(JSON.stringify({ derive: t1 - t0, cold: t2 - t1, warm: warm[3] }));
`;
// each kernel kind in its own fresh processes, interleaved, median of 5
const probes: Record<'wasm' | 'js', { derive: number; cold: number; warm: number }[]> = { wasm: [], js: [] };
for (let i = 0; i < 5; i++)
  for (const kernels of ['wasm', 'js'] as const) {
    const r = spawnSync(pin[0] ?? process.execPath, [...pin.slice(1), ...(pin.length ? [process.execPath] : []), '--input-type=module', '-e', probe], { encoding: 'utf8', env: { ...process.env, HERMODE_KERNELS: kernels } });
    probes[kernels].push(JSON.parse(r.stdout.trim()));
  }
const med5 = (xs: number[]) => xs.sort((a, b) => a - b)[2];
for (const kernels of ['wasm', 'js'] as const) {
  const j = { derive: med5(probes[kernels].map((x) => x.derive)), cold: med5(probes[kernels].map((x) => x.cold)), warm: med5(probes[kernels].map((x) => x.warm)) };
  const name = kernels === 'wasm' ? 'WebAssembly kernels' : 'JavaScript kernels (HERMODE_KERNELS=js)';
  rows.push([`in-process derive saad-solla-erf-classic (first in process), ${name}`, `${j.derive.toFixed(1)} ms`, '', '']);
  rows.push([`in-process integrate, α ≤ 1000: first call (JIT-cold), ${name}`, `${j.cold.toFixed(1)} ms`, '', kernels === 'wasm' ? `≤ 2× warm (${(j.cold / j.warm).toFixed(1)}×)` : `${(j.cold / j.warm).toFixed(1)}× warm`]);
  rows.push([`in-process integrate, α ≤ 1000: warm (median of 7), ${name}`, `${j.warm.toFixed(1)} ms`, '', '']);
}

console.log(table(['whole process (median of 5, one core)', 'wall', 'CPU', 'aim'], rows, ['l', 'r', 'r', 'l']));
