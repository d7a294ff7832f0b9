/**
 * The finite-step overlap map (THEORY §2.3, "γ not small"; §4.3 for one giant step): one step of the
 * mean dynamics of the overlaps at step size γ, dimension d and batch n_b, including the squared mean
 * gradient G_jl = v_jᵀ Ω⁺ v_l (v_j = (B_j·, A_j·)), which the ODE drops:
 *   M ← s M + γ (a/p)⊙A
 *   Q ← s² Q + s γ (aB + (aB)ᵀ)/p + γ² (a aᵀ/p²)⊙[(d/n_b) V + (1 − 1/n_b) G]
 * with s = 1 − γλ under weight decay (THEORY §2.9; s = 1 without it)
 *   a ← a + κγ S/p                                   (trained second layer)
 * projected: then Q_jl ← Q_jl/√(Q_jj Q_ll), M_jr ← M_jr/√Q_jj (the map iterated by (A)'s code);
 * spherical: the tangent step Δ_j − (w_j·Δ_j) w_j first, with the mean-field closure
 * E[(w_j·Δ_j) X] ≈ E[w_j·Δ_j] E[X] for the products it creates, then the same normalisation.
 * It follows the mean exactly and ignores fluctuations, so it is accurate once n_b is large.
 */
import type { GeneratedModel } from '../codegen/compile.ts';
import type { Layout } from '../ode/layout.ts';
import { qIndex } from '../ode/layout.ts';
import { overlapsOf, omegaOf } from './trajectory.ts';
import { squaredMeanGradient } from './rules.ts';
import { StepClock } from '../rules/clock.ts';
import { shrinkRate } from '../regularisers/index.ts';

export interface MapOptions {
  gamma: number;
  d: number;
  nb: number;
  steps: number;
  /** record these steps (sorted; default every step) */
  record?: number[];
  P: number[][];
  aFixed: number[];
  dynamics: 'plain' | 'spherical' | 'projected';
  /** stop at the first step where g(y) ≥ 0 */
  escape?: (y: number[]) => number;
  /** a learning-rate / batch-size rule: γ_t and n_b of step t (1-based) from the state before it (default: the constant gamma, nb) */
  rate?: (t: number, tau: number, steps: number, y: number[]) => { gamma: number; nb: number };
  /** called after every step with the steps done and their total */
  onProgress?: (done: number, total: number) => void;
}

export interface MapResult {
  steps: number[];
  /** τ, samples, and the γ and n_b the rule gives at each recorded state (those of the step taken from it) */
  tau: number[];
  samples: number[];
  gamma: number[];
  nb: number[];
  y: number[][];
  status: 'completed' | 'event' | 'blow-up';
  escapeStep?: number;
  message?: string;
}

