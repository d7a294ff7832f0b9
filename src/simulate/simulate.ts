/**
 * Monte-Carlo SGD at finite d: builds the kernel configuration from a derivation, runs the seeds
 * (full or reduced engine, on worker threads), and aggregates them into per-seed trajectories and the
 * seed mean with its standard error. The population risk of every recorded state is computed from
 * its overlaps with the derivation's exact expectations (generated `risk`).
 */
import type { Derivation } from '../pipeline.ts';
import type { Overlaps, Trajectory, Status } from '../numeric/trajectory.ts';
import { stateOf } from '../numeric/trajectory.ts';
import { roundGridPoints } from '../numeric/grid.ts';
import { pIndex } from '../ode/layout.ts';
import { kernelSources } from './sources.ts';
import { runSeeds, type Engine } from './pool.ts';
import type { KernelConfig, SeedResult } from './kernel.ts';
import { teacherOverlaps } from '../numeric/setup.ts';
import { usageError, failure } from '../errors.ts';
import { boundedCount, requireMemory, trajectoryBytes, POINTS_BOUND, SEEDS_BOUND, D_BOUND, DEFAULT_TIME_LIMIT_S, TIME_LIMIT_OVERRIDE, durationText } from '../limits.ts';
import { isConstant, describeRules, type Rules } from '../rules/spec.ts';
import type { KernelRules } from '../rules/runtime.ts';
import { lrRuleNamed, batchRuleNamed } from '../rules/registry.ts';
import { constantClock, type ConstantClock } from '../rules/clock.ts';
import { OverlapRules } from '../numeric/rules.ts';
import { TsPrinter } from '../ir/print-ts.ts';
import { qIndex } from '../ode/layout.ts';
import { residualWeight } from '../loss/index.ts';
import { shrinkRate } from '../regularisers/index.ts';

export interface SimulateRequest {
  d: number;
  nb: number;
  steps: number;
  seeds: number[];
  /** worker threads (default 1; results do not depend on it) */
  workers?: number;
  /** recorded points (default 61) */
  points?: number;
  logGrid?: boolean;
  /** default 'full' */
  engine?: Engine;
  /** default 'orthonormal' (P = I) */
  teacher?: 'orthonormal' | 'random';
  gamma: number;
  /** the parameter vector (eta_bar is replaced by γd/n_b; kappa, Delta, P, a as resolved); default: the derivation's */
  params?: number[];
  /** exact initial overlaps; default null: w_j = g_j/√d */
  init?: Overlaps | null;
  initSource?: string;
  onProgress?: (done: number, total: number) => void;
  /** progress of the risk evaluated from the overlaps at every recorded state of every seed, after the steps */
  onRiskProgress?: (done: number, total: number) => void;
  /** the seeds' raw results, computed elsewhere (a cluster run's tasks): used instead of running them */
  seedResults?: SeedResult[];
  /** receives the seeds' raw results (a cluster task writes them) */
  onSeedResults?: (runs: SeedResult[]) => void;
  /** per-seed escape detection (the run continues to the end) */
  escape?: { threshold: number; entry: [number, number] | null };
  /** learning-rate and batch-size rules, computed from each seed's own mini-batches (`gamma`, `nb`: the constant rate and batch, MCLR's first step) */
  rules?: Rules;
  /** discard small-loss samples: only those with ½e² > q enter the gradient (THEORY §4.7) */
  discard?: number;
  /** seconds the run may be estimated to take (default 600; Infinity for none): refused before it starts beyond that */
  timeLimit?: number;
}

/** A request with every default filled in. */
type FullRequest = Required<Omit<SimulateRequest, 'onProgress' | 'onRiskProgress' | 'escape' | 'seedResults' | 'onSeedResults' | 'rules' | 'discard' | 'timeLimit'>> &
  Pick<SimulateRequest, 'onProgress' | 'onRiskProgress' | 'escape' | 'seedResults' | 'onSeedResults' | 'rules' | 'discard' | 'timeLimit'>;

