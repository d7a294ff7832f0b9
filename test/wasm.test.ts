/**
 * The WebAssembly printer against the TypeScript printer's JavaScript, on the same IR: bit for bit
 * (the .wasm evaluates the text printers' association and imports the host's Math), for every shipped
 * derivation, for models of every backend not shipped, for their Jacobians, for the runtime kernels at
 * their edges, and for a kernel exercising every statement and operator; generated/X.wasm is what
 * `integrate` loads; a planted wrong operation is seen; a module that is not hermode's is refused.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deriveSpec, odeModule } from '../src/pipeline.ts';
import { loadSpecFile, parseSpec } from '../src/spec/load.ts';
import { withJacobian } from '../src/codegen/module.ts';
import { wasmModule } from '../src/ir/print-wasm.ts';
import { instantiateWasm } from '../src/ir/wasm.ts';
import { instantiate } from '../src/ir/js.ts';
import { parseKernel } from '../src/ir/parse.ts';
import type { Expr, Module, Stmt } from '../src/ir/ir.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { cli, randomOverlaps, tmp } from './helpers.ts';

type Kernels = {
  rhs(t: number, y: ArrayLike<number>, p: ArrayLike<number>, out: Float64Array): void;
  rhsFromMoments(t: number, y: ArrayLike<number>, p: ArrayLike<number>, mom: ArrayLike<number>, out: Float64Array): void;
  moments(y: ArrayLike<number>, p: ArrayLike<number>, out: Float64Array): void;
  risk(y: ArrayLike<number>, p: ArrayLike<number>): number;
  jacobian?(t: number, y: ArrayLike<number>, p: ArrayLike<number>, J: Float64Array): void;
};

const shipped = readdirSync('derivations')
  .filter((f) => f.endsWith('.yaml') && !readFileSync(join('derivations', f), 'utf8').includes('kind: parameter-dynamics'))
  .sort();

/** Not shipped: a model for each backend and dynamics the shipped ones leave out. */
const unseen = [
  'name: mixed\nstudent: {width: 3, activation: "tanh(z)", second_layer: {train: true, init: [1, -0.5, 2]}}\nteacher: {width: 1, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\ndynamics: projected\nnoise: 0.1\nexpectations: quadrature:6',
  'name: multi\nstudent: {width: 2, activation: "z + z^3/6 - z^2/3"}\nteacher: {width: 3, target: "nu1*nu2 - nu3 + He3(nu1)/6"}\nloss: correlation\ndynamics: spherical\nnoise: 0.05',
  'name: sigmoid-on-tanh\nstudent: {width: 2, activation: "1/(1+exp(-z))", second_layer: {train: true, init: [1, -0.5]}}\nteacher: {width: 2, target: committee, activation: "1.3*tanh(0.8*z)"}\nloss: mse\nnoise: 0.1\nexpectations: mixture:5',
  'name: gelu-on-tanh\nstudent: {width: 2, activation: "z*(1+erf(z/sqrt(2)))/2"}\nteacher: {width: 2, target: committee, activation: "tanh(z)"}\nloss: mse\nexpectations: probit:5',
  'name: hardtanh-on-erf\nstudent: {width: 2, activation: "max(-1, min(1, z))"}\nteacher: {width: 1, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\nnoise: 0.1\nexpectations: split:2',
  'name: lattice\nstudent: {width: 2, activation: "tanh(z)"}\nteacher: {width: 2, target: committee, activation: "softplus(z) - log(2)"}\nloss: mse\nexpectations: lattice:1024',
  // a shifted step beside one at 0 (relu(z − 0.5) on ReLU): every name the module reads is resolved when it is built
  'name: shifted-relu\nstudent: {width: 2, activation: "relu(z - 0.5)"}\nteacher: {width: 2, target: committee, activation: "relu(z)"}\nloss: mse',
  'name: leaky-staircase\nstudent: {width: 3, activation: "max(z, 0.1*z)"}\nteacher: {width: 2, target: "nu1 + nu1*nu2"}\nloss: mse\nnoise: 0.1',
];

/** Random valid states of a derivation (Ω from random weights, a perturbed). */
function statesOf(d: ReturnType<typeof deriveSpec>, n: number): number[][] {
  return Array.from({ length: n }, (_, s) => {
    const o = randomOverlaps(d.model.p, d.model.k, 40 + s, 0.7);
    return stateOf({ ...o, a: d.model.a0.map((a, j) => a * (0.8 + 0.1 * j + 0.05 * s)) }, d.layout);
  });
}

