/**
 * Finite-d fluctuations of the overlaps in the linear-noise approximation (THEORY §2.13). A run of
 * plain online SGD from fixed overlaps stays within O(d^{-1/2}) of the ODE solution ȳ(τ), Gaussian to
 * leading order with covariance Σ(τ)/d,
 *   dΣ/dτ = J(ȳ)Σ + ΣJ(ȳ)ᵀ + D(ȳ),  Σ(0) = 0,
 * J the Jacobian of the right-hand side and D the diffusion of one step's increments per unit τ:
 * an increment is γ·(1/n_b)Σ_μ w^μ with w = u + η̄v per sample — u the part linear in γ
 * (u_{M_jr} = (a_j/p)σ′_j e ν_r, u_{Q_jl} = (a_j/p)σ′_j e λ_l + (a_l/p)σ′_l e λ_j, u_{a_j} = κσ_j e/p) and
 * v the squared step, γ²‖z‖²/n_b² ≈ γη̄/n_b per sample (v_{Q_jl} = (a_j a_l/p²)σ′_jσ′_l e²) — so that
 *   D = η̄ Cov(w) = η̄ [Cov(u) + η̄(Cov(u, v) + Cov(v, u)) + η̄² Cov(v)],
 * independent of n_b (for n_b ≪ d). The expectations are taken by tensor Gauss–Hermite quadrature over
 * the p + k fields (the label noise ξ in closed form: its moments of e², e³, e⁴).
 */
import type { Derivation } from '../pipeline.ts';
import { jacobianOf } from '../pipeline.ts';
import { studentAt, targetValue } from '../hermite/model.ts';
import { forEachTensorNode } from '../quadrature.ts';
import { symmetricSqrt } from '../linalg.ts';
import { residualWeight } from '../loss/index.ts';
import { overlapsOf, omegaOf } from './trajectory.ts';
import { teacherOverlaps } from './setup.ts';
import { usageError } from '../errors.ts';

/** Gauss–Hermite nodes per field for D: the most with nodes^(p+k) ≤ 10⁴ (at least 4, at most 24). */
export function diffusionNodes(fields: number): number {
  let n = 4;
  while (n < 24 && (n + 1) ** fields <= 1e4) n++;
  return n;
}

/** Why a derivation has no linear-noise theory here (undefined: it has one). */
export function fluctuationRefusal(der: Derivation): string | undefined {
  if (der.model.dynamics !== 'plain') return `the fluctuations are derived for plain SGD (this derivation is ${der.model.dynamics}: the normalisation's own noise is not in D yet)`;
  return undefined;
}