export interface SimulationResult {
  /** 'completed', or 'blow-up' when a seed's weights became non-finite (the shared vocabulary of integrate and map) */
  status: Status;
  message?: string;
  steps: number[];
  tau: number[];
  samples: number[];
  seeds: Trajectory[];
  mean: Trajectory;
  sem: { M: number[][][]; Q: number[][][]; a: number[][]; risk: number[]; tau?: number[]; samples?: number[]; gamma?: number[]; nb?: number[] };
  meta: Record<string, unknown>;
}

export { rateExpression, learningRate } from '../numeric/rate.ts';

export function stepGrid(steps: number, points: number, log: boolean): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw usageError('must be an integer ≥ 1', { field: 'steps', value: steps });
  boundedCount(points, 'points', 2, POINTS_BOUND);
  const out = new Set<number>([0]);
  for (let i = 1; i < points; i++) {
    // log: steps^((i−1)/(points−2)) for i = 1..points−1, i.e. 1 … steps (points = 2: just the last step)
    const s = log ? (points === 2 ? steps : Math.round(Math.exp((Math.log(steps) * (i - 1)) / (points - 2)))) : Math.round((steps * i) / (points - 1));
    out.add(Math.min(steps, Math.max(1, s)));
  }
  out.add(steps);
  return [...out].sort((a, b) => a - b);
}

export interface KernelRequest {
  d: number;
  nb: number;
  gamma: number;
  /** the derivation's parameter vector (kappa, Delta, P, fixed a) */
  params: number[];
  steps: number;
  record: number[];
  teacher: 'orthonormal' | 'random';
  /** exact start, or null for the random start */
  init: Overlaps | null;
  escape?: KernelConfig['escape'];
  rules?: Rules;
}

/** The simulation kernel's configuration for a derivation: one place for what comes from the model. */
export function kernelConfig(der: Derivation, r: KernelRequest): KernelConfig {
  const { model, layout: L } = der;
  return {
    p: model.p,
    k: model.k,
    d: r.d,
    nb: r.nb,
    gamma: r.gamma,
    kappa: L.trained ? r.params[L.kappa] : 0,
    trainA: L.trained,
    Delta: r.params[L.delta],
    residualWeight: residualWeight(model),
    shrink: shrinkRate(L.regParams, r.params),
    dynamics: model.dynamics,
    steps: r.steps,
    record: r.record,
    P: r.init ? r.init.P : teacherOverlaps(r.params, L),
    teacher: r.teacher,
    init: r.init ? { M: r.init.M, Q: r.init.Q, a: r.init.a } : null,
    a0: r.init ? r.init.a : L.trained ? model.a0 : r.params.slice(L.aParam, L.aParam + model.p),
    ...(r.escape ? { escape: r.escape } : {}),
    ...(!isConstant(r.rules) ? { rules: kernelRules(der, r.rules as Rules, r.params, r.d) } : {}),
    ...kernelSources(model),
  };
}

/**
 * The rules as the kernels read them: plain numbers, the schedule and (for AdaDamp on the exact loss)
 * the derivation's generated risk as JavaScript sources, so worker threads compile them.
 */
export function kernelRules(der: Derivation, rules: Rules, params: number[], d: number): KernelRules {
  const L = der.layout;
  const { p, k } = der.model;
  const batchDef = batchRuleNamed(rules.batch.kind);
  const batch = batchDef.prepare?.(rules.batch, { d, p, k, delta: params[L.delta] }) ?? rules.batch;
  let riskSrc: string | undefined;
  if (batchDef.measures(rules.batch).includes('exact-risk')) {
    const mod = new TsPrinter(false).module(der.module);
    const fill = [
      ...Array.from({ length: p }, (_, j) => Array.from({ length: k }, (_, r) => `y[${L.M + j * k + r}] = M[${j}][${r}];`)).flat(),
      ...Array.from({ length: p }, (_, j) => Array.from({ length: p - j }, (_, i) => `y[${L.Q + qIndex(p, j, j + i)}] = Q[${j}][${j + i}];`)).flat(),
      ...(L.trained ? Array.from({ length: p }, (_, j) => `y[${L.a + j}] = a[${j}];`) : Array.from({ length: p }, (_, j) => `pr[${L.aParam + j}] = a[${j}];`)),
      ...Array.from({ length: k }, (_, r) => Array.from({ length: k - r }, (_, i) => `pr[${L.P + pIndex(k, r, r + i)}] = P[${r}][${r + i}];`)).flat(),
    ];
    riskSrc = `(function () { const mod = (function () {\n${mod}})(); const base = ${JSON.stringify(params)}; return function (M, Q, a, P) { const y = new Array(${L.stateNames.length}).fill(0); const pr = base.slice(); ${fill.join(' ')} return mod.risk(y, pr); }; })()`;
  }
  const lr = lrRuleNamed(rules.lr.kind).prepare?.(rules.lr, { d, p, k }) ?? { ...rules.lr };
  return { lr, batch, riskSrc, fdStep: 1e-4 };
}

