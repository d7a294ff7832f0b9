/** `hermode integrate`: the overlap ODE on a time grid, as a table, JSON or CSV. */
import { deriveFile, odeModule, type Derivation, type OdeModule } from '../pipeline.ts';
import { writeFileAtomic } from '../io/files.ts';
import { usageError } from '../errors.ts';
import { readOverlapsFile } from '../numeric/setup.ts';
import { integrateWithOptions, needsDerivation, trajectoryConvention, type IntegrateOpts, type GivenStart } from '../numeric/options.ts';
import { num, table, sampleRows, roundRows } from '../report/format.ts';
import { trajectoryCsv, type Trajectory } from '../numeric/trajectory.ts';
import { simulationStart } from './simulate.ts';
import { requireCompleted, timeLimitOf } from '../numeric/outcome.ts';
import { progressReporter } from './progress.ts';
import { constantClock } from '../rules/clock.ts';
import { out, warn, announceStage } from './print.ts';

export type { IntegrateOpts };

export async function integrateFromOptions(file: string, o: IntegrateOpts): Promise<{ d: OdeModule; traj: Trajectory }> {
  // a current generated/X.ts is used as it is; a simulated start, weighted samples, the Jacobian or the diffusion matrix need the full derivation
  // a model whose integration cannot fit in the time limit is refused before its derivation measures anything
  const limit = timeLimitOf(o);
  const d: OdeModule = needsDerivation(o) ? deriveFile(file, o.expectations, announceStage, limit) : odeModule(file, o.expectations, announceStage, limit);
  if (o.init && o.initFromSim) throw usageError('give --init or --init-from-sim, not both', { field: '--init-from-sim' });
  const start: GivenStart | undefined = o.init
    ? { init: readOverlapsFile(o.init, d.model), source: `file ${o.init}` }
    : o.initFromSim
      ? {
          init: await simulationStart(d as Derivation, { d: o.d ?? '1000', seeds: o.seeds ?? '8', seed: o.seed, teacher: o.teacher ?? 'orthonormal', engine: o.engine ?? 'full' }),
          source: `mean initial overlaps of the simulation (d = ${o.d}, ${o.seeds} seeds from ${o.seed}, ${o.teacher} teacher)`,
        }
      : undefined;
  const progress = progressReporter('integrating', 'τ', o.quiet);
  try {
    return { d, traj: integrateWithOptions(d, o, start, progress) };
  } finally {
    progress.stop();
  }
}

export async function integrateCommand(file: string, o: IntegrateOpts): Promise<void> {
  if (o.json && o.csv) throw usageError('give --json or --csv, not both', { field: '--csv' });
  const { traj } = await integrateFromOptions(file, o);
  for (const w of (traj.meta.warnings as string[] | undefined) ?? []) warn(w);
  // a run that exhausted its step budget shows how far it got before saying so
  if (traj.status === 'max-steps' && traj.tau.length > 1 && !o.json && !o.csv) printTrajectory(traj);
  requireCompleted(traj, 'integration', { file });
  if (o.out) writeFileAtomic(o.out, o.out.endsWith('.csv') ? trajectoryCsv(traj, o.plainCsv) : JSON.stringify(traj, null, 1) + '\n');
  if (o.json) out(JSON.stringify(traj));
  else if (o.csv) out(trajectoryCsv(traj, o.plainCsv));
  else printTrajectory(traj);
  if (o.out && !o.json && !o.csv) out(`wrote ${o.out}`);
  if (!o.json && !o.csv && o.threshold !== undefined) {
    const ev = traj.events?.[0];
    const m = traj.meta as Record<string, any>;
    const clock = m.gamma && !m.rules ? constantClock(m.gamma, m.nb) : undefined;
    if (ev) out(`escape (|M| ≥ ${o.threshold}) at τ = ${num(ev.tau, 8)}${clock ? `, steps = ${num(clock.stepsAt(ev.tau), 8)}, samples = ${num(clock.samplesAt(clock.stepsAt(ev.tau)), 8)}` : ''}${m.params.eta_bar > 0 && !m.rules ? `, α = samples/d = ${num(ev.tau / m.params.eta_bar, 8)}` : ''}`);
    else out(`no escape (|M| ≥ ${o.threshold}) by τ = ${num(traj.tau[traj.tau.length - 1])}`);
  }
}

