/**
 * The whole derivation in memory: spec → model → expectation plan → equations (the value every output
 * is printed from) → IR module → TypeScript, Python, C and LaTeX, and the module instantiated in
 * process. `derive` (CLI) writes the texts; `integrate` and the tests use the instantiated module.
 */
import type { Spec } from './spec/load.ts';
import { loadSpecFile, loadAnySpecFile } from './spec/load.ts';
import { deriveParamSpec } from './paramdyn/derive.ts';
import { buildModel, modelCore, type Model, type ModelCore } from './hermite/model.ts';
import type { ExpectationPlan } from './gaussian/plan.ts';
import { planExpectations, backendOf, unaffordable } from './backends/registry.ts';
import { failure } from './errors.ts';
import { durationText, TIME_LIMIT_OVERRIDE } from './limits.ts';
import { overlapEquations, type Equations } from './ode/equations.ts';
import { equationsModule, withJacobian } from './codegen/module.ts';
import { withDiffusion } from './codegen/diffusion.ts';
import { printModule, LANGUAGES, type Language } from './codegen/generate.ts';
import { equationsDocument, documentToTex, type TexDocument } from './codegen/latex.ts';
import { compileModule, moduleFromGenerated, moduleFromWasm, KERNELS, type GeneratedModel } from './codegen/compile.ts';
import { layoutOf } from './ode/layout.ts';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Module } from './ir/ir.ts';
import type { Layout } from './ode/layout.ts';
import { stateOf } from './ode/layout.ts';
import { maxAbsDiff, maxAbsOf } from './extrema.ts';

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

/**
 * `outDir` only enters the generated files' "Regenerate:" line. With `limitSeconds`, a plan whose
 * integration cannot fit in it (the backend's a-priori estimate) is refused before anything is evaluated.
 */
export function deriveSpec(spec: Spec, expectations?: string, outDir = 'generated', onStage?: StageListener, limitSeconds = Infinity): Derivation {
  const model = buildModel(spec);
  const plan = planExpectations(model, expectations ?? spec.expectations);
  const refusal = Number.isFinite(limitSeconds) ? unaffordable(model, plan, limitSeconds) : undefined;
  if (refusal) throw failure(`${refusal.message}: beyond the time limit of ${durationText(limitSeconds)} — ${TIME_LIMIT_OVERRIDE}, or fewer nodes, a smaller width or another backend (hermode backends FILE)`, { file: spec.file, field: 'expectations', value: expectations ?? spec.expectations });
  const equations = overlapEquations(model, plan);
  const module = equationsModule(equations, outDir);
  const compiled = compileModule(module, backendOf(plan.backend).evaluate);
  // the code does not contain the notes, so the accuracy note can use the module just built
  const measure = accuracyNote(spec, model, plan, compiled, equations.layout);
  if (measure) {
    onStage?.(`deriving ${model.name} with ${plan.label}, then measuring its accuracy`);
    plan.notes.push(...measure());
  }
  const doc = equationsDocument(equations);
  const tex = documentToTex(doc, model, plan, outDir);
  const ts = printModule(module, model.name, ['ts'])['.ts'] as string;
  return { model, plan, layout: equations.layout, equations, module, ts, tex, doc, compiled };
}

/** A numerical backend's accuracy note, to be measured (it evaluates the moments several more times); none for the exact ones. */
function accuracyNote(spec: Spec, model: Model, plan: ExpectationPlan, compiled: GeneratedModel, layout: Layout): (() => string[]) | undefined {
  const backend = backendOf(plan.backend);
  const measure = backend.accuracy;
  if (!measure || backend.measures?.(plan) === false) return undefined;
  return () =>
    measure({
      spec,
      model,
      plan,
      mom: layout.mom,
      base: genericMoments(compiled, model, layout),
      momentsOf: (m, pl) => genericMoments(moduleOf(m, pl), m, layoutOf(m)),
      planOf: planExpectations,
      where: 'a generic state',
    });
}

/** The Jacobian of a derivation's right-hand side, J[i·n + j] = ∂(dy_i/dτ)/∂y_j (the generated code differentiated in forward mode). */
export function jacobianOf(d: Derivation): (t: number, y: ArrayLike<number>, params: ArrayLike<number>, J: Float64Array) => void {
  return (compileModule(withJacobian(d.module), backendOf(d.plan.backend).evaluate) as unknown as { jacobian: (t: number, y: ArrayLike<number>, params: ArrayLike<number>, J: Float64Array) => void }).jacobian;
}

/** The diffusion matrix of the linear-noise approximation as compiled code (src/codegen/diffusion.ts): D[i·n + c], per unit τ, scaled by d. */
export function diffusionOf(d: Derivation, nodes?: number): (t: number, y: ArrayLike<number>, params: ArrayLike<number>, D: Float64Array) => void {
  return (compileModule(withDiffusion(d.module, d.model, d.layout, nodes), backendOf(d.plan.backend).evaluate) as unknown as { diffusion: (t: number, y: ArrayLike<number>, params: ArrayLike<number>, D: Float64Array) => void }).diffusion;
}

