/**
 * One trajectory type for theory and simulation: times (τ, and steps and samples where they are
 * defined), overlaps M, Q, the second layer a and the risk at each time, and metadata naming the
 * convention and the time unit. Integration, maps and simulators all return it.
 */

export type Status = 'completed' | 'blow-up' | 'not-positive-definite' | 'nan' | 'max-steps' | 'event' | 'too-slow';

export interface Trajectory {
  tau: number[];
  /** α = samples/d = τ/η̄ (present when η̄ > 0) */
  alpha?: number[];
  /** SGD steps and samples drawn up to each time (d(steps)/dτ = 1/γ_t, d(samples)/dτ = n_b/γ_t) */
  steps?: number[];
  samples?: number[];
  /** the learning rate γ_t and batch size n_b in force at each time (present with steps) */
  gamma?: number[];
  nb?: number[];
  M: number[][][];
  Q: number[][][];
  a: number[][];
  risk: number[];
  status: Status;
  message?: string;
  events?: { name: string; tau: number; steps?: number; samples?: number; nb?: number }[];
  /** with fluctuations at dimension d: the predicted standard deviation of each entry and of the risk, aligned with tau (THEORY §2.13) */
  std?: { M: number[][][]; Q: number[][][]; a: number[][]; risk: number[] };
  meta: Record<string, unknown>;
}

export interface Overlaps {
  M: number[][];
  Q: number[][];
  P: number[][];
  a: number[];
}

export { overlapsOf, stateOf, omegaOf } from '../ode/layout.ts';

/**
 * A trajectory as CSV: a `# {convention, time unit, name}` line (pandas: `comment='#'`), a header, one
 * row per time point; `plain` leaves out the comment line.
 */
export function trajectoryCsv(t: Trajectory, plain = false): string {
  const p = t.Q[0]?.length ?? 0;
  const k = t.M[0]?.[0]?.length ?? 0;
  const cols = t.steps && t.samples ? ([['steps', t.steps], ['samples', t.samples], ...(t.gamma ? [['gamma', t.gamma]] : []), ...(t.nb ? [['nb', t.nb]] : [])] as [string, number[]][]) : [];
  const head = ['tau', ...(t.alpha ? ['alpha'] : []), ...cols.map((c) => c[0]), 'risk'];
  for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) head.push(`M_${j + 1}_${r + 1}`);
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) head.push(`Q_${j + 1}_${l + 1}`);
  for (let j = 0; j < p; j++) head.push(`a_${j + 1}`);
  const rows = t.tau.map((tau, i) => {
    const r: number[] = [tau];
    if (t.alpha) r.push(t.alpha[i]);
    for (const c of cols) r.push(c[1][i]);
    r.push(t.risk[i]);
    for (let j = 0; j < p; j++) for (let q = 0; q < k; q++) r.push(t.M[i][j][q]);
    for (let j = 0; j < p; j++) for (let l = j; l < p; l++) r.push(t.Q[i][j][l]);
    for (let j = 0; j < p; j++) r.push(t.a[i][j]);
    return r.join(',');
  });
  const comment = `# ${JSON.stringify({ convention: t.meta.convention, timeUnit: t.meta.timeUnit, name: t.meta.name })}`;
  return [...(plain ? [] : [comment]), head.join(','), ...rows].join('\n') + '\n';
}
