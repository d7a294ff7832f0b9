/** Test helpers: random valid overlap states, in-memory specs, the CLI in-process and spawned. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/random/rng.ts';
import { parseSpec } from '../src/spec/load.ts';
import { deriveSpec } from '../src/pipeline.ts';
import { symmetricSqrt, symmetricEigen, choleskyPsd } from '../src/linalg.ts';
import { gaussLegendre } from '../src/quadrature.ts';
import { expect } from 'vitest';
import type { Derivation } from '../src/pipeline.ts';
import { quadratureMoments, unpackMoments, type Moments } from '../src/gaussian/reference.ts';
import { stateOf } from '../src/ode/layout.ts';
import { normalCdf } from '../src/gaussian/probit.ts';
import { cPrefix } from '../src/codegen/module.ts';

/**
 * A random valid state: teacher rows e_1..e_k, student rows W = [M | R] in k + p dimensions, so that
 * Ω = [[Q, M], [Mᵀ, I]] is positive semi-definite by construction.
 */
export function randomOverlaps(p: number, k: number, seed: number, scale = 0.6): { M: number[][]; Q: number[][]; P: number[][] } {
  const rng = new Rng(seed, 99);
  const W = Array.from({ length: p }, () => Array.from({ length: k + p }, () => scale * rng.normal()));
  const M = W.map((w) => w.slice(0, k));
  const Q = W.map((w) => W.map((v) => w.reduce((s, x, i) => s + x * v[i], 0)));
  const P = Array.from({ length: k }, (_, r) => Array.from({ length: k }, (_, t) => (r === t ? 1 : 0)));
  return { M, Q, P };
}

export function omegaFrom(M: number[][], Q: number[][], P: number[][]): number[][] {
  const p = Q.length;
  const k = P.length;
  return Array.from({ length: p + k }, (_, i) =>
    Array.from({ length: p + k }, (_, j) => (i < p && j < p ? Q[i][j] : i < p ? M[i][j - p] : j < p ? M[j][i - p] : P[i - p][j - p])),
  );
}

export function deriveYaml(yaml: string, expectations?: string) {
  return deriveSpec(parseSpec(yaml, 'inline.yaml'), expectations);
}

export function tmp(prefix = 'hermode-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the hermode CLI in this process (`main(argv)` from src/cli/main.ts) in `cwd`, capturing what
 * it writes to stdout and stderr. Calls are serialised: the capture replaces the process streams.
 */
export async function cli(args: string[], cwd = process.cwd()): Promise<CliResult> {
  const { main } = await import('../src/cli/main.ts');
  const run = async (): Promise<CliResult> => {
    const captured = { stdout: '', stderr: '' };
    const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
    const capture = (key: 'stdout' | 'stderr') =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        captured[key] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
        cb?.();
        return true;
      }) as typeof process.stdout.write;
    const home = process.cwd();
    process.stdout.write = capture('stdout');
    process.stderr.write = capture('stderr');
    try {
      process.chdir(cwd);
      const code = await main(['node', 'hermode', ...args]);
      return { code, ...captured };
    } finally {
      process.chdir(home);
      process.stdout.write = writes.stdout;
      process.stderr.write = writes.stderr;
    }
  };
  const result = queue.then(run);
  queue = result.then(
    () => undefined,
    () => undefined,
  );
  return result;
}
let queue: Promise<unknown> = Promise.resolve();

/** Runs the real `hermode` binary (bin/hermode.js → dist/cli.js) as a separate process. */
export function spawnCli(args: string[], cwd = process.cwd()): CliResult {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/hermode.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i][j])))));
  return m;
}

export { tensorExpectation } from '../src/gaussian/reference.ts';

/** Seeded Monte Carlo: mean and standard error. */
export function mc(C: number[][], f: (u: number[]) => number, samples: number, seed: number): { mean: number; se: number } {
  const L = symmetricSqrt(C);
  const rng = new Rng(seed);
  const n = C.length;
  let s = 0;
  let s2 = 0;
  const z = new Array(n);
  for (let t = 0; t < samples; t++) {
    for (let i = 0; i < n; i++) z[i] = rng.normal();
    const v = f(L.map((row) => row.reduce((a, l, m) => a + l * z[m], 0)));
    s += v;
    s2 += v * v;
  }
  const mean = s / samples;
  return { mean, se: Math.sqrt((s2 / samples - mean * mean) / (samples - 1)) };
}