export async function simulate(der: Derivation, request: SimulateRequest): Promise<SimulationResult> {
  const { model, layout: L } = der;
  const req: FullRequest = {
    workers: 1,
    points: roundGridPoints(request.steps, true),
    logGrid: false,
    engine: 'full',
    teacher: 'orthonormal',
    params: [...L.defaultParams],
    init: null,
    initSource: request.init ? 'given overlaps' : 'random: w_j = g_j/√d (Q ≈ I, M ~ d^-1/2)',
    ...request,
  };
  const minD = model.p + model.k + (req.engine === 'reduced' ? model.p : 0);
  boundedCount(req.d, 'd', minD, D_BOUND);
  if (!Number.isInteger(req.nb) || req.nb < 1) throw usageError('must be an integer ≥ 1', { field: 'nb', value: req.nb });
  boundedCount(req.seeds.length, 'seeds', 1, SEEDS_BOUND);
  checkSimulationMemory(der, req);
  if (!req.seedResults) checkSimulationTime(der, req);
  if (req.init && req.teacher === 'random') throw usageError('a random teacher draws its own P; it cannot be combined with given initial overlaps', { field: 'teacher' });
  const record = stepGrid(req.steps, req.points, req.logGrid);
  const ruled = !isConstant(req.rules);
  if (ruled) checkRulesAtStart(der, req);
  const cfg = kernelConfig(der, { ...req, record, escape: req.escape ? { ...req.escape, stop: false } : undefined });
  if (req.discard !== undefined) {
    if (!(req.discard >= 0) || !Number.isFinite(req.discard)) throw usageError('must be a finite number ≥ 0', { field: '--discard', value: req.discard });
    cfg.discard = req.discard;
  }
  const t0 = performance.now();
  let runs: SeedResult[];
  if (req.seedResults) {
    const bySeed = new Map(req.seedResults.map((r) => [r.seed, r]));
    runs = req.seeds.map((sd) => {
      const r = bySeed.get(sd);
      if (!r) throw usageError(`no result for seed ${sd}`, { field: 'seeds', value: sd });
      return r;
    });
  } else runs = await runSeeds(cfg, req.seeds, req.engine, req.workers, req.onProgress);
  req.onSeedResults?.(runs);
  const wallMs = performance.now() - t0;
  const bad = runs.find((r) => r.diverged);
  const outcome: Pick<SimulationResult, 'status' | 'message'> = bad
    ? { status: 'blow-up', message: `the weights became non-finite at step ${bad.divergedAt} of seed ${bad.seed} (${ruled ? describeRules(req.rules as Rules) : `γ = ${req.gamma}`})` }
    : { status: 'completed' };
  const etaBar = ruled ? NaN : (req.gamma * req.d) / req.nb;
  // τ and samples per recorded step: the seeds' own clocks (identical across seeds for constant rules), averaged
  const tau = record.map((_, i) => runs.reduce((acc, r) => acc + (r.tau[i] ?? NaN), 0) / runs.length);
  const samples = record.map((_, i) => runs.reduce((acc, r) => acc + (r.samples[i] ?? NaN), 0) / runs.length);
  // a diverged seed has no trajectory to average: the result then carries only its status
  const riskTotal = runs.reduce((a, r) => a + r.M.length, 0);
  let riskDone = 0;
  const riskProgress = () => req.onRiskProgress?.(++riskDone, riskTotal);
  const seeds = bad ? [] : runs.map((r) => seedTrajectory(der, r, req, record, etaBar, riskProgress));
  const { mean, sem } = bad
    ? { mean: { tau: [], M: [], Q: [], a: [], risk: [], status: outcome.status, meta: {} } as Trajectory, sem: { M: [], Q: [], a: [], risk: [] } }
    : aggregate(seeds);
  const escape = req.escape ? escapeSummary(runs.map((r) => r.escapeStep), constantClock(req.gamma, req.nb), req.steps) : undefined;
  const meta = {
    ...(escape ? { escape: { criterion: req.escape, ...escape } } : {}),
    name: model.name,
    source: model.spec.file,
    kind: 'simulation',
    engine: req.engine,
    convention: 'canonical',
    timeUnit: ruled ? 'steps (τ = Σ γ_t, samples = Σ n_b per seed; the mean over seeds)' : 'tau = gamma * steps',
    d: req.d,
    ...(ruled ? { rules: describeRules(req.rules as Rules), ruleSpec: req.rules, nb: req.nb, ...(req.gamma > 0 ? { gamma: req.gamma } : {}) } : { nb: req.nb, gamma: req.gamma, eta_bar: etaBar }),
    seeds: req.seeds,
    workers: req.workers,
    teacher: req.init ? 'from --init (W* = [chol(P) | 0])' : req.teacher,
    init: req.initSource,
    loss: model.loss,
    dynamics: model.dynamics,
    p: model.p,
    k: model.k,
    params: Object.fromEntries(L.paramNames.filter((n) => !(ruled && n === 'eta_bar')).map((n) => [n, n === 'eta_bar' ? etaBar : req.params[L.paramNames.indexOf(n)]])),
    riskFrom: `overlaps, with the derivation's expectations (${der.plan.label})`,
    ...(req.discard !== undefined ? { discard: { q: req.discard, rule: 'samples with ½e² ≤ q are left out of the gradient, which averages over those kept' } } : {}),
    wallMs,
  };
  mean.meta = { ...meta, statistic: 'mean over seeds' };
  mean.status = outcome.status;
  return { ...outcome, steps: record, tau, samples, seeds, mean, sem, meta };
}

