/**
 * Plateau lengths in simulation against the escape law of a saddle (THEORY §2.11): runs of the
 * simulator started on the saddle itself, exactly symmetric, so that the symmetry is broken by the
 * finite-d noise of SGD alone — of size O(d^{-1/2}) along the unstable direction v₊, which then grows
 * like e^{λ₊τ}. The time for its coordinate w₊·(y − y*) (w₊ the left eigenvector, w₊·v₊ = 1) to leave a
 * band is then
 *   τ_exit(d) = ln(δ* / δ_eff(d)) / λ₊,  δ_eff ∝ d^{-1/2},  so  dτ_exit/d ln d = 1/(2λ₊),
 * which is the check: the median exit over seeds at several d, its least-squares slope in ln d and
 * its standard error (a bootstrap over seeds, deterministic), against 1/(2λ₊) from the Jacobian. The
 * learning rate γ = η̄ n_b/d is the same at every d (n_b grows with d), so the O(γ) corrections of a
 * finite step are the same at every d and leave the slope alone.
 */
import { usageError } from '../errors.ts';
import type { Derivation } from '../pipeline.ts';
import type { FixedPoint } from '../numeric/fixedpoints.ts';
import { stateOf } from '../numeric/trajectory.ts';
import { runSeeds, type Engine } from '../simulate/pool.ts';
import { kernelConfig, simulationSeconds } from '../simulate/simulate.ts';
import { Rng } from '../random/rng.ts';
import { maxAbsOf } from '../extrema.ts';
import { diffusionMatrix, diffusionNodes, fluctuationRefusal } from '../numeric/fluctuations.ts';
import { normalCdf } from '../gaussian/probit.ts';

export interface PlateauRequest {
  der: Derivation;
  params: number[];
  /** the saddle (with its leading eigenvalue λ₊ > 0) the runs start on */
  saddle: FixedPoint;
  dims: number[];
  /** n_b at each d (same length as dims) */
  nbs: number[];
  seeds: number[];
  /** leaving the band: |w₊·(y − y*)| > band, w₊ the left eigenvector of λ₊ with w₊·v₊ = 1 (the coordinate along v₊) */
  band: number;
  engine: Engine;
  workers: number;
  /** horizon (τ) at each d; default 3 × the escape law from δ₀ = d^{-1/2} + 5/λ₊ */
  horizons?: number[];
  /** recorded points per unit τ (the exit is interpolated between them) */
  pointsPerTau?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface PlateauAtD {
  d: number;
  nb: number;
  gamma: number;
  horizonTau: number;
  /** each seed's exit time (τ), null when it stayed within the band up to the horizon */
  exits: (number | null)[];
  escapedFraction: number;
  /** median exit τ (null if half or more stayed) with its bootstrap standard error, and quartiles */
  median: number | null;
  medianSE: number | null;
  q1: number | null;
  q3: number | null;
  /** the breaking at the start that the law needs for that median: δ* e^{−λ₊ τ_median}, times √d (constant if the law holds) */
  deltaEffSqrtD: number | null;
  /** the median exit the linear-noise theory predicts (THEORY §2.13), where it applies */
  predictedMedian?: number;
  /** its predicted quartiles */
  predictedQ1?: number;
  predictedQ3?: number;
  /** the seeds' exit times against the predicted distribution (THEORY §2.13), where it applies */
  ks?: EscapeKs;
}

/** A Kolmogorov–Smirnov comparison of exit times with the predicted law. */
export interface EscapeKs {
  /** sup_t |F_seeds(t) − F_law(t)| over the horizon (seeds still on the plateau count as beyond it) */
  distance: number;
  /** the asymptotic critical value at level 0.01, 1.628/√n */
  critical: number;
  pass: boolean;
}

/**
 * The exit-time law of the linear-noise theory at a saddle (THEORY §2.13): the coordinate along v₊ is
 * x(τ) ≈ g·(c/√(2λ₊d))·e^{λ₊τ} with g ~ N(0, 1), so |x| reaches the band at τ = (A − ln|g|)/λ₊,
 * A = ln(band·√(2λ₊d)/c): P(τ_exit ≤ t) = P(|g| ≥ e^{A−λ₊t}) = 2(1 − Φ(e^{A−λ₊t})).
 */
export function escapeLaw(lambda: number, A: number): { cdf: (t: number) => number; quantile: (q: number) => number } {
  return {
    cdf: (t) => 2 * (1 - normalCdf(Math.exp(A - lambda * t))),
    // τ_q from |g| at its (1 − q) quantile, Φ⁻¹(1 − q/2)
    quantile: (q) => (A - Math.log(normalQuantile(1 - q / 2))) / lambda,
  };
}

/** Φ⁻¹(p) for p in (0, 1), by bisection of Φ (to 1e-13). */
function normalQuantile(p: number): number {
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100 && hi - lo > 1e-13; i++) {
    const mid = 0.5 * (lo + hi);
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** The KS distance of exit times (null: still on the plateau at the horizon) from a law's CDF, up to the horizon. */
export function escapeKs(exits: (number | null)[], horizon: number, cdf: (t: number) => number): EscapeKs {
  const n = exits.length;
  const ts = exits.filter((x): x is number => x !== null).sort((a, b) => a - b);
  let distance = 0;
  ts.forEach((t, i) => {
    const F = cdf(t);
    distance = Math.max(distance, Math.abs((i + 1) / n - F), Math.abs(i / n - F));
  });
  distance = Math.max(distance, Math.abs(ts.length / n - cdf(horizon)));
  const critical = 1.628 / Math.sqrt(n);
  return { distance, critical, pass: distance <= critical };
}

export interface PlateauResult {
  lambda: number;
  deltaStar: number;
  band: number;
  /** 1/(2λ₊): the predicted growth of the plateau length per unit ln d */
  predictedSlope: number;
  measuredSlope: number;
  slopeSE: number;
  /** measured/predicted, and its standard error */
  ratio: number;
  ratioSE: number;
  perD: PlateauAtD[];
  bootstrap: number;
  /** the diffusion of the coordinate along v₊ at the saddle, c = √(w₊ᵀDw₊) (THEORY §2.13), where it applies */
  noise?: number;
}

const BOOTSTRAP = 400;

/** Median of values with censored (null = +∞) entries; null if the median is censored. */
function medianCensored(xs: (number | null)[], q = 0.5): number | null {
  const s = xs.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const v = s[lo] + (s[hi] - s[lo]) * (pos - lo);
  return Number.isFinite(v) ? v : null;
}

/** Least-squares slope of y on x. */
function slope(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i] - my);
    sxx += (xi - mx) ** 2;
  });
  return sxy / sxx;
}

