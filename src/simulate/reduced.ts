/**
 * The reduced finite-d simulator (THEORY §2.7): exact in law, cost independent of d.
 *
 * The student lives in coordinates on an orthonormal basis [teacher span (k) | span of the non-teacher
 * parts of W (p)]; the teacher is W* = [L_P | 0]. Each step draws the in-span coordinates x ∈ ℝ^{k+p}
 * of every input exactly (i.i.d. N(0, 1)), which give λ, ν, y, e and the coefficients
 * c_μj = γ a_j σ′(λ_j^μ) e^μ/(p n_b). The orthogonal part of the update, U = Z⊥ᵀ c, is independent of
 * everything else and enters the future only through its Gram matrix H = cᵀ Z⊥ Z⊥ᵀ c ~
 * Wishart_p(d − k − p, cᵀc), drawn by Bartlett's decomposition H = S A Aᵀ Sᵀ (S Sᵀ = cᵀc,
 * A_ii² ~ χ²_{d−k−p−i+1}, A_ij ~ N(0, 1) below the diagonal) and represented by R = S A in p new
 * coordinates. The 2p-dimensional non-teacher block is then re-expressed in p coordinates by the
 * Cholesky factor of its Gram matrix (only Gram matrices matter: future inputs are isotropic).
 * Cost per step O(n_b p (p + k) + p³).
 */
import { usageError } from '../errors.ts';
import { Rng } from '../random/rng.ts';
import { SeedRecorder } from './seed-record.ts';
import { choleskyPsd as cholesky, choleskyPsdInto } from '../linalg.ts';
import { compileFn, weightsWithOverlaps, CONSTANT_KERNEL_RULES, type KernelConfig, type SeedResult } from './kernel.ts';
import { curvatureSample, type RuleProbe } from './rule-step.ts';
import { RuleRuntime, constantKernelRules, riskFunction } from '../rules/runtime.ts';

/** Bartlett factor A (lower triangular, n×n) of Wishart_n(m, I): H = S A Aᵀ Sᵀ. */
function bartlett(rng: Rng, n: number, m: number, A: Float64Array): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) A[i * n + j] = rng.normal();
    A[i * n + i] = Math.sqrt(rng.chiSquare(m - i));
    for (let j = i + 1; j < n; j++) A[i * n + j] = 0;
  }
}

