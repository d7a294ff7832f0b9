/**
 * The large-batch diagnostics of THEORY §4.7 at one state, against the batch size n_b:
 *
 *   E‖g_W‖²  = Σ_j c_j² [(d/n_b) V_jj + (1 − 1/n_b) G_jj]   (c_j = a_j/p; G = v_jᵀ Ω⁺ v_l)
 *   ‖ΔW‖     = γ‖g_W‖,  relative step ‖ΔW‖/‖W‖ = γ‖g_W‖/√tr Q  (‖g_W‖ := √E‖g_W‖², in theory and simulation)
 *   E[Δε]    = γ dε/dτ at η̄ = γd/n_b (+ O(γ²)): a drift part ∇ε·(drift) and a noise part
 *              η̄ Σ_jl (∂ε/∂Q_jl) c_j c_l V_jl, which raises the loss and falls like 1/n_b
 *   n_b*     = d Σ_j c_j² V_jj / Σ_j c_j² G_jj, the gradient noise scale where noise and signal
 *              parts of E‖g_W‖² are equal (the norm saturates above it)
 *   κ_LARS   = ‖g_W‖/‖W‖ against CBLR's κ_W: LARS is CBLR when the gradient is the curvature times the
 *              weights (‖W*‖ ≪ ‖W‖, n_b ≫ n_b*); the two part by √(1 + n_b* / n_b) and more (THEORY §4.6)
 *
 * beside the same quantities measured in simulation: `reps` independent single steps from weights with
 * exactly these overlaps, each on a fresh batch (mean ± SEM over the steps). ∂ε/∂y is taken by central
 * differences of the generated risk (step 1e-6; truncation error ~1e-12).
 */
import type { Derivation } from '../pipeline.ts';
import type { Overlaps } from '../numeric/trajectory.ts';
import { targetValue } from '../hermite/model.ts';
import { stateOf, overlapsOf, omegaOf } from '../numeric/trajectory.ts';
import { tensorExpectation } from '../gaussian/reference.ts';
import { gradientStats, gradientNorm2, cblrCurvature, derivativeGram, type RuleContext } from '../numeric/rules.ts';
import { kernelConfig } from '../simulate/simulate.ts';
import { runSeeds, type Engine } from '../simulate/pool.ts';
import { usageError } from '../errors.ts';
import { maxAbsDiff, maxAbsOf } from '../extrema.ts';
import { residualWeight } from '../loss/index.ts';

export interface DiagnoseRequest {
  d: number;
  nbs: number[];
  /** the step size whose step lengths and loss changes are reported */
  gamma: number;
  /** the derivation's parameter vector (Delta, kappa, P, fixed a) */
  params: number[];
  start: Overlaps;
  /** where the state came from (for the report) */
  stateSource: string;
  /** simulated single steps per n_b (0: theory only) */
  reps: number;
  seed: number;
  engine: Engine;
  workers: number;
  onProgress?: (done: number, total: number) => void;
}

export interface MeanSem {
  mean: number;
  sem: number;
}

export interface DiagnosePoint {
  nb: number;
  etaBar: number;
  theory: {
    grad2W: number;
    gradW: number;
    stepW: number;
    relStepW: number;
    lossChange: number;
    lossDrift: number;
    lossNoise: number;
    /** LARS's implied curvature ‖g_W‖/‖W‖ (its rate is γ0 over it) and CBLR's κ_W along the gradient (THEORY §4.6) */
    larsCurvature: number;
    cblrCurvature: number;
    /** trained second layer: E‖g_a‖² = Σ_j [(1/n_b) E[σ_j² e²] + (1 − 1/n_b) S_j²]/p² */
    grad2A?: number;
  };
  sim?: { grad2W: MeanSem; gradW: MeanSem; stepW: MeanSem; relStepW: MeanSem; lossChange: MeanSem; grad2A?: MeanSem; reps: number };
}

export interface DiagnoseResult {
  name: string;
  p: number;
  k: number;
  d: number;
  gamma: number;
  risk: number;
  noiseScale: number;
  /** E‖g_W‖² at n_b → ∞ (the signal Σ c_j² G_jj) */
  signal: number;
  points: DiagnosePoint[];
  state: { M: number[][]; Q: number[][]; a: number[] };
  meta: Record<string, unknown>;
}

