/**
 * What the playground page computes, in one place that runs the same in its Web Worker and in Node:
 * a derivation file's text → the spec (the CLI's messages, with the line of the field) → the
 * derivation → the integration and, on request, a reduced simulation — each built by the same
 * option functions as `hermode integrate` and `hermode simulate`, so a page and a terminal given the
 * same texts print the same numbers. Nothing here touches the DOM or a file.
 */
import { parseDocument, LineCounter, isScalar, isMap, isSeq } from 'yaml';
import { parseSpec, type Spec } from '../spec/load.ts';
import { deriveSpec, type Derivation } from '../pipeline.ts';
import { buildModel } from '../hermite/model.ts';
import { layoutOf } from '../ode/layout.ts';
import { integrateWithOptions, INTEGRATE_DEFAULTS, trajectoryConvention, type IntegrateOpts, type GivenStart } from '../numeric/options.ts';
import { validateOverlaps, parseAssignments, assignmentOption, defaultOverlaps } from '../numeric/setup.ts';
import { requireCompleted } from '../numeric/outcome.ts';
import type { RuleOpts } from '../numeric/rule-options.ts';
import { trajectoryCsv, type Trajectory } from '../numeric/trajectory.ts';
import { LR_RULE_DEFS, BATCH_RULE_DEFS } from '../rules/registry.ts';
import { prepareSimulation, simulationRequest, stepsOf, SIM_DEFAULTS, type SimOpts } from '../simulate/options.ts';
import { simulate } from '../simulate/simulate.ts';
import { printModule } from '../codegen/generate.ts';
import { documentBody } from '../report/html.ts';
import { HermodeError, usageError, failure } from '../errors.ts';
import { planExpectations, unaffordable } from '../backends/registry.ts';
import type { Model } from '../hermite/model.ts';
import { boundedCount, D_BOUND, SEEDS_BOUND } from '../limits.ts';

/** The name a derivation typed into the page goes by in messages and generated files. */
export const PAGE_FILE = 'derivation.yaml';

/** Seconds a page's integration or simulation may be predicted to take before it is refused, saying its cost. */
export const PAGE_TIME_LIMIT_S = 60;

/** Seeds a page may simulate (a browser tab, one core). */
export const PAGE_SEEDS = { max: 200, why: 'seeds in the page (the command line takes more)' };

/** What the page asks for: the texts a person types, as the command line would take them. */
export interface PlaygroundInput {
  /** the derivation file */
  yaml: string;
  /** `--set` assignments, `eta_bar=0.5,Delta=0.1`; `nb=…` is the batch size n_b (`--nb`) */
  set?: string;
  /** final τ (`--tau`, default 10) */
  tau?: string;
  /** initial overlaps as JSON {"Q","M","P","a"} (`--init`); default: the CLI's default start */
  init?: string;
  /** learning-rate rule, batch-size rule, batch schedule (`--lr-rule`, `--batch-rule`, `--batch-schedule`) */
  lr?: string;
  batch?: string;
  batchSchedule?: string;
  /** η̄ as an expression in tau, steps (`--lr-schedule`) */
  lrSchedule?: string;
  /** dimension d of the clock (steps, samples) and of the simulation (`--d`, default 1000) */
  d?: string;
  /** a reduced simulation beside the ODE: seeds (`--seeds`) from the first seed (`--seed`) */
  sim?: { seeds: string; seed: string };
}

/** A message for the page: the CLI's one line, and where in the derivation text it points (1-based line), if it does. */
export interface PageError {
  message: string;
  kind: string;
  field?: string;
  line?: number;
}

export interface Checked {
  name: string;
  p: number;
  k: number;
  /** the parameters `--set` takes, with their defaults */
  params: { name: string; value: number }[];
  /** the learning-rate and batch-size rules hermode has (for the page's choices) */
  rules: { lr: string[]; batch: string[] };
}

export interface PlaygroundResult {
  name: string;
  backend: string;
  notes: string[];
  convention: string;
  trajectory: Trajectory;
  warnings: string[];
  /** the equations rendered by KaTeX (the LaTeX `derive` prints) */
  equationsHtml: string;
  /** generated/X.ts, .py, .c, .tex as `derive` writes them */
  files: Record<string, string>;
  /** the trajectory as `integrate --csv` prints it */
  csv: string;
}

export interface PlaygroundSimulation {
  engine: 'reduced';
  d: number;
  nb: number;
  gamma: number;
  seeds: number[];
  steps: number[];
  tau: number[];
  samples: number[];
  mean: { risk: number[]; M: number[][][]; Q: number[][][]; a: number[][] };
  sem: { risk: number[]; M: number[][][]; Q: number[][][]; a: number[][] };
  /** where the seeds start (the ODE's start, exactly) */
  start: string;
  convention: string;
}

