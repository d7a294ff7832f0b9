/**
 * Theory against simulation (THEORY §2.8): the ODE started from the simulations' mean initial
 * overlaps, on the simulations' time grid, compared entry by entry and time by time with the seed
 * mean. A comparison passes when
 *   |ODE − mean| ≤ q·SEM + b,   q = t_{S−1}(1 − α/(2·T·E)),   b = c₁/d + c₂·γ,
 * S seeds, T compared times (τ > 0) and E entries: Student's t for the standard error of S seeds,
 * Bonferroni over all T·E comparisons so that the family-wise false-rejection rate is at most α, and
 * a finite-d bias allowance b that shrinks like 1/d (warm starts: the mean differs from the ODE by
 * O(1/d) and O(γ)). The standardised excess (|ODE − mean| − b)/SEM is reported per entry with where
 * it is worst. Entries the dynamics hold fixed (Q_jj = 1 on the sphere) are left out and named.
 *
 * A check can only see what moved: each entry's resolution is how far it travelled from its start
 * (the larger of the ODE's and the mean's excursion) over the largest tolerance q·SEM + b along the
 * run. Unless some teacher overlap M_jr travels beyond its tolerance, ODE and simulation agree because
 * nothing was learned in the window, and the verdict is `inconclusive`, not `pass`.
 */
import type { Trajectory } from '../numeric/trajectory.ts';
import { meanInitial, type SimulationResult } from '../simulate/simulate.ts';
import type { Derivation } from '../pipeline.ts';
import { runIntegration } from '../numeric/run.ts';
import { failure, usageError } from '../errors.ts';
import { studentTQuantileUpper } from './stats.ts';
import { DEFAULT_CHECK, type CheckSettings } from './defaults.ts';
import type { Rules } from '../rules/spec.ts';
import { maxOf } from '../extrema.ts';
import { TIME_LIMIT_OVERRIDE } from '../limits.ts';

export { DEFAULT_CHECK, type CheckSettings };

export interface EntryAgreement {
  entry: string;
  maxDiff: number;
  maxSem: number;
  /** largest |ODE − mean|/SEM */
  maxZ: number;
  /** largest standardised excess (|ODE − mean| − b)/SEM; passes when ≤ the quantile q */
  worstExcess: number;
  worstTau: number;
  pass: boolean;
  /** max_t |x(t) − x(0)| of the ODE and of the mean, whichever is larger */
  moved: number;
  /** the largest tolerance q·SEM + b along the run */
  tolerance: number;
  /** moved / tolerance: above 1 the check resolves this entry's motion */
  resolution: number;
  /** why the entry is not checked (held fixed by the dynamics), when it is not */
  constrained?: string;
}

export interface Agreement {
  entries: EntryAgreement[];
  settings: CheckSettings;
  d: number;
  gamma: number;
  seeds: number;
  /** compared times (τ > 0) and entries */
  times: number;
  /** the t quantile q and the bias allowance b */
  quantile: number;
  allowance: number;
  /** every checked entry within q·SEM + b */
  pass: boolean;
  /** some teacher overlap M_jr moved beyond its tolerance (else a pass shows nothing) */
  conclusive: boolean;
  verdict: 'pass' | 'fail' | 'inconclusive';
}

export interface Series {
  entry: string;
  family: 'M' | 'Q' | 'a' | 'risk' | 'clock';
  ode: number[];
  mean: number[];
  sem: number[];
  /** the linear-noise prediction of one run's standard deviation (compare with fluctuations) */
  std?: number[];
  /** held fixed by the dynamics (not checked), with the reason */
  constrained?: string;
}

