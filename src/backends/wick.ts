/**
 * `wick`: exact polynomials for a polynomial σ and a polynomial target (THEORY §3.1). Every template
 * is E[Π factors] of polynomials, reduced by Wick/Isserlis to a polynomial in its covariance entries —
 * valid for singular covariances, so coincident fields need no special case. `polynomialTemplates`
 * is shared with `hermite:K`, which runs it on truncated activations.
 */
import type { Model } from '../hermite/model.ts';
import type { Activation } from '../hermite/activation.ts';
import { modelTemplates, committeeByFactors, type ExpectationPlan, type SlotFactor, type Template } from '../gaussian/plan.ts';
import { WickEngine } from '../gaussian/wick.ts';
import { Poly } from '../symbolic/poly.ts';
import { Coef } from '../symbolic/coef.ts';
import { polyToTex } from '../ir/polyprint.ts';
import { covNames } from '../gaussian/wick.ts';
import { usageError } from '../errors.ts';
import { polyTemplate, polyFunction, polyKey, sharedPolyFunctions, kinkedExactApplies, type PolyImpl } from './support.ts';
import type { BackendDef, BackendTex } from './types.ts';

/** Whether the student and the target are polynomials (the templates are then exact polynomials). */
export function polynomialModel(model: Model): boolean {
  const t = model.target;
  return model.student.family.kind === 'polynomial' && (t.kind === 'committee' ? t.g.family.kind === 'polynomial' : !!t.poly);
}

/**
 * The templates of a model whose σ, σ′, g (or g*) are the polynomials given — each the Wick
 * expectation of the product of its factors.
 */
export function polynomialTemplates(model: Model, sigma: Poly, g: Poly | undefined): Record<string, Template> {
  const dsigma = sigma.derivative(0);
  const engines = new Map<number, WickEngine>();
  const expect = (n: number, F: Poly) => {
    let e = engines.get(n);
    if (!e) engines.set(n, (e = new WickEngine(n)));
    return e.expectation(F);
  };
  const k = model.k;
  const t = model.target;
  const gstar = t.kind === 'general' ? (t.poly as Poly) : undefined;
  const factor = (n: number, f: SlotFactor): Poly => {
    if (f.kind === 'target') return (gstar as Poly).embed(n, Array.from({ length: k }, (_, r) => f.from + r));
    if (f.kind === 'u') return Poly.variable(n, f.slot);
    return (f.kind === 's' ? sigma : f.kind === 'd' ? dsigma : (g as Poly)).embed(n, [f.slot]);
  };
  const make = (name: string, n: number, factors: SlotFactor[], tex: string): Template =>
    polyTemplate(name, n, tex, expect(n, factors.reduce((F, f) => F.mul(factor(n, f)), Poly.constant(n, Coef.one))));
  return modelTemplates(model, committeeByFactors(make), make);
}

/** The polynomial of an activation known to be one. */
export const activationPoly = (act: Activation): Poly => (act.family as { poly: Poly }).poly;

/** The polynomial-template kernels: one function per distinct polynomial. */
export const polynomialKernels = (templates: Template[]) =>
  sharedPolyFunctions(templates, (t) => {
    if (t.impl.kind !== 'poly') return undefined;
    const { poly } = t.impl as PolyImpl;
    return { fn: polyFunction(t, poly), key: polyKey(t.slots, '', poly) };
  });

/** A polynomial template in LaTeX: the polynomial in C_ij. */
export const polynomialTex: BackendTex['template'] = (t) => {
  const vars = covNames(t.slots, 'C_{').map((x) => x.replace(/^C_\{(\d)(\d)$/, 'C_{$1$2}'));
  return { rhs: polyToTex((t.impl as PolyImpl).poly, vars), long: true };
};

export const wickBackend: BackendDef = {
  name: 'wick',
  summary: 'exact polynomials (polynomial activation and target)',
  plan(model, _arg, where) {
    if (!polynomialModel(model)) throw usageError(`wick needs a polynomial activation and a polynomial target${kinkedExactApplies(model) ? ' (this model has kinks: use exact)' : ''}`, where);
    return wickPlan(model);
  },
  auto: (model) => (polynomialModel(model) ? wickPlan(model) : undefined),
  kernels: (ctx) => polynomialKernels(ctx.templates),
  tex: { intro: () => ' Exact polynomials in the covariance entries (Wick/Isserlis).', template: polynomialTex },
};

/** The plan of a polynomial model (also what `exact` gives one). */
export function wickPlan(model: Model): ExpectationPlan {
  const t = model.target;
  const templates = polynomialTemplates(model, activationPoly(model.student), t.kind === 'committee' ? activationPoly(t.g) : undefined);
  return { backend: 'wick', label: 'exact polynomials (Wick)', scheme: 'templates', templates, settings: {}, notes: [] };
}