/** Every output of the two modules at the states, as one list each. */
function outputs(m: Kernels, d: ReturnType<typeof deriveSpec>, states: number[][], params: number[]): number[] {
  const n = d.layout.stateNames.length;
  const got: number[] = [];
  for (const y of states) {
    const mom = new Float64Array(d.layout.mom.size);
    m.moments(y, params, mom);
    const dy = new Float64Array(n);
    m.rhs(0.3, y, params, dy);
    const dy2 = new Float64Array(n);
    m.rhsFromMoments(0.3, y, params, mom, dy2);
    got.push(...mom, ...dy, ...dy2, m.risk(y, params));
    if (m.jacobian) {
      const J = new Float64Array(n * n);
      m.jacobian(0.3, y, params, J);
      got.push(...J);
    }
  }
  return got;
}

function paramsOf(d: ReturnType<typeof deriveSpec>): number[] {
  const params = [...d.layout.defaultParams];
  params[d.layout.etaBar] = 0.7;
  params[d.layout.delta] = 0.05;
  if (d.layout.kappa >= 0) params[d.layout.kappa] = 0.3;
  return params;
}

const dir = tmp('hermode-wasm-');
const unseenSpecs = unseen.map((text) => {
  const f = join(dir, `${/name: ([\w-]+)/.exec(text)?.[1]}.yaml`);
  writeFileSync(f, text + '\n');
  return f;
});

describe('WebAssembly kernels equal the TypeScript module bit for bit', () => {
  for (const file of [...shipped.map((f) => join('derivations', f)), ...unseenSpecs]) {
    it(`${file.split('/').pop()}: moments, rhs, rhsFromMoments, risk and the Jacobian at 3 random states`, () => {
      const d = deriveSpec(loadSpecFile(file));
      const params = paramsOf(d);
      const states = statesOf(d, 3);
      for (const m of [d.module, withJacobian(d.module)]) {
        const js = outputs(instantiate<Kernels>(m), d, states, params);
        const wa = outputs(instantiateWasm<Kernels>(wasmModule(m)), d, states, params);
        expect(js.every(Number.isFinite)).toBe(true);
        expect(wa).toEqual(js);
      }
    });
  }

  it('a planted wrong operation (one − made +) or a lost association (a·(b·c) evaluated as written, not as the text reads) is seen', () => {
    const d = deriveSpec(loadSpecFile('derivations/he3-correlation.yaml'));
    const params = paramsOf(d);
    const states = statesOf(d, 3);
    const js = outputs(instantiate<Kernels>(d.module), d, states, params);
    // the first − in a kernel function, made +
    const planted: Module = structuredClone(d.module);
    let done = false;
    const flip = (e: Expr): Expr => {
      if (done) return e;
      if (e.k === 'bin') {
        if (e.op === '-') {
          done = true;
          return { ...e, op: '+' };
        }
        return { ...e, a: flip(e.a), b: flip(e.b) };
      }
      return e;
    };
    const walk = (s: Stmt): Stmt => (s.k === 'return' && s.value ? { ...s, value: flip(s.value) } : s);
    for (const f of planted.functions) f.body = f.body.map(walk);
    expect(done).toBe(true);
    expect(outputs(instantiateWasm<Kernels>(wasmModule(planted)), d, states, params)).not.toEqual(js);
    // the same IR with every right-nested product and sum grouped explicitly as a call-free tree the
    // printers parenthesise: rounding differs from the text's left-to-right reading somewhere
    const regrouped: Module = structuredClone(d.module);
    const group = (e: Expr): Expr => {
      if (e.k === 'bin') {
        const a = group(e.a);
        const b = group(e.b);
        // x·(y·z) kept as written by wrapping the inner product in a unary double negation
        if (e.op === '*' && ((b.k === 'bin' && b.op === '*') || b.k === 'pow')) return { ...e, a, b: { k: 'neg', a: { k: 'neg', a: b } } };
        return { ...e, a, b };
      }
      return e;
    };
    for (const f of regrouped.functions) f.body = f.body.map((s) => (s.k === 'return' && s.value ? { ...s, value: group(s.value) } : s.k === 'let' ? { ...s, init: group(s.init) } : s));
    const asWritten = outputs(instantiateWasm<Kernels>(wasmModule(regrouped)), d, states, params);
    expect(asWritten).not.toEqual(js);
    expect(Math.max(...asWritten.map((x, i) => Math.abs(x - js[i]) / Math.max(1e-300, Math.abs(js[i]))))).toBeLessThan(1e-13);
  });
});

