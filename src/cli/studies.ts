/** `hermode map` and `hermode sweep`. */
import { Command } from 'commander';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { deriveFile } from '../pipeline.ts';
import { loadSpecFile } from '../spec/load.ts';
import { iterateMap } from '../numeric/map.ts';
import { stateOf, overlapsOf, type Trajectory } from '../numeric/trajectory.ts';
import { readOverlapsFile, parseAssignments, resolveParams, numberValue, teacherOverlaps } from '../numeric/setup.ts';
import { learningRate } from '../simulate/simulate.ts';
import { runSweep, sweepCsv, settingsHash, type SweepSettings, type Method } from '../studies/sweep.ts';
import { typicalStart, escapeFunction } from '../studies/escape.ts';
import { sweepPlots, sweepReportHtml } from '../report/sweepReport.ts';
import { trajectoryCsv } from './integrate.ts';
import { writeFileAtomic, copyTree } from '../io/files.ts';
import { katexDistDir } from '../report/html.ts';
import { usageError, failure } from '../errors.ts';
import { num, table, sampleRows } from './format.ts';
import { availableParallelism } from 'node:os';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

export function criterionOf(threshold: string, entry: string | undefined, p: number, k: number) {
  const t = numberValue(threshold, '--threshold');
  if (!(t > 0)) throw usageError('must be > 0', { field: '--threshold', value: threshold });
  if (!entry || entry === 'max') return { threshold: t, entry: null };
  const m = /^M_?(\d+)_?(\d+)$/.exec(entry);
  if (!m) throw usageError('expected max or M_j_r (1-based)', { field: '--entry', value: entry });
  const j = Number(m[1]) - 1;
  const r = Number(m[2]) - 1;
  if (j < 0 || j >= p || r < 0 || r >= k) throw usageError(`out of range for p = ${p}, k = ${k}`, { field: '--entry', value: entry });
  return { threshold: t, entry: [j, r] as [number, number] };
}

export function registerStudyCommands(program: Command): void {
  program
    .command('map')
    .description('iterate the finite-step overlap map (mean dynamics at finite γ, with the squared mean gradient G): the right tool when n_b ≳ d/η̄')
    .argument('<file>', 'derivation file')
    .option('--d <d>', 'input dimension', '1000')
    .option('--nb <n>', 'mini-batch size', '1')
    .option('--set <name=value>', 'gamma or eta_bar (expressions in d, nb, p, k), kappa, Delta, a_j, P_r_t', collect)
    .option('--steps <T>', 'steps', '100')
    .option('--init <file>', 'initial overlaps (JSON); default: the typical random start Q = I, M_jr = d^-1/2')
    .option('--threshold <x>', 'stop at escape: the first step with |M| ≥ x')
    .option('--entry <e>', 'escape entry: max (default) or M_j_r')
    .option('--points <n>', 'rows in the table (the JSON has every step)', '21')
    .option('--json', 'print the trajectory (one entry per step, step 0 included) as JSON')
    .option('--csv', 'print it as CSV')
    .option('--out <file>', 'also write the trajectory')
    .addHelpText('after', '\nExamples:\n  $ hermode map derivations/he3-single-index.yaml --d 256 --nb 65536 --set gamma=2 --steps 20\n  $ hermode map derivations/saad-solla-erf.yaml --d 1000 --nb 2000 --set gamma=0.5 --steps 50 --json')
    .action((file: string, o: Record<string, any>) => mapCommand(file, o));

  program
    .command('sweep')
    .description('escape steps and samples over a grid of d, n_b(d) and loss (ODE, map or simulation), with fitted exponents, plots and a report; resumable')
    .argument('<file>', 'derivation file')
    .requiredOption('--d <list>', 'dimensions, e.g. 256,1024,4096')
    .option('--nb <list>', 'batch sizes as expressions in d, e.g. "1,d^0.5,d,d^1.5"', '1')
    .option('--loss <list>', 'mse,correlation', 'mse')
    .option('--method <list>', 'ode,map,sim', 'ode')
    .option('--set <name=value>', 'gamma or eta_bar as an expression in d, nb, p, k and crit (η̄_crit at the start), e.g. eta_bar="0.5*crit"; kappa, Delta, …', collect)
    .option('--seeds <n>', 'seeds per simulated point', '16')
    .option('--seed <s>', 'first seed', '1')
    .option('--threshold <x>', 'escape threshold on |M|', '0.5')
    .option('--entry <e>', 'escape entry: max (default) or M_j_r')
    .option('--max-steps <expr>', 'horizon in steps, an expression in d, nb, p, k', '1e6')
    .option('--engine <e>', 'simulator: full, reduced or auto (reduced when d·p > 20000)', 'auto')
    .option('--init <file>', 'start every point from these overlaps (warm start); default: random start (simulation), Q = I, M_jr = d^-1/2 (ODE, map)')
    .option('--workers <n>', 'worker threads for simulations', String(Math.min(2, availableParallelism())))
    .option('--out <dir>', 'write points/, sweep.csv, sweep.json, steps.svg, samples.svg, report.html (points there are reused)')
    .option('--json', 'print points and fits as JSON')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      '\nExamples:\n  $ hermode sweep derivations/he3-single-index.yaml --d 256,1024,4096 --nb 1 --set eta_bar="0.5*crit" --threshold 0.5 --out out/sweep\n  $ hermode sweep derivations/he3-time-complexity.yaml --d 256 --nb "d^1.25,d^1.5,d^2" --loss mse,correlation --method map,sim --set gamma="0.032*p*nb*d^-1.5" --threshold 0.9 --out out/tc',
    )
    .action((file: string, o: Record<string, any>) => sweepCommand(file, o));
}

