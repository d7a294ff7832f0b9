/** The subcommands. Each parses its options, calls the library, and prints a table or JSON/CSV. */
import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { activation } from '../hermite/activation.ts';
import { hermiteCoefficients, pairExponent, multivariateHermite, lowestDegreePerDirection, rescaledActivation, leapIndex } from '../hermite/hermite.ts';
import { Expr } from '../symbolic/expr.ts';
import { deriveFile, deriveAnyFile, odeModule, type Derivation, type GeneratedFiles, type OdeModule } from '../pipeline.ts';
import { LANGUAGES, type Language } from '../codegen/generate.ts';
import { documentToTex } from '../codegen/latex.ts';
import { writeFileAtomic, writeFilesAtomic, copyTree } from '../io/files.ts';
import { usageError, failure } from '../errors.ts';
import { runIntegration, countSteps } from '../numeric/run.ts';
import { defaultOverlaps, readOverlapsFile, parseAssignments, numberValue, integerValue, DEFAULT_M0 } from '../numeric/setup.ts';
import { num, table, sampleRows, roundRows } from '../report/format.ts';
import { trajectoryCsv, type Trajectory } from '../numeric/trajectory.ts';
import { simulationStart } from './simulate.ts';
import { escapeFunction, escapeCriterion } from '../studies/escape.ts';
import { requireCompleted, timeLimitOf } from './outcome.ts';
import { progressReporter, announceStage } from './progress.ts';
import { rulesOf, ruleRate, startBatch } from './rules.ts';
import { learningRate } from '../numeric/rate.ts';
import { isConstant } from '../rules/spec.ts';
import { constantClock } from '../rules/clock.ts';
import { maxOf } from '../extrema.ts';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');


// ---------- hermite ----------

export function hermiteCommand(text: string, o: { order: string; target?: string; json?: boolean; variance?: string; leap?: boolean }): void {
  const q = numberValue(o.variance ?? '1', '--variance');
  if (!(q > 0)) throw usageError('must be > 0', { field: '--variance', value: o.variance });
  const order = Number(o.order);
  if (!Number.isInteger(order) || order < 0 || order > 30) throw usageError('must be an integer between 0 and 30', { field: '--order', value: o.order });
  const nuVars = (text.match(/\bnu(\d+)\b/g) ?? []).map((s) => Number(s.slice(2)));
  if (nuVars.length && !/\bz\b/.test(text)) {
    const k = maxOf(nuVars);
    const vars = Array.from({ length: k }, (_, r) => `nu${r + 1}`);
    const expr = Expr.parse(text, vars, { field: 'expression' });
    const poly = expr.toPoly();
    if (!poly) throw usageError(`${o.leap ? 'the leap index' : 'multivariate expansions'} need${o.leap ? 's' : ''} a polynomial in nu1..nuk`, { field: 'expression', value: text });
    const terms = multivariateHermite(poly);
    const lowest = lowestDegreePerDirection(terms, k);
    const leap = o.leap ? leapIndex(terms, k) : undefined;
    const termName = (t: (typeof terms)[number]) => t.alpha.map((a, r) => (a ? `He${a}(nu${r + 1})` : '')).filter(Boolean).join('·') || '1';
    if (o.json) {
      const leapJson = leap ? { leap: { index: leap.leap, order: leap.order.map((i) => ({ term: termName(terms[i]), alpha: terms[i].alpha, newDegrees: leap.steps[leap.order.indexOf(i)] })) } } : {};
      out(JSON.stringify({ expression: text, variables: vars, terms, lowestDegreePerDirection: lowest, ...leapJson }, null, 2));
      return;
    }
    out(`${text} = Σ c_α Π He_{α_r}(ν_r)   (probabilists' Hermite; exact)`);
    out(table(['term', 'c_α', 'exact'], terms.map((t) => [t.alpha.map((a, r) => (a ? `He${a}(nu${r + 1})` : '')).filter(Boolean).join('·') || '1', t.coefficient, t.exact]), ['l', 'r', 'l']));
    out(`lowest degree per direction: ${lowest.map((l, r) => `nu${r + 1}: ${l ?? '—'}`).join(', ')}`);
    if (leap)
      out(`leap index ${leap.leap} (THEORY §4.3, in this basis): ${leap.order.map((i, n) => `${termName(terms[i])} (+${leap.steps[n]})`).join(' → ')}`);
    return;
  }
  if (o.leap) throw usageError('--leap needs a polynomial target in nu1..nuk, e.g. "nu1 + nu1*nu2"', { field: 'expression', value: text });
  const act0 = activation(text, { field: 'expression' });
  const act = q === 1 ? act0 : rescaledActivation(act0, q);
  const rep = hermiteCoefficients(act, order);
  let pair: number | null | undefined;
  let targetRep: ReturnType<typeof hermiteCoefficients> | undefined;
  if (o.target) {
    const g = activation(o.target, { field: '--target' });
    targetRep = hermiteCoefficients(q === 1 ? g : rescaledActivation(g, q), order);
    pair = pairExponent(rep, targetRep);
  }
  const warnings: string[] = [];
  if (o.target && pair === null) warnings.push(`no k ≤ ${order} has c_k(σ) c_k(g) ≠ 0: the student gets no drift toward this target (infinite pair exponent)`);
  else if (o.target && targetRep && pair != null && targetRep.informationExponent != null && pair > targetRep.informationExponent)
    warnings.push(`the pair exponent ${pair} exceeds the target's information exponent ${targetRep.informationExponent}: the student misses the target's leading Hermite component`);
  if (o.json) {
    out(
      JSON.stringify(
        {
          expression: text,
          family: act.family.kind,
          variance: q,
          method: rep.method,
          accuracy: rep.accuracy,
          coefficients: rep.coefficients,
          ...(rep.exact ? { exact: rep.exact } : {}),
          meanSquare: rep.meanSquare,
          derivativeSquare: rep.derivativeSquare,
          informationExponent: rep.informationExponent,
          ...(o.target ? { target: o.target, targetCoefficients: targetRep?.coefficients, targetInformationExponent: targetRep?.informationExponent, pairExponent: pair } : {}),
          warnings,
        },
        null,
        2,
      ),
    );
    return;
  }
  out(`f(z) = ${text}   [${act.family.kind}; coefficients ${rep.method}${rep.method === 'quadrature' ? `, estimated error ${rep.accuracy.toExponential(1)}` : ''}]`);
  out(q === 1 ? `c_k = E[f(x) He_k(x)]/k!, x ~ N(0,1), probabilists' Hermite` : `c_k of x ↦ f(√q x), q = ${q}: E[f(√q x) He_k(x)]/k!, x ~ N(0,1), probabilists' Hermite`);
  const rows = rep.coefficients.map((c, k) => [String(k), c, ...(rep.exact ? [rep.exact[k]] : []), ...(targetRep ? [targetRep.coefficients[k]] : [])]);
  out(table(['k', 'c_k', ...(rep.exact ? ['exact'] : []), ...(targetRep ? ['c_k(g)'] : [])], rows, ['r', 'r', 'l', 'r']));
  out(`E[f²] = ${num(rep.meanSquare, 8)}   E[f′²] = ${num(rep.derivativeSquare, 8)}`);
  out(`information exponent: ${rep.informationExponent ?? `none up to order ${order}`}`);
  if (o.target) out(`pair exponent with g = ${o.target}: ${pair ?? `none up to order ${order}`}`);
  for (const w of warnings) out(`warning: ${w}`);
}

