/** `hermode sweep`: escape times over d, n_b, losses and methods, with power-law fits; locally or as a Slurm job array. */
import { join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { progressReporter } from './progress.ts';
import { deriveFile } from '../pipeline.ts';
import { loadSpecFile } from '../spec/load.ts';
import { readOverlapsFile, parseAssignments, numberValue, integerValue } from '../numeric/setup.ts';
import { rulesOf, rateFromRule } from '../numeric/rule-options.ts';
import { describeRules } from '../rules/spec.ts';
import { runSweep, sweepCsv, settingsHash, sweepGrid, type SweepSettings, type Method } from '../studies/sweep.ts';
import { slurmOptions, printSubmission } from './cluster.ts';
import { submitRun } from '../cluster/slurm.ts';
import { escapeCriterion } from '../studies/escape.ts';
import { writeFileAtomic } from '../io/files.ts';
import { usageError } from '../errors.ts';
import { num, table } from '../report/format.ts';
import { LOSS_NAMES, type LossName } from '../loss/index.ts';
import { SEEDS_BOUND, D_BOUND, WORKERS_BOUND } from '../limits.ts';
import { out, warn, announceStage } from './print.ts';
import { writeReportDir } from './report.ts';

export async function sweepCommand(file: string, o: Record<string, any>): Promise<void> {
  const spec = loadSpecFile(file);
  const ds = String(o.d).split(',').map((x) => integerValue(x.trim(), '--d', 1, D_BOUND));
  if (ds.some((d) => !Number.isInteger(d) || d < spec.student.width + spec.teacher.width)) throw usageError('dimensions must be integers ≥ p + k', { field: '--d', value: o.d });
  const list = (x: string) => String(x).split(',').map((s) => s.trim()).filter(Boolean);
  const losses = list(o.loss) as LossName[];
  for (const l of losses) if (!(LOSS_NAMES as string[]).includes(l)) throw usageError(LOSS_NAMES.join(' | '), { field: '--loss', value: l });
  const methods = list(o.method) as Method[];
  for (const m of methods) if (!['ode', 'map', 'sim'].includes(m)) throw usageError('ode | map | sim', { field: '--method', value: m });
  if (!['full', 'reduced', 'auto'].includes(o.engine)) throw usageError('full | reduced | auto', { field: '--engine', value: o.engine });
  const sets = parseAssignments(o.set);
  const rules = rulesOf({ lrRule: o.lrRule }, sets, spec);
  if (rules.batch.kind !== 'constant') throw usageError('the sweep’s axis is the batch size: a batch-size rule is not swept (simulate or compare it)', { field: 'rules.batch', value: rules.batch.kind });
  const ruleSetsRate = rateFromRule(rules, sets);
  let rate: SweepSettings['rate'] = null;
  if (sets.gamma !== undefined && sets.eta_bar !== undefined) throw usageError('give gamma or eta_bar, not both', { field: '--set' });
  if (sets.gamma !== undefined) rate = { kind: 'gamma', text: sets.gamma };
  else if (sets.eta_bar !== undefined) rate = { kind: 'eta_bar', text: sets.eta_bar };
  else if (!ruleSetsRate) throw usageError('give the learning rate: --set gamma=… or --set eta_bar=… (expressions in d, nb, p, k, crit)', { field: '--set' });
  delete sets.gamma;
  delete sets.eta_bar;
  const der0 = deriveFile(file, undefined, announceStage);
  const settings: SweepSettings = {
    ds,
    nbs: list(o.nb),
    losses,
    methods,
    seeds: integerValue(o.seeds, '--seeds', 1, SEEDS_BOUND),
    seed: integerValue(o.seed, '--seed', 0),
    criterion: escapeCriterion(numberValue(o.threshold, '--threshold'), o.entry, spec.student.width, spec.teacher.width),
    rate,
    ...(rules.lr.kind !== 'constant' ? { rules } : {}),
    horizon: String(o.maxSteps),
    engine: o.engine,
    sets,
    init: o.init ? readOverlapsFile(o.init, der0.model) : null,
  };
  const hash = settingsHash(spec, settings);
  if (o.slurm) return void sweepOnSlurm(file, o, spec.name, sweepGrid(spec, settings));
  if (o.point !== undefined) {
    // one task of a cluster run: compute one point into --out/points
    if (!o.out) throw usageError('a single point is written into --out', { field: '--point' });
    const i = integerValue(o.point, '--point', 0);
    const n = sweepGrid(spec, settings).length;
    if (i >= n) throw usageError(`the sweep has ${n} points (0..${n - 1})`, { field: '--point', value: o.point });
    const { points } = await runSweep(spec, settings, o.out, integerValue(o.workers, '--workers', 1, WORKERS_BOUND), undefined, i);
    const pt = points[0];
    return void out(`point ${i} (d = ${pt.d}, n_b = ${pt.nb}, ${pt.loss}, ${pt.method}): ${pt.steps === null ? 'no escape' : `${num(pt.steps, 6)} steps`}`);
  }
  if (o.out) {
    const f = join(o.out, 'settings.json');
    if (existsSync(f)) {
      const prev = JSON.parse(readFileSync(f, 'utf8'));
      if (prev.hash !== hash) throw usageError(`holds a sweep with other settings (hash ${prev.hash}); use another --out or remove it`, { field: '--out', value: o.out });
    } else writeFileAtomic(f, JSON.stringify({ hash, file, settings }, null, 1) + '\n');
  }
  const progress = progressReporter('sweeping', 'points', o.quiet);
  let cached = 0;
  const t0 = Date.now();
  const { points, fits } = await runSweep(spec, settings, o.out ?? null, integerValue(o.workers, '--workers', 1, WORKERS_BOUND), (done, total, pt, wasCached) => {
    if (wasCached) cached++;
    progress(done, total, `d=${pt.d} nb=${pt.nb} ${pt.loss} ${pt.method}: ${pt.steps === null ? 'no escape' : `${num(pt.steps, 4)} steps`}`);
  });
  progress.stop();
  const wallS = (Date.now() - t0) / 1000;
  const crit = settings.criterion.entry ? `|M_${settings.criterion.entry[0] + 1}${settings.criterion.entry[1] + 1}| ≥ ${settings.criterion.threshold}` : `max |M_jr| ≥ ${settings.criterion.threshold}`;
  const rateText = settings.rules ? describeRules(settings.rules) + (rate ? `, first step ${rate.kind} = ${rate.text}` : '') : `${rate?.kind} = ${rate?.text}`;
  const meta = { name: spec.name, file, rate: rateText, criterion: crit, seeds: settings.seeds, horizon: settings.horizon, wallSeconds: wallS, cachedPoints: cached };
  if (o.out) {
    const { sweepPlots, sweepReportHtml } = await import('../report/sweepReport.ts');
    const plots = await sweepPlots(points);
    await writeReportDir(o.out, [
      ...plots.map((p) => ({ name: p.name, content: p.svg })),
      { name: 'sweep.csv', content: sweepCsv(points) },
      { name: 'sweep.json', content: JSON.stringify({ meta, points, fits }) + '\n' },
      { name: 'report.html', content: sweepReportHtml(spec.name, meta, points, fits, plots) },
    ]);
  }
  if (o.json) return void out(JSON.stringify({ meta, points, fits }));
  out(`${spec.name}: escape (${crit}); ${rateText}; ${settings.rules ? 'steps, samples and τ from each run’s clock' : 'steps = τ/γ, samples = n_b·steps'}; ${points.length} points in ${wallS.toFixed(1)} s${cached ? ` (${cached} from ${o.out})` : ''}`);
  const f = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : num(x, 4));
  // quartiles are a property of simulated seeds; the ODE and the map have one escape time
  const quartiles = (p: (typeof points)[number]) => (p.method === 'sim' ? `${f(p.stepsQ1)}–${f(p.stepsQ3)}` : '');
  out(table(['d', 'n_b', 'loss', 'method', 'γ', 'η̄', 'steps', 'q1–q3 (sim)', 'samples', 'escaped'], points.map((p) => [String(p.d), `${p.nbLabel}=${p.nb}`, p.loss, p.method + (p.engine ? `/${p.engine}` : ''), f(p.gamma), f(p.etaBar), f(p.steps), quartiles(p), f(p.samples), f(p.escapedFraction)]), ['r', 'l', 'l', 'l']));
  const stuck = points.filter((p) => p.steps === null);
  if (stuck.length)
    warn(
      `${stuck.length} of ${points.length} points did not escape within --max-steps = ${settings.horizon} (${stuck.map((p) => `d=${p.d} nb=${p.nb} ${p.method}`).join(', ')}): they are left out of the fits; if they should escape, raise --max-steps (an expression in d, nb, p, k, e.g. "100*d^2")`,
    );
  if (fits.length) out(table(['fit', 'group', 'loss', 'method', 'exponent (95% CI)', 'points'], fits.map((x) => [x.kind, x.group, x.loss, x.method, `${f(x.fit.slope)} ± ${f(x.fit.slopeCI95)}`, x.fit.n]), ['l', 'l', 'l', 'l', 'l', 'r']));
  if (o.out) out(`wrote ${join(o.out, 'report.html')}, sweep.csv, sweep.json, steps.svg, samples.svg`);
}

