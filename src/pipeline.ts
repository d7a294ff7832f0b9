/**
 * The whole derivation in memory: spec → model → expectation plan → equations (the value every output
 * is printed from) → IR module → TypeScript, Python, C and LaTeX, and the module instantiated in
 * process. `derive` (CLI) writes the texts; `integrate` and the tests use the instantiated module.
 */
import type { Spec } from './spec/load.ts';
import { loadSpecFile, loadAnySpecFile } from './spec/load.ts';
import { deriveParamSpec } from './paramdyn/derive.ts';
import { buildModel, modelCore, type Model, type ModelCore } from './hermite/model.ts';
import { planExpectations, modelHasKink, templateQuadraturePlan, type ExpectationPlan } from './gaussian/plan.ts';
import { activation, type Activation } from './hermite/activation.ts';
import { piecewiseOf } from './hermite/piecewise.ts';
import { hermiteCoefficients } from './hermite/hermite.ts';
import { fmt17 } from './symbolic/coef.ts';
import { overlapEquations, type Equations } from './ode/equations.ts';
import { equationsModule } from './codegen/module.ts';
import { printModule, LANGUAGES, type Language } from './codegen/generate.ts';
import { equationsDocument, documentToTex, type TexDocument } from './codegen/latex.ts';
import { compileModule, moduleFromGenerated, type GeneratedModel } from './codegen/compile.ts';
import { layoutOf } from './ode/layout.ts';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Module } from './ir/ir.ts';
import type { Layout } from './ode/layout.ts';
import { stateOf } from './ode/layout.ts';
import { maxAbsDiff, maxAbsOf, maxOf } from './extrema.ts';

export interface Derivation {
  model: Model;
  plan: ExpectationPlan;
  layout: Layout;
  /** the derived equations: the one value code and LaTeX are printed from */
  equations: Equations;
  /** the equations lowered to language-neutral code */
  module: Module;
  /** generated/X.ts */
  ts: string;
  /** generated/X.tex */
  tex: string;
  doc: TexDocument;
  compiled: GeneratedModel;
}

/** Told what a derivation is about to do when the next stage can take a while (the CLI prints it). */
export type StageListener = (what: string) => void;

/** `outDir` only enters the generated files' "Regenerate:" line. */
export function deriveSpec(spec: Spec, expectations?: string, outDir = 'generated', onStage?: StageListener): Derivation {
  const model = buildModel(spec);
  const plan = planExpectations(model, expectations ?? spec.expectations);
  const equations = overlapEquations(model, plan);
  const module = equationsModule(equations, outDir);
  const compiled = compileModule(module);
  // the code does not contain the notes, so the accuracy note can use the module just built
  const measure = accuracyNote(spec, model, plan, compiled, equations.layout);
  if (measure) {
    onStage?.(`deriving ${model.name} with ${plan.label}, then measuring its accuracy`);
    plan.notes.push(...measure());
  }
  const doc = equationsDocument(equations);
  const tex = documentToTex(doc, model, plan, outDir);
  const { '.ts': ts } = printModule(module, model.name, ['ts']);
  return { model, plan, layout: equations.layout, equations, module, ts, tex, doc, compiled };
}

/** A numerical backend's accuracy note, to be measured (it evaluates the moments several more times); none for the exact ones. */
function accuracyNote(spec: Spec, model: Model, plan: ExpectationPlan, compiled: GeneratedModel, layout: Layout): (() => string[]) | undefined {
  switch (plan.backend) {
    case 'quadrature':
    case 'quadrature-templates':
      return () => quadratureAccuracyNotes(model, plan, compiled, layout);
    case 'hermite':
      return () => hermiteAccuracyNotes(spec, plan);
    case 'lattice':
      return () => latticeAccuracyNotes(model, plan, compiled, layout);
    default:
      return undefined;
  }
}

export function deriveFile(file: string, expectations?: string, onStage?: StageListener): Derivation {
  return deriveSpec(loadSpecFile(file), expectations, 'generated', onStage);
}

/** What integrating an ODE needs: the model's core, the layout, the backend's name and the module. */
export interface OdeModule {
  model: ModelCore;
  layout: Layout;
  plan: Pick<ExpectationPlan, 'backend' | 'label'>;
  compiled: GeneratedModel;
}

/**
 * The ODE of a derivation file, from `generated/X.ts` when that file was generated from this very
 * spec (its `Spec hash` matches) — nothing is parsed or derived then — and by deriving otherwise.
 * `generated/` is looked for beside the current directory and beside the derivations folder.
 */
