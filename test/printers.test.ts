/**
 * One value, four printers: for every shipped derivation the generated Python (plain python3) and C
 * (compiled with -std=c99 -Wall -Wextra -Werror -O2, called through ctypes) agree with the TypeScript
 * module to 1e-12 relative at random valid states; name tables and defaults agree; and the LaTeX
 * shows, equation by equation, the templates and terms of the same equations.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deriveAnyFile, deriveSpec } from '../src/pipeline.ts';
import { loadAnySpecFile, parseSpec } from '../src/spec/load.ts';
import { deriveParamSpec } from '../src/paramdyn/derive.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { Rng } from '../src/random/rng.ts';
import { cPrefix } from '../src/codegen/module.ts';
import { equationTex, texName } from '../src/codegen/latex.ts';
import { templatesIn } from '../src/ode/equations.ts';
import { randomOverlaps, tmp } from './helpers.ts';

const files = readdirSync('derivations').filter((f) => f.endsWith('.yaml')).sort();
const cc = spawnSync('cc', ['--version']).status === 0;
const python = spawnSync('python3', ['--version']).status === 0;

/** Writes X.py, X.c, X.h for a derivation file into dir, builds X.so; returns paths. */
function build(file: string, dir: string): { py: string; so: string; prefix: string; name: string } {
  const g = deriveAnyFile(file, undefined, ['py', 'c']);
  for (const [suffix, content] of Object.entries(g.files)) writeFileSync(join(dir, `${g.name}${suffix}`), content);
  const so = join(dir, `${g.name}.so`);
  const r = spawnSync('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O2', '-shared', '-fPIC', '-o', so, join(dir, `${g.name}.c`), '-lm'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc failed for ${file}:\n${r.stderr}`);
  return { py: join(dir, `${g.name}.py`), so, prefix: cPrefix(g.name), name: g.name };
}

function evaluate(req: object): any {
  const r = spawnSync('python3', [resolve('test/fixtures/evaluate.py')], { input: JSON.stringify(req), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(a), Math.abs(b), 1e-12);

function expectClose(got: number[], want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, relErr(got[i], want[i]));
  expect(worst, what).toBeLessThan(1e-12);
}

/** Models not shipped: mixed activations, multi-index polynomial targets, projected and spherical, correlation loss, label noise, trained a. */
const unseenDir = tmp('hermode-unseen-');
const unseen = [
  'name: mixed\nstudent: {width: 3, activation: "tanh(z)", second_layer: {train: true, init: [1, -0.5, 2]}}\nteacher: {width: 1, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\ndynamics: projected\nnoise: 0.1\nexpectations: quadrature:8',
  'name: multi\nstudent: {width: 2, activation: "z + z^3/6 - z^2/3"}\nteacher: {width: 3, target: "nu1*nu2 - nu3 + He3(nu1)/6"}\nloss: correlation\ndynamics: spherical\nnoise: 0.05',
  'name: leaky-staircase\nstudent: {width: 3, activation: "max(z, 0.1*z)"}\nteacher: {width: 2, target: "nu1 + nu1*nu2"}\nloss: mse\ndynamics: plain\nnoise: 0.1',
  'name: abs-on-sign\nstudent: {width: 2, activation: "abs(z) + 0.5*z"}\nteacher: {width: 2, target: committee, activation: "sign(z)"}\nloss: mse',
  'name: quad-templates\nstudent: {width: 2, activation: "tanh(z)"}\nteacher: {width: 2, target: "nu1*nu2 + nu1"}\nloss: correlation\nexpectations: quadrature-templates',
  'name: lattice\nstudent: {width: 2, activation: "tanh(z)", second_layer: {train: true, init: [1, -0.5]}}\nteacher: {width: 2, target: committee, activation: "softplus(z) - log(2)"}\nloss: mse\nnoise: 0.1\nexpectations: lattice:1024',
  'name: sigmoid-on-tanh\nstudent: {width: 2, activation: "1/(1+exp(-z))", second_layer: {train: true, init: [1, -0.5]}}\nteacher: {width: 2, target: committee, activation: "1.3*tanh(0.8*z)"}\nloss: mse\nnoise: 0.1\nexpectations: mixture:5',
  'name: gelu-on-tanh\nstudent: {width: 2, activation: "z*(1+erf(z/sqrt(2)))/2", second_layer: {train: true, init: [1, -0.5]}}\nteacher: {width: 2, target: committee, activation: "tanh(z)"}\nloss: mse\nnoise: 0.1\nexpectations: probit:5',
  'name: hardtanh-on-erf\nstudent: {width: 2, activation: "max(-1, min(1, z))"}\nteacher: {width: 1, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\nnoise: 0.1\nexpectations: split:2',
  'name: hardtanh-probit\nstudent: {width: 2, activation: "max(-1, min(1, z))", second_layer: {train: true, init: [1, -0.5]}}\nteacher: {width: 2, target: committee, activation: "relu(z - 0.5)"}\nloss: mse\nnoise: 0.1\nexpectations: probit',
  'name: relu-weighted\nstudent: {width: 2, activation: "2*relu(z)", second_layer: {train: true, init: [1, 1]}}\nteacher: {width: 2, target: committee, activation: "relu(z)", weights: [1, 0.5]}\nnoise: 0.2',
].map((text) => {
  const f = join(unseenDir, `${/name: ([\w-]+)/.exec(text)?.[1]}.yaml`);
  writeFileSync(f, text + '\n');
  return f;
});

describe.skipIf(!cc || !python)('generated Python and C against the TypeScript module', () => {
  for (const path of [...files.map((f) => join('derivations', f)), ...unseen]) {
    const f = path.split('/').pop() as string;
    it(`${f}: moments, rhs and risk (or loss, gradient, Hessian) at random states`, () => {
      const dir = tmp('hermode-printers-');
      const b = build(path, dir);
      const any = loadAnySpecFile(path);
      const rng = new Rng(7, 3);
      if (any.kind === 'overlap') {
        const d = deriveSpec(any.spec);
        const { p, k } = d.model;
        const params = [...d.layout.defaultParams];
        params[d.layout.etaBar] = 0.7;
        params[d.layout.delta] = 0.05;
        if (d.layout.kappa >= 0) params[d.layout.kappa] = 0.3;
        const states = [1, 2, 3].map((s) => {
          const o = randomOverlaps(p, k, 100 + s, 0.5);
          return stateOf({ ...o, a: d.model.a0.map((a) => a * (0.8 + 0.4 * rng.uniform())) }, d.layout);
        });
        // P from a random teacher Gram matrix is kept at I: randomOverlaps builds Ω with P = I
        const out = evaluate({ py: b.py, so: b.so, prefix: b.prefix, kind: 'overlap', states, params });
        expect(out.names.state).toEqual(d.layout.stateNames);
        expect(out.names.c_state).toEqual(d.layout.stateNames);
        expect(out.names.params).toEqual(d.layout.paramNames);
        expect(out.names.c_defaults).toEqual(d.layout.defaultParams);
        expect(out.names.py_defaults).toEqual(d.layout.defaultParams);
        states.forEach((y, i) => {
          const mom = new Float64Array(d.layout.mom.size);
          d.compiled.moments(y, params, mom);
          const dy = new Float64Array(y.length);
          d.compiled.rhs(0, y, params, dy);
          const risk = d.compiled.risk(y, params);
          for (const lang of ['py', 'c'] as const) {
            const v = out[lang][i];
            expectClose(v.moments, mom, `${lang} moments`);
            expectClose(v.rhs, dy, `${lang} rhs`);
            expectClose([v.risk], [risk], `${lang} risk`);
          }
        });
      } else {
        const d = deriveParamSpec(any.spec);
        const n = d.vars.length;
        const params = [...d.module.defaultParams];
        const states = [0, 1, 2].map(() => Array.from({ length: n }, () => rng.normal()));
        const out = evaluate({ py: b.py, so: b.so, prefix: b.prefix, kind: 'param', states, params });
        states.forEach((th, i) => {
          const g = new Float64Array(n);
          d.compiled.grad(th, params, g);
          const H = new Float64Array(n * n);
          d.compiled.hessian(th, params, H);
          for (const lang of ['py', 'c'] as const) {
            const v = out[lang][i];
            expectClose(v.grad, g, `${lang} grad`);
            expectClose(v.hessian, H, `${lang} hessian`);
            expectClose([v.loss], [d.compiled.loss(th, params)], `${lang} loss`);
          }
        });
      }
    });
  }

  it('the comparison sees a wrong printer: a C file with one constant changed disagrees', () => {
    const dir = tmp('hermode-printers-');
    mkdirSync(dir, { recursive: true });
    const g = deriveAnyFile('derivations/saad-solla-erf.yaml', undefined, ['py', 'c']);
    writeFileSync(join(dir, 'saad-solla-erf.py'), g.files['.py']);
    writeFileSync(join(dir, 'saad-solla-erf.h'), g.files['.h']);
    // erf's 2/π written with 6 significant digits (as printf's %g would): a printer that loses precision
    writeFileSync(join(dir, 'saad-solla-erf.c'), (g.files['.c'] as string).replace('0.6366197723675814', '0.636620'));
    const so = join(dir, 'x.so');
    expect(spawnSync('cc', ['-std=c99', '-O2', '-shared', '-fPIC', '-o', so, join(dir, 'saad-solla-erf.c'), '-lm']).status).toBe(0);
    const d = deriveSpec(loadAnySpecFile('derivations/saad-solla-erf.yaml').spec as any);
    const y = stateOf({ ...randomOverlaps(2, 2, 5, 0.5), a: [1, 1] }, d.layout);
    const out = evaluate({ py: join(dir, 'saad-solla-erf.py'), so, prefix: 'saad_solla_erf', kind: 'overlap', states: [y], params: [...d.layout.defaultParams] });
    const mom = new Float64Array(d.layout.mom.size);
    d.compiled.moments(y, d.layout.defaultParams, mom);
    const worst = Math.max(...out.c[0].moments.map((x: number, i: number) => relErr(x, mom[i])));
    expect(worst).toBeGreaterThan(1e-12);
  });
});

describe('LaTeX printed from the equations', () => {
  const variants = [
    { name: 'committee, MSE, plain', yaml: 'student: {width: 2, activation: "erf(z/sqrt(2))"}\nteacher: {width: 2, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\ndynamics: plain' },
    { name: 'committee, correlation, spherical', yaml: 'student: {width: 2, activation: "He2(z)/sqrt(2)"}\nteacher: {width: 1, target: committee, activation: "He2(z)/sqrt(2)"}\nloss: correlation\ndynamics: spherical' },
    { name: 'general target, MSE, projected, trained a', yaml: 'student: {width: 2, activation: "z + z^2/2", second_layer: {train: true, init: [1, 1]}}\nteacher: {width: 2, target: "nu1 + nu1*nu2"}\nloss: mse\ndynamics: projected' },
  ];
  for (const v of variants) {
    it(`${v.name}: every equation's templates and terms appear in its LaTeX`, () => {
      const d = deriveSpec(parseSpec(`name: probe\n${v.yaml}\n`, 'probe.yaml'));
      const eqs = d.equations;
      // S_j enters only the second layer's equation, so it is printed only when a is trained
      const moments = eqs.moments.kind === 'templates' ? [...eqs.moments.equations.filter((e) => e.lhs !== 'S' || d.model.trainSecondLayer), eqs.moments.risk] : [];
      const all = [...eqs.rhs, ...moments];
      for (const e of all) {
        const tex = equationTex(e);
        expect(d.tex).toContain(tex.split(' = ')[0]);
        for (const t of templatesIn(e.rhs)) expect(tex, `${e.lhs} mentions ${t}`).toContain(texName(t));
      }
      const mse = d.model.loss === 'mse';
      const normalised = d.model.dynamics !== 'plain';
      // the student–student terms appear exactly under MSE, the normalisation r_j exactly for spherical/projected
      expect(d.tex.includes('I_4^{{\\sigma}{\\sigma}}') || d.tex.includes('I_4^{\\sigma\\sigma}'), 'I4ss').toBe(mse);
      expect(/r_\{j\} = /.test(d.tex), 'r_j').toBe(normalised);
      expect(d.tex.includes('\\frac{da_{j}}{d\\tau}'), 'da/dτ').toBe(d.model.trainSecondLayer);
    });
  }
});