function seedTrajectory(der: Derivation, r: SeedResult, req: FullRequest, steps: number[], etaBar: number, onRisk: () => void): Trajectory {
  const L = der.layout;
  const params = req.params.slice();
  params[L.etaBar] = Number.isFinite(etaBar) ? etaBar : 0;
  for (let a = 0; a < der.model.k; a++) for (let b = a; b < der.model.k; b++) params[L.P + pIndex(der.model.k, a, b)] = r.P[a][b];
  const risk = r.M.map((M, i) => {
    if (!L.trained) r.a[i].forEach((v, j) => (params[L.aParam + j] = v));
    const e = der.compiled.risk(stateOf({ M, Q: r.Q[i], a: r.a[i] }, L), params);
    onRisk();
    return e;
  });
  const n = r.M.length;
  return { tau: r.tau.slice(0, n), steps: steps.slice(0, n), samples: r.samples.slice(0, n), gamma: r.gamma.slice(0, n), nb: r.nb.slice(0, n), alpha: r.samples.slice(0, n).map((x) => x / req.d), M: r.M, Q: r.Q, a: r.a, risk, status: 'completed', meta: { seed: r.seed, P: r.P } };
}

/**
 * What a simulation holds at once, refused before it starts when beyond this process: every seed's
 * recorded trajectory, and for the full engine each worker's weights, teacher, update and input block
 * (p·d, k·d, p·d and up to 65536 input coordinates, THEORY §5.1; a rule reading the secant keeps three more p·d arrays).
 */
