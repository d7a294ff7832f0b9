/**
 * Theory against simulation (THEORY §2.8): the ODE started from the simulations' mean initial
 * overlaps, on the simulations' time grid, compared entry by entry and time by time with the seed
 * mean. A comparison passes when
 *   |ODE − mean| ≤ q·SEM + b,   q = t_{S−1}(1 − α/(2·T·E)),   b = c₁/d + c₂·γ,
 * S seeds, T compared times (τ > 0) and E entries: Student's t for the standard error of S seeds,
 * Bonferroni over all T·E comparisons so that the family-wise false-rejection rate is at most α, and
 * a finite-d bias allowance b that shrinks like 1/d (warm starts: the mean differs from the ODE by
 * O(1/d) and O(γ)). The standardised excess (|ODE − mean| − b)/SEM is reported per entry with where
 * it is worst.
 */
import type { Trajectory } from '../numeric/trajectory.ts';
import { meanInitial, type SimulationResult } from '../simulate/simulate.ts';
import type { Derivation } from '../pipeline.ts';
import { runIntegration } from '../numeric/run.ts';
import { failure } from '../errors.ts';
import { studentTQuantileUpper } from './stats.ts';
import { DEFAULT_CHECK, type CheckSettings } from './defaults.ts';
import type { Rules } from '../rules/spec.ts';

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
  pass: boolean;
}

export interface Series {
  entry: string;
  family: 'M' | 'Q' | 'a' | 'risk' | 'clock';
  ode: number[];
  mean: number[];
  sem: number[];
}

/** The overlap entries of a comparison as parallel series (M_jr, Q_jl for j ≤ l, a_j when trained, risk). */
export function seriesOf(ode: Trajectory, sim: SimulationResult, trained: boolean): Series[] {
  const p = ode.Q[0].length;
  const k = ode.M[0][0].length;
  const T = ode.tau.length;
  const idx = Array.from({ length: T }, (_, i) => i);
  const out: Series[] = [];
  for (let j = 0; j < p; j++)
    for (let r = 0; r < k; r++)
      out.push({ entry: `M_${j + 1}${r + 1}`, family: 'M', ode: idx.map((i) => ode.M[i][j][r]), mean: idx.map((i) => sim.mean.M[i][j][r]), sem: idx.map((i) => sim.sem.M[i][j][r]) });
  for (let j = 0; j < p; j++)
    for (let l = j; l < p; l++)
      out.push({ entry: `Q_${j + 1}${l + 1}`, family: 'Q', ode: idx.map((i) => ode.Q[i][j][l]), mean: idx.map((i) => sim.mean.Q[i][j][l]), sem: idx.map((i) => sim.sem.Q[i][j][l]) });
  if (trained)
    for (let j = 0; j < p; j++)
      out.push({ entry: `a_${j + 1}`, family: 'a', ode: idx.map((i) => ode.a[i][j]), mean: idx.map((i) => sim.mean.a[i][j]), sem: idx.map((i) => sim.sem.a[i][j]) });
  out.push({ entry: 'risk', family: 'risk', ode: ode.risk, mean: sim.mean.risk, sem: sim.sem.risk });
  return out;
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
  const comparisons = Math.max(1, times * series.length);
  const quantile = run.seeds > 1 ? studentTQuantileUpper(settings.alpha / (2 * comparisons), run.seeds - 1) : Infinity;
  const bias = settings.c1 / run.d + settings.c2 * run.gamma;
  const entries = series.map((s) => {
    let maxDiff = 0;
    let maxSem = 0;
    let maxZ = 0;
    let worstExcess = -Infinity;
    let worstTau = 0;
    for (let i = 0; i < tau.length; i++) {
      if (!(tau[i] > 0)) continue;
      // an integer batch size may sit one unit off where the rule's ceiling switches
      const diff = Math.max(0, Math.abs(s.ode[i] - s.mean[i]) - (s.entry === 'nb' ? 1 : 0));
      // accumulated clock quantities (τ, samples) carry the O(γ) and O(1/d) bias relative to their size
      const allowance = s.family === 'clock' ? bias * Math.max(1, Math.abs(s.mean[i])) : bias;
      maxDiff = Math.max(maxDiff, diff);
      maxSem = Math.max(maxSem, s.sem[i]);
      if (s.sem[i] > 0) maxZ = Math.max(maxZ, diff / s.sem[i]);
      // a zero standard error (an entry the dynamics keep fixed) passes only within the allowance
      const excess = s.sem[i] > 0 ? (diff - allowance) / s.sem[i] : diff > allowance ? Infinity : -Infinity;
      if (excess > worstExcess) {
        worstExcess = excess;
        worstTau = tau[i];
      }
    }
    return { entry: s.entry, maxDiff, maxSem, maxZ, worstExcess, worstTau, pass: worstExcess <= quantile };
  });
  return { entries, settings, d: run.d, gamma: run.gamma, seeds: run.seeds, times, quantile, allowance: bias, pass: entries.every((e) => e.pass) };
}

/** One line saying what the check compared against: q, b and their constants. */
export function checkDescription(a: Agreement): string {
  return `|ODE − mean| ≤ q·SEM + b with q = t_${a.seeds - 1}(1 − α/(2·${a.times}·${a.entries.length})) = ${a.quantile.toPrecision(4)} (α = ${a.settings.alpha}, Bonferroni over ${a.times * a.entries.length} comparisons) and b = c₁/d + c₂γ = ${a.allowance.toPrecision(3)} (c₁ = ${a.settings.c1}, c₂ = ${a.settings.c2}, d = ${a.d}, γ = ${a.gamma.toPrecision(3)})`;
}

export interface CompareOptions {
  /** ODE parameters that differ from the simulation's (e.g. { eta_bar: 0 } drops the variance term) */
  odeSets?: Record<string, string | number>;
  /** the check's level and bias constants (default DEFAULT_CHECK) */
  check?: Partial<CheckSettings>;
  /** with discarded samples: Gauss–Hermite nodes per field of the ODE's weighted moments */
  discardNodes?: number;
}

export interface Comparison {
  ode: Trajectory;
  series: Series[];
  agreement: Agreement;
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
  // under a rule each seed has its own τ: the ODE is integrated in steps and compared at the recorded steps
  const ode = rules
    ? runIntegration(der, { tauEnd: 1, init: meanInitial(sim), initSource: 'mean initial overlaps of the simulations', sets, rules, d: sim.meta.d as number, gamma: sim.meta.gamma as number | undefined, nb: sim.meta.nb as number, stepsGrid: sim.steps })
    : runIntegration(der, {
        tauEnd: sim.tau[sim.tau.length - 1],
        init: meanInitial(sim),
        initSource: 'mean initial overlaps of the simulations',
        sets,
        grid: sim.tau,
        ...(sim.meta.discard ? { discard: { q: (sim.meta.discard as { q: number }).q, ...(o.discardNodes ? { nodes: o.discardNodes } : {}) }, nb: sim.meta.nb as number } : {}),
      });
  if (ode.status !== 'completed') throw failure(`the ODE stopped: ${ode.message}`);
  const series = seriesOf(ode, sim, der.layout.trained);
  if (rules) series.push(...clockSeries(ode, sim));
  const run = { d: sim.meta.d as number, gamma: rules ? Math.max(...(sim.mean.gamma as number[])) : (sim.meta.gamma as number), seeds: sim.seeds.length };
  return { ode, series, agreement: agreement(series, sim.tau, run, { ...DEFAULT_CHECK, ...o.check }) };
}
