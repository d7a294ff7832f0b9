/** `hermode simulate`: Monte-Carlo SGD at finite d (full or reduced engine), locally or as a Slurm job array; what `compare` and `integrate --init-from-sim` share of it. */
import { join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import type { SeedResult } from '../simulate/kernel.ts';
import { slurmOptions, printSubmission } from './cluster.ts';
import { submitRun } from '../cluster/slurm.ts';
import { progressReporter } from './progress.ts';
import { deriveFile, type Derivation } from '../pipeline.ts';
import { prepareSimulation, simulationRequest, stepsOf, type SimOpts, type Prepared } from '../simulate/options.ts';
import { simulate, aggregate, kernelConfig, meanInitial, type SimulationResult } from '../simulate/simulate.ts';
import { runSeeds } from '../simulate/pool.ts';
import { readOverlapsFile, integerValue } from '../numeric/setup.ts';
import { trajectoryCsv, type Overlaps, type Trajectory } from '../numeric/trajectory.ts';
import { writeFileAtomic } from '../io/files.ts';
import { usageError } from '../errors.ts';
import { requireCompleted } from '../numeric/outcome.ts';
import { isConstant } from '../rules/spec.ts';
import { num, table, sampleRows, roundRows } from '../report/format.ts';
import { D_BOUND } from '../limits.ts';
import { out, announceStage } from './print.ts';

export { stepsOf, type SimOpts, type Prepared };

export function prepare(file: string, o: SimOpts): Prepared {
  const d = deriveFile(file, undefined, announceStage);
  const init = o.init ? readOverlapsFile(o.init, d.model) : null;
  return prepareSimulation(d, o, init ? { init, source: `file ${o.init}` } : null);
}

/** A cluster task's seeds: one file per seed, written atomically. */
function writeSeedResults(dir: string, runs: SeedResult[]): void {
  for (const r of runs) writeFileAtomic(join(dir, `seed-${r.seed}.json`), JSON.stringify(r) + '\n');
}

function readSeedResults(dir: string, seeds: number[]): SeedResult[] {
  return seeds.map((sd) => {
    const f = join(dir, `seed-${sd}.json`);
    if (!existsSync(f)) throw usageError(`has no result for seed ${sd}`, { field: '--from-seed-results', value: dir });
    return JSON.parse(readFileSync(f, 'utf8')) as SeedResult;
  });
}

export async function runSim(pr: Prepared, o: SimOpts & { threshold?: string; entry?: string }, steps: number): Promise<SimulationResult> {
  const bar = progressReporter('simulating', 'steps', o.quiet);
  const riskBar = progressReporter('the risk at the recorded states', 'states', o.quiet);
  try {
    const sim = await simulate(pr.d, {
      ...simulationRequest(pr, o, steps),
      onProgress: bar,
      onRiskProgress: riskBar,
      seedResults: o.fromSeedResults ? readSeedResults(o.fromSeedResults, pr.seeds) : undefined,
      onSeedResults: o.seedResults ? (runs) => writeSeedResults(o.seedResults as string, runs) : undefined,
    });
    requireCompleted(sim, 'the simulation', { file: pr.d.model.spec.file });
    return sim;
  } finally {
    bar.stop();
    riskBar.stop();
  }
}



export async function simulateCommand(file: string, o: SimOpts & { steps?: string; tau?: string; saveInit?: string; json?: boolean; csv?: boolean; out?: string; threshold?: string; entry?: string; slurm?: boolean; chunk?: string } & Record<string, any>): Promise<void> {
  if (o.json && o.csv) throw usageError('give --json or --csv, not both', { field: '--csv' });
  const pr = prepare(file, o);
  const steps = stepsOf(pr, o);
  if (o.slurm) return simulateOnSlurm(file, o, pr);
  const sim = await runSim(pr, o, steps);
  const result = { ...sim, mean: sim.mean, sem: sim.sem };
  const files: { path: string; content: string }[] = [];
  if (o.saveInit) files.push({ path: o.saveInit, content: JSON.stringify(meanInitial(sim), null, 1) + '\n' });
  if (o.out) files.push({ path: o.out, content: o.out.endsWith('.csv') ? trajectoryCsv(sim.mean) : JSON.stringify(result) + '\n' });
  for (const f of files) writeFileAtomic(f.path, f.content);
  if (o.json) {
    out(JSON.stringify(result));
    return;
  }
  if (o.csv) {
    out(trajectoryCsv(sim.mean));
    return;
  }
  const m = sim.meta as any;
  const ruled = !isConstant(pr.rules);
  out(`${m.name}: ${m.engine} simulator, d = ${m.d}, ${ruled ? m.rules : `n_b = ${m.nb}, γ = ${num(m.gamma)}, η̄ = γd/n_b = ${num(m.eta_bar)}`}, ${m.seeds.length} seeds, ${m.dynamics} SGD, ${m.loss} loss`);
  out(`convention: canonical; ${ruled ? 'τ = Σ γ_t and samples = Σ n_b per seed (their mean), γ and n_b of the step taken from the row' : 'τ = γ·steps, samples = n_b·steps'}; mean ± standard error over seeds; risk from the overlaps (${pr.d.plan.label})`);
  const p = pr.d.model.p;
  const k = pr.d.model.k;
  const cols: { name: string; v: (i: number) => string }[] = [];
  const pm = (mean: number, sem: number) => `${num(mean, 4)}±${num(sem, 2)}`;
  cols.push({ name: 'risk', v: (i) => pm(sim.mean.risk[i], sim.sem.risk[i]) });
  for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) cols.push({ name: `M${j + 1}${r + 1}`, v: (i) => pm(sim.mean.M[i][j][r], sim.sem.M[i][j][r]) });
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) cols.push({ name: `Q${j + 1}${l + 1}`, v: (i) => pm(sim.mean.Q[i][j][l], sim.sem.Q[i][j][l]) });
  const shown = cols.slice(0, ruled ? 6 : 8);
  const rate = ruled ? ['γ', 'n_b'] : [];
  out(table(['steps', 'τ', 'samples', ...rate, ...shown.map((c) => c.name)], (ruled ? sampleRows(sim.steps.length, 14) : roundRows(sim.steps, 15)).map((i) => [sim.steps[i], sim.tau[i], sim.samples[i], ...(ruled ? [pm((sim.mean.gamma as number[])[i], (sim.sem.gamma as number[])[i]), pm((sim.mean.nb as number[])[i], (sim.sem.nb as number[])[i])] : []), ...shown.map((c) => c.v(i))])));
  if (cols.length > shown.length) out(`(${cols.length - shown.length} more columns: use --json or --csv)`);
  if (m.escape) {
    const e = m.escape;
    out(
      e.medianSteps !== null
        ? `escape (|M| ≥ ${e.criterion.threshold}): median ${num(e.medianSteps)} steps (quartiles ${e.q1Steps === null ? '—' : num(e.q1Steps)}–${e.q3Steps === null ? '> horizon' : num(e.q3Steps)}), τ = ${num(e.medianTau)}, samples = ${num(e.medianSamples)}; ${Math.round(e.escapedFraction * 100)} % of seeds escaped within ${e.horizonSteps} steps`
        : `escape (|M| ≥ ${e.criterion.threshold}): ${Math.round(e.escapedFraction * 100)} % of seeds escaped within ${e.horizonSteps} steps (median beyond the horizon)`,
    );
  }
  out(`wall time ${(m.wallMs / 1000).toFixed(2)} s on ${pr.workers} worker(s)${files.length ? `; wrote ${files.map((f) => f.path).join(', ')}` : ''}`);
}

