/**
 * `quadrature:N`: tensor Gauss–Hermite over all p + k fields in one pass (THEORY §3.4): u = L g with
 * L Lᵀ = Ω (symmetric eigen-square-root, so a singular Ω is allowed), the moments accumulated at
 * every node whose weight is above 1e-20 of the largest. Exact for polynomials of degree ≤ 2N − 1 in
 * each field, geometric for smooth activations, slow for kinks (an even N keeps nodes off the kink).
 * `auto` takes it last, within QUADRATURE_BUDGET nodes per evaluation.
 */
import type { Model } from '../hermite/model.ts';
import { modelHasKink, type ExpectationPlan } from '../gaussian/plan.ts';
import { hermiteCoefficients } from '../hermite/hermite.ts';
import type { Fn } from '../ir/ir.ts';
import { parseKernel } from '../ir/parse.ts';
import { usageError, type ErrorWhere } from '../errors.ts';
import { maxOf } from '../extrema.ts';
import { gaussHermiteTables, hermiteTail, momentsFinishSource, nodeMomentsSource, studentFunctions, symSqrtSource, targetFunction } from './support.ts';
import { defaultQuadratureNodes, QUADRATURE_BUDGET, quadratureAccuracyNotes, roughnessNotes, tensorAlong } from './tensor.ts';
import { templateQuadraturePlan, TEMPLATE_BUDGET } from './quadrature-templates.ts';
import type { BackendDef, KernelContext } from './types.ts';

export const quadratureBackend: BackendDef = {
  name: 'quadrature',
  argument: { required: true, meta: 'N' },
  summary: 'tensor Gauss–Hermite, N nodes per field over all p + k fields (2–150)',
  plan(model, nodes, where) {
    const N = nodes as number;
    if (N < 2 || N > 150) throw usageError('quadrature nodes must be between 2 and 150 (beyond, the rule itself stops being accurate; and the accuracy along a run compares with 5 more)', where);
    return quadraturePlan(model, N, where);
  },
  auto: (model, where) => quadraturePlan(model, undefined, where),
  kernels: quadratureFunctions,
  tex: {},
  accuracy(ctx) {
    const N = ctx.plan.settings.nodes;
    const { p, k } = ctx.model;
    const kinked = modelHasKink(ctx.model);
    // against the other parity with a kink (an odd rule has a node on it), six nodes fewer for a smooth model
    const coarseNodes = kinked ? N - 1 : Math.max(4, N - 6);
    return quadratureAccuracyNotes(ctx, {
      cost: `cost ${N}^${p + k} nodes per evaluation before pruning`,
      raise: 'raise the nodes with expectations: quadrature:N',
      rules: `${N} nodes per field`,
      sameRules: (surrogate) => ctx.planOf(surrogate, `quadrature:${N}`),
      coarse: {
        plan: { ...ctx.plan, settings: { ...ctx.plan.settings, nodes: coarseNodes } },
        how: `from ${coarseNodes} to ${N} nodes per field${kinked ? ' (rules of both parities: an odd one has a node on the kink)' : ''}`,
      },
    });
  },
  along: (model, plan) => tensorAlong(model, [plan.settings.nodes]),
  // measured: 3.4e-7 s per node of p = k = 2 tanh at 21 nodes per field, 5.3e-7 at 12
  seconds: (plan, model) => plan.settings.nodes ** (model.p + model.k) * 4e-7,
};

