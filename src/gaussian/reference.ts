/**
 * Reference evaluation of the moments straight from their definitions (THEORY §2.2),
 *   A_jr = E[σ′(λ_j) ν_r e], B_jl = E[σ′(λ_j) λ_l e], V_jl = E[σ′_j σ′_l e²] + Δ E[σ′_j σ′_l],
 *   S_j = E[σ(λ_j) e], ε = ½ E[(g* − f)²] + Δ/2,
 * either by tensor Gauss–Hermite quadrature over all fields or by seeded Monte Carlo (with standard
 * errors). Independent of the templates and of code generation: the tests hold both against it.
 */
import { studentAt, targetValue, type Model } from '../hermite/model.ts';
import { forEachTensorNode, gaussHermite } from '../quadrature.ts';
import { Rng } from '../random/rng.ts';
import { symmetricSqrt } from '../linalg.ts';
import { residualWeight } from '../loss/index.ts';

export interface Moments {
  A: number[][];
  B: number[][];
  V: number[][];
  S: number[];
  risk: number;
}

export interface MomentsWithError extends Moments {
  /** standard errors, same shapes */
  se: Moments;
}

/** The integrand's pieces at one sample of the fields u = (λ, ν). */
function accumulate(model: Model, u: number[], a: number[], Delta: number, w: number, acc: Moments, sq?: Moments): void {
  const { p, k } = model;
  const sig = new Array(p);
  const dsig = new Array(p);
  const f = studentAt(model, u, a, sig, dsig);
  const nu = u.slice(p);
  const y = targetValue(model, nu);
  const d = y - f;
  const e = y - residualWeight(model) * f;
  const add = (m: Moments, pw: number) => {
    for (let j = 0; j < p; j++) {
      for (let r = 0; r < k; r++) m.A[j][r] += w * (dsig[j] * nu[r] * e) ** pw;
      for (let l = 0; l < p; l++) {
        m.B[j][l] += w * (dsig[j] * u[l] * e) ** pw;
        m.V[j][l] += w * (dsig[j] * dsig[l] * (e * e + Delta)) ** pw;
      }
      m.S[j] += w * (sig[j] * e) ** pw;
    }
    m.risk += w * (0.5 * d * d) ** pw;
  };
  add(acc, 1);
  if (sq) add(sq, 2);
}

function zeros(p: number, k: number): Moments {
  const mat = (r: number, c: number) => Array.from({ length: r }, () => new Array(c).fill(0));
  return { A: mat(p, k), B: mat(p, p), V: mat(p, p), S: new Array(p).fill(0), risk: 0 };
}

/** Tensor Gauss–Hermite with `nodes` points per field (cost nodes^(p+k)). */
export function quadratureMoments(model: Model, omega: number[][], a: number[], Delta: number, nodes: number): Moments {
  const L = symmetricSqrt(omega);
  const acc = zeros(model.p, model.k);
  forEachTensorNode(L, nodes, (u, w) => accumulate(model, u, a, Delta, w, acc));
  acc.risk += 0.5 * Delta;
  return acc;
}

/** Seeded Monte Carlo with `samples` draws; standard errors from the sample variance. */
export function monteCarloMoments(model: Model, omega: number[][], a: number[], Delta: number, samples: number, seed: number): MomentsWithError {
  const n = model.p + model.k;
  const L = symmetricSqrt(omega);
  const rng = new Rng(seed);
  const acc = zeros(model.p, model.k);
  const sq = zeros(model.p, model.k);
  const g = new Array(n);
  const u = new Array(n);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < n; i++) g[i] = rng.normal();
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let m = 0; m < n; m++) v += L[i][m] * g[m];
      u[i] = v;
    }
    accumulate(model, u, a, Delta, 1 / samples, acc, sq);
  }
  const se = zeros(model.p, model.k);
  const sem = (mean: number, meanSq: number) => Math.sqrt(Math.max(meanSq - mean * mean, 0) / (samples - 1));
  for (let j = 0; j < model.p; j++) {
    for (let r = 0; r < model.k; r++) se.A[j][r] = sem(acc.A[j][r], sq.A[j][r]);
    for (let l = 0; l < model.p; l++) {
      se.B[j][l] = sem(acc.B[j][l], sq.B[j][l]);
      se.V[j][l] = sem(acc.V[j][l], sq.V[j][l]);
    }
    se.S[j] = sem(acc.S[j], sq.S[j]);
  }
  se.risk = sem(acc.risk, sq.risk);
  acc.risk += 0.5 * Delta;
  return { ...acc, se };
}

/** Reads the generated `moments` output into the same shape. */
export function unpackMoments(out: Float64Array, p: number, k: number, layout: { A: number; B: number; V: number; S: number; risk: number }): Moments {
  const m = zeros(p, k);
  for (let j = 0; j < p; j++) {
    for (let r = 0; r < k; r++) m.A[j][r] = out[layout.A + j * k + r];
    for (let l = 0; l < p; l++) {
      m.B[j][l] = out[layout.B + j * p + l];
      m.V[j][l] = out[layout.V + j * p + l];
    }
    m.S[j] = out[layout.S + j];
  }
  m.risk = out[layout.risk];
  return m;
}

/** E[f(u)], u ~ N(0, C), by tensor Gauss–Hermite with `nodes` points per coordinate. */
export function tensorExpectation(C: number[][], f: (u: number[]) => number, nodes: number): number {
  const n = C.length;
  const L = symmetricSqrt(C);
  const gh = gaussHermite(nodes);
  const idx = new Array(n).fill(0);
  let s = 0;
  for (;;) {
    let w = 1;
    for (let i = 0; i < n; i++) w *= gh.w[idx[i]];
    if (w > 1e-300) s += w * f(L.map((row) => row.reduce((acc, l, m) => acc + l * gh.x[idx[m]], 0)));
    let i = 0;
    while (i < n && ++idx[i] === nodes) idx[i++] = 0;
    if (i === n) break;
  }
  return s;
}