/** Initial overlaps a simulation would start from (step 0 only), for integrate --init-from-sim. */
export async function simulationStart(d: Derivation, o: { d: string; seeds: string; seed: string; teacher: string; engine: string }): Promise<Overlaps> {
  const D = integerValue(o.d, '--d', 1, D_BOUND);
  // --seeds N (from --seed) or --seeds A-B
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(o.seeds);
  if (range && Number(range[2]) < Number(range[1])) throw usageError('a seed range A-B needs A ≤ B', { field: '--seeds', value: o.seeds });
  const n = range ? Number(range[2]) - Number(range[1]) + 1 : integerValue(o.seeds, '--seeds', 1);
  const s0 = range ? Number(range[1]) : integerValue(o.seed, '--seed', 0);
  const runs = await runSeeds(
    kernelConfig(d, { d: D, nb: 1, gamma: 0, params: [...d.layout.defaultParams], steps: 0, record: [0], teacher: o.teacher as 'orthonormal' | 'random', init: null }),
    Array.from({ length: n }, (_, i) => s0 + i),
    o.engine as 'full' | 'reduced',
    1,
  );
  const trajs: Trajectory[] = runs.map((r) => ({ tau: [0], M: r.M, Q: r.Q, a: r.a, risk: [0], status: 'completed', meta: { P: r.P } }));
  const { mean } = aggregate(trajs);
  return { M: mean.M[0], Q: mean.Q[0], P: runs[0].P, a: mean.a[0] };
}