/** The spec of a derivation text, and what `--set` takes for it. Throws the CLI's error. */
export function checkDerivation(yaml: string): { spec: Spec; model: Model; checked: Checked } {
  const spec = parseSpec(yaml, PAGE_FILE);
  const model = buildModel(spec);
  const L = layoutOf(model);
  const rules = { lr: LR_RULE_DEFS.map((r) => r.name), batch: BATCH_RULE_DEFS.filter((r) => !r.text).map((r) => r.name) };
  return { spec, model, checked: { name: model.name, p: model.p, k: model.k, params: L.paramNames.map((name, i) => ({ name, value: L.defaultParams[i] })), rules } };
}

/** `set` split into the parameter assignments and the batch size (`nb=…`). */
function splitSets(set: string | undefined): { set: string[]; nb?: string } {
  const all = parseAssignments(set ? [set] : []);
  const { nb, ...rest } = all;
  return { set: Object.entries(rest).map(([k, v]) => `${k}=${v}`), ...(nb !== undefined ? { nb } : {}) };
}

function startOf(input: PlaygroundInput, d: Derivation): GivenStart | undefined {
  if (!input.init?.trim()) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(input.init);
  } catch (err) {
    throw usageError(`invalid JSON: ${(err as Error).message}`, { file: 'init' });
  }
  return { init: validateOverlaps(raw, d.model, 'init'), source: 'the page’s initial overlaps' };
}

/**
 * The simulation starts where the ODE starts — the given overlaps, or the CLI's default start (Q = I,
 * M_jr ~ N(0, m0²) of seed 1, P = I) — exactly, so its seeds scatter around the curve they are drawn on.
 */
export function simulationStart(input: PlaygroundInput, d: Derivation): GivenStart {
  return startOf(input, d) ?? { init: defaultOverlaps(d.model, Number(INTEGRATE_DEFAULTS.seed), Number(INTEGRATE_DEFAULTS.m0)), source: `the ODE's default start (Q = I, M_jr ~ N(0, ${INTEGRATE_DEFAULTS.m0}²) seed ${INTEGRATE_DEFAULTS.seed}, P = I)` };
}

/** The rule options the page's texts stand for (`--lr-rule`, `--batch-rule`, `--batch-schedule`, `--lr-schedule`), shared by the integration and the simulation. */
function ruleOptions(input: PlaygroundInput): RuleOpts {
  return {
    ...(input.lr ? { lrRule: input.lr } : {}),
    ...(input.batch ? { batchRule: input.batch } : {}),
    ...(input.batchSchedule ? { batchSchedule: input.batchSchedule } : {}),
    ...(input.lrSchedule ? { lrSchedule: input.lrSchedule } : {}),
  };
}

/** The integrate options the page's texts stand for (the CLI's defaults for everything else). */
export function integrateOptions(input: PlaygroundInput): IntegrateOpts {
  const { set, nb } = splitSets(input.set);
  return {
    ...INTEGRATE_DEFAULTS,
    set,
    tau: input.tau?.trim() || '10',
    d: input.d?.trim() || SIM_DEFAULTS.d,
    nb: nb ?? SIM_DEFAULTS.nb,
    ...ruleOptions(input),
    timeLimit: String(PAGE_TIME_LIMIT_S),
  };
}

/** Derive and integrate. `onStage` hears what a slow stage is about to do. */
export function runPlayground(input: PlaygroundInput, onStage?: (what: string) => void, onProgress?: (tau: number, tauEnd: number) => void): { derivation: Derivation; result: PlaygroundResult } {
  const { spec, model } = checkDerivation(input.yaml);
  affordable(model, spec);
  onStage?.(`deriving ${spec.name}`);
  const derivation = deriveSpec(spec, undefined, 'generated', onStage);
  const start = startOf(input, derivation);
  onStage?.('integrating');
  const traj = integrateWithOptions(derivation, integrateOptions(input), start, onProgress);
  requireCompleted(traj, 'integration', { file: PAGE_FILE });
  const texts = printModule(derivation.module, derivation.model.name, ['ts', 'py', 'c']);
  const files: Record<string, string> = {};
  for (const [ext, text] of Object.entries(texts)) if (typeof text === 'string') files[`${derivation.model.name}${ext}`] = text;
  files[`${derivation.model.name}.tex`] = derivation.tex;
  return {
    derivation,
    result: {
      name: derivation.model.name,
      backend: derivation.plan.label,
      notes: derivation.plan.notes.slice(),
      convention: trajectoryConvention(traj),
      trajectory: traj,
      warnings: ((traj.meta.warnings as string[] | undefined) ?? []).slice(),
      equationsHtml: documentBody(derivation.doc),
      files,
      csv: trajectoryCsv(traj),
    },
  };
}

/**
 * Refuses at once, with its cost, a model whose expectations the page cannot afford: an integration
 * takes a hundred evaluations of the right-hand side and more, and a numerical backend measures its
 * accuracy at derive time with several — beyond the page's time limit the tab would only spin.
 */