/** The overlap entries of a comparison as parallel series (M_jr, Q_jl for j ≤ l, a_j when trained, risk). */
export function seriesOf(ode: Trajectory, sim: SimulationResult, trained: boolean, dynamics: 'plain' | 'spherical' | 'projected' = 'plain'): Series[] {
  const p = ode.Q[0].length;
  const k = ode.M[0][0].length;
  const T = ode.tau.length;
  const idx = Array.from({ length: T }, (_, i) => i);
  // the linear-noise prediction of one run's std beside each entry, when the ODE carries it
  const std = ode.std;
  const withStd = (f: (s: NonNullable<Trajectory['std']>, i: number) => number) => (std ? { std: idx.map((i) => f(std, i)) } : {});
  const out: Series[] = [];
  for (let j = 0; j < p; j++)
    for (let r = 0; r < k; r++)
      out.push({ entry: `M_${j + 1}${r + 1}`, family: 'M', ode: idx.map((i) => ode.M[i][j][r]), mean: idx.map((i) => sim.mean.M[i][j][r]), sem: idx.map((i) => sim.sem.M[i][j][r]), ...withStd((s, i) => s.M[i][j][r]) });
  for (let j = 0; j < p; j++)
    for (let l = j; l < p; l++)
      out.push({
        entry: `Q_${j + 1}${l + 1}`,
        family: 'Q',
        ode: idx.map((i) => ode.Q[i][j][l]),
        mean: idx.map((i) => sim.mean.Q[i][j][l]),
        sem: idx.map((i) => sim.sem.Q[i][j][l]),
        ...withStd((s, i) => s.Q[i][j][l]),
        ...(j === l && dynamics !== 'plain' ? { constrained: `‖w_j‖ = 1 under ${dynamics} dynamics` } : {}),
      });
  if (trained)
    for (let j = 0; j < p; j++)
      out.push({ entry: `a_${j + 1}`, family: 'a', ode: idx.map((i) => ode.a[i][j]), mean: idx.map((i) => sim.mean.a[i][j]), sem: idx.map((i) => sim.sem.a[i][j]), ...withStd((s, i) => s.a[i][j]) });
  out.push({ entry: 'risk', family: 'risk', ode: ode.risk, mean: sim.mean.risk, sem: sim.sem.risk, ...withStd((s, i) => s.risk[i]) });
  return out;
}

/** One entry's seed spread against the linear-noise prediction (THEORY §2.13). */
export interface EntrySpread {
  entry: string;
  /** median over the compared times of (seeds' standard deviation)/(predicted standard deviation) */
  ratio: number;
  /** the smallest and largest ratio over those times */
  low: number;
  high: number;
  /** compared times: τ > 0 where the prediction holds and is not zero */
  times: number;
}

export interface Spread {
  entries: EntrySpread[];
  /** the sampling error of one time's ratio, 1/√(2(S − 1)) for S seeds */
  ratioError: number;
  /** the last τ at which the prediction holds (null: the whole run) */
  validUntil: number | null;
  /** which Σ(0) the prediction starts from */
  start: 'fixed' | 'random';
}

/**
 * The seeds' spread (√S · SEM, their standard deviation) against the predicted standard deviation of
 * one run, entry by entry, at the times τ > 0 up to where the linear-noise approximation holds.
 */
export function spreadOf(series: Series[], tau: number[], seeds: number, validUntil: number | null, start: 'fixed' | 'random'): Spread {
  const entries: EntrySpread[] = [];
  for (const s of series) {
    if (!s.std || s.constrained || s.family === 'clock') continue;
    const ratios: number[] = [];
    for (let i = 0; i < tau.length; i++) {
      if (!(tau[i] > 0) || (validUntil !== null && tau[i] > validUntil) || !(s.std[i] > 0)) continue;
      ratios.push((s.sem[i] * Math.sqrt(seeds)) / s.std[i]);
    }
    if (!ratios.length) continue;
    ratios.sort((a, b) => a - b);
    entries.push({ entry: s.entry, ratio: ratios[Math.floor(ratios.length / 2)], low: ratios[0], high: ratios[ratios.length - 1], times: ratios.length });
  }
  return { entries, ratioError: 1 / Math.sqrt(2 * Math.max(1, seeds - 1)), validUntil, start };
}

/** Under a rule: τ, samples, γ and n_b against the seeds' own clocks (their mean and standard error). */
function clockSeries(ode: Trajectory, sim: SimulationResult): Series[] {
  const cols = [
    ['tau', ode.tau, sim.mean.tau, sim.sem.tau],
    ['samples', ode.samples, sim.mean.samples, sim.sem.samples],
    ['gamma', ode.gamma, sim.mean.gamma, sim.sem.gamma],
    ['nb', ode.nb, sim.mean.nb, sim.sem.nb],
  ] as const;
  return cols.filter((c) => c[1] && c[2] && c[3]).map(([entry, o, m, s]) => ({ entry, family: 'clock' as const, ode: o as number[], mean: m as number[], sem: s as number[] }));
}