describe.skipIf(!cc || !python)('README examples in C and Python', () => {
  const start = { M: [[0.012, 0.004], [-0.003, 0.009]], Q: [[1, 0], [0, 1]] };

  it('examples/euler.c (Euler in α, dα = 0.01) follows hermode’s own integration of the same file', async () => {
    const dir = tmp('hermode-euler-');
    const exe = join(dir, 'euler');
    const b = spawnSync('cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-I', 'generated', 'examples/euler.c', 'generated/saad-solla-erf-classic.c', '-lm', '-o', exe], { encoding: 'utf8' });
    expect(b.stderr).toBe('');
    const r = spawnSync(exe, ['60'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const c = Object.fromEntries(r.stdout.trim().split('\n').slice(1).map((l) => l.split(' = ')).map(([k, v]) => [k, Number(v)]));
    const { derive, integrate } = await import('../src/index.ts');
    const d = derive('derivations/saad-solla-erf-classic.yaml');
    const t = integrate(d, { tauEnd: 30, points: 2, sets: { eta: 0.5 }, init: { ...start, P: [[1, 0], [0, 1]], a: d.model.a0 } });
    const end = t.tau.length - 1;
    // Euler's global error at dα = 0.01 is O(10⁻³) here; a wrong right-hand side is O(10⁻¹) off
    expect(Math.abs(c.M_1_1 - t.M[end][0][0])).toBeLessThan(5e-3);
    expect(Math.abs(c.Q_1_2 - t.Q[end][0][1])).toBeLessThan(5e-3);
    expect(Math.abs(c.M_1_1 - start.M[0][0])).toBeGreaterThan(0.05);
  });

  it.skipIf(spawnSync('python3', ['-c', 'import scipy']).status !== 0)('examples/solve_ivp.py (SciPy) gives hermode’s trajectory', async () => {
    const r = spawnSync('python3', ['examples/solve_ivp.py'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const last = /tau =\s+400\s+risk = (\S+)\s+M11 = (\S+)/.exec(r.stdout) as RegExpExecArray;
    const { derive, integrate } = await import('../src/index.ts');
    const d = derive('derivations/saad-solla-erf.yaml');
    const t = integrate(d, { tauEnd: 400, points: 2, sets: { eta_bar: 1 }, init: { ...start, P: [[1, 0], [0, 1]], a: d.model.a0 } });
    expect(Math.abs(Number(last[1]) - t.risk[1]) / t.risk[1]).toBeLessThan(1e-4);
    expect(Math.abs(Number(last[2]) - t.M[1][0][0])).toBeLessThan(1e-5);
  });
});

describe.skipIf(!python)('the Python printer', () => {
  it('passes a constant array whole to a kernel function under its module-level name (and indexes it alike)', async () => {
    const { parseKernel } = await import('../src/ir/parse.ts');
    const { PyPrinter } = await import('../src/ir/print-py.ts');
    const { instantiate } = await import('../src/ir/js.ts');
    const fns = parseKernel(`
function total3(A: f64[]): f64 {
  return A[0] + A[1] + A[2];
}
export function f(x: f64): f64 {
  return x * total3(K3) + K3[1];
}`);
    const module = { header: [], prefix: 't', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: [{ name: 'K3', type: 'f64' as const, values: [1, 2, 4] }], functions: fns };
    const dir = tmp('hermode-pyconst-');
    writeFileSync(join(dir, 'm.py'), new PyPrinter().module(module));
    const r = spawnSync('python3', ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); import m; print(m.f(0.5))', dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(Number(r.stdout)).toBe(instantiate<{ f: (x: number) => number }>(module).f(0.5));
    expect(Number(r.stdout)).toBe(5.5);
  });
});
