/**
 * Theory against simulation: the ODE started from the simulations' mean initial overlaps, on the
 * simulations' time grid, and per overlap entry the largest |ODE − mean|, the largest standard error
 * of the seed mean and the largest z-score. The check passes when every entry stays within
 * 3·SEM + c/√d at every time (c a stated finite-d allowance).
 */
import type { Trajectory } from '../numeric/trajectory.ts';
import { meanInitial, type SimulationResult } from '../simulate/simulate.ts';
import type { Derivation } from '../pipeline.ts';
import { runIntegration } from '../numeric/run.ts';
import { failure } from '../errors.ts';

export interface EntryAgreement {
  entry: string;
  maxDiff: number;
  maxSem: number;
  maxZ: number;
  /** largest |diff| − (3 SEM + c/√d); ≤ 0 passes */
  worstExcess: number;
  worstTau: number;
  pass: boolean;
}

export interface Agreement {
  entries: EntryAgreement[];
  c: number;
  d: number;
  allowance: number;
  pass: boolean;
}

export interface Series {
  entry: string;
  family: 'M' | 'Q' | 'a' | 'risk';
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

export function agreement(series: Series[], tau: number[], d: number, c: number): Agreement {
  const allowance = c / Math.sqrt(d);
  const entries = series.map((s) => {
    let maxDiff = 0;
    let maxSem = 0;
    let maxZ = 0;
    let worstExcess = -Infinity;
    let worstTau = 0;
    for (let i = 0; i < tau.length; i++) {
      const diff = Math.abs(s.ode[i] - s.mean[i]);
      maxDiff = Math.max(maxDiff, diff);
      maxSem = Math.max(maxSem, s.sem[i]);
      if (s.sem[i] > 0) maxZ = Math.max(maxZ, diff / s.sem[i]);
      const excess = diff - (3 * s.sem[i] + allowance);
      if (excess > worstExcess) {
        worstExcess = excess;
        worstTau = tau[i];
      }
    }
    return { entry: s.entry, maxDiff, maxSem, maxZ, worstExcess, worstTau, pass: worstExcess <= 0 };
  });
  return { entries, c, d, allowance, pass: entries.every((e) => e.pass) };
}

export interface CompareOptions {
  /** ODE parameters that differ from the simulation's (e.g. { eta_bar: 0 } drops the variance term) */
  odeSets?: Record<string, string | number>;
  /** finite-d allowance constant c: pass when |ODE − mean| ≤ 3·SEM + c/√d (default 0.5) */
  c?: number;
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
  const ode = runIntegration(der, { tauEnd: sim.tau[sim.tau.length - 1], init: meanInitial(sim), initSource: 'mean initial overlaps of the simulations', sets, grid: sim.tau });
  if (ode.status !== 'completed') throw failure(`the ODE stopped: ${ode.message}`);
  const series = seriesOf(ode, sim, der.layout.trained);
  return { ode, series, agreement: agreement(series, sim.tau, sim.meta.d as number, o.c ?? 0.5) };
}