const meanSem = (xs: number[]): MeanSem => {
  const n = xs.length;
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const v = n > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1) : 0;
  return { mean: m, sem: Math.sqrt(v / n) };
};

/** ∂ε/∂y by central differences of the generated risk (step 1e-6). */
function riskGradient(der: Derivation, y: number[], params: number[]): number[] {
  const h = 1e-6;
  return y.map((_, i) => {
    const yp = y.slice();
    const ym = y.slice();
    yp[i] += h;
    ym[i] -= h;
    return (der.compiled.risk(yp, params) - der.compiled.risk(ym, params)) / (2 * h);
  });
}

/** dε/dτ = ∇ε·dy/dτ at η̄ from the moments, split into the drift (η̄ = 0) and the noise part. */
function lossRate(der: Derivation, y: number[], params: number[], mom: Float64Array, grad: number[], etaBar: number): { drift: number; noise: number } {
  const rate = (eta: number) => {
    const pr = params.slice();
    pr[der.layout.etaBar] = eta;
    const dy = new Float64Array(y.length);
    der.compiled.rhsFromMoments(0, y, pr, mom, dy);
    return dy.reduce((acc, v, i) => acc + v * grad[i], 0);
  };
  const drift = rate(0);
  return { drift, noise: rate(etaBar) - drift };
}