// ---------- derive ----------

interface Derived extends GeneratedFiles {
  /** path → content of every file written */
  paths: Record<string, string>;
  ms: number;
}

function deriveOne(file: string, expectations: string | undefined, outDir: string, langs: readonly Language[]): Derived {
  const t0 = performance.now();
  const g = deriveAnyFile(file, expectations, langs, outDir, announceStage);
  const paths = Object.fromEntries(Object.entries(g.files).map(([suffix, content]) => [join(outDir, `${g.name}${suffix}`), content]));
  return { ...g, paths, ms: performance.now() - t0 };
}

/** `--lang ts,py` → the languages (default: all). */
function languagesOf(text: string | undefined): Language[] {
  if (text === undefined) return [...LANGUAGES];
  const langs = text.split(',').map((x) => x.trim()).filter(Boolean);
  for (const l of langs) if (!(LANGUAGES as readonly string[]).includes(l)) throw usageError(`unknown language; expected some of ${LANGUAGES.join(', ')}`, { field: '--lang', value: l });
  if (!langs.length) throw usageError(`expected some of ${LANGUAGES.join(', ')}`, { field: '--lang', value: text });
  return langs as Language[];
}

export function deriveCommand(files: string[], o: { outDir: string; expectations?: string; check?: boolean; lang?: string }): void {
  const langs = languagesOf(o.lang);
  const results = files.map((f) => deriveOne(f, o.expectations, o.outDir, langs));
  if (o.check) {
    let bad = 0;
    for (const r of results)
      for (const [path, content] of Object.entries(r.paths)) {
        const state = !existsSync(path) ? 'missing' : readFileSync(path, 'utf8') !== content ? 'stale' : 'ok';
        if (state !== 'ok') bad++;
        out(`${state.padEnd(7)}  ${path}`);
      }
    const stale = results.filter((r) => Object.entries(r.paths).some(([path, content]) => !existsSync(path) || readFileSync(path, 'utf8') !== content));
    if (bad) throw failure(`${bad} generated file(s) missing or out of date; run: npx hermode derive ${stale.map((r) => r.file).join(' ')}${o.outDir === 'generated' ? '' : ` --out-dir ${o.outDir}`}`);
    return;
  }
  writeFilesAtomic(results.flatMap((r) => Object.entries(r.paths).map(([path, content]) => ({ path, content }))));
  out(
    table(
      ['derivation', 'p', 'k', 'loss', 'dynamics', 'expectations', 'ms', 'wrote'],
      results.map((r) => [...r.summary, r.ms.toFixed(0), `${join(o.outDir, r.name)}.{${Object.keys(r.files).map((x) => x.slice(1)).join(',')}}`]),
      ['l', 'r', 'r', 'l', 'l', 'l', 'r', 'l'],
    ),
  );
  for (const r of results) for (const n of r.notes) out(`note (${r.name}): ${n}`);
}

