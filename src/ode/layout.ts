/**
 * The state and parameter layout of a model's ODE (THEORY §2.3), shared by code generation, the
 * numeric stage and the simulators.
 *
 * State y: M_{jr} (p×k, row-major), Q_{jl} (j ≤ l), then a_j when the second layer is trained.
 * Parameters: eta_bar (η̄ = γd/n_b), kappa (second-layer rate ratio, trained only), Delta (label-noise
 * variance), P_{rt} (r ≤ t, teacher overlaps), then a_j when the second layer is fixed.
 * Moments (output of `moments`): A (p×k), B (p×p), V (p×p), S (p), risk ε.
 */
import type { ModelCore as Model } from '../hermite/model.ts';

export interface Layout {
  p: number;
  k: number;
  trained: boolean;
  stateNames: string[];
  paramNames: string[];
  defaultParams: number[];
  /** offsets into y */
  M: number;
  Q: number;
  a: number;
  /** offsets into params */
  etaBar: number;
  kappa: number;
  delta: number;
  P: number;
  aParam: number;
  /** offsets into the moments vector */
  mom: { A: number; B: number; V: number; S: number; risk: number; size: number };
  /** the regularisers' parameters by name → index in params (src/regularisers) */
  regParams: Record<string, number>;
}

export function layoutOf(model: Model): Layout {
  const { p, k } = model;
  const trained = model.trainSecondLayer;
  const stateNames: string[] = [];
  for (let j = 1; j <= p; j++) for (let r = 1; r <= k; r++) stateNames.push(`M_${j}_${r}`);
  for (let j = 1; j <= p; j++) for (let l = j; l <= p; l++) stateNames.push(`Q_${j}_${l}`);
  if (trained) for (let j = 1; j <= p; j++) stateNames.push(`a_${j}`);
  const paramNames: string[] = ['eta_bar'];
  const defaultParams: number[] = [1];
  if (trained) {
    paramNames.push('kappa');
    defaultParams.push(1);
  }
  paramNames.push('Delta');
  defaultParams.push(model.noise);
  const P = paramNames.length;
  for (let r = 1; r <= k; r++)
    for (let t = r; t <= k; t++) {
      paramNames.push(`P_${r}_${t}`);
      defaultParams.push(r === t ? 1 : 0);
    }
  const aParam = paramNames.length;
  if (!trained)
    for (let j = 1; j <= p; j++) {
      paramNames.push(`a_${j}`);
      defaultParams.push(model.a0[j - 1]);
    }
  // regularisers' parameters last, so a model without one keeps its layout
  const regParams: Record<string, number> = {};
  for (const { reg, value } of model.regularisers) {
    regParams[reg.param.name] = paramNames.length;
    paramNames.push(reg.param.name);
    defaultParams.push(value);
  }
  const A = 0;
  const B = p * k;
  const V = B + p * p;
  const S = V + p * p;
  const risk = S + p;
  return {
    p,
    k,
    trained,
    stateNames,
    paramNames,
    defaultParams,
    M: 0,
    Q: p * k,
    a: p * k + (p * (p + 1)) / 2,
    etaBar: 0,
    kappa: trained ? 1 : -1,
    delta: trained ? 2 : 1,
    P,
    aParam: trained ? -1 : aParam,
    regParams,
    mom: { A, B, V, S, risk, size: risk + 1 },
  };
}

/** Index of Q_jl (0-based j ≤ l) inside the Q block. */
export function qIndex(p: number, j: number, l: number): number {
  if (j > l) [j, l] = [l, j];
  return j * p - (j * (j - 1)) / 2 + (l - j);
}

/** Index of P_rt (0-based r ≤ t) inside the P block. */
export function pIndex(k: number, r: number, t: number): number {
  return qIndex(k, r, t);
}

/** Reads M, Q (and a, when trained) out of a state vector. */
export function overlapsOf(y: ArrayLike<number>, L: Layout, aFixed: number[]): { M: number[][]; Q: number[][]; a: number[] } {
  const { p, k } = L;
  const M = Array.from({ length: p }, (_, j) => Array.from({ length: k }, (_, r) => y[L.M + j * k + r]));
  const Q = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => y[L.Q + qIndex(p, j, l)]));
  const a = L.trained ? Array.from({ length: p }, (_, j) => y[L.a + j]) : aFixed.slice();
  return { M, Q, a };
}

/** Packs overlaps into a state vector. */
export function stateOf(o: { M: number[][]; Q: number[][]; a: number[] }, L: Layout): number[] {
  const { p, k } = L;
  const y = new Array(L.stateNames.length).fill(0);
  for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) y[L.M + j * k + r] = o.M[j][r];
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) y[L.Q + qIndex(p, j, l)] = o.Q[j][l];
  if (L.trained) for (let j = 0; j < p; j++) y[L.a + j] = o.a[j];
  return y;
}

/** Ω = [[Q, M], [Mᵀ, P]]. */
export function omegaOf(M: number[][], Q: number[][], P: number[][]): number[][] {
  const p = Q.length;
  const k = P.length;
  const n = p + k;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i < p && j < p ? Q[i][j] : i < p ? M[i][j - p] : j < p ? M[j][i - p] : P[i - p][j - p])),
  );
}