export function deriveFile(file: string, expectations?: string, onStage?: StageListener, limitSeconds = Infinity): Derivation {
  return deriveSpec(loadSpecFile(file), expectations, 'generated', onStage, limitSeconds);
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
export function odeModule(file: string, expectations?: string, onStage?: StageListener, limitSeconds = Infinity): OdeModule {
  const spec = loadSpecFile(file);
  if (expectations === undefined) {
    for (const dir of ['generated', join(dirname(dirname(spec.file)), 'generated')]) {
      const compiled = generatedModule(join(dir, spec.name), spec.hash);
      if (!compiled) continue;
      const model = modelCore(spec);
      const layout = layoutOf(model);
      if (compiled.stateNames.join() !== layout.stateNames.join() || compiled.paramNames.join() !== layout.paramNames.join()) continue;
      return { model, layout, plan: { backend: compiled.meta.backend as ExpectationPlan['backend'], label: compiled.meta.expectations }, compiled };
    }
  }
  return deriveSpec(spec, expectations, 'generated', onStage, limitSeconds);
}

/**
 * The generated module `base`.wasm (compiled machine code from the first call), or `base`.ts where there
 * is no .wasm, when it was generated from the spec with this hash; undefined otherwise.
 */
function generatedModule(base: string, hash: string): GeneratedModel | undefined {
  if (KERNELS === 'wasm' && existsSync(`${base}.wasm`)) {
    const compiled = moduleFromWasm(readFileSync(`${base}.wasm`));
    if (compiled?.meta.specHash === hash && backendOf(compiled.meta.backend).evaluate !== 'js') return compiled;
  }
  if (!existsSync(`${base}.ts`)) return undefined;
  const ts = readFileSync(`${base}.ts`, 'utf8');
  if (!new RegExp(`^// Spec hash: ${hash}$`, 'm').test(ts)) return undefined;
  const compiled = moduleFromGenerated(ts);
  return compiled?.meta.specHash === hash ? compiled : undefined;
}

/** What `derive` writes for any derivation kind, with a one-row summary. */
export interface GeneratedFiles {
  name: string;
  file: string;
  /** file suffix (.ts, .tex, .py, .c, .h: text; .wasm: bytes) → content */
  files: Record<string, string | Uint8Array>;
  /** derivation, p, k, loss, dynamics, expectations */
  summary: (string | number)[];
  notes: string[];
}

export function deriveAnyFile(file: string, expectations?: string, langs: readonly Language[] = LANGUAGES, outDir = 'generated', onStage?: StageListener, opts: { jacobian?: boolean; diffusion?: boolean } = {}): GeneratedFiles {
  const any = loadAnySpecFile(file);
  if (any.kind === 'parameter-dynamics') {
    const d = deriveParamSpec(any.spec);
    const files = { ...printModule(d.module, any.spec.name, langs), ...(langs.includes('tex') ? { '.tex': d.tex } : {}) };
    return { name: any.spec.name, file, files, summary: [any.spec.name, `h=${d.h}`, '', 'parameter-space', 'GF/GD', 'gradient and Hessian (mathjs)'], notes: [] };
  }
  const { model, plan, module, tex, layout } = deriveSpec(any.spec, expectations, outDir, onStage);
  const withJ = opts.jacobian ? withJacobian(module) : module;
  const files = printModule(opts.diffusion ? withDiffusion(withJ, model, layout) : withJ, model.name, langs);
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
  /** what to do when it is too large (the backend's advice) */
  remedy: string;
  worst: number;
  /** the index of the state (among those given) where it is worst */
  at: number;
}

/** Node evaluations the accuracy along a run may spend on its reference rule (about a second). */
const ALONG_BUDGET = 2e7;
const referenceModules = new Map<string, GeneratedModel>();

/**
 * A numerical backend's accuracy at the states a run went through, not at one generic state: the
 * largest difference of the moments (A, B, V, S, ε; relative to the largest of them, as derive's note)
 * between the derivation's module and the reference its backend names (`along`: for the quadrature
 * rules, a rule of the other parity with five nodes more per field, or the exact evaluator at a kink).
 * Up to 12 states, as many as ALONG_BUDGET affords; undefined for backends without a reference or when
 * not even two states are affordable.
 */
export function accuracyAlong(d: OdeModule, states: ArrayLike<number>[], params: number[]): RunAccuracy | undefined {
  const along = backendOf(d.plan.backend).along;
  if (!along) return undefined;
  const model = buildModel(d.model.spec);
  // a module read from generated/ carries only the plan's name: plan it again (the spec it was made from)
  const plan = 'templates' in d.plan ? (d.plan as ExpectationPlan) : planExpectations(model, d.model.spec.expectations);
  const reference = along(model, plan);
  if (!reference) return undefined;
  const count = Math.min(12, states.length, reference.cost ? Math.floor(ALONG_BUDGET / reference.cost) : 12);
  if (count < 2) return undefined;
  const key = `${d.model.spec.hash}:${reference.request}`;
  let ref = referenceModules.get(key);
  if (!ref) referenceModules.set(key, (ref = deriveSpec(d.model.spec, reference.request).compiled));
  const against = `${reference.against} at ${count} of the saved states`;
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
  return { against, worst, at, remedy: reference.remedy };
}

export { QUADRATURE_WARN } from './backends/tensor.ts';

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
const moduleOf = (m: Model, pl: ExpectationPlan): GeneratedModel => compileModule(equationsModule(overlapEquations(m, pl)), backendOf(pl.backend).evaluate);