// ---------- latex ----------

export async function latexCommand(file: string, o: { html?: string; fragment?: boolean }): Promise<void> {
  const d = deriveFile(file);
  if (o.html && o.fragment) throw usageError('give --html or --fragment, not both', { field: '--fragment' });
  if (!o.html) {
    out(o.fragment ? documentToTex(d.doc, d.model, d.plan, 'generated', true) : d.tex);
    return;
  }
  await writeHtmlDocument(d, o.html);
  out(`wrote ${o.html} (KaTeX CSS and fonts in ${join(dirname(o.html), 'katex')})`);
}

async function writeHtmlDocument(d: Derivation, path: string): Promise<void> {
  const { page, documentBody, katexDistDir } = await import('../report/html.ts');
  const html = page(d.doc.title, documentBody(d.doc));
  copyTree(katexDistDir(), join(dirname(path), 'katex'));
  writeFileAtomic(path, html);
}

// ---------- integrate ----------

export interface IntegrateOpts {
  plainCsv?: boolean;
  maxSteps?: string;
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
  const d: OdeModule = o.initFromSim || o.discard !== undefined ? deriveFile(file, o.expectations, announceStage) : odeModule(file, o.expectations, announceStage);
  if (o.init && o.initFromSim) throw usageError('give --init or --init-from-sim, not both', { field: '--init-from-sim' });
  const sets = parseAssignments(o.set);
  if (o.tau !== undefined && o.alpha !== undefined) throw usageError('give --tau or --alpha, not both', { field: '--alpha' });
  const seed = integerValue(o.seed, '--seed', 0);
  const D = integerValue(o.d ?? '1000', '--d', 1);
  const nb = o.nb !== undefined ? integerValue(o.nb, '--nb', 1) : undefined;
  const rules = rulesOf(o, sets, d.model.spec);
  const ruled = !isConstant(rules);
  if (ruled && rules.batch.kind === 'constant' && nb === undefined) throw usageError('a learning-rate rule with a constant batch needs --nb', { field: '--nb' });
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
      : defaultOverlaps(d.model, seed, numberValue(o.m0, '--m0'));
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
  for (const w of (traj.meta.warnings as string[] | undefined) ?? []) process.stderr.write(`hermode: warning: ${w}\n`);
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
  if (m.discard) out(`discarding samples with ½e² ≤ ${m.discard.q}: ${num(100 * m.discard.keptAtStart, 4)} % kept at the start; ${m.discard.method}: ${m.discard.accuracy.toExponential(1)}`);
  const it = m.integrator;
  out(`odex: ${it.accepted} steps (${it.rejected} rejected), ${it.evaluations} RHS evaluations, ${it.wallMs.toFixed(1)} ms, rtol ${it.rtol}`);
}

// ---------- example ----------

export async function exampleCommand(o: { outDir: string }): Promise<void> {
  const file = 'derivations/saad-solla-erf.yaml';
  if (!existsSync(file)) throw usageError('run the example from the hermode checkout', { file });
  out('hermode example: the Saad–Solla erf soft committee (p = k = 2), plain SGD, MSE\n');
  out(`1. derive ${file}`);
  deriveCommand([file], { outDir: 'generated' });
  out(`\n2. integrate from a random start at d = 1000 (Q = I, M_jr ~ N(0, 1/1000)), η̄ = 1, τ ∈ [0, 800]: plateau, specialisation, convergence`);
  const { traj } = await integrateFromOptions(file, {
    set: ['eta_bar=1'],
    tau: '800',
    points: '801',
    seed: '1',
    m0: String(DEFAULT_M0),
    rtol: '1e-9',
    atol: '1e-11',
  });
  requireCompleted(traj, 'integration', { file });
  printTrajectory(traj);
  const html = join(o.outDir, 'saad-solla-erf.html');
  await writeHtmlDocument(deriveFile(file), html);
  writeFileAtomic(join(o.outDir, 'trajectory.json'), JSON.stringify(traj, null, 1) + '\n');
  out(`\n3. equations: generated/saad-solla-erf.tex (LaTeX), ${html} (KaTeX, offline); trajectory: ${join(o.outDir, 'trajectory.json')}`);
}