function quadraturePlan(model: Model, nodes: number | undefined, where: ErrorWhere): ExpectationPlan {
  const n = model.p + model.k;
  const kinked = modelHasKink(model);
  // an odd rule has a node at 0 in every field, on the kink, where θ(0) drops a slab of weight: with
  // kinks the default rule is even
  let N = nodes ?? defaultQuadratureNodes(n);
  if (nodes === undefined && kinked && N % 2 === 1) N -= 1;
  // the tensor rule runs over all p + k fields at once: refuse at once what would run for hours
  if (nodes === undefined && N ** n > QUADRATURE_BUDGET) {
    // what can be passed instead: per-template quadrature when affordable, and the exact ODE of the
    // Hermite truncation with its L² error for this activation
    const perTemplate = templateQuadraturePlan(model, TEMPLATE_BUDGET) ? 'expectations: quadrature-templates (each expectation over its own fields), ' : '';
    const K = 6;
    const hermiteOk = model.target.kind === 'committee' || !!model.target.poly;
    const tail = hermiteTail(hermiteCoefficients(model.student, 30).coefficients, K);
    throw usageError(
      `tensor quadrature over p + k = ${n} fields needs at least ${N}^${n} = ${(N ** n).toExponential(1)} nodes per evaluation of the right-hand side (budget ${QUADRATURE_BUDGET.toExponential(0)}): pass ${perTemplate}${hermiteOk ? `expectations: hermite:${K} (the exact ODE of the student truncated at Hermite order ${K}, ‖σ − σ_${K}‖² ≈ ${tail.toExponential(1)}), ` : ''}use an activation with closed forms or a polynomial one${model.target.kind === 'committee' ? '' : ', write a single-index target g*(ν1) as a committee with k = 1 (smooth committees take expectations: lattice)'}, or accept the cost with expectations: quadrature:N (N^${n} nodes)`,
      where,
    );
  }
  return {
    backend: 'quadrature',
    label: `tensor Gauss–Hermite quadrature, ${N} nodes per field (${n} fields)`,
    scheme: 'whole',
    templates: {},
    settings: { nodes: N },
    notes: [
      'quadrature is exact for polynomials of degree ≤ 2N−1 in each field, geometric for smooth activations, slow for kinks',
      ...roughnessNotes(model),
      ...(kinked && N % 2 === 1 ? [`warning: ${N} nodes per field is odd: a node sits on the kink at 0 in every field, which biases the expectations — use an even N`] : []),
    ],
  };
}

/** `moments` by one pass of the tensor rule over the N^(p+k) nodes. */
function quadratureFunctions({ model, layout: L, plan, consts }: KernelContext): { fns: Fn[] } {
  const { p, k } = model;
  const N = plan.settings.nodes;
  const n = p + k;
  const total = N ** n;
  if (total > 2 ** 31 - 1)
    throw usageError(`${N}^${n} = ${total.toExponential(2)} tensor nodes per evaluation is beyond any budget (and the 32-bit node counter); pass quadrature:N with N ≤ ${Math.floor(Math.pow(2 ** 31 - 1, 1 / n))}`, { file: model.spec.file, field: 'expectations', value: `quadrature:${N}` });
  const logw = gaussHermiteTables(N, 'GH', consts, 'log-weights of the Gauss–Hermite rule');
  const cut = n * maxOf(logw) + Math.log(1e-20);
  const fns: Fn[] = [...studentFunctions(model), targetFunction(model)];
  fns.push(...parseKernel(symSqrtSource(n)));
  const aOf = L.trained ? `y[${L.a} + j]` : `params[${L.aParam} + j]`;
  const { size } = L.mom;
  const src = `
export function moments(y: f64[], params: f64[], out: f64[]): void {
  let O: f64[${n * n}];
  omega(y, params, O);
  let QL: f64[${n * n}];
  symSqrt(O, QL);
  let QU: f64[${n}];
  let QI: int[${n}];
  let AS: f64[${p}];
  let SIG: f64[${p}];
  let DSIG: f64[${p}];
  let Delta = params[${L.delta}];
  for (let j = 0; j < ${p}; j++) AS[j] = ${aOf};
  for (let i = 0; i < ${size}; i++) out[i] = 0.0;
  for (let i = 0; i < ${n}; i++) QI[i] = 0;
  let eps = 0.0;
  for (let node = 0; node < ${total}; node++) {
    let lw = 0.0;
    for (let i = 0; i < ${n}; i++) lw += GH_LOGW[QI[i]];
    if (lw > ${cut}) {
      let w = exp(lw);
      for (let i = 0; i < ${n}; i++) {
        let u = 0.0;
        for (let m = 0; m < ${n}; m++) u += QL[i * ${n} + m] * GH_X[QI[m]];
        QU[i] = u;
      }
      let f = 0.0;
      for (let j = 0; j < ${p}; j++) {
        SIG[j] = sigma(QU[j]);
        DSIG[j] = dsigma(QU[j]);
        f += AS[j] * SIG[j];
      }
      f = f * ${1 / p};
      let yv = target(QU);
${nodeMomentsSource(model, L)}
    }
    // next node (odometer over the ${n} fields)
    for (let m = 0; m < ${n}; m++) {
      QI[m] += 1;
      if (QI[m] < ${N}) break;
      QI[m] = 0;
    }
  }
${momentsFinishSource(model, L)}
}`;
  const [momentsFnIr] = parseKernel(src);
  momentsFnIr.outSize = size;
  momentsFnIr.doc = `A, B, V, S and ε by tensor Gauss–Hermite quadrature over the ${n} local fields (${N} nodes each).`;
  fns.push(momentsFnIr);
  return { fns };
}