/** Covariances: generic, with coincident fields, and rank-deficient. */
export function covariances(n: number, scale = 0.8): number[][][] {
  const rng = new Rng(5 + n);
  const out: number[][][] = [];
  for (let t = 0; t < 3; t++) {
    const G = Array.from({ length: n }, () => Array.from({ length: n }, () => scale * rng.normal()));
    out.push(G.map((a) => G.map((b) => a.reduce((s, x, i) => s + x * b[i], 0))));
  }
  // coincident first and last field
  const G = Array.from({ length: n }, () => Array.from({ length: n }, () => 0.8 * rng.normal()));
  G[n - 1] = G[0].slice();
  out.push(G.map((a) => G.map((b) => a.reduce((s, x, i) => s + x * b[i], 0))));
  // rank 2
  const H = Array.from({ length: n }, () => [rng.normal(), rng.normal()]);
  out.push(H.map((a) => H.map((b) => a[0] * b[0] + a[1] * b[1])));
  return out;
}

/** dy/dτ assembled from moments by THEORY §2.3, written out independently of the code generator. */
export function odeFromMoments(d: Derivation, m: Moments, y: number[], params: number[], a: number[]): number[] {
  const { p, k } = d.model;
  const L = d.layout;
  const eta = params[L.etaBar];
  const norm = d.model.dynamics !== 'plain';
  const r = a.map((aj, j) => (aj / p) * m.B[j][j] + 0.5 * eta * (aj / p) ** 2 * m.V[j][j]);
  const out = new Array(y.length).fill(0);
  let i = 0;
  for (let j = 0; j < p; j++) for (let t = 0; t < k; t++, i++) out[i] = (a[j] / p) * m.A[j][t] - (norm ? r[j] * y[i] : 0);
  for (let j = 0; j < p; j++)
    for (let l = j; l < p; l++, i++)
      out[i] = (a[j] * m.B[j][l] + a[l] * m.B[l][j]) / p + (eta * a[j] * a[l] * m.V[j][l]) / (p * p) - (norm ? (r[j] + r[l]) * y[i] : 0);
  if (L.trained) for (let j = 0; j < p; j++, i++) out[i] = (params[L.kappa] * m.S[j]) / p;
  return out;
}

/**
 * The generated moments and right-hand side of `d` at three generic valid states against the ODE of
 * THEORY §2.3 built from the defining expectations (quadratureMoments with `nodes` per field, its own
 * error measured by a finer rule): within `tol` plus ten times that error.
 */
export function rhsAgainstDefinitions(d: Derivation, nodes: number, tolerance: number): void {
  const c = { nodes, tol: tolerance };
  const { p, k } = d.model;
  for (let s = 0; s < 3; s++) {
    // generic valid states with field variances of order one, where the reference quadrature is accurate
    const { M, Q, P } = randomOverlaps(p, k, 40 + s, 0.45);
    const a = d.model.a0.map((x, j) => x * (1 + 0.2 * j) + 0.1 * s);
    const y = stateOf({ M, Q, a }, d.layout);
    const params = [...d.layout.defaultParams];
    params[d.layout.etaBar] = 0.7;
    if (d.layout.trained) params[d.layout.kappa] = 0.5;
    else a.forEach((x, j) => (params[d.layout.aParam + j] = x));
    const Delta = params[d.layout.delta];
    const ref = quadratureMoments(d.model, omegaFrom(M, Q, P), a, Delta, c.nodes);
    // the reference's own error, from a finer rule: the tolerance is c.tol plus ten times it
    const finer = quadratureMoments(d.model, omegaFrom(M, Q, P), a, Delta, c.nodes + 6);
    const flat = (m: Moments) => [...m.A.flat(), ...m.B.flat(), ...m.V.flat(), ...m.S, m.risk];
    const refErr = Math.max(...flat(ref).map((v, i) => Math.abs(v - flat(finer)[i])));
    expect(refErr, 'the reference quadrature must itself be accurate').toBeLessThan(1e-5);
    const tol = c.tol + 10 * refErr;
    const out = new Float64Array(d.layout.mom.size);
    d.compiled.moments(y, params, out);
    const gen = unpackMoments(out, p, k, d.layout.mom);
    const scale = 1 + Math.abs(ref.risk);
    expect(Math.abs(gen.risk - finer.risk), 'risk').toBeLessThan(tol * scale);
    const dy = new Float64Array(y.length);
    d.compiled.rhs(0, y, params, dy);
    const want = odeFromMoments(d, finer, y, params, a);
    want.forEach((w, i) => expect(Math.abs(dy[i] - w), `${d.layout.stateNames[i]} (reference error ${refErr.toExponential(1)})`).toBeLessThan(tol * (1 + Math.abs(w))));
  }
}