export function affordable(model: Model, spec: Spec): void {
  const refusal = unaffordable(model, planExpectations(model, spec.expectations), PAGE_TIME_LIMIT_S);
  if (refusal)
    throw failure(`${refusal.message}: beyond the page's ${PAGE_TIME_LIMIT_S} s — fewer nodes, a smaller width or the command line (hermode integrate FILE --no-time-limit) take it`, {
      file: PAGE_FILE,
      field: 'expectations',
      value: spec.expectations,
    });
}

/** The simulate options of the page's texts: the reduced engine, one worker, the CLI's defaults otherwise. */
export function simulateOptions(input: PlaygroundInput): SimOpts & { tau: string } {
  const { set, nb } = splitSets(input.set);
  const sim = input.sim ?? { seeds: SIM_DEFAULTS.seeds, seed: SIM_DEFAULTS.seed };
  return {
    ...SIM_DEFAULTS,
    d: input.d?.trim() || SIM_DEFAULTS.d,
    nb: nb ?? SIM_DEFAULTS.nb,
    set,
    seeds: sim.seeds,
    seed: sim.seed,
    workers: '1',
    engine: 'reduced',
    tau: input.tau?.trim() || '10',
    ...ruleOptions(input),
    timeLimit: String(PAGE_TIME_LIMIT_S),
  };
}

/** A reduced simulation of the derivation with the page's texts (the seeds one after the other). */
export async function simulatePlayground(derivation: Derivation, input: PlaygroundInput, onProgress?: (done: number, total: number) => void): Promise<PlaygroundSimulation> {
  const o = simulateOptions(input);
  boundedCount(Number(o.seeds), 'seeds', 1, { max: Math.min(PAGE_SEEDS.max, SEEDS_BOUND.max), why: PAGE_SEEDS.why });
  boundedCount(Number(o.d), 'd', 1, D_BOUND);
  const pr = prepareSimulation(derivation, o, simulationStart(input, derivation));
  const steps = stepsOf(pr, o);
  const sim = await simulate(derivation, { ...simulationRequest(pr, o, steps), onProgress });
  requireCompleted(sim, 'the simulation', { file: PAGE_FILE });
  const pick = (t: Trajectory | SimulationSem) => ({ risk: t.risk, M: t.M, Q: t.Q, a: t.a });
  return {
    engine: 'reduced',
    d: pr.D,
    nb: pr.nb,
    gamma: pr.gamma,
    seeds: pr.seeds,
    steps: sim.steps,
    tau: sim.tau,
    samples: sim.samples,
    mean: pick(sim.mean),
    sem: pick(sim.sem),
    start: pr.initSource,
    convention: 'canonical; τ = γ·steps, samples = n_b·steps; mean ± standard error over seeds; risk from the overlaps',
  };
}
type SimulationSem = { risk: number[]; M: number[][][]; Q: number[][][]; a: number[][] };

/** Any error as the page shows it: the CLI's line, and the line of the derivation text the field is on. */
export function pageError(err: unknown, yaml?: string): PageError {
  if (!(err instanceof HermodeError))
    return { message: `internal error (a bug in hermode; please report it with the derivation): ${(err as Error)?.message ?? String(err)}`, kind: 'internal' };
  // fields as the command line spells them (its options), as `hermode` prints them
  const given = err.where.field;
  const field = given === undefined ? undefined : (PAGE_OPTIONS[given] ?? assignmentOption(given));
  const spelled = field === given ? err : new HermodeError(err.kind, err.message, { ...err.where, field });
  const line = err.where.file === PAGE_FILE && yaml !== undefined ? lineOf(yaml, given, err.message) : undefined;
  return { message: spelled.line(), kind: err.kind, ...(field ? { field } : {}), ...(line ? { line } : {}) };
}

/** The library's names of the values the page's fields stand for, as the command line's options. */
const PAGE_OPTIONS: Record<string, string> = { tau: '--tau', d: '--d', nb: '--nb', seeds: '--seeds', seed: '--seed', steps: '--steps' };

/** 1-based line of a dotted field in a YAML text (its key, or the nearest enclosing key that exists); a YAML syntax error's own line. */
export function lineOf(yaml: string, field: string | undefined, message = ''): number | undefined {
  const syntax = /at line (\d+)/.exec(message);
  if (syntax) return Number(syntax[1]);
  if (!field) return undefined;
  const counter = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter: counter });
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const key of field.split('.')) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (!pair) break;
      const range = (pair.key as { range?: [number, number, number] }).range;
      if (range) line = counter.linePos(range[0]).line;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(key)) {
      const item = node.items[Number(key)] as { range?: [number, number, number] } | undefined;
      if (!item) break;
      if (item.range) line = counter.linePos(item.range[0]).line;
      node = item;
    } else break;
  }
  return line;
}
