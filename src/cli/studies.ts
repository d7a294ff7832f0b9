/** `hermode map` and `hermode sweep`. */
import { join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { progressReporter, announceStage } from './progress.ts';
import { deriveFile, odeModule } from '../pipeline.ts';
import { loadSpecFile } from '../spec/load.ts';
import { runMap } from '../numeric/run.ts';
import { trajectoryCsv } from '../numeric/trajectory.ts';
import { readOverlapsFile, parseAssignments, resolveParams, numberValue, integerValue, teacherOverlaps } from '../numeric/setup.ts';
import { rulesOf, ruleRate, rateFromRule, startBatch } from './rules.ts';
import { describeRules } from '../rules/spec.ts';
import { runSweep, sweepCsv, settingsHash, sweepGrid, type SweepSettings, type Method } from '../studies/sweep.ts';
import { slurmOptions, printSubmission } from './cluster.ts';
import { submitRun } from '../cluster/slurm.ts';
import { typicalStart, escapeCriterion, escapeFunction } from '../studies/escape.ts';
import { writeFileAtomic, copyTree } from '../io/files.ts';
import { usageError } from '../errors.ts';
import { requireCompleted } from './outcome.ts';
import { num, table, sampleRows } from '../report/format.ts';
import { LOSS_NAMES, type LossName } from '../loss/index.ts';
import { SEEDS_BOUND, D_BOUND, WORKERS_BOUND } from '../limits.ts';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');



export async function mapCommand(file: string, o: Record<string, any>): Promise<void> {
  if (o.json && o.csv) throw usageError('give --json or --csv, not both', { field: '--csv' });
  const der = odeModule(file, undefined, announceStage);
  const d = integerValue(o.d, '--d', 1, D_BOUND);
  const nb = numberValue(o.nb, '--nb');
  if (!Number.isInteger(d) || d < 1) throw usageError('must be a positive integer', { field: '--d', value: o.d });
  if (!Number.isInteger(nb) || nb < 1) throw usageError('must be a positive integer', { field: '--nb', value: o.nb });
  const steps = integerValue(o.steps, '--steps', 1);
  const sets = parseAssignments(o.set);
  const scope = { d, nb, p: der.model.p, k: der.model.k };
  const rules = rulesOf(o, sets, der.model.spec);
  const gamma = ruleRate(rules, sets, scope);
  const init = o.init ? readOverlapsFile(o.init, der.model) : null;
  const params = resolveParams(der.model, der.layout, sets, init?.P);
  params[der.layout.etaBar] = Number.isFinite(gamma) ? (gamma * d) / startBatch(rules, nb) : 0;
  const P = teacherOverlaps(params, der.layout);
  const start = init ?? typicalStart(der, d, P);
  if (!der.layout.trained) start.a.forEach((v, j) => (params[der.layout.aParam + j] = v));
  const crit = o.threshold !== undefined ? escapeCriterion(numberValue(o.threshold, '--threshold'), o.entry, der.model.p, der.model.k) : null;
  const bar = progressReporter('iterating the map', 'steps', o.quiet);
  let traj: ReturnType<typeof runMap>;
  try {
    traj = runMap(der, { gamma, d, nb, steps, params, P, start, rules, onProgress: bar, initSource: o.init ? `file ${o.init}` : 'typical random start: Q = I, M_jr = d^-1/2', escape: crit ? escapeFunction(der, crit) : undefined });
  } finally {
    bar.stop();
  }
  requireCompleted(traj, 'the finite-step map', { file });
  const escapeStep = traj.meta.escapeStep as number | undefined;
  if (o.out) writeFileAtomic(o.out, o.out.endsWith('.csv') ? trajectoryCsv(traj) : JSON.stringify(traj) + '\n');
  if (o.json) return void out(JSON.stringify(traj));
  if (o.csv) return void out(trajectoryCsv(traj));
  const ruled = traj.meta.rules !== undefined;
  out(`${der.model.name}: finite-step map, d = ${d}, ${ruled ? String(traj.meta.rules) : `n_b = ${nb}, γ = ${num(gamma)}, η̄ = γd/n_b = ${num((gamma * d) / nb)}`}, ${der.model.dynamics} SGD, ${der.model.loss} loss`);
  const p = der.model.p;
  const k = der.model.k;
  const cols: { name: string; v: (i: number) => number }[] = [{ name: 'risk', v: (i) => traj.risk[i] }];
  for (let j = 0; j < p; j++) for (let q = 0; q < k; q++) cols.push({ name: `M${j + 1}${q + 1}`, v: (i) => traj.M[i][j][q] });
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) cols.push({ name: `Q${j + 1}${l + 1}`, v: (i) => traj.Q[i][j][l] });
  const shown = cols.slice(0, ruled ? 7 : 9);
  const rateCols = ruled ? ['γ', 'n_b'] : [];
  out(table(['step', 'τ', 'samples', ...rateCols, ...shown.map((c) => c.name)], sampleRows(traj.tau.length, numberValue(o.points, '--points')).map((i) => [traj.steps![i], traj.tau[i], traj.samples![i], ...(ruled ? [traj.gamma![i], traj.nb![i]] : []), ...shown.map((c) => c.v(i))])));
  if (ruled) out('γ, n_b: the rate and batch the rule gives at the state of the row (those of the step taken from it)');
  const at = escapeStep !== undefined ? traj.steps!.indexOf(escapeStep) : -1;
  if (escapeStep !== undefined) out(`escape (|M| ≥ ${crit?.threshold}) at step ${escapeStep}: τ = ${num(traj.tau[at])}, samples = ${traj.samples![at]}`);
  else if (crit) out(`no escape within ${steps} steps`);
}

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
    const { katexDistDir } = await import('../report/html.ts');
    const plots = await sweepPlots(points);
    copyTree(katexDistDir(), join(o.out, 'katex'));
    for (const p of plots) writeFileAtomic(join(o.out, p.name), p.svg);
    writeFileAtomic(join(o.out, 'sweep.csv'), sweepCsv(points));
    writeFileAtomic(join(o.out, 'sweep.json'), JSON.stringify({ meta, points, fits }) + '\n');
    writeFileAtomic(join(o.out, 'report.html'), sweepReportHtml(spec.name, meta, points, fits, plots));
  }
  if (o.json) return void out(JSON.stringify({ meta, points, fits }));
  out(`${spec.name}: escape (${crit}); ${rateText}; ${settings.rules ? 'steps, samples and τ from each run’s clock' : 'steps = τ/γ, samples = n_b·steps'}; ${points.length} points in ${wallS.toFixed(1)} s${cached ? ` (${cached} from ${o.out})` : ''}`);
  const f = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : num(x, 4));
  // quartiles are a property of simulated seeds; the ODE and the map have one escape time
  const quartiles = (p: (typeof points)[number]) => (p.method === 'sim' ? `${f(p.stepsQ1)}–${f(p.stepsQ3)}` : '');
  out(table(['d', 'n_b', 'loss', 'method', 'γ', 'η̄', 'steps', 'q1–q3 (sim)', 'samples', 'escaped'], points.map((p) => [String(p.d), `${p.nbLabel}=${p.nb}`, p.loss, p.method + (p.engine ? `/${p.engine}` : ''), f(p.gamma), f(p.etaBar), f(p.steps), quartiles(p), f(p.samples), f(p.escapedFraction)]), ['r', 'l', 'l', 'l']));
  const stuck = points.filter((p) => p.steps === null);
  if (stuck.length)
    out(
      `warning: ${stuck.length} of ${points.length} points did not escape within --max-steps = ${settings.horizon} (${stuck.map((p) => `d=${p.d} nb=${p.nb} ${p.method}`).join(', ')}): they are left out of the fits; if they should escape, raise --max-steps (an expression in d, nb, p, k, e.g. "100*d^2")`,
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
