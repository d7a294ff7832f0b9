/**
 * The whole derivation in memory: spec → model → expectation plan → TypeScript and LaTeX → compiled
 * module. `derive` (CLI) writes the two texts; `integrate` and the tests use the compiled module.
 */
import type { Spec } from './spec/load.ts';
import { loadSpecFile, loadAnySpecFile } from './spec/load.ts';
import { deriveParamSpec } from './paramdyn/derive.ts';
import { buildModel, type Model } from './spec/model.ts';
import { planExpectations, type ExpectationPlan } from './gaussian/plan.ts';
import { generateTypeScript } from './codegen/typescript.ts';
import { equationsDocument, documentToTex, type TexDocument } from './codegen/latex.ts';
import { compileModule, type GeneratedModel } from './codegen/compile.ts';
import type { Layout } from './ode/layout.ts';

export interface Derivation {
  model: Model;
  plan: ExpectationPlan;
  layout: Layout;
  ts: string;
  tex: string;
  doc: TexDocument;
  compiled: GeneratedModel;
}

export function deriveSpec(spec: Spec, expectations?: string): Derivation {
  const model = buildModel(spec);
  const plan = planExpectations(model, expectations ?? spec.expectations);
  const { source, layout } = generateTypeScript(model, plan);
  const doc = equationsDocument(model, plan);
  const tex = documentToTex(doc, model, plan);
  return { model, plan, layout, ts: source, tex, doc, compiled: compileModule(source) };
}

export function deriveFile(file: string, expectations?: string): Derivation {
  return deriveSpec(loadSpecFile(file), expectations);
}

/** What `derive` writes for any derivation kind, with a one-row summary. */
export interface GeneratedFiles {
  name: string;
  file: string;
  ts: string;
  tex: string;
  /** derivation, p, k, loss, dynamics, expectations */
  summary: (string | number)[];
  notes: string[];
}

export function deriveAnyFile(file: string, expectations?: string): GeneratedFiles {
  const any = loadAnySpecFile(file);
  if (any.kind === 'parameter-dynamics') {
    const d = deriveParamSpec(any.spec);
    return { name: any.spec.name, file, ts: d.ts, tex: d.tex, summary: [any.spec.name, `h=${d.h}`, '', 'parameter-space', 'GF/GD', 'gradient and Hessian (mathjs)'], notes: [] };
  }
  const d = deriveSpec(any.spec, expectations);
  const m = d.model;
  return { name: m.name, file, ts: d.ts, tex: d.tex, summary: [m.name, m.p, m.k, m.loss, m.dynamics, d.plan.label], notes: d.plan.notes };
}

/** Derives an overlap model with fields of its spec replaced (e.g. the loss, for a sweep). */
export function deriveWith(spec: Spec, over: Partial<Pick<Spec, 'loss' | 'dynamics' | 'noise'>>): Derivation {
  return deriveSpec({ ...spec, ...over });
}
