/** `hermode giant`: a few giant (large-batch) steps of the first layer, THEORY §4.3. */
import { join } from 'node:path';
import { loadSpecFile } from '../spec/load.ts';
import { deriveSpec } from '../pipeline.ts';
import { runGiant, type GiantReport } from '../studies/giant.ts';
import { readOverlapsFile, parseAssignments, resolveParams, numberValue, integerValue, teacherOverlaps } from '../numeric/setup.ts';
import { evaluateExpression } from '../symbolic/expr.ts';
import { usageError } from '../errors.ts';
import { progressReporter } from './progress.ts';
import { num, table } from '../report/format.ts';
import { SEEDS_BOUND, D_BOUND, WORKERS_BOUND } from '../limits.ts';
import { out, warn } from './print.ts';
import { timeLimitOf } from '../numeric/outcome.ts';
import { writeReportDir } from './report.ts';

export interface GiantOpts {
  /** --time-limit S, or false for --no-time-limit */
  timeLimit?: string | false;
  alpha: string;
  steps: string;
  gamma: string;
  batch?: string;
  kappa?: string;
  d: string;
  seeds: string;
  engine: string;
  sim: boolean;
  ridge: string;
  init?: string;
  start: string;
  set?: string[];
  workers: string;
  json?: boolean;
  out?: string;
  quiet?: boolean;
}

const list = (text: string, field: string) => text.split(',').map((s) => numberValue(s.trim(), field));

export async function giantCommand(file: string, o: GiantOpts): Promise<void> {
  // options first: nothing is derived or written when one is wrong
  const alphas = list(o.alpha, '--alpha');
  const bad = alphas.find((a) => !(a > 0));
  if (bad !== undefined) throw usageError('α must be > 0 (n = α d^κ samples per step)', { field: '--alpha', value: o.alpha });
  if (o.batch !== undefined && o.kappa !== undefined) throw usageError('give --batch or --kappa, not both', { field: '--batch', value: o.batch });
  const kappas = o.kappa !== undefined ? list(o.kappa, '--kappa') : [1];
  if (kappas.some((x) => !(x > 0 && x <= 3))) throw usageError('κ must be in (0, 3] (n = α d^κ)', { field: '--kappa', value: o.kappa });
  const ds = o.d.split(',').map((s) => {
    const d = integerValue(s.trim(), '--d', 1, D_BOUND);
    if (!Number.isInteger(d) || d < 2) throw usageError('must be integers ≥ 2', { field: '--d', value: o.d });
    return d;
  });
  const steps = integerValue(o.steps, '--steps', 1);
  let gamma: number | 'giant';
  if (o.gamma === 'giant') gamma = 'giant';
  else {
    const g = Number(o.gamma);
    if (!(o.gamma.trim() !== '' && Number.isFinite(g) && g > 0)) throw usageError('expected giant or a positive number', { field: '--gamma', value: o.gamma });
    gamma = g;
  }
  if (o.engine !== 'full' && o.engine !== 'reduced') throw usageError('expected full or reduced', { field: '--engine', value: o.engine });
  const seeds = integerValue(o.seeds, '--seeds', 1, SEEDS_BOUND);
  const ridge = numberValue(o.ridge, '--ridge');
  if (!(ridge >= 0)) throw usageError('must be ≥ 0', { field: '--ridge', value: o.ridge });
  const workers = integerValue(o.workers, '--workers', 1, WORKERS_BOUND);
  let batch: ((d: number) => number) | undefined;
  if (o.batch !== undefined) {
    const text = o.batch;
    batch = (d: number) => {
      const n = Math.round(evaluateExpression(text, { d }, '--batch'));
      if (!(n >= 1)) throw usageError(`evaluates to ${n} at d = ${d}: expected at least one sample`, { field: '--batch', value: text });
      return n;
    };
    ds.forEach(batch);
  }

  const spec = loadSpecFile(file);
  if (spec.student.second_layer.train)
    throw usageError('giant steps act on the first layer: the second layer must not be trained (it is fitted after the steps)', { file, field: 'student.second_layer.train' });
  const der = deriveSpec({ ...spec, dynamics: 'projected' });
  const sets = parseAssignments(o.set);
  if (sets.gamma !== undefined || sets.eta_bar !== undefined) throw usageError('the step size is --gamma here', { field: '--set', value: sets.gamma ?? sets.eta_bar });
  const init = o.init ? readOverlapsFile(o.init, der.model) : null;
  const params = resolveParams(der.model, der.layout, sets, init?.P);
  const P = teacherOverlaps(params, der.layout);
  const { p, k } = der.model;
  if (o.start !== 'zero' && o.start !== 'typical') throw usageError('expected zero (M = 0) or typical (M_jr = d^-1/2)', { field: '--start', value: o.start });
  if (init && o.start !== 'zero') throw usageError('give --init or --start, not both', { field: '--start', value: o.start });
  const start = (d: number) =>
    init ?? {
      M: Array.from({ length: p }, () => new Array(k).fill(o.start === 'typical' ? 1 / Math.sqrt(d) : 0)),
      Q: Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => (j === l ? 1 : 0))),
      P,
      a: der.model.a0.slice(),
    };
  start(ds[0]).a.forEach((v, j) => (params[der.layout.aParam + j] = v));
  const progress = progressReporter('giant', 'cases', !!o.quiet);
  const report = await runGiant(der, {
    timeLimit: timeLimitOf(o),
    alphas,
    kappas,
    batch,
    ds,
    steps,
    gamma,
    seeds,
    engine: o.engine,
    simulate: o.sim,
    ridge,
    params,
    start,
    initSource: o.init ? `file ${o.init}` : o.start === 'typical' ? 'M_jr = d^-1/2, Q = I (the typical random start)' : 'M = 0, Q = I',
    workers,
    onProgress: (done, total) => progress(done, total),
  });
  progress.stop();
  if (spec.dynamics !== 'projected') report.warnings.unshift(`the file says dynamics: ${spec.dynamics}; giant steps use projected updates (each neuron renormalised after the step)`);
  if (o.out) {
    const { giantPlots, giantReportHtml } = await import('../report/giantReport.ts');
    const plots = await giantPlots(report);
    await writeReportDir(o.out, [...plots.map((pl) => ({ name: pl.name, content: pl.svg })), { name: 'giant.json', content: JSON.stringify(report) + '\n' }, { name: 'report.html', content: giantReportHtml(report, plots) }]);
  }
  if (o.json) return void out(JSON.stringify(report));
  printGiant(report);
  if (o.out) out(`wrote ${join(o.out, 'report.html')}, m.svg, risk.svg, giant.json`);
}