/** The check of THEORY §2.8 over every entry and every time τ > 0 (at τ = 0 both start at the mean). */
export function agreement(series: Series[], tau: number[], run: { d: number; gamma: number; seeds: number }, settings: CheckSettings = DEFAULT_CHECK): Agreement {
  const times = tau.filter((t) => t > 0).length;
  const checked = series.filter((s) => !s.constrained);
  const comparisons = Math.max(1, times * checked.length);
  const quantile = run.seeds > 1 ? studentTQuantileUpper(settings.alpha / (2 * comparisons), run.seeds - 1) : Infinity;
  const bias = settings.c1 / run.d + settings.c2 * run.gamma;
  const entries = series.map((s): EntryAgreement => {
    let maxDiff = 0;
    let maxSem = 0;
    let maxZ = 0;
    let worstExcess = -Infinity;
    let worstTau = 0;
    let moved = 0;
    let tolerance = 0;
    for (let i = 0; i < tau.length; i++) {
      if (!(tau[i] > 0)) continue;
      // an integer batch size may sit one unit off where the rule's ceiling switches
      const diff = Math.max(0, Math.abs(s.ode[i] - s.mean[i]) - (s.entry === 'nb' ? 1 : 0));
      // accumulated clock quantities (τ, samples) carry the O(γ) and O(1/d) bias relative to their size
      const allowance = s.family === 'clock' ? bias * Math.max(1, Math.abs(s.mean[i])) : bias;
      maxDiff = Math.max(maxDiff, diff);
      maxSem = Math.max(maxSem, s.sem[i]);
      moved = Math.max(moved, Math.abs(s.ode[i] - s.ode[0]), Math.abs(s.mean[i] - s.mean[0]));
      tolerance = Math.max(tolerance, quantile * s.sem[i] + allowance);
      if (s.sem[i] > 0) maxZ = Math.max(maxZ, diff / s.sem[i]);
      // a zero standard error (an entry the dynamics keep fixed) passes only within the allowance
      const excess = s.sem[i] > 0 ? (diff - allowance) / s.sem[i] : diff > allowance ? Infinity : -Infinity;
      if (excess > worstExcess) {
        worstExcess = excess;
        worstTau = tau[i];
      }
    }
    const resolution = tolerance > 0 ? moved / tolerance : moved > 0 ? Infinity : 0;
    const base = { entry: s.entry, maxDiff, maxSem, maxZ, moved, tolerance, resolution };
    if (s.constrained) return { ...base, worstExcess: NaN, worstTau: NaN, pass: true, constrained: s.constrained };
    return { ...base, worstExcess, worstTau, pass: worstExcess <= quantile };
  });
  const pass = entries.every((e) => e.pass);
  const conclusive = entries.some((e) => e.entry.startsWith('M_') && !e.constrained && e.resolution > 1);
  return { entries, settings, d: run.d, gamma: run.gamma, seeds: run.seeds, times, quantile, allowance: bias, pass, conclusive, verdict: !pass ? 'fail' : conclusive ? 'pass' : 'inconclusive' };
}

/** What to do when no teacher overlap moved beyond its tolerance, for the verdict `inconclusive`. */
export function inconclusiveAdvice(a: Agreement): string {
  const m = a.entries.filter((e) => e.entry.startsWith('M_'));
  const best = m.reduce((b, e) => (e.resolution > b.resolution ? e : b), m[0]);
  return `no teacher overlap moved beyond its tolerance (largest: ${best.entry} moved ${best.moved.toPrecision(2)}, ${best.resolution.toPrecision(2)}× its tolerance ${best.tolerance.toPrecision(2)}): the ODE and the simulation agree because nothing was learned in the window — extend it (a longer --tau or --steps), start warm (--init with M away from 0) or use more seeds`;
}

/** One line saying what the check compared against: q, b and their constants. */
export function checkDescription(a: Agreement): string {
  const n = a.entries.filter((e) => !e.constrained).length;
  return `|ODE − mean| ≤ q·SEM + b with q = t_${a.seeds - 1}(1 − α/(2·${a.times}·${n})) = ${a.quantile.toPrecision(4)} (α = ${a.settings.alpha}, Bonferroni over ${a.times * n} comparisons) and b = c₁/d + c₂γ = ${a.allowance.toPrecision(3)} (c₁ = ${a.settings.c1}, c₂ = ${a.settings.c2}, d = ${a.d}, γ = ${a.gamma.toPrecision(3)})`;
}