function checkSimulationMemory(der: Derivation, req: FullRequest): void {
  const { p, k } = der.model;
  const points = Math.min(req.points, req.steps + 1);
  const entries = p * k + (p * (p + 1)) / 2 + p + 4;
  requireMemory(req.seeds.length * trajectoryBytes(points, entries), 'seeds', req.seeds.length, `keeping ${req.seeds.length} recorded trajectories of ${points} points`);
  if (req.engine !== 'full') return;
  const arrays = 2 * p + k + (req.rules && lrRuleNamed(req.rules.lr.kind).measures.includes('secant') ? 3 * p : 0);
  const perWorker = (arrays * req.d + 65536) * 8;
  requireMemory(Math.max(1, Math.min(req.workers, req.seeds.length)) * perWorker, 'd', req.d, `the full simulator at d = ${req.d} with p = ${p} (${arrays}·d doubles per worker)`);
}

/**
 * Seconds a run will take, from per-sample costs measured on this code (npm run bench: the full
 * engine 4.5 ns per input coordinate and field, the reduced one 36 ns per p·(k + 3p) — both within a
 * factor of about 2 across p, k, n_b and d), shared out over the workers. A rule's batch (AdaDamp's
 * n_max, a schedule) is not known in advance: the estimate takes the starting batch.
 */
export function simulationSeconds(p: number, k: number, req: { d: number; nb: number; steps: number; seeds: number; workers: number; engine: 'full' | 'reduced' }): number {
  const perSample = req.engine === 'full' ? 4.5e-9 * req.d * (p + k) : 3.6e-8 * p * (k + 3 * p);
  return (req.seeds * req.steps * req.nb * perSample) / Math.max(1, Math.min(req.workers, req.seeds));
}

function checkSimulationTime(der: Derivation, req: FullRequest): void {
  const limit = req.timeLimit ?? DEFAULT_TIME_LIMIT_S;
  const { p, k } = der.model;
  const s = simulationSeconds(p, k, { ...req, seeds: req.seeds.length });
  if (s > limit)
    throw failure(
      `the simulation would take about ${durationText(s)} (${req.seeds.length} seeds × ${req.steps} steps × n_b = ${req.nb} samples${req.engine === 'full' ? ` at d = ${req.d}` : ''}, ${req.engine} engine, ${Math.max(1, Math.min(req.workers, req.seeds.length))} worker(s)), beyond the time limit of ${durationText(limit)}: fewer steps or seeds, a smaller n_b${req.engine === 'full' ? ', the reduced engine (its cost does not grow with d)' : ''} or more workers make it feasible; ${TIME_LIMIT_OVERRIDE}`,
      { field: 'steps', value: req.steps },
    );
}

/** Mean and standard error of the mean over seeds, entry by entry. */
export function aggregate(seeds: Trajectory[]): { mean: Trajectory; sem: SimulationResult['sem'] } {
  const n = seeds.length;
  const T = seeds[0].tau.length;
  const stat = (get: (t: Trajectory) => number): [number, number] => {
    let s = 0;
    let s2 = 0;
    for (const t of seeds) {
      const v = get(t);
      s += v;
      s2 += v * v;
    }
    const m = s / n;
    return [m, n > 1 ? Math.sqrt(Math.max(0, s2 / n - m * m) / (n - 1)) : 0];
  };
  const first = seeds[0];
  const mat = (sel: (t: Trajectory) => number[][][], i: number, which: 0 | 1) =>
    sel(first)[i].map((row, j) => row.map((_, l) => stat((t) => sel(t)[i][j][l])[which]));
  const vec = (sel: (t: Trajectory) => number[][], i: number, which: 0 | 1) => sel(first)[i].map((_, j) => stat((t) => sel(t)[i][j])[which]);
  const idx = Array.from({ length: T }, (_, i) => i);
  const col = (sel: (t: Trajectory) => number[] | undefined) => (sel(first) ? idx.map((i) => stat((t) => (sel(t) as number[])[i])[0]) : undefined);
  const mean: Trajectory = {
    tau: col((t) => t.tau) as number[],
    steps: first.steps,
    samples: col((t) => t.samples),
    gamma: col((t) => t.gamma),
    nb: col((t) => t.nb),
    alpha: col((t) => t.alpha),
    M: idx.map((i) => mat((t) => t.M, i, 0)),
    Q: idx.map((i) => mat((t) => t.Q, i, 0)),
    a: idx.map((i) => vec((t) => t.a, i, 0)),
    risk: idx.map((i) => stat((t) => t.risk[i])[0]),
    status: 'completed',
    meta: {},
  };
  const sem = {
    ...(first.gamma ? { tau: idx.map((i) => stat((t) => t.tau[i])[1]), samples: idx.map((i) => stat((t) => (t.samples as number[])[i])[1]), gamma: idx.map((i) => stat((t) => (t.gamma as number[])[i])[1]), nb: idx.map((i) => stat((t) => (t.nb as number[])[i])[1]) } : {}),
    M: idx.map((i) => mat((t) => t.M, i, 1)),
    Q: idx.map((i) => mat((t) => t.Q, i, 1)),
    a: idx.map((i) => vec((t) => t.a, i, 1)),
    risk: idx.map((i) => stat((t) => t.risk[i])[1]),
  };
  return { mean, sem };
}

