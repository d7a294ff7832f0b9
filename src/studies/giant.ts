/**
 * Giant steps (THEORY §4.3; arXiv 2305.18270): a few full-batch gradient steps of the first layer,
 * n = α d^κ fresh samples each, projected so that every neuron stays on the sphere, from M = 0,
 * Q = I. For each (d, κ, α) and step t it gives
 *   - the closed form of the first step in the giant limit (when it applies: correlation loss, or an
 *     initial f ≡ 0, E[y] = 0, M0 = 0, Q0 = I),
 *   - the finite-step map at n_b = n (§2.3), and
 *   - the simulation (reduced engine by default), mean ± SEM over seeds,
 * per teacher direction r the overlap m_r = M_jr/√Q_jj (mean over neurons and its spread), the mean
 * off-diagonal Q_jl, and the population risk after fitting the second layer to the frozen first
 * layer (§4.3, ridge optional), next to the random-features risk of the start.
 */
import type { Derivation } from '../pipeline.ts';
import type { Overlaps } from '../numeric/trajectory.ts';
import { stateOf, omegaOf } from '../numeric/trajectory.ts';
import { runMap } from '../numeric/run.ts';
import { simulate, type SimulationResult } from '../simulate/simulate.ts';
import { hermiteCoefficients, multivariateHermite, lowestDegreePerDirection } from '../hermite/hermite.ts';
import { pseudoInverse } from '../linalg.ts';
import { tensorExpectation } from '../gaussian/reference.ts';
import { usageError } from '../errors.ts';
import { residualWeight } from '../loss/index.ts';

/** γ standing for the giant limit η → ∞: the update dwarfs ‖w0‖ = 1 by nine orders. */
export const GIANT_GAMMA = 1e9;

