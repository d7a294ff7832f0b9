/** `hermode diagnose`: gradient norms, step lengths and loss changes against n_b, theory beside simulation (THEORY §4.7). */
import { join } from 'node:path';
import { deriveFile } from '../pipeline.ts';
import { readOverlapsFile, parseAssignments, resolveParams, numberValue, integerValue, defaultOverlaps, teacherOverlaps } from '../numeric/setup.ts';
import { runIntegration } from '../numeric/run.ts';
import { diagnose, type DiagnoseResult } from '../studies/diagnose.ts';
import { learningRate } from '../numeric/rate.ts';
import { usageError, failure } from '../errors.ts';
import { num, table } from '../report/format.ts';
import { progressReporter } from './progress.ts';
import type { Overlaps } from '../numeric/trajectory.ts';
import { SEEDS_BOUND, D_BOUND, WORKERS_BOUND } from '../limits.ts';
import { out, announceStage } from './print.ts';
import { writeReportDir } from './report.ts';

export interface DiagnoseOpts {
  d: string;
  nb: string;
  set?: string[];
  tau?: string;
  etaBar: string;
  init?: string;
  seeds: string;
  seed: string;
  engine: string;
  workers: string;
  json?: boolean;
  out?: string;
  quiet?: boolean;
}

export async function diagnoseCommand(file: string, o: DiagnoseOpts): Promise<void> {
  const der = deriveFile(file, undefined, announceStage);
  const d = integerValue(o.d, '--d', der.model.p + der.model.k, D_BOUND);
  const nbs = String(o.nb).split(',').map((x) => integerValue(x.trim(), '--nb', 1));
  if (!nbs.length) throw usageError('give batch sizes, e.g. 1,10,100,1000', { field: '--nb', value: o.nb });
  if (o.tau !== undefined && o.init) throw usageError('give --tau or --init, not both', { field: '--tau' });
  if (!['full', 'reduced'].includes(o.engine)) throw usageError('full | reduced', { field: '--engine', value: o.engine });
  const sets = parseAssignments(o.set);
  const gamma = learningRate(sets, { d, nb: nbs[0], p: der.model.p, k: der.model.k });
  const reps = integerValue(o.seeds, '--seeds', 0, SEEDS_BOUND);
  let start: Overlaps;
  let stateSource: string;
  if (o.init) {
    start = readOverlapsFile(o.init, der.model);
    stateSource = `file ${o.init}`;
  } else {
    const tau = numberValue(o.tau ?? '0', '--tau');
    if (!(tau >= 0)) throw usageError('must be ≥ 0', { field: '--tau', value: o.tau });
    const eta = numberValue(o.etaBar, '--eta-bar');
    if (!(eta >= 0)) throw usageError('must be ≥ 0', { field: '--eta-bar', value: o.etaBar });
    start = defaultOverlaps(der.model, 1);
    stateSource = `default start (Q = I, M_jr ~ N(0, 1/1000), seed 1)`;
    if (tau > 0) {
      const traj = runIntegration(der, { tauEnd: tau, points: 2, init: start, sets: { ...sets, eta_bar: eta } });
      if (traj.status !== 'completed') throw failure(`the ODE to τ = ${tau} stopped: ${traj.message}`);
      const i = traj.tau.length - 1;
      start = { M: traj.M[i], Q: traj.Q[i], P: start.P, a: traj.a[i] };
      stateSource = `the ODE at τ = ${tau} (η̄ = ${eta}) from the default start`;
    }
  }
  const params = resolveParams(der.model, der.layout, sets, start.P);
  start.P = teacherOverlaps(params, der.layout);
  const bar = progressReporter('simulating', 'batch sizes', o.quiet);
  let r: DiagnoseResult;
  try {
    r = await diagnose(der, { d, nbs, gamma, params, start, stateSource, reps, seed: integerValue(o.seed, '--seed', 0), engine: o.engine as 'full' | 'reduced', workers: integerValue(o.workers, '--workers', 1, WORKERS_BOUND), onProgress: bar });
  } finally {
    bar.stop();
  }
  if (o.out) await writeDiagnoseReport(o.out, r);
  if (o.json) return void out(JSON.stringify(r));
  printDiagnose(r);
  if (o.out) out(`wrote ${join(o.out, 'report.html')}, grad.svg, step.svg, loss.svg and diagnose.json`);
}

function printDiagnose(r: DiagnoseResult): void {
  const m = r.meta as Record<string, any>;
  out(`${r.name}: large-batch diagnostics at d = ${r.d}, γ = ${num(r.gamma)}; ${m.dynamics} SGD, ${m.loss} loss; expectations: ${m.expectations}`);
  out(`convention: canonical (η̄ = γd/n_b); one SGD step at rate γ from the state below (τ advances by γ)`);
  out(`state: ${m.state}; risk ε = ${num(r.risk)}; gradient noise scale n_b* = d Σ c²V/Σ c²G = ${num(r.noiseScale, 4)} (signal Σ c²G = ${num(r.signal, 4)})`);
  const pm = (x?: { mean: number; sem: number }) => (x ? `${num(x.mean, 4)}±${num(x.sem, 2)}` : '—');
  out(
    table(
      ['n_b', 'η̄ = γd/n_b', '‖g_W‖ theory', '‖g_W‖ sim', '‖ΔW‖/‖W‖ theory', '‖ΔW‖/‖W‖ sim', 'E[Δε] theory', '(noise part)', 'Δε sim', 'κ LARS', 'κ CBLR'],
      r.points.map((p) => [p.nb, p.etaBar, p.theory.gradW, pm(p.sim?.gradW), p.theory.relStepW, pm(p.sim?.relStepW), p.theory.lossChange, p.theory.lossNoise, pm(p.sim?.lossChange), p.theory.larsCurvature, p.theory.cblrCurvature]),
    ),
  );
  if (r.points.some((p) => p.theory.grad2A !== undefined))
    out(table(['n_b', '‖g_a‖ theory', '‖g_a‖ sim'], r.points.map((p) => [p.nb, Math.sqrt(p.theory.grad2A as number), p.sim?.grad2A ? `${num(Math.sqrt(p.sim.grad2A.mean), 4)}±${num(p.sim.grad2A.sem / (2 * Math.sqrt(p.sim.grad2A.mean)), 2)}` : '—'])));
  out(`theory: THEORY §4.7 (‖g_W‖ = √E‖g_W‖²; E[Δε] = γ dε/dτ to first order in γ); κ LARS = ‖g_W‖/‖W‖ (LARS's rate is γ0 over it), κ CBLR = curvature of the loss along the gradient (§4.6); simulation: ${m.simulation}`);
  if (m.secondLayer) out(`note: ${m.secondLayer}`);
}

async function writeDiagnoseReport(dir: string, r: DiagnoseResult): Promise<void> {
  const { diagnosePlots, diagnoseHtml } = await import('../report/diagnoseReport.ts');
  const plots = await diagnosePlots(r);
  await writeReportDir(dir, [...plots.map((p) => ({ name: p.name, content: p.svg })), { name: 'diagnose.json', content: JSON.stringify(r, null, 1) + '\n' }, { name: 'report.html', content: diagnoseHtml(r, plots) }]);
}
