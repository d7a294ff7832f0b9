/**
 * `quadrature-templates`: every template by tensor Gauss–Hermite over its own 2–4 fields (plus the k
 * teacher fields of a general target; THEORY §3.4, per template), so the cost grows polynomially in p.
 * Each template gets at most `budget` nodes per evaluation and an equal share of RHS_BUDGET over its
 * calls; `auto` takes it when that costs less per right-hand side than the rule over all fields.
 */
import type { Model } from '../hermite/model.ts';
import { committeeByFactors, modelHasKink, modelTemplates, templateCalls, type ExpectationPlan, type SlotFactor, type Template, type TemplateImpl } from '../gaussian/plan.ts';
import { covNames } from '../gaussian/wick.ts';
import { add, int, v, type Expr, type Fn } from '../ir/ir.ts';
import { parseKernel } from '../ir/parse.ts';
import { usageError, internal } from '../errors.ts';
import { maxOf } from '../extrema.ts';
import { gaussHermite } from '../quadrature.ts';
import { gaussHermiteTables, plainTex, studentFunctions, symSqrtSource } from './support.ts';
import { quadratureAccuracyNotes, roughnessNotes, tensorAlong, wholeFieldCost } from './tensor.ts';
import type { BackendDef, KernelContext } from './types.ts';

interface QuadImpl extends TemplateImpl {
  kind: 'quad';
  factors: SlotFactor[];
  /** tensor Gauss–Hermite nodes per slot */
  nodes: number;
}

/** Tensor nodes per template evaluation. */
export const TEMPLATE_BUDGET = 2e4;

/** Tensor nodes per evaluation of the whole right-hand side that quadrature-templates may spend. */
export const RHS_BUDGET = 5e6;

/** Nodes per field for a template over n fields with `per` nodes per evaluation (even with kinks: no node on one). */
function templateNodes(n: number, per: number, kinked: boolean): number {
  let N = Math.min(80, Math.floor(Math.pow(per, 1 / n) + 1e-9));
  if (kinked && N % 2 === 1) N -= 1;
  return N;
}

/** The plan, or undefined when some template would get fewer than 6 nodes per field (too costly to be worth it). */
export function templateQuadraturePlan(model: Model, budget: number): ExpectationPlan | undefined {
  const kinked = modelHasKink(model);
  const calls = templateCalls(model);
  const used = Object.values(calls).filter((c) => c > 0).length;
  let feasible = true;
  let cost = 0;
  const mk = (name: string, n: number, factors: SlotFactor[], tex: string): Template => {
    const c = Math.max(1, calls[name] ?? 1);
    const N = templateNodes(n, Math.min(budget, RHS_BUDGET / used / c), kinked);
    if (N < 6) feasible = false;
    cost += (calls[name] ?? 0) * N ** n;
    const impl: QuadImpl = { kind: 'quad', factors, nodes: N };
    return { name, slots: n, tex, impl };
  };
  const templates = modelTemplates(model, committeeByFactors(mk), mk);
  if (!feasible) return undefined;
  const desc = [...new Set(Object.values(templates).map((t) => `${(t.impl as QuadImpl).nodes}^${t.slots}`))].join(', ');
  return {
    backend: 'quadrature-templates',
    label: `Gauss–Hermite quadrature per template over its own fields (${desc} nodes; ${cost.toExponential(1)} per right-hand side)`,
    scheme: 'templates',
    templates,
    settings: { budget, nodes: cost },
    notes: ['each expectation is a tensor Gauss–Hermite rule over its own 2–4 fields (plus the teacher fields of a general target): the cost grows polynomially in p', ...roughnessNotes(model)],
  };
}

/** The plan with two nodes fewer per field in every template (at least 4). */
function coarser(plan: ExpectationPlan): ExpectationPlan {
  const templates = Object.fromEntries(
    Object.entries(plan.templates).map(([name, t]) => [name, { ...t, impl: { ...(t.impl as QuadImpl), nodes: Math.max(4, (t.impl as QuadImpl).nodes - 2) } as QuadImpl }]),
  );
  return { ...plan, templates };
}

const templateNodeCounts = (plan: ExpectationPlan): number[] => Object.values(plan.templates).map((t) => (t.impl as QuadImpl).nodes);

