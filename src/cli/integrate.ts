/** `hermode integrate`: the overlap ODE on a time grid, as a table, JSON or CSV. */
import { deriveFile, odeModule, type Derivation, type OdeModule } from '../pipeline.ts';
import { writeFileAtomic } from '../io/files.ts';
import { usageError } from '../errors.ts';
import { runIntegration, countSteps } from '../numeric/run.ts';
import { defaultOverlaps, readOverlapsFile, parseAssignments, numberValue, integerValue } from '../numeric/setup.ts';
import { num, table, sampleRows, roundRows } from '../report/format.ts';
import { trajectoryCsv, type Trajectory } from '../numeric/trajectory.ts';
import { simulationStart } from './simulate.ts';
import { escapeFunction, escapeCriterion } from '../studies/escape.ts';
import { requireCompleted, timeLimitOf } from './outcome.ts';
import { progressReporter } from './progress.ts';
import { rulesOf, ruleRate, startBatch } from './rules.ts';
import { learningRate } from '../numeric/rate.ts';
import { isConstant } from '../rules/spec.ts';
import { CONSTANT } from '../rules/registry.ts';
import { constantClock } from '../rules/clock.ts';
import { out, warn, announceStage } from './print.ts';

export interface IntegrateOpts {
  plainCsv?: boolean;
  maxSteps?: string;
  integrator?: string;
  fluctuations?: boolean;
  quiet?: boolean;
  set?: string[];
  tau?: string;
  alpha?: string;
  points?: string;
  logGrid?: boolean;
  init?: string;
  seed: string;
  m0: string;
  rtol: string;
  atol: string;
  expectations?: string;
  json?: boolean;
  csv?: boolean;
  out?: string;
  initFromSim?: boolean;
  threshold?: string;
  entry?: string;
  nb?: string;
  d?: string;
  seeds?: string;
  teacher?: string;
  engine?: string;
  lrRule?: string;
  batchRule?: string;
  batchSchedule?: string;
  discard?: string;
  discardNodes?: string;
  /** seconds, or false for --no-time-limit */
  timeLimit?: string | false;
}