export function runReducedSeed(cfg: KernelConfig, seed: number, onProgress?: (step: number) => void): SeedResult {
  const { p, k, d, nb, gamma } = cfg;
  if (d < k + 2 * p) throw usageError(`the reduced simulator needs d ≥ k + 2p = ${k + 2 * p}`, { field: 'd', value: d });
  const sigma = compileFn<(x: number) => number>(cfg.sigmaSrc);
  const dsigma = compileFn<(x: number) => number>(cfg.dsigmaSrc);
  const target = compileFn<(nu: Float64Array) => number>(cfg.targetSrc);
  const rng = new Rng(seed, 2);
  const n = k + p; // coordinates of the span
  const normalised = cfg.dynamics !== 'plain';
  const rw = cfg.residualWeight;
  const fits = rw !== 0;
  const sqrtDelta = Math.sqrt(cfg.Delta);
  const trainA = cfg.trainA && cfg.kappa !== 0;
  const mPerp = d - k - p;
  const discard = cfg.discard ?? -1;
  const rules = cfg.rules ?? CONSTANT_KERNEL_RULES;
  const ruled = !constantKernelRules(rules);
  const rt = new RuleRuntime(rules, gamma, nb, cfg.Delta);
  const refusal = rt.lrDef.refusesEngine?.reduced;
  if (refusal) throw usageError(refusal, { field: '--engine', value: 'reduced' });
  const riskOf = riskFunction(rules);

  // ---- state: W (p × n) in coordinates; teacher [L_P | 0] ----
  let P = cfg.P;
  if (!cfg.init && cfg.teacher === 'random') {
    // P = W*W*ᵀ for Gaussian rows of variance 1/d: Wishart_k(d, I/d)
    const A = new Float64Array(k * k);
    bartlett(rng, k, d, A);
    P = Array.from({ length: k }, (_, r) => Array.from({ length: k }, (_, t) => {
      let s = 0;
      for (let m = 0; m < k; m++) s += A[r * k + m] * A[t * k + m];
      return s / d;
    }));
  }
  const LP = cholesky(P);
  const a = Float64Array.from(cfg.init ? cfg.init.a : cfg.a0);
  // exact start: the full simulator's construction, in the k + p span coordinates
  const W = cfg.init ? weightsWithOverlaps(cfg.init.M, cfg.init.Q, P, n, 1e-300).W : new Float64Array(p * n);
  if (!cfg.init) {
    // w_j = g_j/√d: teacher-span coordinates N(0, I_k/d); the rest has Gram Wishart_p(d − k, I/d)
    const s = 1 / Math.sqrt(d);
    for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) W[j * n + r] = s * rng.normal();
    const A = new Float64Array(p * p);
    bartlett(rng, p, d - k, A);
    for (let j = 0; j < p; j++) for (let l = 0; l < p; l++) W[j * n + k + l] = s * A[j * p + l];
    if (normalised) normaliseRows(W, p, n);
  }
  const LPf = Float64Array.from(LP.flat());

  // ---- buffers ----
  const x = new Float64Array(n);
  const nu = new Float64Array(k);
  const lam = new Float64Array(p);
  const dIn = new Float64Array(p * n); // in-span update
  const CtC = new Float64Array(p * p); // cᵀc
  const c = new Float64Array(p);
  const da = new Float64Array(p);
  const A = new Float64Array(p * p);
  const Sl = new Float64Array(p * p); // Cholesky factor of cᵀc
  const G = new Float64Array(p * p); // Gram matrix of the non-teacher block
  const Lg = new Float64Array(p * p);
  const big = new Float64Array(p * (k + 2 * p)); // W before re-basis: [teacher | old | new]
  const nb2 = k + 2 * p;
  const xs = new Float64Array(nb2); // a fresh input in [teacher | old | new] coordinates (CBLR)
  const sj = new Float64Array(p);

  /** M_jr of the current weights */
  const mAt = (j: number, r: number) => {
    let s = 0;
    for (let t = 0; t <= r; t++) s += W[j * n + t] * LPf[r * k + t];
    return s;
  };
  /** M and Q of the current weights */
  const overlaps = () => ({
    M: Array.from({ length: p }, (_, j) => Array.from({ length: k }, (_, r) => mAt(j, r))),
    Q: Array.from({ length: p }, (_, j) =>
      Array.from({ length: p }, (_, l) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += W[j * n + i] * W[l * n + i];
        return s;
      }),
    ),
  });
  const rec = new SeedRecorder(cfg, seed, P, rt, overlaps, (j, r) => Math.abs(mAt(j, r)), a, onProgress, 20000);
  /** λ, ν and the label of the input whose span coordinates are x[0..n) */
  const label = (xv: Float64Array) => {
    for (let r = 0; r < k; r++) {
      let s = 0;
      for (let t = 0; t <= r; t++) s += LPf[r * k + t] * xv[t];
      nu[r] = s;
    }
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += W[j * n + i] * xv[i];
      lam[j] = s;
    }
    return target(nu) + (sqrtDelta > 0 ? sqrtDelta * rng.normal() : 0);
  };
  // the orthogonal part of the unit-rate direction, R = S A (p × p), once per step
  const R = new Float64Array(p * p);
  const probe: RuleProbe = {
    norms: () => {
      let w2 = 0;
      let g2 = 0;
      for (let i = 0; i < p * n; i++) {
        w2 += W[i] * W[i];
        g2 += dIn[i] * dIn[i];
      }
      for (let i = 0; i < p * p; i++) g2 += R[i] * R[i];
      return { w2, g2 };
    },
    curvature: (nbT, gaussNewton) => {
      // fresh inputs are i.i.d. N(0, 1) in the k + 2p coordinates spanned by the teacher, W and the new directions
      const g = Math.sqrt(probe.norms().g2);
      if (!(g > 0)) return NaN;
      const delta = rules.fdStep;
      let acc = 0;
      for (let mu = 0; mu < nbT; mu++) {
        rng.fillNormal(xs, nb2);
        const y = label(xs);
        for (let j = 0; j < p; j++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += dIn[j * n + i] * xs[i];
          for (let l = 0; l < p; l++) s += R[j * p + l] * xs[n + l];
          sj[j] = s / g;
        }
        acc += curvatureSample(lam, sj, y, a, rw, sigma, dsigma, delta, gaussNewton);
      }
      return acc / nbT;
    },
    secant: () => NaN,
    loss: (nEst) => {
      if (nEst === 0) {
        const o = overlaps();
        return (riskOf as NonNullable<typeof riskOf>)(o.M, o.Q, a, P);
      }
      let acc = 0;
      for (let mu = 0; mu < nEst; mu++) {
        rng.fillNormal(x, n);
        const y = label(x);
        let f = 0;
        for (let j = 0; j < p; j++) f += a[j] * sigma(lam[j]);
        acc += 0.5 * (y - f / p) ** 2;
      }
      return acc / nEst;
    },
  };
  for (let step = 1; step <= cfg.steps; step++) {
    const { nb: nbT, decay } = ruled ? rt.batch(step, probe) : { nb, decay: 1 };
    const cA = 1 / (p * nbT);
    dIn.fill(0);
    CtC.fill(0);
    da.fill(0);
    let kept = 0;
    for (let mu = 0; mu < nbT; mu++) {
      rng.fillNormal(x, n);
      const y = label(x);
      let f = 0;
      if (fits || trainA) for (let j = 0; j < p; j++) f += a[j] * sigma(lam[j]);
      f /= p;
      const e = y - rw * f;
      if (0.5 * e * e <= discard) continue;
      kept++;
      for (let j = 0; j < p; j++) {
        c[j] = a[j] * dsigma(lam[j]) * e * cA;
        if (trainA) da[j] += cA * sigma(lam[j]) * e;
      }
      for (let j = 0; j < p; j++) {
        const cj = c[j];
        if (cj === 0) continue;
        for (let i = 0; i < n; i++) dIn[j * n + i] += cj * x[i];
        for (let l = 0; l < p; l++) CtC[j * p + l] += cj * c[l];
      }
    }
    if (discard >= 0 && kept < nbT) {
      // the average over the kept samples (no update when none is kept)
      const scale = kept > 0 ? nbT / kept : 0;
      for (let i = 0; i < p * n; i++) dIn[i] *= scale;
      for (let i = 0; i < p * p; i++) CtC[i] *= scale * scale;
      for (let j = 0; j < p; j++) da[j] *= scale;
    }
    // orthogonal part: R = S A with S Sᵀ = cᵀc, A Bartlett of Wishart_p(d − k − p, I) (per unit rate)
    choleskyPsdInto(CtC, p, Sl);
    bartlett(rng, p, mPerp, A);
    for (let j = 0; j < p; j++)
      for (let l = 0; l < p; l++) {
        let s = 0;
        for (let m = 0; m < p; m++) s += Sl[j * p + m] * A[m * p + l];
        R[j * p + l] = s;
      }
    const g = ruled ? rt.rate(step, nbT, decay, probe) : gamma;
    if (cfg.measureGradient && rec.fromRecordedRow(step)) rec.gradientNorms(probe.norms().g2, da.reduce((acc, x) => acc + x * x, 0));
    for (let i = 0; i < p * n; i++) dIn[i] *= g;
    // spherical: tangent projection of the in-span part (the new directions are ⊥ w_j already)
    if (cfg.dynamics === 'spherical')
      for (let j = 0; j < p; j++) {
        let wd = 0;
        let ww = 0;
        for (let i = 0; i < n; i++) {
          wd += W[j * n + i] * dIn[j * n + i];
          ww += W[j * n + i] * W[j * n + i];
        }
        const r = wd / ww;
        for (let i = 0; i < n; i++) dIn[j * n + i] -= r * W[j * n + i];
      }
    // weight decay: w ← (1 − γλ) w + γ(…) (the new directions carry the gradient only)
    const keep = 1 - g * (cfg.shrink ?? 0);
    for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) big[j * nb2 + i] = keep * W[j * n + i] + dIn[j * n + i];
    // R = S A (p × p), scaled by the rate: row j of the new-coordinate block
    for (let j = 0; j < p; j++) for (let l = 0; l < p; l++) big[j * nb2 + n + l] = g * R[j * p + l];
    // re-basis the non-teacher block (2p columns) to p coordinates: Cholesky of its Gram matrix
    for (let j = 0; j < p; j++)
      for (let l = 0; l < p; l++) {
        let s = 0;
        for (let i = k; i < nb2; i++) s += big[j * nb2 + i] * big[l * nb2 + i];
        G[j * p + l] = s;
      }
    choleskyPsdInto(G, p, Lg);
    for (let j = 0; j < p; j++) {
      for (let r = 0; r < k; r++) W[j * n + r] = big[j * nb2 + r];
      for (let l = 0; l < p; l++) W[j * n + k + l] = Lg[j * p + l];
    }
    if (normalised) normaliseRows(W, p, n);
    if (trainA) for (let j = 0; j < p; j++) a[j] += cfg.kappa * g * da[j];
    rt.advance(g, nbT);
    if (!rec.afterStep(step)) break;
  }
  return rec.finish(ruled ? () => rt.batch(cfg.steps + 1, probe).nb : undefined);
}

function normaliseRows(W: Float64Array, p: number, n: number): void {
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += W[j * n + i] ** 2;
    const r = Math.sqrt(s);
    if (r > 0) for (let i = 0; i < n; i++) W[j * n + i] /= r;
  }
}