/** The first recorded time the distance exceeds the band, interpolated linearly; null if never. */
function exitTime(tau: number[], dist: number[], band: number): number | null {
  for (let i = 1; i < tau.length; i++)
    if (dist[i] > band) {
      const f = dist[i - 1] >= band ? 0 : (band - dist[i - 1]) / (dist[i] - dist[i - 1]);
      return tau[i - 1] + f * (tau[i] - tau[i - 1]);
    }
  return null;
}

/** The default horizon at d: three times the law from δ₀ = d^{-1/2}, plus 5/λ₊. */
export function plateauHorizon(lambda: number, deltaStar: number, d: number): number {
  return (3 * Math.max(0, Math.log(deltaStar * Math.sqrt(d)))) / lambda + 5 / lambda;
}

/** Predicted wall-clock seconds of the study (the simulator's own estimate, every seed to its horizon). */
export function plateauSeconds(r: Pick<PlateauRequest, 'der' | 'params' | 'dims' | 'nbs' | 'seeds' | 'engine' | 'workers' | 'horizons'>, horizons: number[]): number {
  const { p, k } = r.der.model;
  const eta = r.params[r.der.layout.etaBar];
  return r.dims.reduce((s, d, i) => s + simulationSeconds(p, k, { d, nb: r.nbs[i], steps: Math.ceil(horizons[i] * d / (eta * r.nbs[i])), seeds: r.seeds.length, workers: r.workers, engine: r.engine }), 0);
}