/** E[F(u1, u2)] for u ~ N(0, C), C 2×2 PSD, by split Gauss–Legendre (panels of 0.2, 10 points) on [−9, 9]² in Cholesky coordinates. */
export function split2(C: number[][], F: (u1: number, u2: number) => number): number {
  const L = choleskyPsd(C);
  const rule = gaussLegendre(10);
  const z: number[] = [];
  const w: number[] = [];
  for (let a = -9; a < 9 - 1e-12; a += 0.2)
    for (let i = 0; i < 10; i++) {
      const x = a + 0.1 * (rule.x[i] + 1);
      z.push(x);
      w.push(0.1 * rule.w[i] * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI));
    }
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    const u1 = L[0][0] * z[i];
    let inner = 0;
    if (L[1][1] === 0) inner = F(u1, L[1][0] * z[i]);
    else for (let j = 0; j < z.length; j++) inner += w[j] * F(u1, L[1][0] * z[i] + L[1][1] * z[j]);
    s += w[i] * inner;
  }
  return s;
}

/** A random covariance with eigenvalues log-uniform in [lo, hi]. */
export function randomCov(n: number, rng: Rng, lo: number, hi: number): number[][] {
  const A = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
  const { vectors: V } = symmetricEigen(A.map((r, i) => r.map((x, j) => x + A[j][i])));
  const ev = Array.from({ length: n }, () => Math.exp(Math.log(lo) + rng.uniform() * Math.log(hi / lo)));
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => V[i].reduce((acc, v, q) => acc + v * ev[q] * V[j][q], 0)));
}
export const sub = (C: number[][], idx: number[]) => idx.map((i) => idx.map((j) => C[i][j]));
export const upper = (C: number[][]) => C.flatMap((r, i) => r.slice(i));

/** Covariances of 4 fields: wide random ones, fields 1 = 2 (j = l), 3 = 4, and one with the student–teacher block zero (M = 0). */
export function wideCovariances(): { what: string; C: number[][] }[] {
  const rng = new Rng(41, 2);
  const out: { what: string; C: number[][] }[] = [];
  for (let s = 0; s < 3; s++) out.push({ what: `wide ${s}`, C: randomCov(4, rng, 1e-3, 10) });
  out.push({ what: 'wide (3, 10)', C: randomCov(4, rng, 3, 10) });
  const base = randomCov(3, rng, 0.5, 8);
  const coincide = [0, 0, 1, 2].map((i) => [0, 0, 1, 2].map((j) => base[i][j]));
  out.push({ what: 'u1 = u2 (j = l), singular', C: coincide });
  const pair = [0, 1, 2, 2].map((i) => [0, 1, 2, 2].map((j) => base[i][j]));
  out.push({ what: 'u3 = u4, singular', C: pair });
  const m0 = randomCov(4, rng, 0.01, 6);
  for (const [i, j] of [[0, 2], [0, 3], [1, 2], [1, 3]]) m0[i][j] = m0[j][i] = 0;
  out.push({ what: 'M = 0', C: m0 });
  return out;
}

/** A field of `kinkedNested`: piecewise polynomial (coefficients ascending, pieces split at `breaks`) or smooth. */
export type NestedField = { breaks: number[]; polys: number[][] } | { f: (x: number) => number };

const pieceValue = (F: { breaks: number[]; polys: number[][] }, x: number): number => {
  let k = 0;
  while (k < F.breaks.length && x > F.breaks[k]) k++;
  return F.polys[k].reduceRight((s, c) => s * x + c, 0);
};

/**
 * E[Π f_i(u_i)] for u ~ N(0, C) by nested quadrature in Cholesky coordinates u = L z, the kinks
 * respected: each outer z_i is integrated by 8-node Gauss–Legendre panels of width 2 on [−9, 9],
 * split where u_i crosses a breakpoint; the last field, piecewise polynomial, is integrated over its
 * pieces in closed form (truncated normal moments). Independent of the Stein reductions.
 */
