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
 * independent of n_b (for n_b ≪ d). D is generated code (src/codegen/diffusion.ts: tensor Gauss–Hermite
 * over the p + k fields, the label noise ξ in closed form), compiled once per derivation.
 */
import type { Derivation } from '../pipeline.ts';
import { jacobianOf, diffusionOf } from '../pipeline.ts';
import { usageError } from '../errors.ts';
import { qIndex, type Layout } from '../ode/layout.ts';
import { overlapsOf, type Trajectory } from './trajectory.ts';
import { maxAbsOf } from '../extrema.ts';
export { diffusionNodes } from '../codegen/diffusion.ts';

/** Why a derivation has no linear-noise theory here (undefined: it has one). */
export function fluctuationRefusal(der: Derivation): string | undefined {
  if (der.model.dynamics !== 'plain') return `the fluctuations are derived for plain SGD (this derivation is ${der.model.dynamics}: the normalisation's own noise is not in D yet)`;
  return undefined;
}

/** D(y) (n×n, row-major) per unit τ, scaled by d — Cov(y(τ + dτ) − y(τ) | y) = D dτ/d — from the compiled `diffusion` (src/codegen/diffusion.ts). */
export function diffusionMatrix(der: Derivation, y: ArrayLike<number>, params: number[], nodes: number): Float64Array {
  const n = der.layout.stateNames.length;
  const D = new Float64Array(n * n);
  compiledDiffusion(der, nodes)(0, y, params, D);
  return D;
}