async function mapCommand(file: string, o: Record<string, any>): Promise<void> {
  if (o.json && o.csv) throw usageError('give --json or --csv, not both', { field: '--csv' });
  const der = deriveFile(file);
  const d = numberValue(o.d, '--d');
  const nb = numberValue(o.nb, '--nb');
  if (!Number.isInteger(d) || d < 1) throw usageError('must be a positive integer', { field: '--d', value: o.d });
  if (!Number.isInteger(nb) || nb < 1) throw usageError('must be a positive integer', { field: '--nb', value: o.nb });
  const sets = parseAssignments(o.set);
  const scope = { d, nb, p: der.model.p, k: der.model.k };
  const gamma = learningRate(sets, scope);
  const init = o.init ? readOverlapsFile(o.init, der.model) : null;
  const params = resolveParams(der.model, der.layout, sets, init?.P);
  params[der.layout.etaBar] = (gamma * d) / nb;
  const P = teacherOverlaps(params, der.layout);
  const start = init ?? typicalStart(der, d, P);
  if (!der.layout.trained) start.a.forEach((v, j) => (params[der.layout.aParam + j] = v));
  const steps = numberValue(o.steps, '--steps');
  if (!Number.isInteger(steps) || steps < 1) throw usageError('must be a positive integer', { field: '--steps', value: o.steps });
  const crit = o.threshold !== undefined ? criterionOf(o.threshold, o.entry, der.model.p, der.model.k) : null;
  const r = iterateMap(der.compiled, der.layout, stateOf(start, der.layout), params, {
    gamma, d, nb, steps, P, aFixed: start.a, dynamics: der.model.dynamics, escape: crit ? escapeFunction(der, crit) : undefined,
  });
  if (r.status === 'blow-up') throw failure(`${r.message}: γ = ${gamma} is above this model's stability limit`, { file });
  const traj: Trajectory = { tau: r.steps.map((t) => t * gamma), steps: r.steps, samples: r.steps.map((t) => t * nb), M: [], Q: [], a: [], risk: [], status: r.status, meta: {} };
  for (const y of r.y) {
    const ov = overlapsOf(y, der.layout, start.a);
    traj.M.push(ov.M);
    traj.Q.push(ov.Q);
    traj.a.push(ov.a);
    const pr = params.slice();
    if (!der.layout.trained) ov.a.forEach((v, j) => (pr[der.layout.aParam + j] = v));
    traj.risk.push(der.compiled.risk(y, pr));
  }
  if (r.escapeStep !== undefined) traj.events = [{ name: 'escape', tau: r.escapeStep * gamma }];
  traj.meta = {
    name: der.model.name, kind: 'finite-step map', convention: 'canonical', timeUnit: 'steps (τ = γ·steps)', d, nb, gamma, eta_bar: (gamma * d) / nb,
    dynamics: der.model.dynamics, loss: der.model.loss, expectations: der.plan.label, init: o.init ? `file ${o.init}` : 'typical random start: Q = I, M_jr = d^-1/2',
    params: Object.fromEntries(der.layout.paramNames.map((n, i) => [n, params[i]])), ...(r.escapeStep !== undefined ? { escapeStep: r.escapeStep } : {}),
  };
  if (o.out) writeFileAtomic(o.out, o.out.endsWith('.csv') ? trajectoryCsv(traj) : JSON.stringify(traj) + '\n');
  if (o.json) return void out(JSON.stringify(traj));
  if (o.csv) return void out(trajectoryCsv(traj));
  out(`${der.model.name}: finite-step map, d = ${d}, n_b = ${nb}, γ = ${num(gamma)}, η̄ = γd/n_b = ${num((gamma * d) / nb)}, ${der.model.dynamics} SGD, ${der.model.loss} loss`);
  const p = der.model.p;
  const k = der.model.k;
  const cols: { name: string; v: (i: number) => number }[] = [{ name: 'risk', v: (i) => traj.risk[i] }];
  for (let j = 0; j < p; j++) for (let q = 0; q < k; q++) cols.push({ name: `M${j + 1}${q + 1}`, v: (i) => traj.M[i][j][q] });
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) cols.push({ name: `Q${j + 1}${l + 1}`, v: (i) => traj.Q[i][j][l] });
  const shown = cols.slice(0, 9);
  out(table(['step', 'τ', 'samples', ...shown.map((c) => c.name)], sampleRows(traj.tau.length, numberValue(o.points, '--points')).map((i) => [traj.steps![i], traj.tau[i], traj.samples![i], ...shown.map((c) => c.v(i))])));
  if (r.escapeStep !== undefined) out(`escape (|M| ≥ ${crit?.threshold}) at step ${r.escapeStep}: τ = ${num(r.escapeStep * gamma)}, samples = ${r.escapeStep * nb}`);
  else if (crit) out(`no escape within ${steps} steps`);
}