export const quadratureTemplatesBackend: BackendDef = {
  name: 'quadrature-templates',
  summary: 'tensor Gauss–Hermite per template over its own fields (wide models)',
  plan(model, _arg, where) {
    const q = templateQuadraturePlan(model, TEMPLATE_BUDGET);
    if (!q) throw usageError(`per-template quadrature would give some template fewer than 6 nodes per field within ${RHS_BUDGET.toExponential(0)} nodes per right-hand side`, where);
    return q;
  },
  auto(model) {
    const q = templateQuadraturePlan(model, TEMPLATE_BUDGET);
    return q && q.settings.nodes < wholeFieldCost(model) ? q : undefined;
  },
  kernels: templateKernels,
  tex: {
    intro: () => ' Each is a tensor Gauss–Hermite rule over its own fields.',
    template: (t) => ({ remark: `\\quad\\text{(Gauss--Hermite, ${(t.impl as QuadImpl).nodes} nodes in each of its ${t.slots} fields)}` }),
  },
  accuracy(ctx) {
    const budget = ctx.plan.settings.budget;
    return quadratureAccuracyNotes(ctx, {
      cost: `up to ${budget.toExponential(0)} nodes per template evaluation`,
      raise: 'the templates use their own rules (see the label); for more, the whole-field rule quadrature:N',
      rules: 'the per-template rules',
      // the same sizes give the surrogate the same per-template rules
      sameRules: (surrogate) => templateQuadraturePlan(surrogate, budget) as ExpectationPlan,
      coarse: { plan: coarser(ctx.plan), how: 'from rules with two nodes fewer per field to these' },
    });
  },
  along: (model, plan) => tensorAlong(model, templateNodeCounts(plan)),
  // measured: 1.3e-7 s per node (tanh p = 3, k = 2: 2.6e6 nodes per right-hand side in 0.35 s)
  seconds: (plan) => plan.settings.nodes * 1.5e-7,
};

/**
 * What the templates call — σ, σ′, g (committee) or g*(ν) at U[off..off+k) (general target), a
 * symmetric square root per template size, the Gauss–Hermite tables per node count — and a function
 * per template.
 */
function templateKernels({ model, templates, consts }: KernelContext): { fns: Fn[] } {
  const fns = studentFunctions(model);
  const t = model.target;
  if (t.kind === 'committee') fns.push({ name: 'gfun', params: [{ name: 'x', type: 'f64' }], ret: 'f64', body: [{ k: 'return', value: t.g.expr.toIr({ z: v('x') }) }], doc: `g(x) = ${t.g.expr.text}` });
  else {
    const off = v('off');
    const value = t.expr.toIr(Object.fromEntries(Array.from({ length: model.k }, (_, r) => [`nu${r + 1}`, { k: 'idx', arr: 'U', i: add(off, int(r)) } as Expr])));
    fns.push({ name: 'targetAt', params: [{ name: 'U', type: 'f64[]' }, { name: 'off', type: 'int' }], ret: 'f64', body: [{ k: 'return', value }], doc: 'g*(ν) at ν = U[off..off+k)' });
  }
  const sizes = new Set<number>();
  for (const tm of templates) {
    sizes.add(tm.slots);
    const N = (tm.impl as QuadImpl).nodes;
    gaussHermiteTables(N, `GH${N}`, consts, `log-weights of the ${N}-point rule`);
  }
  for (const n of [...sizes].sort()) fns.push(...parseKernel(symSqrtSource(n, `symSqrt${n}`)));
  for (const tm of templates) fns.push(templateFunction(tm));
  return { fns };
}

/** A template by tensor Gauss–Hermite over its own fields: u = L g, L L^T = C (symmetric square root). */
function templateFunction(t: Template): Fn {
  if (t.impl.kind !== 'quad') throw internal('not a quadrature template');
  const impl = t.impl as QuadImpl;
  const n = t.slots;
  const N = impl.nodes;
  const args = covNames(n);
  const fill: string[] = [];
  let a = 0;
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      fill.push(`  C[${i * n + j}] = ${args[a]};`);
      if (i !== j) fill.push(`  C[${j * n + i}] = ${args[a]};`);
      a++;
    }
  const factor = (f: SlotFactor) =>
    f.kind === 'target' ? `targetAt(U, ${f.from})` : f.kind === 'u' ? `U[${f.slot}]` : `${f.kind === 's' ? 'sigma' : f.kind === 'd' ? 'dsigma' : 'gfun'}(U[${f.slot}])`;
  const product = impl.factors.map(factor).join(' * ');
  // nodes whose weight is below 1e-20 of the largest are skipped
  const logw = Array.from(gaussHermite(N).w, (w) => Math.log(w));
  const cut = n * maxOf(logw) + Math.log(1e-20);
  const src = `
function ${t.name}(${args.map((x) => `${x}: f64`).join(', ')}): f64 {
  let C: f64[${n * n}];
${fill.join('\n')}
  let L: f64[${n * n}];
  symSqrt${n}(C, L);
  let U: f64[${n}];
  let I: int[${n}];
  for (let i = 0; i < ${n}; i++) I[i] = 0;
  let acc = 0.0;
  for (let node = 0; node < ${N ** n}; node++) {
    let lw = 0.0;
    for (let i = 0; i < ${n}; i++) lw += GH${N}_LOGW[I[i]];
    if (lw > ${cut}) {
      for (let i = 0; i < ${n}; i++) {
        let u = 0.0;
        for (let m = 0; m < ${n}; m++) u += L[i * ${n} + m] * GH${N}_X[I[m]];
        U[i] = u;
      }
      acc += exp(lw) * ${product};
    }
    for (let m = 0; m < ${n}; m++) {
      I[m] += 1;
      if (I[m] < ${N}) break;
      I[m] = 0;
    }
  }
  return acc;
}`;
  const [fn] = parseKernel(src);
  return { ...fn, doc: `${plainTex(t.tex)}, by ${N}^${n}-node Gauss–Hermite over its fields.` };
}