export function odeModule(file: string, expectations?: string, onStage?: StageListener): OdeModule {
  const spec = loadSpecFile(file);
  if (expectations === undefined) {
    for (const dir of ['generated', join(dirname(dirname(spec.file)), 'generated')]) {
      const path = join(dir, `${spec.name}.ts`);
      if (!existsSync(path)) continue;
      const ts = readFileSync(path, 'utf8');
      if (!new RegExp(`^// Spec hash: ${spec.hash}$`, 'm').test(ts)) continue;
      const compiled = moduleFromGenerated(ts);
      if (!compiled || compiled.meta.specHash !== spec.hash) continue;
      const model = modelCore(spec);
      const layout = layoutOf(model);
      if (compiled.stateNames.join() !== layout.stateNames.join() || compiled.paramNames.join() !== layout.paramNames.join()) continue;
      return { model, layout, plan: { backend: compiled.meta.backend as ExpectationPlan['backend'], label: compiled.meta.expectations }, compiled };
    }
  }
  return deriveSpec(spec, expectations, 'generated', onStage);
}

/** What `derive` writes for any derivation kind, with a one-row summary. */
export interface GeneratedFiles {
  name: string;
  file: string;
  /** file suffix (.ts, .tex, .py, .c, .h) → content */
  files: Record<string, string>;
  /** derivation, p, k, loss, dynamics, expectations */
  summary: (string | number)[];
  notes: string[];
}

export function deriveAnyFile(file: string, expectations?: string, langs: readonly Language[] = LANGUAGES, outDir = 'generated', onStage?: StageListener): GeneratedFiles {
  const any = loadAnySpecFile(file);
  if (any.kind === 'parameter-dynamics') {
    const d = deriveParamSpec(any.spec);
    const files = { ...printModule(d.module, any.spec.name, langs), ...(langs.includes('tex') ? { '.tex': d.tex } : {}) };
    return { name: any.spec.name, file, files, summary: [any.spec.name, `h=${d.h}`, '', 'parameter-space', 'GF/GD', 'gradient and Hessian (mathjs)'], notes: [] };
  }
  const { model, plan, module, tex } = deriveSpec(any.spec, expectations, outDir, onStage);
  const files = printModule(module, model.name, langs);
  if (langs.includes('tex')) files['.tex'] = tex;
  return { name: model.name, file, files, summary: [model.name, model.p, model.k, model.loss, model.dynamics, plan.label], notes: plan.notes };
}

/** Derives an overlap model with fields of its spec replaced (e.g. the loss, for a sweep). */
export function deriveWith(spec: Spec, over: Partial<Pick<Spec, 'loss' | 'dynamics' | 'noise'>>): Derivation {
  return deriveSpec({ ...spec, ...over });
}

/** The moments' accuracy along a run (AccuracyAlong): what it was measured against, the worst relative error and where. */
export interface RunAccuracy {
  against: string;
  worst: number;
  /** the index of the state (among those given) where it is worst */
  at: number;
}

/** Node evaluations the accuracy along a run may spend on its reference rule (about a second). */
const ALONG_BUDGET = 2e7;
const referenceModules = new Map<string, GeneratedModel>();

/**
 * The quadrature backends' accuracy at the states a run went through, not at one generic state: the
 * largest difference of the moments (A, B, V, S, ε; relative to the largest of them, as derive's note)
 * between the derivation's rule and a tensor rule of the other parity with five nodes more per field
 * (N + 5 for the tensor rule; for per-template rules, five more than the largest of theirs). For
 * smooth activations the rules converge geometrically, so the difference is the coarser rule's error
 * (within 1.3× of a converged 70-node evaluation for tanh at field variances 1 to 4). At a kink, where
 * every rule converges slowly, the reference is the exact evaluator when it applies; otherwise the
 * other parity, which does not share the kink's bias. Up to 12 states, as many as ALONG_BUDGET affords; undefined for
 * other backends or when not even two states are affordable.
 */