export function kinkedNested(C: number[][], fields: NestedField[], nodes = 8, width = 2): number {
  const n = fields.length;
  const L = choleskyPsd(C);
  const last = fields[n - 1];
  if (!('breaks' in last)) throw new Error('kinkedNested: the last field must be piecewise polynomial');
  const rule = gaussLegendre(nodes);
  const z = new Array(n).fill(0);
  const Phi = (x: number) => (x === Infinity ? 1 : x === -Infinity ? 0 : normalCdf(x));
  const phi = (x: number) => (Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0);
  // ∫_a^b p(m + s x) φ(x) dx by the moments M_j = ∫_a^b x^j φ (binomial expansion)
  const closed = (p: number[], m: number, s: number, a: number, b: number): number => {
    const M = [Phi(b) - Phi(a), phi(a) - phi(b)];
    const xpa = Number.isFinite(a) ? a : 0;
    const xpb = Number.isFinite(b) ? b : 0;
    for (let j = 2; j < p.length; j++) M.push((j - 1) * M[j - 2] + (xpa ** (j - 1)) * phi(a) - (xpb ** (j - 1)) * phi(b));
    let total = 0;
    for (let e = 0; e < p.length; e++) {
      let binom = 1;
      for (let j = 0; j <= e; j++) {
        total += p[e] * binom * m ** (e - j) * s ** j * M[j];
        binom = (binom * (e - j)) / (j + 1);
      }
    }
    return total;
  };
  const rec = (i: number, weight: number): number => {
    let shift = 0;
    for (let j = 0; j < i; j++) shift += L[i][j] * z[j];
    const s = L[i][i];
    const F = fields[i];
    if (i === n - 1) {
      if (!('breaks' in F)) return 0;
      if (s < 1e-14) return weight * pieceValue(F, shift);
      const cuts = [-Infinity, ...F.breaks.map((t) => (t - shift) / s), Infinity];
      let total = 0;
      for (let k = 0; k + 1 < cuts.length; k++) total += closed(F.polys[k], shift, s, cuts[k], cuts[k + 1]);
      return weight * total;
    }
    const value = (x: number) => ('breaks' in F ? pieceValue(F, x) : F.f(x));
    if (s < 1e-14) {
      z[i] = 0;
      return rec(i + 1, weight * value(shift));
    }
    const cuts = new Set<number>();
    for (let a = -9; a <= 9 + 1e-9; a += width) cuts.add(a);
    if ('breaks' in F) for (const t of F.breaks) if (Math.abs((t - shift) / s) < 9) cuts.add((t - shift) / s);
    // a later field fixed by z_0..z_i (its remaining variance zero: a coincident or dependent field) kinks here too
    for (let k = i + 1; k < n; k++) {
      const G = fields[k];
      if (!('breaks' in G) || !(Math.abs(L[k][i]) > 1e-14)) continue;
      let rest = 0;
      for (let j = i + 1; j <= k; j++) rest += L[k][j] ** 2;
      if (rest > 1e-28) continue;
      let sk = 0;
      for (let j = 0; j < i; j++) sk += L[k][j] * z[j];
      for (const t of G.breaks) if (Math.abs((t - sk) / L[k][i]) < 9) cuts.add((t - sk) / L[k][i]);
    }
    const sorted = [...cuts].sort((x, y) => x - y);
    let total = 0;
    for (let k = 0; k + 1 < sorted.length; k++) {
      const lo = sorted[k];
      const h = sorted[k + 1] - lo;
      for (let q = 0; q < nodes; q++) {
        const x = lo + 0.5 * h * (rule.x[q] + 1);
        z[i] = x;
        const w = 0.5 * h * rule.w[q] * phi(x) * value(shift + s * x);
        if (w !== 0) total += rec(i + 1, w);
      }
    }
    return weight * total;
  };
  return rec(0, 1);
}

/**
 * One exported function `fn(t, y, params, OUT)` of a model's printed Python (`dir/base.py`) and C
 * (`dir/base.c`, compiled with -Wall -Wextra -Werror into a shared object), called on the same inputs
 * through python3 (ctypes for C): what each language returns in OUT (n_out numbers).
 */
export function printedPyAndC(dir: string, base: string, fn: string, y: ArrayLike<number>, params: ArrayLike<number>, nOut: number): { py: number[]; c: number[] } {
  const so = join(dir, `${base}.so`);
  const c = spawnSync('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O2', '-shared', '-fPIC', '-o', so, join(dir, `${base}.c`), '-lm'], { encoding: 'utf8' });
  expect(c.status, c.stderr).toBe(0);
  const script = `
import ctypes, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("g", ${JSON.stringify(join(dir, `${base}.py`))})
py = importlib.util.module_from_spec(spec); spec.loader.exec_module(py)
lib = ctypes.CDLL(${JSON.stringify(so)})
y = ${JSON.stringify(Array.from(y))}; p = ${JSON.stringify(Array.from(params))}
F = ctypes.c_double
OUT = (F * ${nOut})()
getattr(lib, "${cPrefix(base)}_${fn}")(F(0.0), (F * len(y))(*y), (F * len(p))(*p), OUT)
json.dump({"py": list(py.${fn}(0.0, y, p)), "c": list(OUT)}, sys.stdout)
`;
  const out = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as { py: number[]; c: number[] };
}