/** D(y) (n×n, row-major) per unit τ, scaled by d: Cov(y(τ + dτ) − y(τ) | y) = D dτ/d. */
export function diffusionMatrix(der: Derivation, y: ArrayLike<number>, params: number[], nodes: number): Float64Array {
  const { model } = der;
  const L = der.layout;
  const { p, k } = model;
  const n = L.stateNames.length;
  const aFixed = L.trained ? [] : params.slice(L.aParam, L.aParam + p);
  const o = overlapsOf(y, L, aFixed);
  const a = o.a;
  const P = teacherOverlaps(params, L);
  const omega = omegaOf(o.M, o.Q, P);
  const S = symmetricSqrt(omega);
  const eta = params[L.etaBar];
  const Delta = params[L.delta];
  const kappa = L.trained ? params[L.kappa] : 0;
  const rw = residualWeight(model);
  const Suu = new Float64Array(n * n);
  const Suv = new Float64Array(n * n);
  const Svv = new Float64Array(n * n);
  const mu = new Float64Array(n);
  const mv = new Float64Array(n);
  const alpha = new Float64Array(n);
  const beta = new Float64Array(n);
  const sig = new Array(p).fill(0);
  const dsig = new Array(p).fill(0);
  // the v entries (Q only) and their indices
  const qIdx: number[] = [];
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) qIdx.push(L.Q + qIdx.length);
  forEachTensorNode(S, nodes, (u, wgt) => {
    const f = studentAt(model, u, a, sig, dsig);
    const e0 = targetValue(model, u.slice(p)) - rw * f;
    const e2 = e0 * e0 + Delta;
    const e3 = e0 * e0 * e0 + 3 * e0 * Delta;
    const e4 = e0 ** 4 + 6 * e0 * e0 * Delta + 3 * Delta * Delta;
    // u_i = α_i e, v_i = β_i e²
    alpha.fill(0);
    beta.fill(0);
    for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) alpha[L.M + j * k + r] = (a[j] / p) * dsig[j] * u[p + r];
    let q = 0;
    for (let j = 0; j < p; j++)
      for (let l = j; l < p; l++, q++) {
        alpha[L.Q + q] = (a[j] / p) * dsig[j] * u[l] + (a[l] / p) * dsig[l] * u[j];
        beta[L.Q + q] = ((a[j] * a[l]) / (p * p)) * dsig[j] * dsig[l];
      }
    if (L.trained) for (let j = 0; j < p; j++) alpha[L.a + j] = (kappa * sig[j]) / p;
    for (let i = 0; i < n; i++) {
      const ai = alpha[i];
      mu[i] += wgt * ai * e0;
      mv[i] += wgt * beta[i] * e2;
      if (ai !== 0) for (let c = 0; c < n; c++) Suu[i * n + c] += wgt * ai * alpha[c] * e2;
      if (ai !== 0) for (const c of qIdx) Suv[i * n + c] += wgt * ai * beta[c] * e3;
    }
    for (const i of qIdx) for (const c of qIdx) Svv[i * n + c] += wgt * beta[i] * beta[c] * e4;
  });
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < n; c++) {
      const cuu = Suu[i * n + c] - mu[i] * mu[c];
      const cuv = Suv[i * n + c] - mu[i] * mv[c];
      const cvu = Suv[c * n + i] - mu[c] * mv[i];
      const cvv = Svv[i * n + c] - mv[i] * mv[c];
      D[i * n + c] = eta * (cuu + eta * (cuv + cvu) + eta * eta * cvv);
    }
  return D;
}

/**
 * The right-hand side of the overlaps with Σ beside them: z = [y (n), Σ (n², row-major)],
 * dz/dτ = [F(y), JΣ + ΣJᵀ + D(y)].
 */
export function fluctuationRhs(der: Derivation, params: number[], nodes: number): (t: number, z: number[], dz: Float64Array) => void {
  const refusal = fluctuationRefusal(der);
  if (refusal) throw usageError(refusal, { field: '--fluctuations' });
  const n = der.layout.stateNames.length;
  const jac = jacobianOf(der);
  const J = new Float64Array(n * n);
  const F = new Float64Array(n);
  return (t, z, dz) => {
    const y = z.slice(0, n);
    der.compiled.rhs(t, y, params, F);
    for (let i = 0; i < n; i++) dz[i] = F[i];
    jac(t, y, params, J);
    const D = diffusionMatrix(der, y, params, nodes);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < n; c++) {
        let s = D[i * n + c];
        for (let m = 0; m < n; m++) s += J[i * n + m] * z[n + m * n + c] + z[n + i * n + m] * J[c * n + m];
        dz[n + i * n + c] = s;
      }
  };
}

/** Standard deviations of the state entries and of the risk at dimension d from Σ (risk by its gradient, central differences). */
export function fluctuationStd(der: Derivation, params: number[], z: number[], d: number): { y: number[]; risk: number } {
  const n = der.layout.stateNames.length;
  const y = z.slice(0, n);
  const g = y.map((x, i) => {
    const h = 1e-6 * Math.max(1, Math.abs(x));
    const [yp, ym] = [y.slice(), y.slice()];
    yp[i] += h;
    ym[i] -= h;
    return (der.compiled.risk(yp, params) - der.compiled.risk(ym, params)) / (2 * h);
  });
  let vr = 0;
  for (let i = 0; i < n; i++) for (let c = 0; c < n; c++) vr += g[i] * z[n + i * n + c] * g[c];
  return { y: y.map((_, i) => Math.sqrt(Math.max(0, z[n + i * n + i]) / d)), risk: Math.sqrt(Math.max(0, vr) / d) };
}