export async function plateauLengths(r: PlateauRequest): Promise<PlateauResult> {
  const { der, saddle } = r;
  const L = der.layout;
  const lead = saddle.leading;
  if (!lead || !(lead.value > 0)) throw usageError('the fixed point is not a saddle with a real leading eigenvalue λ₊ > 0', { field: 'fixed point', value: saddle.type });
  if (lead.imag !== undefined) throw usageError('the saddle is left along a complex pair λ₊ = Re ± i·Im (the state spirals out): the plateau study needs a real λ₊', { field: 'fixed point', value: `${lead.value} ± ${lead.imag}i` });
  const deltaStar = saddle.escape?.deltaStar ?? 0.2;
  const eta = r.params[L.etaBar];
  if (!(eta > 0)) throw usageError('the plateau study needs η̄ > 0 (the noise that breaks the symmetry)', { field: 'eta_bar', value: eta });
  if (r.dims.length < 2) throw usageError('at least two dimensions are needed for a slope', { field: '--d', value: r.dims.join(',') });
  // the coordinate along v₊: the left eigenvector (so that the noise in the stable directions, slow ones
  // included, does not count as leaving)
  if (!lead.left) throw usageError('the saddle has no left eigenvector of λ₊ (a defective eigenvalue)', { field: 'fixed point', value: lead.value });
  const left = lead.left;
  const w = L.stateNames.map((n) => left[n] ?? 0);
  const horizons = r.horizons ?? r.dims.map((d) => plateauHorizon(lead.value, deltaStar, d));
  const perTau = r.pointsPerTau ?? 2;
  // stop a run once it is well past the band (the M entries lead the exit along v₊)
  const vMax = maxAbsOf(L.stateNames.slice(L.M, L.M + der.model.p * der.model.k).map((n) => lead.vector[n] ?? 0));
  const stopAt = maxAbsOf(saddle.state.M.flat()) + Math.max(5 * r.band * vMax, 0.3);
  const totals = r.dims.map((d, i) => Math.ceil((horizons[i] * d) / (eta * r.nbs[i])) * r.seeds.length);
  const grand = totals.reduce((a, b) => a + b, 0);
  let before = 0;
  const perD: PlateauAtD[] = [];
  for (let i = 0; i < r.dims.length; i++) {
    const d = r.dims[i];
    const nb = r.nbs[i];
    const gamma = (eta * nb) / d;
    const steps = Math.ceil(horizons[i] / gamma);
    const points = Math.max(2, Math.ceil(horizons[i] * perTau));
    const record = Array.from({ length: points + 1 }, (_, j) => Math.round((steps * j) / points)).filter((s, j, a) => j === 0 || s > a[j - 1]);
    const cfg = kernelConfig(der, { d, nb, gamma, params: r.params, steps, record, teacher: 'orthonormal', init: saddle.state, escape: { threshold: stopAt, entry: null, stop: true } });
    const done = before;
    const runs = await runSeeds(cfg, r.seeds, r.engine, r.workers, r.onProgress ? (s) => r.onProgress?.(done + s, grand) : undefined);
    before += totals[i];
    const exits = runs.map((run) => {
      const dist = run.tau.map((_, j) => {
        const y = stateOf({ M: run.M[j], Q: run.Q[j], a: run.a[j] }, L);
        return Math.abs(w.reduce((s, we, e) => s + we * (y[e] - saddle.y[e]), 0));
      });
      return exitTime(run.tau, dist, r.band);
    });
    perD.push({ d, nb, gamma, horizonTau: horizons[i], exits, escapedFraction: exits.filter((x) => x !== null).length / exits.length, median: medianCensored(exits), medianSE: null, q1: medianCensored(exits, 0.25), q3: medianCensored(exits, 0.75), deltaEffSqrtD: null });
  }
  const lnD = r.dims.map(Math.log);
  const medians = perD.map((p) => p.median);
  if (medians.some((m) => m === null))
    throw usageError(`half or more of the seeds stayed on the plateau up to the horizon at d = ${r.dims[medians.indexOf(null)]}: raise --tau`, { field: '--tau', value: horizons[medians.indexOf(null)] });
  const measured = slope(lnD, medians as number[]);
  // bootstrap over seeds, independently at each d (seeded: the same numbers every time)
  const rng = new Rng(20240611, 0);
  const boot: number[] = [];
  const bootMed: number[][] = perD.map(() => []);
  for (let b = 0; b < BOOTSTRAP; b++) {
    const ms = perD.map((p, i) => {
      const n = p.exits.length;
      const m = medianCensored(Array.from({ length: n }, () => p.exits[Math.min(n - 1, Math.floor(rng.uniform() * n))]));
      if (m !== null) bootMed[i].push(m);
      return m;
    });
    if (ms.every((m) => m !== null)) boot.push(slope(lnD, ms as number[]));
  }
  const sd = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
  };
  perD.forEach((p, i) => {
    p.medianSE = bootMed[i].length > 1 ? sd(bootMed[i]) : null;
    p.deltaEffSqrtD = deltaStar * Math.exp(-lead.value * (p.median as number)) * Math.sqrt(p.d);
  });
  // the level as well as the slope: x(τ) ≈ g·c/√(2λ₊d)·e^{λ₊τ}, |x| = band at τ = [ln(band·√(2λ₊d)/c) − ln|g|]/λ₊,
  // median |g| = 0.6745 (the first passage and the median of |x| coincide once the growth dominates); the
  // whole distribution likewise (escapeLaw)
  let noise: number | undefined;
  if (!fluctuationRefusal(der)) {
    const n = L.stateNames.length;
    const D = diffusionMatrix(der, saddle.y, r.params, diffusionNodes(der.model.p + der.model.k));
    let c2 = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) c2 += w[i] * D[i * n + j] * w[j];
    if (c2 > 0) {
      noise = Math.sqrt(c2);
      for (const p of perD) {
        const law = escapeLaw(lead.value, Math.log((r.band * Math.sqrt(2 * lead.value * p.d)) / noise));
        p.predictedMedian = law.quantile(0.5);
        p.predictedQ1 = law.quantile(0.25);
        p.predictedQ3 = law.quantile(0.75);
        p.ks = escapeKs(p.exits, p.horizonTau, law.cdf);
      }
    }
  }
  const predicted = 1 / (2 * lead.value);
  const slopeSE = sd(boot);
  return { lambda: lead.value, deltaStar, band: r.band, predictedSlope: predicted, measuredSlope: measured, slopeSE, ratio: measured / predicted, ratioSE: slopeSE / predicted, perD, bootstrap: BOOTSTRAP, ...(noise !== undefined ? { noise } : {}) };
}