/** The compiled diffusion of a derivation at a node count, compiled once per (derivation, nodes). */
const compiled = new WeakMap<Derivation, Map<number, ReturnType<typeof diffusionOf>>>();
function compiledDiffusion(der: Derivation, nodes: number): ReturnType<typeof diffusionOf> {
  let byNodes = compiled.get(der);
  if (!byNodes) compiled.set(der, (byNodes = new Map()));
  let f = byNodes.get(nodes);
  if (!f) byNodes.set(nodes, (f = diffusionOf(der, nodes)));
  return f;
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
  const D = new Float64Array(n * n);
  const diffusion = compiledDiffusion(der, nodes);
  return (t, z, dz) => {
    const y = z.slice(0, n);
    der.compiled.rhs(t, y, params, F);
    for (let i = 0; i < n; i++) dz[i] = F[i];
    jac(t, y, params, J);
    diffusion(t, y, params, D);
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

/**
 * How accurate D is along a run: at up to `states` of the saved states (evenly spread), the largest
 * difference of D with `nodes` per field from D with twice as many, relative to the largest |D| there.
 * The tensor rule converges slowly where a field's variance is large (σ′ then varies on a scale of
 * 1/√Q_jj in the rule's coordinates), so this is measured, not assumed; the finer rule's own error is
 * smaller, and the difference is close to the coarse rule's error once it converges.
 */
export function diffusionAccuracy(der: Derivation, params: number[], ys: number[][], nodes: number, states = 6): { worst: number; at: number; finer: number } {
  const n = der.layout.stateNames.length;
  const finer = Math.min(48, 2 * nodes);
  const coarse = compiledDiffusion(der, nodes);
  const fine = compiledDiffusion(der, finer);
  const A = new Float64Array(n * n);
  const B = new Float64Array(n * n);
  let worst = 0;
  let at = 0;
  const picks = new Set(Array.from({ length: Math.min(states, ys.length) }, (_, i) => Math.round((i * (ys.length - 1)) / Math.max(1, Math.min(states, ys.length) - 1))));
  for (const i of picks) {
    const y = ys[i].slice(0, n);
    coarse(0, y, params, A);
    fine(0, y, params, B);
    let diff = 0;
    let scale = 0;
    for (let c = 0; c < n * n; c++) {
      diff = Math.max(diff, Math.abs(A[c] - B[c]));
      scale = Math.max(scale, Math.abs(B[c]));
    }
    const rel = scale > 0 ? diff / scale : 0;
    if (rel > worst) [worst, at] = [rel, i];
  }
  return { worst, at, finer };
}

/** Relative accuracy of the diffusion matrix along a run above which a run warns. */
export const DIFFUSION_WARN = 1e-2;

/** The largest predicted std of an overlap (M, Q; P = I units) the linear-noise approximation is trusted with. */
export const LINEAR_NOISE_LIMIT = 0.1;

/** The last saved τ at which every predicted std of M and Q is within LINEAR_NOISE_LIMIT, or null when all are. */
export function linearNoiseLimit(traj: Pick<Trajectory, 'tau' | 'std'>): number | null {
  const std = traj.std as NonNullable<Trajectory['std']>;
  let last = null as number | null;
  for (let i = 0; i < traj.tau.length; i++) {
    const worst = Math.max(maxAbsOf(std.M[i].flat()), maxAbsOf(std.Q[i].flat()));
    if (worst > LINEAR_NOISE_LIMIT) return last ?? traj.tau[0];
    last = traj.tau[i];
  }
  return null;
}

/**
 * Σ(0) (n×n, row-major, per d) of the simulators' random start — w_j = g_j/√d with g_j ~ N(0, I_d),
 * the teacher fixed with overlaps P (THEORY §2.13): Cov(M_jr, M_j't) = δ_jj′P_rt/d, Var Q_jj = 2/d,
 * Var Q_jl = 1/d (j ≠ l), every other covariance 0 (odd moments of g); a trained a starts fixed.
 * Exact at every d, not only to leading order.
 */
export function randomStartCovariance(L: Layout, P: number[][]): number[] {
  const n = L.stateNames.length;
  const S = new Array(n * n).fill(0);
  const { p, k } = L;
  for (let j = 0; j < p; j++)
    for (let r = 0; r < k; r++)
      for (let t = 0; t < k; t++) S[(L.M + j * k + r) * n + (L.M + j * k + t)] = P[r][t];
  for (let j = 0; j < p; j++)
    for (let l = j; l < p; l++) {
      const i = L.Q + qIndex(p, j, l);
      S[i * n + i] = j === l ? 2 : 1;
    }
  return S;
}

/**
 * What a run with fluctuations reports, from its saved states z = [y, Σ]: the standard deviations
 * (`std`), where the approximation stops holding, D's accuracy along the run, the method and the
 * convention (`meta.fluctuations`), and the warnings about either.
 */
export function fluctuationResult(
  der: Derivation,
  params: number[],
  zs: number[][],
  tau: number[],
  fl: { d: number; nodes: number; start?: 'fixed' | 'random' },
): { std: NonNullable<Trajectory['std']>; meta: Record<string, unknown>; warnings: string[] } {
  const L = der.layout;
  const p = der.model.p;
  const std: NonNullable<Trajectory['std']> = { M: [], Q: [], a: [], risk: [] };
  for (const z of zs) {
    const s = fluctuationStd(der, params, z, fl.d);
    const o = overlapsOf(s.y, L, L.trained ? [] : new Array(p).fill(0));
    std.M.push(o.M);
    std.Q.push(o.Q);
    std.a.push(L.trained ? o.a : new Array(p).fill(0));
    std.risk.push(s.risk);
  }
  const validUntil = linearNoiseLimit({ tau, std });
  const acc = diffusionAccuracy(der, params, zs, fl.nodes);
  const from = fl.start === 'random' ? 'Σ(0) of the random start w_j = g_j/√d (Σ₀ = 1 for M_jr, 2 for Q_jj, 1 for Q_jl)' : 'Σ(0) = 0 (the start given exactly)';
  const meta = {
    d: fl.d,
    start: fl.start ?? 'fixed',
    method: `linear-noise approximation (THEORY §2.13): Σ from ${from} beside the overlaps, D by Gauss–Hermite with ${fl.nodes} nodes per field`,
    convention: `std = √(Σ_ii/d): one run of SGD at dimension d from ${fl.start === 'random' ? 'a random start' : 'these overlaps'}; the risk by its gradient`,
    validUntil,
    accuracy: { worst: acc.worst, tau: tau[acc.at], method: `D with ${fl.nodes} nodes per field against ${acc.finer}, relative to the largest |D|, at up to 6 saved states` },
  };
  const warnings: string[] = [];
  if (acc.worst > DIFFUSION_WARN)
    warnings.push(
      `the diffusion matrix is accurate to ${acc.worst.toExponential(1)} relative along this run (worst at τ = ${Number(tau[acc.at].toPrecision(4))}: ${fl.nodes} against ${acc.finer} nodes per field; the tensor rule converges slowly where a field's variance is large), so the predicted std is off by up to about half that: raise the nodes (--fluctuation-nodes N)`,
    );
  if (validUntil !== null)
    warnings.push(
      `the predicted standard deviation of an overlap exceeds ${LINEAR_NOISE_LIMIT} after τ = ${Number(validUntil.toPrecision(4))} (d = ${fl.d}): the linear-noise approximation does not hold beyond (near a saddle the spread grows like the linear dynamics until it is O(1)); its std is not a prediction there`,
    );
  return { std, meta, warnings };
}