/** Escape steps over seeds: median and quartiles (non-escaped seeds count as beyond the horizon), fraction escaped. */
export function escapeSummary(steps: (number | undefined)[], clock: ConstantClock | ({ tau: number; samples: number } | undefined)[], horizon: number) {
  const quantile = (xs: (number | undefined)[], f: number) => {
    const all = xs.map((s) => s ?? Infinity).sort((a, b) => a - b);
    const pos = (all.length - 1) * f;
    const lo = all[Math.floor(pos)];
    const hi = all[Math.ceil(pos)];
    const v = lo + (hi - lo) * (pos - Math.floor(pos));
    return Number.isFinite(v) ? v : null;
  };
  const med = quantile(steps, 0.5);
  // under a rule each seed has its own clock: medians of its τ and samples at escape
  const perSeed = Array.isArray(clock);
  return {
    perSeed: steps.map((s) => s ?? null),
    medianSteps: med,
    q1Steps: quantile(steps, 0.25),
    q3Steps: quantile(steps, 0.75),
    medianTau: perSeed ? quantile(clock.map((c) => c?.tau), 0.5) : med !== null ? clock.tauAt(med) : null,
    medianSamples: perSeed ? quantile(clock.map((c) => c?.samples), 0.5) : med !== null ? clock.samplesAt(med) : null,
    escapedFraction: steps.filter((s) => s !== undefined).length / steps.length,
    horizonSteps: horizon,
  };
}

/** Mean initial overlaps of a simulation (step 0 of every seed). */
export function meanInitial(sim: SimulationResult): Overlaps {
  return { M: sim.mean.M[0], Q: sim.mean.Q[0], P: ((sim.seeds[0].meta as any).P as number[][]).map((r) => r.slice()), a: sim.mean.a[0] };
}

/**
 * What can be checked before any seed runs (exit 2, nothing written): the rules' parameters against
 * the start (of the given overlaps, or of the random start's mean M = 0, Q = I) — AdaDamp's ε* below
 * the starting risk, a schedule positive at the start and, when it depends on steps alone, over the
 * whole run — and the engine against the rule (MCLR only on the full engine).
 */
function checkRulesAtStart(der: Derivation, req: FullRequest): void {
  const rules = req.rules as Rules;
  const { model, layout: L } = der;
  const refusal = lrRuleNamed(rules.lr.kind).refusesEngine?.[req.engine];
  if (refusal) throw usageError(refusal, { field: '--engine', value: req.engine });
  const start: Overlaps = req.init ?? {
    M: Array.from({ length: model.p }, () => new Array(model.k).fill(0)),
    Q: Array.from({ length: model.p }, (_, j) => Array.from({ length: model.p }, (_, l) => (j === l ? 1 : 0))),
    P: teacherOverlaps(req.params, L),
    a: L.trained ? model.a0 : req.params.slice(L.aParam, L.aParam + model.p),
  };
  const params = req.params.slice();
  if (!L.trained) start.a.forEach((v, j) => (params[L.aParam + j] = v));
  const ev = new OverlapRules(rules, { gm: der.compiled, L, d: req.d, P: start.P, aFixed: start.a, params, loss: model.loss, gamma: req.gamma > 0 ? req.gamma : undefined, nb: req.nb });
  ev.start(stateOf(start, L));
  ev.checkRun(req.steps);
}
