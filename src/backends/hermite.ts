/**
 * `hermite:K`: the exact ODE of the model whose non-polynomial functions are replaced by their order-K
 * Hermite truncations Σ_{n≤K} c_n He_n (Wick on the truncation). The truncated model is a model in its
 * own right (how much of the dynamics the first K Hermite components carry); as an approximation of
 * the original it converges slowly (the L² tail of erf decays like K^{-3/2}), so `auto` never picks
 * it. Its accuracy note measures the truncation against a quadrature of the original on a small model.
 */
import type { Activation } from '../hermite/activation.ts';
import type { Spec } from '../spec/load.ts';
import { buildModel } from '../hermite/model.ts';
import { hermiteCoefficients, hermitePolynomial } from '../hermite/hermite.ts';
import { Poly } from '../symbolic/poly.ts';
import { Coef } from '../symbolic/coef.ts';
import { usageError } from '../errors.ts';
import { maxAbsDiff, maxAbsOf } from '../extrema.ts';
import { hermiteTail } from './support.ts';
import { polynomialTemplates, polynomialKernels, polynomialTex, polynomialModel } from './wick.ts';
import type { BackendDef } from './types.ts';

/** An activation as the polynomial Σ_{n≤K} c_n He_n (itself when it is a polynomial). */
function truncation(act: Activation, order: number): Poly {
  if (act.family.kind === 'polynomial') return act.family.poly;
  const c = hermiteCoefficients(act, order).coefficients;
  let p = Poly.zero(1);
  for (let n = 0; n < c.length; n++) if (c[n] !== 0) p = p.add(hermitePolynomial(n).scale(Coef.float(c[n])));
  return p;
}

export const hermiteBackend: BackendDef = {
  name: 'hermite',
  argument: { required: true, meta: 'K' },
  summary: 'the exact ODE of the model truncated at Hermite order K (1–6)',
  plan(model, order, where) {
    const K = order as number;
    if (K < 1 || K > 6) throw usageError('Hermite order must be between 1 and 6 (the Wick expansion of the truncated model grows as K⁴)', where);
    const t = model.target;
    if (t.kind === 'general' && !t.poly) throw usageError('hermite:K needs a polynomial general target (use quadrature)', where);
    const templates = polynomialTemplates(model, truncation(model.student, K), t.kind === 'committee' ? truncation(t.g, K) : undefined);
    const tail = hermiteTail(hermiteCoefficients(model.student, 30).coefficients, K);
    const notes = [
      `student truncated at Hermite order ${K}: ‖σ − σ_K‖² ≈ ${tail.toExponential(2)} (L²(N(0,1)))`,
      'hermite:K gives the exact ODE of the truncated model; as an approximation of the original it is an L²(N(0,1)) truncation, so use closed forms or quadrature for accuracy',
    ];
    if (t.kind === 'committee' && t.g.family.kind !== 'polynomial') notes.push(`target truncated at Hermite order ${K}`);
    return { backend: 'hermite', label: `Hermite truncation at order ${K}, then Wick`, scheme: 'templates', templates, settings: { order: K }, notes };
  },
  kernels: (ctx) => polynomialKernels(ctx.templates),
  tex: { intro: () => ' Exact polynomials in the covariance entries (Wick/Isserlis).', template: polynomialTex },
  /**
   * What hermite:K costs in accuracy against the original activations: the moments of the truncated
   * model against a tensor quadrature of the original (21 nodes per field, ~1e-6 for smooth
   * activations), at the generic state, on the same activations and target with p, k ≤ 2 (the
   * truncation acts on each function, so the small model measures it at the cost of one quadrature; a
   * wide model's full-field rule is what hermite:K replaces).
   */
  accuracy(ctx) {
    const spec = ctx.spec;
    const pS = Math.min(spec.student.width, 2);
    const kS = Math.min(spec.teacher.width, 2);
    if (spec.teacher.target !== 'committee' && kS !== spec.teacher.width) return [];
    const small: Spec = {
      ...spec,
      student: { ...spec.student, width: pS, second_layer: { ...spec.student.second_layer, ...(spec.student.second_layer.init ? { init: spec.student.second_layer.init.slice(0, pS) } : {}) } },
      teacher: { ...spec.teacher, width: kS, ...(spec.teacher.weights ? { weights: spec.teacher.weights.slice(0, kS) } : {}) },
    };
    const model = buildModel(small);
    if (polynomialModel(model)) return [];
    const moments = (request: string) => ctx.momentsOf(model, ctx.planOf(model, request));
    const h = moments(`hermite:${ctx.plan.settings.order}`);
    const q = moments('quadrature:21');
    const err = maxAbsDiff(h, q);
    const rel = err / maxAbsOf(q, 1e-300);
    return [`hermite accuracy against the original activations: the moments differ by ${rel.toExponential(1)} relative (${err.toExponential(1)}) from a 21-node tensor quadrature of the untruncated model with p = ${pS}, k = ${kS} at a generic state`];
  },
};
