/** THEORY §2.2: the exact one-step means of the plain update at finite d (shared by tests). */
import type { Derivation } from '../src/pipeline.ts';
import { gaussHermite } from '../src/quadrature.ts';
import { unpackMoments } from '../src/gaussian/reference.ts';
import { symmetricSqrt } from '../src/linalg.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { omegaFrom } from './helpers.ts';

/** A⁻¹ by Gauss–Jordan with partial pivoting (independent of the library's linear algebra). */
export function inverse(A: number[][]): number[][] {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    const d = M[c][c];
    for (let j = 0; j < 2 * n; j++) M[c][j] /= d;
    for (let r = 0; r < n; r++) if (r !== c) {
      const f = M[r][c];
      for (let j = 0; j < 2 * n; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((r) => r.slice(n));
}

export interface OneStep {
  dM: number[][];
  dQ: number[][];
  /** the parts of E[ΔQ]: drift, the n_b⁻¹ noise term and the squared-mean term */
  parts: { drift: number[][]; noise: number[][]; G: number[][] };
}

/** E[ΔM], E[ΔQ] of one plain step with n_b samples at step size γ in dimension d (Δ = 0, nonsingular Ω). */
export function oneStepMeans(der: Derivation, M: number[][], Q: number[][], a: number[], d: number, nb: number, gamma: number): OneStep {
  const { p, k } = der.model;
  const P = Array.from({ length: k }, (_, r) => Array.from({ length: k }, (_, t) => (r === t ? 1 : 0)));
  const omega = omegaFrom(M, Q, P);
  const n = p + k;
  const params = [...der.layout.defaultParams];
  if (!der.layout.trained) a.forEach((v, j) => (params[der.layout.aParam + j] = v));
  const out = new Float64Array(der.layout.mom.size);
  der.compiled.moments(stateOf({ M, Q, a }, der.layout), params, out);
  const m = unpackMoments(out, p, k, der.layout.mom);
  const inv = inverse(omega);
  // E[σ′_j σ′_l e² uᵀΩ⁻¹u] by tensor Gauss–Hermite over the fields
  const L = symmetricSqrt(omega);
  const gh = gaussHermite(16);
  const W = Array.from({ length: p }, () => new Array(p).fill(0));
  const idx = new Array(n).fill(0);
  for (;;) {
    let w = 1;
    for (let i = 0; i < n; i++) w *= gh.w[idx[i]];
    const g = idx.map((i) => gh.x[i]);
    const u = L.map((row) => row.reduce((s, x, i) => s + x * g[i], 0));
    const quad = g.reduce((s, x) => s + x * x, 0); // uᵀΩ⁻¹u = |g|² for u = Lg
    let f = 0;
    for (let j = 0; j < p; j++) f += (a[j] * der.model.student.f(u[j])) / p;
    const t = der.model.target;
    const y = t.kind === 'committee' ? t.weights.reduce((s, wr, r) => s + (wr * t.g.f(u[p + r])) / k, 0) : t.f(...u.slice(p));
    const e = der.model.loss === 'mse' ? y - f : y;
    for (let j = 0; j < p; j++) for (let l = 0; l < p; l++) W[j][l] += w * der.model.student.df(u[j]) * der.model.student.df(u[l]) * e * e * quad;
    let i = 0;
    while (i < n && ++idx[i] === 16) idx[i++] = 0;
    if (i === n) break;
  }
  const v = (j: number) => [...m.B[j], ...m.A[j]];
  const G = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => v(j).reduce((s, x, i) => s + x * inv[i].reduce((t, y, c) => t + y * v(l)[c], 0), 0)));
  const dM = m.A.map((row, j) => row.map((x) => (gamma * a[j] * x) / p));
  const drift = Q.map((row, j) => row.map((_, l) => (gamma * (a[j] * m.B[j][l] + a[l] * m.B[l][j])) / p));
  const noise = Q.map((row, j) => row.map((_, l) => ((gamma * gamma * a[j] * a[l]) / (p * p)) * (((d - n) * m.V[j][l] + W[j][l]) / nb)));
  const Gt = Q.map((row, j) => row.map((_, l) => ((gamma * gamma * a[j] * a[l]) / (p * p)) * (1 - 1 / nb) * G[j][l]));
  const dQ = Q.map((row, j) => row.map((_, l) => drift[j][l] + noise[j][l] + Gt[j][l]));
  return { dM, dQ, parts: { drift, noise, G: Gt } };
}