/**
 * The simulation as a Slurm job array: chunks of seeds per task (--chunk, default 8), each seed's raw
 * result in DIR/seeds; the gather job runs the same command over those results into DIR/simulation.json.
 */
function simulateOnSlurm(file: string, o: Record<string, any>, pr: Prepared): void {
  if (!o.out) throw usageError('a cluster run needs its run directory: --out DIR', { field: '--slurm' });
  if (o.saveInit || o.csv) throw usageError('not with --slurm: gather the run, then use its simulation.json', { field: o.saveInit ? '--save-init' : '--csv' });
  const so = slurmOptions(o);
  const chunk = integerValue(o.chunk ?? '8', '--chunk', 1);
  const dir = resolve(o.out);
  const base = [
    'simulate',
    resolve(file),
    '--d', String(o.d),
    '--nb', String(o.nb),
    ...((o.set as string[] | undefined) ?? []).flatMap((x) => ['--set', x]),
    ...(o.steps !== undefined ? ['--steps', String(o.steps)] : ['--tau', String(o.tau)]),
    ...(o.points !== undefined ? ['--points', String(o.points)] : []),
    ...(o.logGrid ? ['--log-grid'] : []),
    '--engine', String(o.engine),
    // a task's wall time is the cluster's to limit (--time), not the local estimate's
    '--no-time-limit',
    '--teacher', String(o.teacher),
    ...(o.lrRule ? ['--lr-rule', String(o.lrRule)] : []),
    ...(o.discard !== undefined ? ['--discard', String(o.discard)] : []),
    ...(o.batchRule ? ['--batch-rule', String(o.batchRule)] : []),
    ...(o.batchSchedule !== undefined ? ['--batch-schedule', String(o.batchSchedule)] : []),
    ...(o.lrSchedule !== undefined ? ['--lr-schedule', String(o.lrSchedule)] : []),
    ...(o.init ? ['--init', resolve(o.init)] : []),
    ...(o.threshold !== undefined ? ['--threshold', String(o.threshold)] : []),
    ...(o.entry ? ['--entry', String(o.entry)] : []),
    '--quiet',
  ];
  const seeds = pr.seeds;
  const tasks = [];
  for (let i = 0; i * chunk < seeds.length; i++) {
    const part = seeds.slice(i * chunk, (i + 1) * chunk);
    const a = part[0];
    const b = part[part.length - 1];
    tasks.push({ index: i, label: `seeds ${a}-${b}`, results: part.map((sd) => join('seeds', `seed-${sd}.json`)), argv: [...base, '--workers', o.cpusPerTask ?? '1', '--seeds', `${a}-${b}`, '--seed-results', join(dir, 'seeds')] });
  }
  const plan = {
    kind: 'simulate' as const,
    name: pr.d.model.name,
    cwd: process.cwd(),
    tasks,
    gather: [...base, '--seeds', `${seeds[0]}-${seeds[seeds.length - 1]}`, '--from-seed-results', join(dir, 'seeds'), '--out', join(dir, 'simulation.json')],
  };
  printSubmission(o.out, tasks.length, submitRun(o.out, plan, so), so.dryRun);
}