export async function diagnose(der: Derivation, req: DiagnoseRequest): Promise<DiagnoseResult> {
  const { model, layout: L } = der;
  const { d, gamma } = req;
  if (!(gamma > 0)) throw usageError('the diagnostics need the step size: gamma=… > 0', { field: '--set gamma' });
  for (const nb of req.nbs) if (!Number.isInteger(nb) || nb < 1) throw usageError('batch sizes must be integers ≥ 1', { field: '--nb', value: nb });
  if (model.dynamics !== 'plain')
    req.start.Q.forEach((row, j) => {
      if (Math.abs(row[j] - 1) > 1e-6) throw usageError(`${model.dynamics} SGD keeps the student on the sphere: Q_${j + 1}${j + 1} must be 1`, { field: 'Q', value: row[j] });
    });
  const params = req.params.slice();
  if (!L.trained) req.start.a.forEach((v, j) => (params[L.aParam + j] = v));
  const y = stateOf(req.start, L);
  const ctx: RuleContext = { gm: der.compiled, L, d, P: req.start.P, aFixed: req.start.a, params, loss: model.loss };
  const s = gradientStats(ctx, y);
  const signal = s.c.reduce((acc, c, j) => acc + c * c * s.G[j][j], 0);
  const noise = s.c.reduce((acc, c, j) => acc + c * c * s.V[j][j], 0);
  const wNorm = Math.sqrt(s.trQ);
  // the second layer's per-sample noise E[σ_j² e²] (not among the generated moments): tensor
  // Gauss–Hermite over the fields, its accuracy from a rule of the other parity
  const aNoise = L.trained ? secondLayerNoise(der, req.start, params) : undefined;
  const grad = riskGradient(der, y, params);
  const J = derivativeGram(ctx, y);
  const points: DiagnosePoint[] = req.nbs.map((nb) => {
    const etaBar = (gamma * d) / nb;
    const g2 = gradientNorm2(s, d, nb);
    const lr = lossRate(der, y, params, s.mom, grad, etaBar);
    return {
      nb,
      etaBar,
      theory: {
        grad2W: g2,
        gradW: Math.sqrt(g2),
        stepW: gamma * Math.sqrt(g2),
        relStepW: (gamma * Math.sqrt(g2)) / wNorm,
        lossChange: gamma * (lr.drift + lr.noise),
        lossDrift: gamma * lr.drift,
        lossNoise: gamma * lr.noise,
        larsCurvature: Math.sqrt(g2) / wNorm,
        cblrCurvature: cblrCurvature(ctx, y, s, nb, J),
        ...(aNoise ? { grad2A: s.S.reduce((acc, Sj, j) => acc + (aNoise.values[j] / nb + (1 - 1 / nb) * Sj * Sj) / (model.p * model.p), 0) } : {}),
      },
    };
  });
  if (req.reps > 0) {
    const seeds = Array.from({ length: req.reps }, (_, i) => req.seed + i);
    const total = req.nbs.length;
    let done = 0;
    for (const pt of points) {
      const cfg = kernelConfig(der, { d, nb: pt.nb, gamma, params, steps: 1, record: [0, 1], teacher: 'orthonormal', init: req.start });
      cfg.measureGradient = true;
      const runs = await runSeeds(cfg, seeds, req.engine, req.workers);
      const riskOf = (r: (typeof runs)[number], i: number) => {
        const pr = params.slice();
        if (!L.trained) r.a[i].forEach((v, j) => (pr[L.aParam + j] = v));
        return der.compiled.risk(stateOf({ M: r.M[i], Q: r.Q[i], a: r.a[i] }, L), pr);
      };
      const g2 = meanSem(runs.map((r) => (r.g2 as number[])[0]));
      // the root of the mean square (what the theory gives), its SEM by the delta method
      const root = (scale: number): MeanSem => ({ mean: scale * Math.sqrt(g2.mean), sem: (scale * g2.sem) / (2 * Math.sqrt(g2.mean)) });
      pt.sim = {
        grad2W: g2,
        gradW: root(1),
        stepW: root(gamma),
        relStepW: root(gamma / wNorm),
        lossChange: meanSem(runs.map((r) => riskOf(r, 1) - riskOf(r, 0))),
        ...(L.trained ? { grad2A: meanSem(runs.map((r) => (r.ga2 as number[])[0])) } : {}),
        reps: runs.length,
      };
      req.onProgress?.(++done, total);
    }
  }
  const ov = overlapsOf(y, L, req.start.a);
  return {
    name: model.name,
    p: model.p,
    k: model.k,
    d,
    gamma,
    risk: s.risk,
    noiseScale: signal > 0 ? (d * noise) / signal : Infinity,
    signal,
    points,
    state: { M: ov.M, Q: ov.Q, a: ov.a },
    meta: {
      convention: 'canonical',
      timeUnit: 'one SGD step at rate γ (τ advances by γ)',
      loss: model.loss,
      dynamics: model.dynamics,
      expectations: der.plan.label,
      state: req.stateSource,
      params: Object.fromEntries(L.paramNames.filter((n) => n !== 'eta_bar').map((n) => [n, params[L.paramNames.indexOf(n)]])),
      simulation: req.reps > 0 ? `${req.reps} single steps per n_b from weights with exactly these overlaps (${req.engine} engine, seeds ${req.seed}–${req.seed + req.reps - 1}); mean ± SEM` : 'none',
      ...(aNoise ? { secondLayer: `E‖g_a‖² = Σ_j [(1/n_b)E[σ_j²e²] + (1 − 1/n_b)S_j²]/p², E[σ_j²e²] by tensor Gauss–Hermite (${aNoise.nodes} nodes per field, accurate to ${aNoise.accuracy.toExponential(1)} against ${aNoise.nodes + 5})` } : {}),
      lossChange: 'E[Δε] = γ dε/dτ at η̄ = γd/n_b, to first order in γ; the simulation measures ε after − ε before (population risk of the overlaps)',
      stepLength: '‖ΔW‖ = γ‖g_W‖ (before any projection onto the sphere)',
    },
  };
}

/** E[σ(λ_j)² e²] for each j at a state (e² includes the label noise Δ), by tensor Gauss–Hermite over the fields. */
function secondLayerNoise(der: Derivation, start: Overlaps, params: number[]): { values: number[]; nodes: number; accuracy: number } {
  const { model, layout: L } = der;
  const { p, k } = model;
  const C = omegaOf(start.M, start.Q, start.P);
  const Delta = params[L.delta];
  const rw = residualWeight(model);
  const nodes = Math.min(80, 2 * Math.floor(Math.pow(2e5, 1 / (p + k)) / 2));
  const at = (n: number) =>
    Array.from({ length: p }, (_, j) =>
      tensorExpectation(
        C,
        (u) => {
          const g = targetValue(model, u.slice(p));
          const f = rw * start.a.reduce((acc, a, l) => acc + (a * model.student.f(u[l])) / p, 0);
          return model.student.f(u[j]) ** 2 * ((g - f) ** 2 + Delta);
        },
        n,
      ),
    );
  const values = at(nodes);
  const other = at(nodes + 5);
  const scale = maxAbsOf(other, 1e-300);
  return { values, nodes, accuracy: maxAbsDiff(values, other) / scale };
}
