/**
 * Finite-d online SGD exactly as THEORY §2.1 — the "full" simulator. Inputs z ~ N(0, I_d) fresh at
 * every use; teacher W* with W*W*ᵀ = P in the first k coordinates (by rotation invariance any
 * orthonormal teacher is equivalent) or random Gaussian rows; student f = (1/p) Σ a_j σ(w_j·z);
 * mini-batch n_b; MSE or correlation loss; fixed or trained second layer (rate κγ); label noise Δ;
 * plain, projected or spherical updates.
 *
 * The kernel imports only the RNG: activations arrive as JavaScript source and are compiled here, so
 * it runs unchanged in worker threads. Float64Array storage, no allocation inside the step loop; for
 * n_b = 1 with plain updates the forward pass, error and update touch each input twice (one pass
 * computing all p + k fields, one pass applying the p row updates).
 */
import { usageError } from '../errors.ts';
import { Rng } from '../random/rng.ts';
import { SeedRecorder, type SeedResult } from './seed-record.ts';
import { choleskyPsd } from '../linalg.ts';
import { medianInPlace, curvatureSample, type RuleProbe } from './rule-step.ts';
import { RuleRuntime, CONSTANT_KERNEL_RULES, constantKernelRules, riskFunction, type KernelRules } from '../rules/runtime.ts';
import { compileSource as compileFn } from '../ir/js.ts';

export interface KernelConfig {
  p: number;
  k: number;
  d: number;
  nb: number;
  gamma: number;
  /** second-layer rate ratio κ (γ_a = κγ); ignored when the second layer is fixed */
  kappa: number;
  trainA: boolean;
  Delta: number;
  /** w in the residual e = y − w·f of the loss (src/loss: 1 for MSE, 0 for the correlation loss) */
  residualWeight: number;
  /** λ of a linear shrink of the first layer (weight decay, src/regularisers): w ← (1 − γλ) w + γ(…); default 0 */
  shrink?: number;
  dynamics: 'plain' | 'spherical' | 'projected';
  /** total steps and the (sorted, unique) steps at which to record overlaps; step 0 is the start */
  steps: number;
  record: number[];
  P: number[][];
  teacher: 'orthonormal' | 'random';
  /** exact initial overlaps, or null for the random start w_j = g_j/√d */
  init: { M: number[][]; Q: number[][]; a: number[] } | null;
  a0: number[];
  /** JavaScript sources evaluating to functions: σ(x), σ′(x), target(ν: Float64Array) */
  sigmaSrc: string;
  dsigmaSrc: string;
  targetSrc: string;
  /**
   * escape detection, checked after every step: the first step at which |M_jr| (the entry given, or
   * the largest over all entries) reaches the threshold; with `stop` the seed ends there.
   */
  escape?: { threshold: number; entry: [number, number] | null; stop: boolean };
  /** learning-rate and batch-size rules computed from the simulation each step (default: constant γ, n_b) */
  rules?: KernelRules;
  /** record ‖g_W‖² and ‖g_a‖² of the mini-batch gradient of the step taken from each recorded row (diagnostics) */
  measureGradient?: boolean;
  /** discard small-loss samples: only samples with ½e² > discard enter the gradient, averaged over those kept (THEORY §4.7) */
  discard?: number;
}

export type { SeedResult } from './seed-record.ts';

export { compileFn, CONSTANT_KERNEL_RULES };

/**
 * Student and teacher weights with exactly the given overlaps: W* = [L_P | 0], W = [X | R | 0] with
 * X L_Pᵀ = M and R Rᵀ = Q − X Xᵀ (a Schur complement, positive semi-definite when Ω is).
 */
export function weightsWithOverlaps(M: number[][], Q: number[][], P: number[][], d: number, zeroPivot = 1e-14): { W: Float64Array; LP: number[][] } {
  const p = Q.length;
  const k = P.length;
  if (d < p + k) throw usageError(`must be at least p + k = ${p + k}`, { field: 'd', value: d });
  const LP = choleskyPsd(P, zeroPivot);
  const X = M.map((m) => {
    const x = new Array(k).fill(0);
    for (let r = 0; r < k; r++) {
      let s = m[r];
      for (let t = 0; t < r; t++) s -= LP[r][t] * x[t];
      x[r] = LP[r][r] > 1e-14 ? s / LP[r][r] : 0;
    }
    return x;
  });
  const S = Q.map((row, j) => row.map((q, l) => q - X[j].reduce((s, x, t) => s + x * X[l][t], 0)));
  const R = choleskyPsd(S, zeroPivot);
  const W = new Float64Array(p * d);
  for (let j = 0; j < p; j++) {
    for (let r = 0; r < k; r++) W[j * d + r] = X[j][r];
    for (let l = 0; l < p; l++) W[j * d + k + l] = R[j][l];
  }
  return { W, LP };
}