describe('the runtime kernels and every statement', () => {
  it('erf, erfc, He_n, relu, step, sigmoid, softplus at their pieces’ edges, ±0, ±∞ and NaN', () => {
    const xs = [0, -0, 1e-300, 0.5, 1, 1 - 1e-16, 1 + 1e-15, 2, 3, 3.5, 4, 5, 6 - 1e-15, 6, 6.5, 26, 27.3, 1e10, Infinity, NaN];
    const all = [...xs, ...xs.map((x) => -x)];
    const src = `
      function f(x: f64, out: f64[]): void {
        out[0] = erf(x);
        out[1] = erfc(x);
        out[2] = He5(x);
        out[3] = He12(x);
        out[4] = relu(x);
        out[5] = step(x);
        out[6] = sigmoid(x);
        out[7] = softplus(x);
      }`;
    const fn = { ...parseKernel(src)[0], exported: true };
    const m: Module = { header: [], prefix: 'k', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: [], functions: [fn] };
    type F = { f(x: number, out: Float64Array): void };
    const js = instantiate<F>(m);
    const wa = instantiateWasm<F>(wasmModule(m));
    for (const x of all) {
      const a = new Float64Array(8);
      const b = new Float64Array(8);
      js.f(x, a);
      wa.f(x, b);
      expect([...b], `x = ${x}`).toEqual([...a]);
    }
  });

  it('loops with break and continue, nested ifs, int arithmetic and arrays, && || ! ~ & | <<, conditionals, isfinite, powers, local arrays and calls passing arrays', () => {
    const src = `
      function fill(n: int, A: f64[], out: f64[]): void {
        for (let i = 0; i < n; i++) {
          out[i] = A[i] * 2.0;
        }
      }
      function count(x: f64): int {
        let c: int = 0;
        for (let i = 0; i < 40; i++) {
          if (i == 3 || i == 5) continue;
          if (i > 30 && x > 0.0) break;
          c += (i & 3) | (1 << 2);
          c -= ~i;
        }
        return c;
      }
      function g(x: f64, y: f64, idx: int[], out: f64[]): f64 {
        let B: f64[6];
        let I: int[3];
        for (let i = 0; i < 6; i++) {
          B[i] = x * i - y;
        }
        I[0] = idx[1] * 2 - 1;
        fill(6, B, out);
        out[6] = !(x > y) ? x : x - y;
        out[7] = isfinite(x / y) ? 1.0 : -1.0;
        out[8] = count(x) + I[0];
        out[9] = -x * (y * (x - y)) + x * (y / 3.0);
        let s = 0.0;
        for (let j = 1; j < 4; j++) {
          for (let k = j; k < 4; k++) {
            if (k == 2) {
              s += 1.0 / (j + k);
            } else if (k == 3) {
              s -= sqrt(abs(x)) * min(x, y) + max(floor(x), ceil(y));
            } else {
              s *= 1.5;
            }
          }
        }
        out[10] = s;
        out[11] = atan2(x, y) + pow(abs(x), 0.3) + exp(-x * x) + log1p(y * y);
        out[12] = (idx[0] + 1) / 2;
        return s * 2.0;
      }`;
    const fns = parseKernel(src).map((f) => (f.name === 'g' ? { ...f, exported: true } : f));
    // powers are IR nodes the kernel syntax does not spell: x^5, (x − y)^3, x^2 (a product) and (x·y)^4
    const g = fns.find((f) => f.name === 'g');
    const x: Expr = { k: 'var', name: 'x' };
    const y: Expr = { k: 'var', name: 'y' };
    const pw = (a: Expr, n: number): Expr => ({ k: 'pow', a, n });
    g?.body.splice(g.body.length - 1, 0, ...[pw(x, 5), pw({ k: 'bin', op: '-', a: x, b: y }, 3), { k: 'bin', op: '*', a: y, b: pw(x, 2) } as Expr, pw({ k: 'bin', op: '*', a: x, b: y }, 4)].map((value, i): Stmt => ({ k: 'store', arr: 'out', i: { k: 'int', v: 13 + i }, op: '=', value })));
    const m: Module = { header: [], prefix: 'k', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: [], functions: fns };
    type G = { g(x: number, y: number, idx: number[], out: Float64Array): number };
    const js = instantiate<G>(m);
    const wa = instantiateWasm<G>(wasmModule(m));
    for (const [x, y] of [[0.7, -1.3], [-2.5, 0.4], [3, 0], [0, 0], [1e-8, 5]]) {
      const a = new Float64Array(17);
      const b = new Float64Array(17);
      const ra = js.g(x, y, [3, 7], a);
      const rb = wa.g(x, y, [3, 7], b);
      expect([rb, ...b], `x = ${x}, y = ${y}`).toEqual([ra, ...a]);
    }
  });

  it('arrays larger than the module’s argument area grow its memory; a module without the hermode section is refused in one line', () => {
    const fn = { ...parseKernel('function s(n: int, A: f64[]): f64 { let t = 0.0; for (let i = 0; i < n; i++) { t += A[i]; } return t; }')[0], exported: true };
    const m: Module = { header: [], prefix: 'k', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: [], functions: [fn] };
    const wa = instantiateWasm<{ s(n: number, A: Float64Array): number }>(wasmModule(m));
    const A = Float64Array.from({ length: 300_000 }, (_, i) => i % 7);
    expect(wa.s(A.length, A)).toBe(A.reduce((t, x) => t + x, 0));
    // the smallest valid module: magic and version only
    expect(() => instantiateWasm(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toThrow(/^not a hermode WebAssembly module/);
  });
});

describe('which kernels a derivation runs', () => {
  it('WebAssembly, except for the backends whose inner loops call the host’s Math (mixture, lattice), which run as JavaScript', () => {
    const kind = (s: string, extra = '') => {
      const d = deriveSpec(parseSpec(`name: k\nstudent: {width: 2, activation: "${s}"}\nteacher: {width: 2, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\n${extra}`));
      return [d.plan.backend, /fn\(/.test(String(d.compiled.rhs)) ? 'wasm' : 'js'];
    };
    expect(kind('erf(z/sqrt(2))')).toEqual(['closed-erf', 'wasm']);
    expect(kind('relu(z)')).toEqual(['probit', 'wasm']);
    expect(kind('tanh(z)')).toEqual(['mixture', 'js']);
    expect(kind('tanh(z)', 'expectations: lattice:1024')).toEqual(['lattice', 'js']);
  });
});

describe('generated/X.wasm', () => {
  it('is what integrate loads (no derivation), equal to the TypeScript module; derive --check sees a stale .wasm, and a .wasm of another spec is passed over', async () => {
    const file = 'derivations/saad-solla-erf-classic.yaml';
    const spec = loadSpecFile(file);
    const d = deriveSpec(spec);
    const loaded = odeModule(file);
    expect('equations' in loaded).toBe(false);
    const js = instantiate<Kernels>(d.module);
    const params = paramsOf(d);
    const states = statesOf(d, 2);
    expect(outputs(loaded.compiled as unknown as Kernels, d, states, params)).toEqual(outputs(js, d, states, params));
    // the loader's module is the .wasm (its functions are the wrappers the WebAssembly loader makes)
    expect(String(loaded.compiled.rhs)).toMatch(/fn\(/);
    // files derived into another folder, the .wasm then made one byte off: --check names it stale
    const root = tmp('hermode-wasm-check-');
    const gen = join(root, 'generated');
    expect((await cli(['derive', file, '--out-dir', gen])).code).toBe(0);
    const bytes = readFileSync('generated/saad-solla-erf-classic.wasm');
    const bad = Buffer.from(readFileSync(join(gen, 'saad-solla-erf-classic.wasm')));
    bad[bad.length - 3] ^= 1;
    writeFileSync(join(gen, 'saad-solla-erf-classic.wasm'), bad);
    const r = await cli(['derive', file, '--check', '--out-dir', join(root, 'generated')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/stale\s+\S*saad-solla-erf-classic\.wasm/);
    expect(r.stdout).toMatch(/ok\s+\S*saad-solla-erf-classic\.ts/);
    // the .wasm of another spec (label noise added) beside a derivation: integrate derives instead
    const other = join(root, 'derivations');
    mkdirSync(other);
    const text = readFileSync(file, 'utf8') + 'noise: 0.25\n';
    const changed = parseSpec(text, join(other, 'saad-solla-erf-classic.yaml'));
    writeFileSync(join(other, 'saad-solla-erf-classic.yaml'), text);
    writeFileSync(join(root, 'generated', 'saad-solla-erf-classic.wasm'), bytes);
    expect(changed.hash).not.toBe(spec.hash);
    const rederived = odeModule(join(other, 'saad-solla-erf-classic.yaml'));
    expect('equations' in rederived).toBe(true);
  });
});