export async function integrateFromOptions(file: string, o: IntegrateOpts): Promise<{ d: OdeModule; traj: Trajectory }> {
  // a current generated/X.ts is used as it is; a simulated start or weighted samples need the full derivation
  const integrator = o.integrator ?? 'odex';
  if (integrator !== 'odex' && integrator !== 'implicit') throw usageError('expected odex or implicit', { field: '--integrator', value: o.integrator });
  // the implicit integrator takes the generated Jacobian, which needs the derivation's code (not only generated/X.ts)
  const d: OdeModule = o.initFromSim || o.discard !== undefined || integrator === 'implicit' || o.fluctuations ? deriveFile(file, o.expectations, announceStage) : odeModule(file, o.expectations, announceStage);
  if (o.init && o.initFromSim) throw usageError('give --init or --init-from-sim, not both', { field: '--init-from-sim' });
  const sets = parseAssignments(o.set);
  if (o.tau !== undefined && o.alpha !== undefined) throw usageError('give --tau or --alpha, not both', { field: '--alpha' });
  const seed = integerValue(o.seed, '--seed', 0);
  const D = integerValue(o.d ?? '1000', '--d', 1);
  const nb = o.nb !== undefined ? integerValue(o.nb, '--nb', 1) : undefined;
  const rules = rulesOf(o, sets, d.model.spec);
  const ruled = !isConstant(rules);
  if (ruled && rules.batch.kind === CONSTANT && nb === undefined) throw usageError('a learning-rate rule with a constant batch needs --nb', { field: '--nb' });
  if (ruled && o.alpha !== undefined) throw usageError('under a rule α = samples/d is integrated, not a time to stop at: give --tau', { field: '--alpha' });
  const gamma = ruled ? ruleRate(rules, sets, { d: D, nb: nb ?? startBatch(rules, 1), p: d.model.p, k: d.model.k }) : undefined;
  // a constant rate given as γ: η̄ = γd/n_b
  if (!ruled && sets.gamma !== undefined) {
    if (nb === undefined) throw usageError('a rate given as gamma needs --nb (and --d) for η̄ = γd/n_b; or set eta_bar', { field: '--set gamma', value: sets.gamma });
    sets.eta_bar = String(learningRate(sets, { d: D, nb, p: d.model.p, k: d.model.k }) * (D / nb));
  }
  const init = o.init
    ? readOverlapsFile(o.init, d.model)
    : o.initFromSim
      ? await simulationStart(d as Derivation, { d: o.d ?? '1000', seeds: o.seeds ?? '8', seed: o.seed, teacher: o.teacher ?? 'orthonormal', engine: o.engine ?? 'full' })
      : defaultOverlaps(d.model, seed, nonNegative(numberValue(o.m0, '--m0'), '--m0'));
  const initSource = o.init
    ? `file ${o.init}`
    : o.initFromSim
      ? `mean initial overlaps of the simulation (d = ${o.d}, ${o.seeds} seeds from ${o.seed}, ${o.teacher} teacher)`
      : `default: Q = I, M_jr ~ N(0, ${o.m0}²) seed ${seed}, P = I`;
  let tauEnd: number;
  if (o.alpha !== undefined) {
    const alpha = numberValue(o.alpha, '--alpha');
    const etaText = sets.eta_bar ?? sets.eta;
    const eta = etaText !== undefined ? numberValue(etaText, '--set eta_bar') : d.layout.defaultParams[d.layout.etaBar];
    if (!(eta > 0)) throw usageError('--alpha needs η̄ > 0', { field: '--alpha' });
    tauEnd = alpha * eta;
  } else tauEnd = numberValue(o.tau ?? '10', '--tau');
  const crit = o.threshold !== undefined ? escapeCriterion(numberValue(o.threshold, '--threshold'), o.entry, d.model.p, d.model.k) : null;
  const progress = progressReporter('integrating', 'τ', o.quiet);
  const timeLimit = timeLimitOf(o);
  const traj = runIntegration(d, {
    timeLimit,
    events: crit ? [{ name: 'escape', g: escapeFunction(d, crit), terminal: true }] : undefined,
    maxSteps: integerValue(o.maxSteps ?? '200000', '--max-steps', 1),
    integrator,
    ...(o.fluctuations ? { fluctuations: { d: D } } : {}),
    onProgress: progress,
    tauEnd,
    ...(o.points !== undefined ? { points: numberValue(o.points, '--points') } : {}),
    logGrid: !!o.logGrid,
    init,
    initSource,
    sets,
    rtol: numberValue(o.rtol, '--rtol'),
    atol: numberValue(o.atol, '--atol'),
    ...(ruled ? { rules, d: D, gamma: Number.isFinite(gamma) ? gamma : undefined, nb } : {}),
    ...(o.discard !== undefined ? { discard: { q: numberValue(o.discard, '--discard'), ...(o.discardNodes !== undefined ? { nodes: integerValue(o.discardNodes, '--discard-nodes', 2) } : {}) } } : {}),
    ...(o.discard !== undefined && !ruled && nb !== undefined ? { nb } : {}),
  });
  progress.stop();
  if (nb !== undefined && !ruled) countSteps(traj, D, nb);
  return { d, traj };
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
  out(`convention: canonical (file: ${m.fileConvention}); time τ = ${m.rules ? 'Σ γ_t over steps' : 'γ·steps, α = samples/d = τ/η̄'}; params ${Object.entries(m.params).filter(([k]) => !(m.rules && k === 'eta_bar')).map(([k, v]) => `${k}=${num(v as number)}`).join(' ')}`);
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
    const fm = m.fluctuations as { d: number; method: string };
    const rows = roundRows(traj.tau, 9).map((i) => [traj.tau[i], `${num(traj.risk[i], 4)} ± ${num(std.risk[i], 2)}`, ...std.M[i].flat().slice(0, 4).map((x) => num(x, 3)), ...std.Q[i].map((r, j) => r[j]).slice(0, 2).map((x) => num(x, 3))]);
    const names = [...traj.M[0].flatMap((r, j) => r.map((_, c) => `M_${j + 1}_${c + 1}`)).slice(0, 4), ...traj.Q[0].map((_, j) => `Q_${j + 1}_${j + 1}`).slice(0, 2)].map((x) => `std ${x}`);
    out(`\nfluctuations of one run at d = ${fm.d} (${fm.method}):`);
    out(table(['τ', 'risk ± std', ...names], rows));
  }
  const it = m.integrator;
  out(`${it.jacobians !== undefined ? 'implicit' : 'odex'}: ${it.accepted} steps (${it.rejected} rejected), ${it.evaluations} RHS evaluations${it.jacobians !== undefined ? `, ${it.jacobians} Jacobians` : ''}, ${it.wallMs.toFixed(1)} ms, rtol ${it.rtol}`);
}

/** A standard deviation or scale typed by the user: finite and ≥ 0. */
function nonNegative(v: number, field: string): number {
  if (!(v >= 0)) throw usageError('must be ≥ 0 (a standard deviation)', { field, value: v });
  return v;
}