export function runSeed(cfg: KernelConfig, seed: number, onProgress?: (step: number) => void): SeedResult {
  const { p, k, d, nb, gamma } = cfg;
  const sigma = compileFn<(x: number) => number>(cfg.sigmaSrc);
  const dsigma = compileFn<(x: number) => number>(cfg.dsigmaSrc);
  const target = compileFn<(nu: Float64Array) => number>(cfg.targetSrc);
  const rng = new Rng(seed, 1);
  const normalised = cfg.dynamics !== 'plain';
  const rw = cfg.residualWeight;
  const fits = rw !== 0;
  const sqrtDelta = Math.sqrt(cfg.Delta);
  const gammaA = cfg.trainA ? cfg.kappa * gamma : 0;
  /** the second layer moves (at κ·γ_t) */
  const trainA = cfg.trainA && cfg.kappa !== 0;

  // ---- weights ----
  let W: Float64Array;
  let LP: number[][];
  let Wt: Float64Array | null = null; // random teacher rows (k × d)
  let P = cfg.P;
  const a = Float64Array.from(cfg.init ? cfg.init.a : cfg.a0);
  if (cfg.init) ({ W, LP } = weightsWithOverlaps(cfg.init.M, cfg.init.Q, cfg.P, d));
  else {
    W = new Float64Array(p * d);
    const s = 1 / Math.sqrt(d);
    rng.fillNormal(W);
    for (let i = 0; i < W.length; i++) W[i] *= s;
    if (normalised) normaliseRows(W, p, d);
    LP = choleskyPsd(cfg.P, 1e-14);
    if (cfg.teacher === 'random') {
      Wt = new Float64Array(k * d);
      rng.fillNormal(Wt);
      for (let i = 0; i < Wt.length; i++) Wt[i] *= s;
      P = Array.from({ length: k }, (_, r) => Array.from({ length: k }, (_, t) => dot(Wt as Float64Array, r * d, Wt as Float64Array, t * d, d)));
    }
  }
  const LPf = Float64Array.from(LP.flat());

  // ---- rules ----
  const rules = cfg.rules ?? CONSTANT_KERNEL_RULES;
  const ruled = !constantKernelRules(rules);
  const rt = new RuleRuntime(rules, gamma, nb, cfg.Delta);
  const riskOf = riskFunction(rules);

  // ---- buffers (allocated once) ----
  const chunk = Math.min(rt.batchVaries ? Infinity : nb, Math.max(1, Math.floor(65536 / d)), 256);
  const Z = new Float64Array(chunk * d);
  const lam = new Float64Array(p);
  const sig = new Float64Array(p);
  const nu = new Float64Array(k);
  const C = new Float64Array(chunk * p);
  const dW = new Float64Array(nb > 1 || normalised || ruled ? p * d : 0);
  const da = new Float64Array(p);
  const sj = new Float64Array(rt.reads('curvature') ? p : 0);
  // the secant measurement keeps the previous iterate and gradient
  const secant = rt.reads('secant');
  const Wprev = new Float64Array(secant ? p * d : 0);
  const Dprev = new Float64Array(secant ? p * d : 0);
  const ratio = new Float64Array(secant ? p * d : 0);

  /** M_jr at the current weights (O(k) for the coordinate teacher) */
  const mAt = (j: number, r: number) => {
    if (Wt) return dot(W, j * d, Wt, r * d, d);
    let s = 0;
    for (let t = 0; t <= r; t++) s += W[j * d + t] * LPf[r * k + t];
    return s;
  };
  /** M and Q of the current weights */
  const overlaps = () => {
    const M = Array.from({ length: p }, (_, j) => Array.from({ length: k }, (_, r) => mAt(j, r)));
    const Q = Array.from({ length: p }, () => new Array(p).fill(0));
    for (let j = 0; j < p; j++)
      for (let l = j; l < p; l++) {
        const v = dot(W, j * d, W, l * d, d);
        Q[j][l] = Q[l][j] = v;
      }
    return { M, Q };
  };
  const rec = new SeedRecorder(cfg, seed, P, rt, overlaps, (j, r) => Math.abs(mAt(j, r)), a, onProgress, 2000);
  /** ν = W* z for the input stored at Z[zo..zo+d) */
  const teacherFields = (zo: number) => {
    if (Wt) for (let r = 0; r < k; r++) nu[r] = dot(Wt, r * d, Z, zo, d);
    else
      for (let r = 0; r < k; r++) {
        let s = 0;
        for (let t = 0; t <= r; t++) s += LPf[r * k + t] * Z[zo + t];
        nu[r] = s;
      }
  };
  const fast = nb === 1 && !normalised && !ruled && !cfg.measureGradient && cfg.discard === undefined;
  /** the fast path's shrink factor 1 − γλ (its rate is constant) */
  const keep = 1 - gamma * (cfg.shrink ?? 0);
  const discard = cfg.discard ?? -1;
  const cA0 = 1 / p;

  /** one labelled input at Z[zo..]: fills λ, ν and returns y */
  const label = (zo: number) => {
    teacherFields(zo);
    for (let j = 0; j < p; j++) lam[j] = dot(W, j * d, Z, zo, d);
    return target(nu) + (sqrtDelta > 0 ? sqrtDelta * rng.normal() : 0);
  };
  const probe: RuleProbe = {
    norms: () => {
      let w2 = 0;
      let g2 = 0;
      for (let i = 0; i < p * d; i++) {
        w2 += W[i] * W[i];
        g2 += dW[i] * dW[i];
      }
      return { w2, g2 };
    },
    curvature: (nbT, gaussNewton) => {
      // u = g/‖g‖; κ = mean over fresh samples of [h(W + δu) − h(W − δu)]/(2δ), h = uᵀ∇ℓ
      const g = Math.sqrt(probe.norms().g2);
      if (!(g > 0)) return NaN;
      const delta = rules.fdStep;
      let acc = 0;
      for (let done = 0; done < nbT; ) {
        const m = Math.min(chunk, nbT - done);
        rng.fillNormal(Z, m * d);
        for (let mu = 0; mu < m; mu++) {
          const zo = mu * d;
          const y = label(zo);
          for (let j = 0; j < p; j++) sj[j] = dot(dW, j * d, Z, zo, d) / g;
          acc += curvatureSample(lam, sj, y, a, rw, sigma, dsigma, delta, gaussNewton);
        }
        done += m;
      }
      return acc / nbT;
    },
    secant: () => {
      let n = 0;
      for (let i = 0; i < p * d; i++) {
        const dth = W[i] - Wprev[i];
        ratio[n++] = dth !== 0 ? Math.abs(dW[i] - Dprev[i]) / Math.abs(dth) : Infinity;
      }
      return medianInPlace(ratio, n);
    },
    loss: (nEst) => {
      if (nEst === 0) {
        const { M, Q } = overlaps();
        return (riskOf as NonNullable<typeof riskOf>)(M, Q, a, P);
      }
      let acc = 0;
      for (let done = 0; done < nEst; ) {
        const m = Math.min(chunk, nEst - done);
        rng.fillNormal(Z, m * d);
        for (let mu = 0; mu < m; mu++) {
          const y = label(mu * d);
          let f = 0;
          for (let j = 0; j < p; j++) f += a[j] * sigma(lam[j]);
          acc += 0.5 * (y - f / p) ** 2;
        }
        done += m;
      }
      return acc / nEst;
    },
  };
  for (let step = 1; step <= cfg.steps; step++) {
    if (fast) {
      // one sample: fields in one pass, then the p row updates in one pass
      rng.fillNormal(Z, d);
      for (let j = 0; j < p; j++) lam[j] = 0;
      teacherFields(0);
      if (p === 1) lam[0] = dot(W, 0, Z, 0, d);
      else if (p === 2) {
        let s0 = 0;
        let s1 = 0;
        for (let i = 0; i < d; i++) {
          const zi = Z[i];
          s0 += W[i] * zi;
          s1 += W[d + i] * zi;
        }
        lam[0] = s0;
        lam[1] = s1;
      } else for (let j = 0; j < p; j++) lam[j] = dot(W, j * d, Z, 0, d);
      const y = target(nu) + (sqrtDelta > 0 ? sqrtDelta * rng.normal() : 0);
      let f = 0;
      if (fits || gammaA)
        for (let j = 0; j < p; j++) {
          sig[j] = sigma(lam[j]);
          f += a[j] * sig[j];
        }
      f /= p;
      const e = y - rw * f;
      for (let j = 0; j < p; j++) {
        const cj = (gamma * a[j] * dsigma(lam[j]) * e) / p;
        if (gammaA) da[j] = gammaA * cA0 * sig[j] * e;
        const off = j * d;
        if (keep !== 1) for (let i = 0; i < d; i++) W[off + i] = keep * W[off + i] + cj * Z[i];
        else if (cj !== 0) for (let i = 0; i < d; i++) W[off + i] += cj * Z[i];
      }
      if (gammaA) for (let j = 0; j < p; j++) a[j] += da[j];
      rt.advance(gamma, 1);
    } else {
      // the batch of this step, its descent direction D = −∇L̂ (per unit rate), then the rate
      const { nb: nbT, decay } = ruled ? rt.batch(step, probe) : { nb, decay: 1 };
      const cA = cA0 / nbT;
      dW.fill(0);
      da.fill(0);
      let kept = 0;
      for (let done = 0; done < nbT; ) {
        const m = Math.min(chunk, nbT - done);
        rng.fillNormal(Z, m * d);
        for (let mu = 0; mu < m; mu++) {
          const y = label(mu * d);
          let f = 0;
          if (fits || trainA)
            for (let j = 0; j < p; j++) {
              sig[j] = sigma(lam[j]);
              f += a[j] * sig[j];
            }
          f /= p;
          const e = y - rw * f;
          if (0.5 * e * e <= discard) {
            for (let j = 0; j < p; j++) C[mu * p + j] = 0;
            continue;
          }
          kept++;
          for (let j = 0; j < p; j++) {
            C[mu * p + j] = a[j] * dsigma(lam[j]) * e * cA;
            if (trainA) da[j] += cA * sig[j] * e;
          }
        }
        for (let j = 0; j < p; j++) {
          const off = j * d;
          for (let mu = 0; mu < m; mu++) {
            const c = C[mu * p + j];
            if (c === 0) continue;
            const zo = mu * d;
            for (let i = 0; i < d; i++) dW[off + i] += c * Z[zo + i];
          }
        }
        done += m;
      }
      if (discard >= 0 && kept < nbT) {
        // the average over the kept samples (no update when none is kept)
        const scale = kept > 0 ? nbT / kept : 0;
        for (let i = 0; i < p * d; i++) dW[i] *= scale;
        for (let j = 0; j < p; j++) da[j] *= scale;
      }
      const g = ruled ? rt.rate(step, nbT, decay, probe) : gamma;
      if (cfg.measureGradient && rec.fromRecordedRow(step)) rec.gradientNorms(probe.norms().g2, da.reduce((acc, x) => acc + x * x, 0));
      if (secant) {
        Wprev.set(W);
        Dprev.set(dW);
      }
      for (let j = 0; j < p; j++) {
        const off = j * d;
        if (cfg.dynamics === 'spherical') {
          // tangent step: remove the radial part of Δw_j
          const r = dot(W, off, dW, off, d) / dot(W, off, W, off, d);
          for (let i = 0; i < d; i++) W[off + i] += g * (dW[off + i] - r * W[off + i]);
        } else if (cfg.shrink) {
          const keepT = 1 - g * cfg.shrink;
          for (let i = 0; i < d; i++) W[off + i] = keepT * W[off + i] + g * dW[off + i];
        } else for (let i = 0; i < d; i++) W[off + i] += g * dW[off + i];
      }
      if (normalised) normaliseRows(W, p, d);
      if (trainA) for (let j = 0; j < p; j++) a[j] += cfg.kappa * g * da[j];
      rt.advance(g, nbT);
    }
    if (!rec.afterStep(step)) break;
  }
  return rec.finish(ruled ? () => rt.batch(cfg.steps + 1, probe).nb : undefined);
}

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    s0 += a[ao + i] * b[bo + i];
    s1 += a[ao + i + 1] * b[bo + i + 1];
  }
  if (i < n) s0 += a[ao + i] * b[bo + i];
  return s0 + s1;
}

function normaliseRows(W: Float64Array, p: number, d: number): void {
  for (let j = 0; j < p; j++) {
    const off = j * d;
    const n = Math.sqrt(dot(W, off, W, off, d));
    if (n > 0) for (let i = 0; i < d; i++) W[off + i] /= n;
  }
}