export interface CompareOptions {
  /** ODE parameters that differ from the simulation's (e.g. { eta_bar: 0 } drops the variance term) */
  odeSets?: Record<string, string | number>;
  /** the check's level and bias constants (default DEFAULT_CHECK) */
  check?: Partial<CheckSettings>;
  /** with discarded samples: Gauss–Hermite nodes per field of the ODE's weighted moments */
  discardNodes?: number;
  /** the ODE's progress (time reached of the last) and its time limit in seconds (runIntegration's) */
  onProgress?: (t: number, tEnd: number) => void;
  timeLimit?: number;
  /** also the linear-noise prediction of the seeds' spread (THEORY §2.13), from Σ(0) of the simulations' start */
  fluctuations?: boolean;
  /** Gauss–Hermite nodes per field of the diffusion matrix (default diffusionNodes) */
  fluctuationNodes?: number;
}

export interface Comparison {
  ode: Trajectory;
  series: Series[];
  agreement: Agreement;
  /** the seeds' spread against the predicted one (with `fluctuations`) */
  spread?: Spread;
}

/**
 * Theory against simulation: the ODE integrated from the simulations' mean initial overlaps with the
 * simulation's parameters (η̄ = γd/n_b, κ, Δ, P, a) onto the recorded τ, entry by entry against the
 * seed mean and its standard error.
 */
export function compare(der: Derivation, sim: SimulationResult, o: CompareOptions = {}): Comparison {
  const params = (sim.meta.params ?? {}) as Record<string, number>;
  const sets: Record<string, string | number> = Object.fromEntries(Object.entries(params).filter(([n]) => !n.startsWith('P_')));
  Object.assign(sets, o.odeSets ?? {});
  const rules = sim.meta.ruleSpec as Rules | undefined;
  // the simulators' random start (no --init): w_j = g_j/√d
  const start: 'fixed' | 'random' = String(sim.meta.init ?? '').startsWith('random') ? 'random' : 'fixed';
  if (o.fluctuations && rules) throw usageError('the spread is predicted under a constant rate and batch', { field: '--fluctuations' });
  if (o.fluctuations && start === 'random' && sim.meta.teacher === 'random') throw usageError('the spread of a random start is predicted on an orthonormal teacher (a random one adds the spread of P)', { field: '--fluctuations' });
  const run = {
    onProgress: o.onProgress,
    ...(o.timeLimit !== undefined ? { timeLimit: o.timeLimit } : {}),
    ...(o.fluctuations ? { fluctuations: { d: sim.meta.d as number, start, ...(o.fluctuationNodes !== undefined ? { nodes: o.fluctuationNodes } : {}) } } : {}),
  };
  // under a rule each seed has its own τ: the ODE is integrated in steps and compared at the recorded steps
  const ode = rules
    ? runIntegration(der, { ...run, tauEnd: 1, init: meanInitial(sim), initSource: 'mean initial overlaps of the simulations', sets, rules, d: sim.meta.d as number, gamma: sim.meta.gamma as number | undefined, nb: sim.meta.nb as number, stepsGrid: sim.steps })
    : runIntegration(der, {
        ...run,
        tauEnd: sim.tau[sim.tau.length - 1],
        init: meanInitial(sim),
        initSource: 'mean initial overlaps of the simulations',
        sets,
        grid: sim.tau,
        ...(sim.meta.discard ? { discard: { q: (sim.meta.discard as { q: number }).q, ...(o.discardNodes ? { nodes: o.discardNodes } : {}) }, nb: sim.meta.nb as number } : {}),
      });
  if (ode.status !== 'completed') throw failure(`the ODE stopped: ${ode.message}${ode.status === 'too-slow' ? ` — a faster expectation backend, fewer nodes or a smaller width makes it feasible; ${TIME_LIMIT_OVERRIDE}` : ''}`);
  const series = seriesOf(ode, sim, der.layout.trained, der.model.dynamics);
  if (rules) series.push(...clockSeries(ode, sim));
  const setting = { d: sim.meta.d as number, gamma: rules ? maxOf(sim.mean.gamma as number[]) : (sim.meta.gamma as number), seeds: sim.seeds.length };
  const spread = o.fluctuations ? spreadOf(series, sim.tau, sim.seeds.length, (ode.meta.fluctuations as { validUntil: number | null }).validUntil, start) : undefined;
  return { ode, series, agreement: agreement(series, sim.tau, setting, { ...DEFAULT_CHECK, ...o.check }), ...(spread ? { spread } : {}) };
}