export function accuracyAlong(d: OdeModule, states: ArrayLike<number>[], params: number[]): RunAccuracy | undefined {
  if (d.plan.backend !== 'quadrature' && d.plan.backend !== 'quadrature-templates') return undefined;
  const fields = d.model.p + d.model.k;
  const model = buildModel(d.model.spec);
  // a module read from generated/ carries only the plan's name: plan it again (the spec it was made from)
  const plan = 'templates' in d.plan ? (d.plan as ExpectationPlan) : planExpectations(model, d.model.spec.expectations);
  const nodes = plan.backend === 'quadrature' ? [plan.nodes as number] : Object.values(plan.templates).flatMap((t) => (t.impl.kind === 'quad' ? [t.impl.nodes] : []));
  if (!nodes.length) return undefined;
  // at a kink the exact evaluator is the reference when it applies (THEORY §3.5): rules of either parity
  // converge slowly there, so a finer rule would understate the error
  const exact = modelHasKink(model) && planApplies(model, 'exact');
  const R = maxOf(nodes) + 5;
  const count = Math.min(12, states.length, exact ? 12 : Math.floor(ALONG_BUDGET / R ** fields));
  if (count < 2) return undefined;
  const key = `${d.model.spec.hash}:${exact ? 'exact' : R}`;
  let ref = referenceModules.get(key);
  if (!ref) referenceModules.set(key, (ref = deriveSpec(d.model.spec, exact ? 'exact' : `quadrature:${R}`).compiled));
  const against = exact ? `the exact evaluator (Wick–Stein) at ${count} of the saved states` : `a tensor Gauss–Hermite rule with ${R} nodes per field at ${count} of the saved states`;
  const L = d.layout;
  const a = new Float64Array(L.mom.size);
  const b = new Float64Array(L.mom.size);
  let worst = 0;
  let at = 0;
  for (let c = 0; c < count; c++) {
    const i = count === 1 ? 0 : Math.round((c * (states.length - 1)) / (count - 1));
    const y = Array.from(states[i]).slice(0, L.stateNames.length);
    d.compiled.moments(y, params, a);
    ref.moments(y, params, b);
    // relative to the largest moment, as derive's note (a moment crossing zero has no relative error of its own)
    const rel = maxAbsDiff(a, b) / maxAbsOf(b, 1e-300);
    if (rel > worst) (worst = rel), (at = i);
  }
  return { against, worst, at };
}

/** Whether a backend applies to a model (planning it throws a usage error when it does not). */
function planApplies(model: Model, backend: string): boolean {
  try {
    planExpectations(model, backend);
    return true;
  } catch {
    return false;
  }
}

/** Relative error of the quadrature moments above which derive warns. */
export const QUADRATURE_WARN = 1e-6;

/**
 * The generic state the accuracy notes measure at (Q_jj = 1, Q_jl = 0.3, M_jr = 0.5 on the diagonal and
 * 0.2 elsewhere, scaled to keep Ω positive definite; deterministic, so the generated files stay stable).
 */
function genericState(model: Model, layout: Layout) {
  const { p, k } = model;
  const s = 1 / Math.sqrt(Math.max(p, k));
  const M = Array.from({ length: p }, (_, j) => Array.from({ length: k }, (_, r) => s * (j === r ? 0.5 : 0.2)));
  const Q = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => (j === l ? 1 : 0.3)));
  return stateOf({ M, Q, a: model.a0 }, layout);
}

/** A module's moments at the generic state, with the layout's default parameters. */
function genericMoments(mod: GeneratedModel, model: Model, layout: Layout): Float64Array {
  const out = new Float64Array(layout.mom.size);
  mod.moments(genericState(model, layout), layout.defaultParams, out);
  return out;
}

/** The in-process module of a model under a plan (what the accuracy notes compare). */
const moduleOf = (m: Model, pl: ExpectationPlan): GeneratedModel => compileModule(equationsModule(overlapEquations(m, pl)));

/**
 * The quadrature backend's accuracy, measured at a fixed generic state (Q_jj = 1, Q_jl = 0.3, M_jr =
 * 0.5 on the diagonal and 0.2 elsewhere, scaled to keep Ω positive definite; deterministic, so the
 * generated files stay stable):
 * - smooth models: the largest change of the moments (A, B, V, S, ε) between N − 6 and N nodes;
 * - models with a kink at 0: two rules of the same parity share the kink's bias and would not see it,
 *   so the rule is measured against the exact evaluator (§3.5) on a surrogate with the same kinks —
 *   every smooth non-polynomial function replaced by its Hermite truncation at order 6 — when one
 *   exists, and otherwise against the rule with N − 1 nodes (the other parity).
 * Above QUADRATURE_WARN relative the note is a warning that says how to raise the budget.
 */