export function printTrajectory(traj: Trajectory): void {
  const m = traj.meta as any;
  out(`${m.name}: ${m.expectations}; ${m.dynamics} SGD, ${m.loss} loss, p = ${m.p}, k = ${m.k}`);
  out(`convention: ${trajectoryConvention(traj)}; params ${Object.entries(m.params).filter(([k]) => !(m.rules && k === 'eta_bar')).map(([k, v]) => `${k}=${num(v as number)}`).join(' ')}`);
  const p = m.p as number;
  const k = m.k as number;
  const cols: { name: string; get: (i: number) => number }[] = [];
  for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) cols.push({ name: `M${j + 1}${r + 1}`, get: (i) => traj.M[i][j][r] });
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) cols.push({ name: `Q${j + 1}${l + 1}`, get: (i) => traj.Q[i][j][l] });
  if (m.params.kappa !== undefined) for (let j = 0; j < p; j++) cols.push({ name: `a${j + 1}`, get: (i) => traj.a[i][j] });
  // the second layer, when trained, stays visible however many overlap columns there are
  const aCols = cols.filter((c) => c.name.startsWith('a'));
  const clockCols: [string, number[]][] = traj.steps ? [['steps', traj.steps], ['samples', traj.samples as number[]], ...(m.rules ? ([['γ', traj.gamma as number[]], ['n_b', traj.nb as number[]]] as [string, number[]][]) : [])] : [];
  const shown = [...cols.filter((c) => !c.name.startsWith('a')).slice(0, Math.max(4, 10 - aCols.length - clockCols.length)), ...aCols];
  const rows = (m.rules ? sampleRows(traj.tau.length, 16) : roundRows(traj.tau, 17)).map((i) => [traj.tau[i], ...clockCols.map((c) => c[1][i]), ...(traj.alpha && !m.rules ? [traj.alpha[i]] : []), traj.risk[i], ...shown.map((c) => c.get(i))]);
  out(table(['τ', ...clockCols.map((c) => c[0]), ...(traj.alpha && !m.rules ? ['α'] : []), 'risk ε', ...shown.map((c) => c.name)], rows));
  if (m.rules) out(`rules: ${m.rules}; d = ${m.d}; steps and samples integrated beside the overlaps (d steps/dτ = 1/γ_t, d samples/dτ = n_b/γ_t)`);
  if (cols.length > shown.length) out(`(${cols.length - shown.length} more columns: use --json or --csv)`);
  if (m.accuracy) out(`expectations: ${m.expectations}, accurate to ${m.accuracy.worst.toExponential(1)} relative ${m.accuracy.method} (worst at τ = ${num(m.accuracy.tau, 6)})`);
  if (m.discard) out(`discarding samples with ½e² ≤ ${m.discard.q}: ${num(100 * m.discard.keptAtStart, 4)} % kept at the start; ${m.discard.method}: ${m.discard.accuracy.toExponential(1)}`);
  if (traj.std) {
    const std = traj.std;
    const fm = m.fluctuations as { d: number; method: string; accuracy: { worst: number; tau: number; method: string } };
    const rows = roundRows(traj.tau, 9).map((i) => [traj.tau[i], `${num(traj.risk[i], 4)} ± ${num(std.risk[i], 2)}`, ...std.M[i].flat().slice(0, 4).map((x) => num(x, 3)), ...std.Q[i].map((r, j) => r[j]).slice(0, 2).map((x) => num(x, 3))]);
    const names = [...traj.M[0].flatMap((r, j) => r.map((_, c) => `M_${j + 1}_${c + 1}`)).slice(0, 4), ...traj.Q[0].map((_, j) => `Q_${j + 1}_${j + 1}`).slice(0, 2)].map((x) => `std ${x}`);
    out(`\nfluctuations of one run at d = ${fm.d} (${fm.method}):`);
    out(table(['τ', 'risk ± std', ...names], rows));
    out(`diffusion matrix accurate to ${fm.accuracy.worst.toExponential(1)} relative along the run (worst at τ = ${num(fm.accuracy.tau, 6)}; ${fm.accuracy.method})`);
  }
  const it = m.integrator;
  out(`${it.jacobians !== undefined ? 'implicit' : 'odex'}: ${it.accepted} steps (${it.rejected} rejected), ${it.evaluations} RHS evaluations${it.jacobians !== undefined ? `, ${it.jacobians} Jacobians` : ''}, ${it.wallMs.toFixed(1)} ms, rtol ${it.rtol}`);
}