export function printGiant(r: GiantReport): void {
  const c = r.constants;
  out(
    `${r.name}: giant steps, p = ${r.p}, k = ${r.k}, ${r.loss} loss, projected; expectations: ${r.expectations}; time unit: steps (n fresh samples each); γ = ${r.meta.gamma}`,
  );
  out(`c_1(σ) = ${num(c.c1)}, c_2(σ) = ${num(c.c2)}, E[σ′²] = ${num(c.dsigma2)}, β = (${c.beta.map((b) => num(b)).join(', ')}), E[y] = ${num(c.meanY)}, E[y²] = ${num(c.meanY2)}`);
  if (r.closedFormNote) out(`closed form: not shown — ${r.closedFormNote}`);
  out(`random features (step 0, readout fitted${r.meta.ridge ? `, ridge ${r.meta.ridge}` : ''}): risk ${num(r.randomFeaturesRisk)}`);
  for (const w of r.warnings) warn(w);
  const f = (x: number) => (Number.isFinite(x) ? num(x, 5) : '—');
  for (const cs of r.cases) {
    out('');
    out(`d = ${cs.d}, n = ${cs.n} per step (α = ${num(cs.alpha, 4)}${cs.kappa !== 1 ? `, κ = ${cs.kappa}` : ''})${cs.sim ? `; simulation: ${cs.sim.seeds} seeds, ${r.meta.engine} engine` : ''}`);
    const head = ['step'];
    for (let q = 0; q < r.k; q++) head.push(`m${q + 1} closed`, `m${q + 1} map`, ...(cs.sim ? [`m${q + 1} sim ± SEM`] : []), `spread`);
    head.push('Q_jl map', ...(cs.sim ? ['Q_jl sim'] : []), 'risk readout map', ...(cs.sim ? ['risk readout sim'] : []));
    const rows = cs.steps.map((t, i) => {
      const row: (string | number)[] = [t];
      for (let q = 0; q < r.k; q++) {
        row.push(t === 1 && cs.closed ? f(cs.closed.m[q]) : '', f(cs.map.m[i][q]));
        if (cs.sim) row.push(`${f(cs.sim.m[i][q])} ± ${num(cs.sim.sem.m[i][q], 2)}`);
        row.push(f(cs.sim ? cs.sim.mSpread[i][q] : cs.map.mSpread[i][q]));
      }
      row.push(f(cs.map.qOff[i]));
      if (cs.sim) row.push(f(cs.sim.qOff[i]));
      row.push(f(cs.map.readoutRisk[i]));
      if (cs.sim) row.push(`${f(cs.sim.readoutRisk[i])} ± ${num(cs.sim.sem.readoutRisk[i], 2)}`);
      return row;
    });
    out(table(head, rows));
    if (cs.closed) out(`closed form, step 1: Q_jl = ${f(cs.closed.qOff)}`);
  }
}