function quadratureAccuracyNotes(model: Model, plan: ExpectationPlan, fineModule: GeneratedModel, layout: Layout): string[] {
  const perTemplate = plan.backend === 'quadrature-templates';
  const N = plan.nodes as number;
  const budget = plan.budget as number;
  const { p, k } = model;
  const moments = (mod: GeneratedModel) => genericMoments(mod, model, layout);
  const compare = (a: Float64Array, b: Float64Array) => {
    const err = maxAbsDiff(a, b);
    const scale = maxAbsOf(a, 1e-300);
    return { err, rel: err / scale };
  };
  const cost = perTemplate ? `up to ${budget.toExponential(0)} nodes per template evaluation` : `cost ${N}^${p + k} nodes per evaluation before pruning`;
  const raise = perTemplate ? 'the templates use their own rules (see the label); for more, the whole-field rule quadrature:N' : 'raise the nodes with expectations: quadrature:N';
  const slow = modelHasKink(model) ? '; with kinks the error falls slowly, about as 1/N²' : '';
  const verdict = (rel: number, what: string) =>
    rel > QUADRATURE_WARN
      ? `warning: quadrature accuracy ${rel.toExponential(1)} relative (${what}) is above ${QUADRATURE_WARN.toExponential(0)}: ${raise} (${cost}${slow})`
      : `quadrature accuracy: ${rel.toExponential(1)} relative (${what}); ${cost} — pass quadrature:N for more`;
  const kinked = modelHasKink(model);
  const surrogate = kinked ? kinkSurrogate(model) : undefined;
  if (surrogate) {
    // the same sizes give the surrogate the same per-template rules
    const rules = perTemplate ? (templateQuadraturePlan(surrogate, budget) as ExpectationPlan) : planExpectations(surrogate, `quadrature:${N}`);
    const { err, rel } = compare(moments(moduleOf(surrogate, planExpectations(surrogate, 'exact'))), moments(moduleOf(surrogate, rules)));
    return [verdict(rel, `the moments of ${perTemplate ? 'the per-template rules' : `${N} nodes per field`} differ by ${err.toExponential(1)} from the exact evaluator on a surrogate with the same kinks and Hermite-order-6 smooth parts, at a generic state`)];
  }
  // otherwise against coarser rules: two nodes fewer per template, the other parity with a kink (an odd
  // rule has a node on it), six nodes fewer for a smooth model
  const coarseNodes = kinked ? N - 1 : Math.max(4, N - 6);
  const [coarsePlan, how] = perTemplate
    ? [coarser(plan), 'from rules with two nodes fewer per field to these']
    : [{ ...plan, nodes: coarseNodes }, `from ${coarseNodes} to ${N} nodes per field${kinked ? ' (rules of both parities: an odd one has a node on the kink)' : ''}`];
  const { err, rel } = compare(moments(fineModule), moments(moduleOf(model, coarsePlan)));
  return [verdict(rel, `the moments change by ${err.toExponential(1)} ${how} at a generic state`)];
}

/** Independent shifts of the lattice that measure its error at derive time. */
export const LATTICE_SHIFTS = 6;

/**
 * The lattice backend's accuracy at the generic state of `quadratureAccuracyNotes`:
 * - the pair integrals (A, B, S, ε and the Δ part of V): their change when the trapezoidal step
 *   shrinks by 0.8;
 * - the lattice part of V: the rms spread of LATTICE_SHIFTS estimates with independent random shifts
 *   (each an unbiased estimate with the error of the one in the code), relative to the largest |V_jl|.
 */
function latticeAccuracyNotes(model: Model, plan: ExpectationPlan, module: GeneratedModel, layout: Layout): string[] {
  const lat = plan.lattice as NonNullable<ExpectationPlan['lattice']>;
  const { p } = model;
  const moments = (pl: ExpectationPlan) => genericMoments(moduleOf(model, pl), model, layout);
  const base = genericMoments(module, model, layout);
  const { V } = layout.mom;
  const isV = (i: number) => i >= V && i < V + p * p;
  const finer = moments({ ...plan, lattice: { ...lat, step: 0.8 * lat.step } });
  const idx = [...base.keys()].filter((i) => !isV(i));
  const pairErr = maxOf(idx.map((i) => Math.abs(base[i] - finer[i])), 0) / maxAbsOf(idx.map((i) => finer[i]), 1e-300);
  const shifts = Array.from({ length: LATTICE_SHIFTS }, (_, r) => moments({ ...plan, lattice: { ...lat, shiftSeed: lat.shiftSeed + 1 + r } }));
  const vIdx = [...base.keys()].filter(isV);
  let ms = 0;
  for (const i of vIdx) {
    const mean = shifts.reduce((a, x) => a + x[i], 0) / shifts.length;
    ms = Math.max(ms, shifts.reduce((a, x) => a + (x[i] - mean) ** 2, 0) / (shifts.length - 1));
  }
  const vScale = maxAbsOf(vIdx.map((i) => base[i]), 1e-300);
  const vErr = Math.sqrt(ms) / vScale;
  return [
    `lattice accuracy at a generic state: pair integrals (A, B, S, ε) change by ${pairErr.toExponential(1)} relative when the step shrinks by 0.8; V's lattice error ≈ ${vErr.toExponential(1)} relative to max|V| (rms spread of ${LATTICE_SHIFTS} independently shifted ${lat.points}-point lattices)` +
      (vErr > 1e-3 ? ` — lattice:${lat.points * 4} lowers it (for p = k = 10 it about halves it, at about twice the cost per evaluation)` : ''),
  ];
}