/** Iterates the finite-step map from y0 (state layout of the derivation). */
export function iterateMap(gm: GeneratedModel, L: Layout, y0: number[], params: number[], o: MapOptions): MapResult {
  const { p, k } = L;
  const mom = new Float64Array(L.mom.size);
  const { A: oA, B: oB, V: oV, S: oS } = L.mom;
  let y = y0.slice();
  const out: MapResult = { steps: [], tau: [], samples: [], gamma: [], nb: [], y: [], status: 'completed' };
  const record = o.record ? new Set(o.record) : null;
  const clock = new StepClock();
  const rate = o.rate ?? (() => ({ gamma: o.gamma, nb: o.nb }));
  let next = rate(1, 0, 0, y);
  const push = (t: number) => {
    out.steps.push(t);
    out.tau.push(clock.tau);
    out.samples.push(clock.samples);
    out.gamma.push(next.gamma);
    out.nb.push(next.nb);
    out.y.push(y.slice());
  };
  const keep = (t: number) => {
    if (!record || record.has(t)) push(t);
  };
  keep(0);
  const kappa = L.trained ? params[L.kappa] : 0;
  const lambda = shrinkRate(L.regParams, params);
  for (let t = 1; t <= o.steps; t++) {
    o.onProgress?.(t - 1, o.steps);
    const g = next.gamma;
    const nbT = next.nb;
    gm.moments(y, params, mom);
    const ov = overlapsOf(y, L, o.aFixed);
    const a = ov.a;
    const A = (j: number, r: number) => mom[oA + j * k + r];
    const B = (j: number, l: number) => mom[oB + j * p + l];
    const V = (j: number, l: number) => mom[oV + j * p + l];
    // G = v_jᵀ Ω⁺ v_l
    const Gm = squaredMeanGradient(
      Array.from({ length: p }, (_, j) => Array.from({ length: k }, (_, r) => A(j, r))),
      Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => B(j, l))),
      omegaOf(ov.M, ov.Q, o.P),
    ).G;
    const G = (j: number, l: number) => Gm[j][l];
    const c = a.map((aj) => (g * aj) / p);
    const noise = (j: number, l: number) => c[j] * c[l] * ((o.d / nbT) * V(j, l) + (1 - 1 / nbT) * G(j, l));
    const M = ov.M.map((row) => row.slice());
    const Q = ov.Q.map((row) => row.slice());
    if (o.dynamics === 'spherical') {
      // tangent step Δt_j = Δ_j − (w_j·Δ_j) w_j, with r_j = E[w_j·Δ_j] = c_j B_jj
      const r = Array.from({ length: p }, (_, j) => c[j] * B(j, j));
      for (let j = 0; j < p; j++) for (let q = 0; q < k; q++) M[j][q] = ov.M[j][q] + c[j] * A(j, q) - r[j] * ov.M[j][q];
      for (let j = 0; j < p; j++)
        for (let l = j; l < p; l++) {
          const wDl = c[l] * B(l, j); // E[w_j·Δ_l]
          const wDj = c[j] * B(j, l); // E[w_l·Δ_j]
          const tt = noise(j, l) - r[l] * wDj - r[j] * wDl + r[j] * r[l] * ov.Q[j][l];
          Q[j][l] = Q[l][j] = ov.Q[j][l] + (wDl - r[l] * ov.Q[j][l]) + (wDj - r[j] * ov.Q[j][l]) + tt;
        }
    } else {
      // w ← s w + γ(…), s = 1 − γλ under a shrink (THEORY §2.9; s = 1 without one)
      const s = 1 - g * lambda;
      for (let j = 0; j < p; j++) for (let q = 0; q < k; q++) M[j][q] = s * ov.M[j][q] + c[j] * A(j, q);
      for (let j = 0; j < p; j++)
        for (let l = j; l < p; l++) Q[j][l] = Q[l][j] = s * s * ov.Q[j][l] + s * c[j] * B(j, l) + s * c[l] * B(l, j) + noise(j, l);
    }
    if (o.dynamics !== 'plain') {
      const n = Q.map((row, j) => Math.sqrt(row[j]));
      for (let j = 0; j < p; j++) {
        for (let q = 0; q < k; q++) M[j][q] /= n[j];
        for (let l = 0; l < p; l++) Q[j][l] /= n[j] * n[l];
      }
    }
    const nextY = y.slice();
    for (let j = 0; j < p; j++) for (let q = 0; q < k; q++) nextY[L.M + j * k + q] = M[j][q];
    for (let j = 0; j < p; j++) for (let l = j; l < p; l++) nextY[L.Q + qIndex(p, j, l)] = Q[j][l];
    if (L.trained) for (let j = 0; j < p; j++) nextY[L.a + j] = a[j] + (kappa * g * mom[oS + j]) / p;
    y = nextY;
    clock.advance(g, nbT);
    const finite = y.every((x) => Number.isFinite(x) && Math.abs(x) < 1e8);
    // the rate and batch the rule gives at the new state: those of the step taken from it
    if (finite) next = rate(t + 1, clock.tau, clock.steps, y);
    if (!finite) {
      out.status = 'blow-up';
      out.message = `the overlaps blew up at step ${t}`;
      keep(t);
      return out;
    }
    if (o.escape && o.escape(y) >= 0) {
      out.status = 'event';
      out.escapeStep = t;
      push(t);
      return out;
    }
    keep(t);
  }
  return out;
}