async function sweepCommand(file: string, o: Record<string, any>): Promise<void> {
  const spec = loadSpecFile(file);
  const ds = String(o.d).split(',').map((x) => numberValue(x.trim(), '--d'));
  if (ds.some((d) => !Number.isInteger(d) || d < spec.student.width + spec.teacher.width)) throw usageError('dimensions must be integers ≥ p + k', { field: '--d', value: o.d });
  const list = (x: string) => String(x).split(',').map((s) => s.trim()).filter(Boolean);
  const losses = list(o.loss) as ('mse' | 'correlation')[];
  for (const l of losses) if (l !== 'mse' && l !== 'correlation') throw usageError('mse | correlation', { field: '--loss', value: l });
  const methods = list(o.method) as Method[];
  for (const m of methods) if (!['ode', 'map', 'sim'].includes(m)) throw usageError('ode | map | sim', { field: '--method', value: m });
  if (!['full', 'reduced', 'auto'].includes(o.engine)) throw usageError('full | reduced | auto', { field: '--engine', value: o.engine });
  const sets = parseAssignments(o.set);
  let rate: SweepSettings['rate'];
  if (sets.gamma !== undefined && sets.eta_bar !== undefined) throw usageError('give gamma or eta_bar, not both', { field: '--set' });
  if (sets.gamma !== undefined) rate = { kind: 'gamma', text: sets.gamma };
  else if (sets.eta_bar !== undefined) rate = { kind: 'eta_bar', text: sets.eta_bar };
  else throw usageError('give the learning rate: --set gamma=… or --set eta_bar=… (expressions in d, nb, p, k, crit)', { field: '--set' });
  delete sets.gamma;
  delete sets.eta_bar;
  const der0 = deriveFile(file);
  const settings: SweepSettings = {
    ds,
    nbs: list(o.nb),
    losses,
    methods,
    seeds: numberValue(o.seeds, '--seeds'),
    seed: numberValue(o.seed, '--seed'),
    criterion: criterionOf(o.threshold, o.entry, spec.student.width, spec.teacher.width),
    rate,
    horizon: String(o.maxSteps),
    engine: o.engine,
    sets,
    init: o.init ? readOverlapsFile(o.init, der0.model) : null,
  };
  const hash = settingsHash(spec, settings);
  if (o.out) {
    const f = join(o.out, 'settings.json');
    if (existsSync(f)) {
      const prev = JSON.parse(readFileSync(f, 'utf8'));
      if (prev.hash !== hash) throw usageError(`holds a sweep with other settings (hash ${prev.hash}); use another --out or remove it`, { field: '--out', value: o.out });
    } else writeFileAtomic(f, JSON.stringify({ hash, file, settings }, null, 1) + '\n');
  }
  const bar = !o.quiet && process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format: 'sweep |{bar}| {value}/{total} points | {last}', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  let cached = 0;
  const t0 = Date.now();
  const { points, fits } = await runSweep(spec, settings, o.out ?? null, numberValue(o.workers, '--workers'), (done, total, pt, wasCached) => {
    if (wasCached) cached++;
    if (bar && !started) {
      bar.start(total, 0, { last: '' });
      started = true;
    }
    bar?.update(done, { last: `d=${pt.d} nb=${pt.nb} ${pt.loss} ${pt.method}: ${pt.steps === null ? 'no escape' : `${num(pt.steps, 4)} steps`}` });
  });
  bar?.stop();
  const wallS = (Date.now() - t0) / 1000;
  const crit = settings.criterion.entry ? `|M_${settings.criterion.entry[0] + 1}${settings.criterion.entry[1] + 1}| ≥ ${settings.criterion.threshold}` : `max |M_jr| ≥ ${settings.criterion.threshold}`;
  const meta = { name: spec.name, file, rate: `${rate.kind} = ${rate.text}`, criterion: crit, seeds: settings.seeds, horizon: settings.horizon, wallSeconds: wallS, cachedPoints: cached };
  if (o.out) {
    const plots = await sweepPlots(points);
    copyTree(katexDistDir(), join(o.out, 'katex'));
    for (const p of plots) writeFileAtomic(join(o.out, p.name), p.svg);
    writeFileAtomic(join(o.out, 'sweep.csv'), sweepCsv(points));
    writeFileAtomic(join(o.out, 'sweep.json'), JSON.stringify({ meta, points, fits }) + '\n');
    writeFileAtomic(join(o.out, 'report.html'), sweepReportHtml(spec.name, meta, points, fits, plots));
  }
  if (o.json) return void out(JSON.stringify({ meta, points, fits }));
  out(`${spec.name}: escape (${crit}); ${rate.kind} = ${rate.text}; steps = τ/γ, samples = n_b·steps; ${points.length} points in ${wallS.toFixed(1)} s${cached ? ` (${cached} from ${o.out})` : ''}`);
  const f = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : num(x, 4));
  out(table(['d', 'n_b', 'loss', 'method', 'γ', 'η̄', 'steps', 'q1–q3', 'samples', 'escaped'], points.map((p) => [String(p.d), `${p.nbLabel}=${p.nb}`, p.loss, p.method + (p.engine ? `/${p.engine}` : ''), f(p.gamma), f(p.etaBar), f(p.steps), `${f(p.stepsQ1)}–${f(p.stepsQ3)}`, f(p.samples), f(p.escapedFraction)]), ['r', 'l', 'l', 'l']));
  if (fits.length) out(table(['fit', 'group', 'loss', 'method', 'exponent (95% CI)', 'points'], fits.map((x) => [x.kind, x.group, x.loss, x.method, `${f(x.fit.slope)} ± ${f(x.fit.slopeCI95)}`, x.fit.n]), ['l', 'l', 'l', 'l', 'l', 'r']));
  if (o.out) out(`wrote ${join(o.out, 'report.html')}, sweep.csv, sweep.json, steps.svg, samples.svg`);
}