export interface GiantRequest {
  /** seconds each simulation may be estimated to take (simulate's default when absent) */
  timeLimit?: number;
  alphas: number[];
  /** exponents κ of n = α d^κ (default [1]) */
  kappas: number[];
  /** n as a function of d instead (α = n/d, κ = 1) */
  batch?: (d: number) => number;
  ds: number[];
  steps: number;
  /** γ, or 'giant' (GIANT_GAMMA) */
  gamma: number | 'giant';
  seeds: number;
  engine: 'full' | 'reduced';
  /** no simulation (closed form and map only) */
  simulate: boolean;
  ridge: number;
  /** resolved parameter vector of the derivation (a_j, Δ, P) */
  params: number[];
  /** the start at each d (M = 0, Q = I; the typical random start M_jr = d^{-1/2}; or a file) */
  start: (d: number) => Overlaps;
  initSource: string;
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Per step: per direction r the mean over neurons of m_r and its spread (standard deviation over neurons). */
export interface GiantSeries {
  m: number[][];
  mSpread: number[][];
  /** mean off-diagonal Q_jl (NaN for p = 1) */
  qOff: number[];
  /** population risk after fitting the second layer to the frozen first layer */
  readoutRisk: number[];
}

export interface GiantCase {
  d: number;
  kappa: number;
  alpha: number;
  /** samples per step */
  n: number;
  gamma: number;
  steps: number[];
  /** the first step in the giant limit, when it applies (α replaced by n/d) */
  closed: { m: number[]; qOff: number } | null;
  map: GiantSeries;
  /** mean over seeds, and the standard error of each entry */
  sim: (GiantSeries & { sem: GiantSeries; seeds: number }) | null;
}

export interface GiantReport {
  name: string;
  p: number;
  k: number;
  loss: string;
  expectations: string;
  /** c_1(σ), E[σ′²], β_r = E[g*(ν) ν_r], E[y], E[y²] */
  constants: { c1: number; c2: number; dsigma2: number; beta: number[]; meanY: number; meanY2: number };
  /** why the closed form does not apply, if it does not */
  closedFormNote: string | null;
  /** risk of the random-features start with the fitted readout */
  randomFeaturesRisk: number;
  warnings: string[];
  cases: GiantCase[];
  meta: Record<string, unknown>;
}

/** The target's first Hermite coefficients β_r, E[y], E[y²] (P = I) and the per-direction analysis. */
function targetConstants(der: Derivation): { beta: number[]; meanY: number; meanY2: number; lowest: (number | null)[] } {
  const t = der.model.target;
  const k = der.model.k;
  if (t.kind === 'committee') {
    const h = hermiteCoefficients(t.g, 2);
    const w = t.weights;
    const c0 = h.coefficients[0];
    const meanY = (c0 * w.reduce((a, b) => a + b, 0)) / k;
    let m2 = 0;
    for (let r = 0; r < k; r++) for (let s = 0; s < k; s++) m2 += w[r] * w[s] * (r === s ? h.meanSquare : c0 * c0);
    const firstNonzero = h.coefficients.findIndex((c, i) => i >= 1 && Math.abs(c) > 1e-12);
    return { beta: w.map((x) => (x * h.coefficients[1]) / k), meanY, meanY2: m2 / (k * k), lowest: w.map(() => (firstNonzero > 0 ? firstNonzero : null)) };
  }
  if (!t.poly) throw usageError('giant needs a polynomial target or a committee (the closed form and the hard-direction analysis use its Hermite expansion)', { file: der.model.spec.file, field: 'teacher.target' });
  const terms = multivariateHermite(t.poly);
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const beta = Array.from({ length: k }, (_, r) => terms.find((x) => x.alpha.every((a, s) => a === (s === r ? 1 : 0)))?.coefficient ?? 0);
  const meanY = terms.find((x) => x.alpha.every((a) => a === 0))?.coefficient ?? 0;
  const meanY2 = terms.reduce((s, x) => s + x.coefficient * x.coefficient * x.alpha.reduce((q, a) => q * fact(a), 1), 0);
  return { beta, meanY, meanY2, lowest: lowestDegreePerDirection(terms, k) };
}

/**
 * Population risk with the second layer fitted to a frozen first layer (THEORY §4.3):
 * ε(a) = ε(0) − aᵀs/p + aᵀKa/(2p²) is read off the derivation's own risk at a = 0, ±e_j and e_j + e_l
 * (a quadratic, so these evaluations are exact), then a* = p(K + p²λI)⁺ s.
 */
export function readoutRisk(der: Derivation, ov: Overlaps, params: number[], ridge: number): number {
  // a backend that evaluates the moments whole pays a rule over all fields per risk: integrate the few fields the readout needs instead
  if (der.plan.scheme === 'whole') return readoutRiskByLowDimQuadrature(der, ov, params, ridge);
  const L = der.layout;
  const p = der.model.p;
  const y = stateOf({ ...ov, a: new Array(p).fill(0) }, L);
  const pr = params.slice();
  const risk = (a: number[]) => {
    a.forEach((v, j) => (pr[L.aParam + j] = v));
    return der.compiled.risk(y, pr);
  };
  const e = (j: number, s = 1) => Array.from({ length: p }, (_, i) => (i === j ? s : 0));
  const r0 = risk(new Array(p).fill(0));
  const rp = Array.from({ length: p }, (_, j) => risk(e(j)));
  const rm = Array.from({ length: p }, (_, j) => risk(e(j, -1)));
  const s = rp.map((v, j) => (p * (rm[j] - v)) / 2);
  const K = Array.from({ length: p }, () => new Array(p).fill(0));
  for (let j = 0; j < p; j++) K[j][j] = p * p * (rp[j] + rm[j] - 2 * r0);
  for (let j = 0; j < p; j++)
    for (let l = j + 1; l < p; l++) {
      const a = new Array(p).fill(0);
      a[j] = a[l] = 1;
      const rjl = risk(a);
      K[j][l] = K[l][j] = (2 * p * p * (rjl - r0 + (s[j] + s[l]) / p) - K[j][j] - K[l][l]) / 2;
    }
  return fittedRisk(r0, s, K, p, ridge);
}

/**
 * The same with s_j = E[σ(λ_j) y] and K_jl = E[σ(λ_j)σ(λ_l)] as 2- and (1 + k)-field Gauss–Hermite
 * integrals (instead of a tensor rule over all p + k fields per evaluation of the risk): for models whose
 * backend evaluates the moments whole (quadrature over all fields).
 */
function readoutRiskByLowDimQuadrature(der: Derivation, ov: Overlaps, params: number[], ridge: number): number {
  const { p, k } = der.model;
  const sigma = der.model.student.f;
  const t = der.model.target;
  const y = t.kind === 'committee' ? (nu: number[]) => nu.reduce((a, v, r) => a + t.weights[r] * t.g.f(v), 0) / k : (nu: number[]) => t.f(...nu);
  const Delta = params[der.layout.delta];
  const nodesFor = (fields: number) => Math.max(8, Math.min(80, Math.floor(Math.pow(1e5, 1 / fields))));
  const K = Array.from({ length: p }, () => new Array(p).fill(0));
  for (let j = 0; j < p; j++)
    for (let l = j; l < p; l++) {
      const C = [[ov.Q[j][j], ov.Q[j][l]], [ov.Q[l][j], ov.Q[l][l]]];
      K[j][l] = K[l][j] = j === l ? tensorExpectation([[ov.Q[j][j]]], (u) => sigma(u[0]) ** 2, 80) : tensorExpectation(C, (u) => sigma(u[0]) * sigma(u[1]), nodesFor(2));
    }
  const omega = omegaOf(ov.M, ov.Q, ov.P);
  const s = Array.from({ length: p }, (_, j) => {
    const idx = [j, ...Array.from({ length: k }, (_, r) => p + r)];
    const C = idx.map((a) => idx.map((b) => omega[a][b]));
    return tensorExpectation(C, (u) => sigma(u[0]) * y(u.slice(1)), nodesFor(1 + k));
  });
  const meanY2 = tensorExpectation(ov.P, (u) => y(u) ** 2, nodesFor(k));
  return fittedRisk(0.5 * (meanY2 + Delta), s, K, p, ridge);
}

/** ε(a*) for ε(a) = r0 − aᵀs/p + aᵀKa/(2p²), a* = p(K + p²λI)⁺ s. */
function fittedRisk(r0: number, s: number[], K: number[][], p: number, ridge: number): number {
  const Kr = K.map((row, j) => row.map((v, l) => v + (j === l ? p * p * ridge : 0)));
  const inv = pseudoInverse(Kr);
  const a = inv.map((row) => p * row.reduce((acc, v, l) => acc + v * s[l], 0));
  const as = a.reduce((acc, v, j) => acc + v * s[j], 0);
  const aKa = a.reduce((acc, v, j) => acc + v * K[j].reduce((q, x, l) => q + x * a[l], 0), 0);
  return r0 - as / p + aKa / (2 * p * p);
}

function seriesOf(der: Derivation, Ms: number[][][], Qs: number[][][], params: number[], P: number[][], ridge: number): GiantSeries {
  const { p, k } = der.model;
  const out: GiantSeries = { m: [], mSpread: [], qOff: [], readoutRisk: [] };
  for (let t = 0; t < Ms.length; t++) {
    const M = Ms[t];
    const Q = Qs[t];
    const m = Array.from({ length: k }, (_, r) => M.map((row, j) => row[r] / Math.sqrt(Q[j][j])));
    const mean = m.map((v) => v.reduce((a, b) => a + b, 0) / p);
    out.m.push(mean);
    out.mSpread.push(m.map((v, r) => Math.sqrt(v.reduce((a, b) => a + (b - mean[r]) ** 2, 0) / p)));
    let q = 0;
    for (let j = 0; j < p; j++) for (let l = j + 1; l < p; l++) q += Q[j][l] / Math.sqrt(Q[j][j] * Q[l][l]);
    out.qOff.push(p > 1 ? q / ((p * (p - 1)) / 2) : NaN);
    out.readoutRisk.push(readoutRisk(der, { M, Q, P, a: new Array(p).fill(0) }, params, ridge));
  }
  return out;
}

/** Mean over seeds of every entry of the per-seed series, and its standard error. */
function overSeeds(per: GiantSeries[]): GiantSeries & { sem: GiantSeries; seeds: number } {
  const S = per.length;
  const stat = (vals: number[]): [number, number] => {
    const m = vals.reduce((a, b) => a + b, 0) / S;
    return [m, S > 1 ? Math.sqrt(vals.reduce((a, v) => a + (v - m) ** 2, 0) / (S - 1) / S) : NaN];
  };
  const mat = (get: (x: GiantSeries) => number[][], w: 0 | 1) => get(per[0]).map((row, t) => row.map((_, r) => stat(per.map((x) => get(x)[t][r]))[w]));
  const vec = (get: (x: GiantSeries) => number[], w: 0 | 1) => get(per[0]).map((_, t) => stat(per.map((x) => get(x)[t]))[w]);
  const series = (w: 0 | 1): GiantSeries => ({ m: mat((x) => x.m, w), mSpread: mat((x) => x.mSpread, w), qOff: vec((x) => x.qOff, w), readoutRisk: vec((x) => x.readoutRisk, w) });
  return { ...series(0), sem: series(1), seeds: S };
}

export async function runGiant(der: Derivation, req: GiantRequest): Promise<GiantReport> {
  const { model, layout: L } = der;
  const { p, k } = model;
  if (model.trainSecondLayer)
    throw usageError('giant steps act on the first layer: the second layer must not be trained (it is fitted after the steps)', { file: model.spec.file, field: 'student.second_layer.train' });
  if (model.dynamics !== 'projected') throw usageError('giant steps need projected dynamics (each row of W on the sphere)', { file: model.spec.file, field: 'dynamics', value: model.dynamics });
  const tc = targetConstants(der);
  const h = hermiteCoefficients(model.student, 2);
  const c1 = h.coefficients[1];
  const c2 = h.coefficients[2];
  const dsigma2 = h.derivativeSquare;
  const beta2 = tc.beta.reduce((a, b) => a + b * b, 0);
  const start0 = req.start(req.ds[0]);
  const atOrigin = req.ds.every((d) => {
    const s = req.start(d);
    return s.M.every((row) => row.every((v) => v === 0)) && s.Q.every((row, j) => row.every((v, l) => v === (j === l ? 1 : 0)));
  });
  let closedFormNote: string | null = null;
  if (!atOrigin) closedFormNote = 'the closed form is for the start M = 0, Q = I';
  else if (residualWeight(model) !== 0) closedFormNote = 'the closed form is for e = y: correlation loss (with MSE the initial f is not 0)';
  else if (Math.abs(tc.meanY) > 1e-12) closedFormNote = `the closed form needs E[y] = 0 (here ${tc.meanY})`;
  // the derivation's own warnings (pair exponent, quadrature accuracy) come first
  const warnings: string[] = der.plan.notes.filter((x) => x.startsWith('warning: ')).map((x) => x.slice('warning: '.length));
  tc.beta.forEach((b, r) => {
    if (Math.abs(b) <= 1e-12) {
      const l = tc.lowest[r];
      if (l !== null)
        warnings.push(
          `direction ${r + 1}: β_${r + 1} = E[g*(ν) ν_${r + 1}] = 0 (its lowest Hermite degree is ${l}) — a step with n = O(d) leaves |m_${r + 1}| ~ d^{-1/2}; it is hard, learned in one step only with n ~ d^${l} (--kappa ${l}) or through a staircase`,
        );
    }
  });
  if (Math.abs(c1) <= 1e-12) warnings.push('c_1(σ) = 0: no first-step alignment (m1 = 0 in the giant limit)');

  const gamma = req.gamma === 'giant' ? GIANT_GAMMA : req.gamma;
  const P = start0.P;
  const cases: GiantCase[] = [];
  const grid = req.batch ? req.ds.map((d) => ({ d, kappa: 1, alpha: (req.batch as (d: number) => number)(d) / d })) : req.ds.flatMap((d) => req.kappas.flatMap((kappa) => req.alphas.map((alpha) => ({ d, kappa, alpha }))));
  const total = grid.length;
  let done = 0;
  const rf = readoutRisk(der, { ...start0, M: start0.M.map((row) => row.map(() => 0)) }, req.params, req.ridge);
  for (const { d, kappa, alpha } of grid) {
        const n = Math.max(1, Math.round(alpha * d ** kappa));
        const aEff = n / d;
        const params = req.params.slice();
        params[L.etaBar] = (gamma * d) / n;
        let closed: GiantCase['closed'] = null;
        if (closedFormNote === null && req.gamma === 'giant') {
          const den = c1 * c1 * beta2 + (dsigma2 * tc.meanY2) / aEff;
          closed = { m: tc.beta.map((b) => (c1 * b) / Math.sqrt(den)), qOff: (c1 * c1 * beta2 + (c1 * c1 * tc.meanY2) / aEff) / den };
        }
        const start = req.start(d);
        const map = runMap(der, { gamma, d, nb: n, steps: req.steps, params, P, start, initSource: req.initSource });
        if (map.status !== 'completed') throw usageError(`the map ${map.status === 'blow-up' ? 'blew up' : 'stopped'} at α = ${alpha}: ${map.message ?? ''}`, { field: '--gamma', value: req.gamma });
        const mapSeries = seriesOf(der, map.M, map.Q, params, P, req.ridge);
        let sim: GiantCase['sim'] = null;
        if (req.simulate) {
          const r: SimulationResult = await simulate(der, {
            d,
            nb: n,
            steps: req.steps,
            seeds: Array.from({ length: req.seeds }, (_, i) => i + 1),
            workers: req.workers ?? 1,
            ...(req.timeLimit !== undefined ? { timeLimit: req.timeLimit } : {}),
            points: req.steps + 1,
            logGrid: false,
            engine: req.engine,
            teacher: 'orthonormal',
            gamma,
            params,
            init: start,
            initSource: req.initSource,
          });
          sim = overSeeds(r.seeds.map((s) => seriesOf(der, s.M, s.Q, params, P, req.ridge)));
        }
        cases.push({ d, kappa, alpha, n, gamma, steps: map.steps as number[], closed, map: mapSeries, sim });
        req.onProgress?.(++done, total);
      }
  return {
    name: model.name,
    p,
    k,
    loss: model.loss,
    expectations: der.plan.label,
    constants: { c1, c2, dsigma2, beta: tc.beta, meanY: tc.meanY, meanY2: tc.meanY2 },
    closedFormNote,
    randomFeaturesRisk: rf,
    warnings,
    cases,
    meta: {
      convention: 'canonical',
      timeUnit: 'steps (each step uses n = α d^κ fresh samples)',
      dynamics: 'projected',
      gamma: req.gamma === 'giant' ? `giant (γ = ${GIANT_GAMMA})` : req.gamma,
      engine: req.simulate ? req.engine : 'none',
      seeds: req.simulate ? req.seeds : 0,
      ridge: req.ridge,
      init: req.initSource,
    },
  };
}
