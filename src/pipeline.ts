/**
 * The whole derivation in memory: spec → model → expectation plan → TypeScript and LaTeX → compiled
 * module. `derive` (CLI) writes the two texts; `integrate` and the tests use the compiled module.
 */
import type { Spec } from './spec/load.ts';
import { loadSpecFile } from './spec/load.ts';
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