/**
 * What hermite:K costs in accuracy against the original activations: the moments of the truncated
 * model against a tensor quadrature of the original (21 nodes per field, ~1e-6 for smooth
 * activations), at the generic state of `quadratureAccuracyNotes`, on the same activations and target
 * with p, k ≤ 2 (the truncation acts on each function, so the small model measures it at the cost of
 * one quadrature; a wide model's full-field rule is what hermite:K replaces).
 */
function hermiteAccuracyNotes(spec: Spec, plan: ExpectationPlan): string[] {
  const pS = Math.min(spec.student.width, 2);
  const kS = Math.min(spec.teacher.width, 2);
  if (spec.teacher.target !== 'committee' && kS !== spec.teacher.width) return [];
  const small: Spec = {
    ...spec,
    student: { ...spec.student, width: pS, second_layer: { ...spec.student.second_layer, ...(spec.student.second_layer.init ? { init: spec.student.second_layer.init.slice(0, pS) } : {}) } },
    teacher: { ...spec.teacher, width: kS, ...(spec.teacher.weights ? { weights: spec.teacher.weights.slice(0, kS) } : {}) },
  };
  const model = buildModel(small);
  if (model.student.family.kind === 'polynomial' && (model.target.kind !== 'committee' || model.target.g.family.kind === 'polynomial') && (model.target.kind === 'committee' || model.target.poly)) return [];
  const layout = layoutOf(model);
  const moments = (backend: string) => genericMoments(moduleOf(model, planExpectations(model, backend)), model, layout);
  const h = moments(plan.backend === 'hermite' ? `hermite:${plan.label.match(/order (\d+)/)?.[1] ?? 6}` : 'hermite:6');
  const q = moments('quadrature:21');
  const err = maxAbsDiff(h, q);
  const rel = err / maxAbsOf(q, 1e-300);
  return [`hermite accuracy against the original activations: the moments differ by ${rel.toExponential(1)} relative (${err.toExponential(1)}) from a 21-node tensor quadrature of the untruncated model with p = ${pS}, k = ${kS} at a generic state`];
}

/** A per-template quadrature plan with two nodes fewer per field in every template (parity kept). */
function coarser(plan: ExpectationPlan): ExpectationPlan {
  const templates = Object.fromEntries(
    Object.entries(plan.templates).map(([name, t]) => [name, t.impl.kind === 'quad' ? { ...t, impl: { ...t.impl, nodes: Math.max(4, t.impl.nodes - 2) } } : t]),
  );
  return { ...plan, templates };
}

/**
 * The model with its smooth non-polynomial functions replaced by their Hermite truncations at order 6
 * (kinked ones kept), when the exact evaluator then applies; otherwise undefined.
 */
function kinkSurrogate(model: Model): Model | undefined {
  const smooth = (act: Activation): Activation => {
    if (piecewiseOf(act)) return act;
    const c = hermiteCoefficients(act, 6).coefficients;
    const text = c.map((x, n) => (x === 0 ? '' : `(${fmt17(x)})*He${n}(z)`)).filter(Boolean).join(' + ') || '0';
    return activation(text);
  };
  const t = model.target;
  if (t.kind === 'general' && !t.poly) return undefined;
  const student = smooth(model.student);
  const surrogate: Model = { ...model, student, target: t.kind === 'committee' ? { ...t, g: smooth(t.g) } : t };
  const pw = piecewiseOf(student);
  return pw && pw.continuous ? surrogate : undefined;
}
