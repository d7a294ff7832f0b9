/**
 * What the two tensor Gauss–Hermite backends (`quadrature:N` over all fields, `quadrature-templates`
 * over each template's own) share: the node budgets, the default rule, and the accuracy note measured
 * at derive time and the reference of the accuracy along a run.
 */
import type { Model } from '../hermite/model.ts';
import type { Activation } from '../hermite/activation.ts';
import { activation } from '../hermite/activation.ts';
import { piecewiseOf } from '../hermite/piecewise.ts';
import { hermiteCoefficients } from '../hermite/hermite.ts';
import { modelHasKink, type ExpectationPlan } from '../gaussian/plan.ts';
import { fmt17 } from '../symbolic/coef.ts';
import { maxAbsDiff, maxAbsOf, maxOf } from '../extrema.ts';
import { kinkedExactApplies } from './support.ts';
import { breakpoints } from '../hermite/breaks.ts';
import type { AccuracyContext, AlongReference } from './types.ts';

/** Default nodes per field for tensor quadrature: about 2·10⁵ nodes before pruning. */
export function defaultQuadratureNodes(fields: number): number {
  return Math.max(6, Math.min(80, Math.floor(Math.pow(2e5, 1 / fields))));
}

/** Tensor nodes per evaluation that `auto` accepts (each right-hand side visits them all). */
export const QUADRATURE_BUDGET = 2e5;

/** The default whole-field rule's nodes per evaluation for a model. */
export const wholeFieldCost = (model: Model): number => defaultQuadratureNodes(model.p + model.k) ** (model.p + model.k);

/** Relative error of the quadrature moments above which derive warns. */
export const QUADRATURE_WARN = 1e-6;

/**
 * The quadrature backends' accuracy, measured at the generic state:
 * - smooth models: the largest change of the moments (A, B, V, S, ε) between a coarser rule and this one;
 * - models with a kink at 0: two rules of the same parity share the kink's bias and would not see it,
 *   so the rule is measured against the exact evaluator (§3.5) on a surrogate with the same kinks —
 *   every smooth non-polynomial function replaced by its Hermite truncation at order 6 — when one
 *   exists, and otherwise against the coarser rule `coarse` (of the other parity).
 * Above QUADRATURE_WARN relative the note is a warning that says how to raise the budget.
 */
export function quadratureAccuracyNotes(
  ctx: AccuracyContext,
  o: { cost: string; raise: string; sameRules: (surrogate: Model) => ExpectationPlan; coarse: { plan: ExpectationPlan; how: string }; rules: string },
): string[] {
  const { model } = ctx;
  const compare = (a: Float64Array, b: Float64Array) => {
    const err = maxAbsDiff(a, b);
    return { err, rel: err / maxAbsOf(a, 1e-300) };
  };
  const kinked = modelHasKink(model);
  const slow = kinked ? '; with kinks the error falls slowly, about as 1/N²' : '';
  const verdict = (rel: number, what: string) =>
    rel > QUADRATURE_WARN
      ? `warning: quadrature accuracy ${rel.toExponential(1)} relative (${what}) is above ${QUADRATURE_WARN.toExponential(0)}: ${o.raise} (${o.cost}${slow})`
      : `quadrature accuracy: ${rel.toExponential(1)} relative (${what}); ${o.cost} — pass quadrature:N for more`;
  const surrogate = kinked ? kinkSurrogate(model) : undefined;
  if (surrogate) {
    const { err, rel } = compare(ctx.momentsOf(surrogate, ctx.planOf(surrogate, 'exact')), ctx.momentsOf(surrogate, o.sameRules(surrogate)));
    return [verdict(rel, `the moments of ${o.rules} differ by ${err.toExponential(1)} from the exact evaluator on a surrogate with the same kinks and Hermite-order-6 smooth parts, at a generic state`)];
  }
  const { err, rel } = compare(ctx.base, ctx.momentsOf(model, o.coarse.plan));
  return [verdict(rel, `the moments change by ${err.toExponential(1)} ${o.coarse.how} at a generic state`)];
}

/**
 * The reference of the accuracy along a run for rules whose largest is `nodes` per field: at a kink,
 * where every rule converges slowly, the exact evaluator when it applies (THEORY §3.5); otherwise a
 * tensor rule of the other parity with five nodes more per field, whose difference is the coarser
 * rule's error for smooth activations (within 1.3× of a converged 70-node evaluation for tanh at field
 * variances 1 to 4) and which does not share a kink's bias.
 */
export function tensorAlong(model: Model, nodes: number[]): AlongReference | undefined {
  if (!nodes.length) return undefined;
  const remedy = 'raise the nodes with --expectations quadrature:N';
  if (modelHasKink(model) && kinkedExactApplies(model)) return { request: 'exact', against: 'the exact evaluator (Wick–Stein)', cost: 0, remedy };
  const R = maxOf(nodes) + 5;
  return { request: `quadrature:${R}`, against: `a tensor Gauss–Hermite rule with ${R} nodes per field`, cost: R ** (model.p + model.k), remedy };
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

/**
 * A warning for tensor rules on activations that are not smooth where the exact evaluator (kinks at 0,
 * polynomial pieces) does not reach: hard-tanh's kinks at ±1, relu(z − b), ELU's jump of σ″. A jump of
 * σ or σ′ makes the rule's right-hand side jump whenever a node crosses it as the state moves, so an
 * adaptive integrator may take very small steps.
 */
export function roughnessNotes(model: Model): string[] {
  if (modelHasKink(model) && kinkedExactApplies(model)) return [];
  const acts: [string, Activation][] = [['σ', model.student]];
  if (model.target.kind === 'committee') acts.push(['g', model.target.g]);
  const out: string[] = [];
  for (const [name, act] of acts) {
    const bs = breakpoints(act);
    if (!bs.length) continue;
    const jumpy = bs.filter((b) => b.order < 2);
    const where = bs.map((b) => `z = ${fmt17(b.at)} (${b.order === 0 ? `${name} jumps` : b.order === 1 ? `${name}′ jumps` : `${name}″ jumps`})`).join(', ');
    out.push(
      `warning: ${name} is not smooth at ${where}; the tensor rule converges slowly there (about as 1/N²)` +
        (jumpy.length ? ` and its right-hand side jumps whenever a node crosses ${jumpy.length > 1 ? 'one of these points' : 'this point'} as the state moves, so an integration may take very small steps` : ''),
    );
  }
  return out;
}