/** The sweep as a Slurm job array: one point per task, gathered by the local command. */
function sweepOnSlurm(file: string, o: Record<string, any>, name: string, grid: ReturnType<typeof sweepGrid>): void {
  if (!o.out) throw usageError('a cluster run needs its run directory: --out DIR', { field: '--slurm' });
  const so = slurmOptions(o);
  const base = [
    'sweep',
    resolve(file),
    '--d', String(o.d),
    '--nb', String(o.nb),
    '--loss', String(o.loss),
    '--method', String(o.method),
    ...((o.set as string[] | undefined) ?? []).flatMap((x) => ['--set', x]),
    ...(o.lrRule ? ['--lr-rule', String(o.lrRule)] : []),
    '--seeds', String(o.seeds),
    '--seed', String(o.seed),
    '--threshold', String(o.threshold),
    ...(o.entry ? ['--entry', String(o.entry)] : []),
    '--max-steps', String(o.maxSteps),
    '--engine', String(o.engine),
    ...(o.init ? ['--init', resolve(o.init)] : []),
    '--out', resolve(o.out),
    '--quiet',
  ];
  const workers = o.cpusPerTask ?? '1';
  const plan = {
    kind: 'sweep' as const,
    name,
    cwd: process.cwd(),
    tasks: grid.map((g, i) => ({ index: i, label: g.key, results: [join('points', `${g.key}.json`)], argv: [...base, '--workers', workers, '--point', String(i)] })),
    gather: base,
  };
  printSubmission(o.out, plan.tasks.length, submitRun(o.out, plan, so), so.dryRun);
}
