/**
 * What an expectation backend (src/backends) hands to the equations: the plan, and the list of
 * "templates" — the 2-, 3- and 4-point functions over generic slots whose covariance entries the
 * right-hand side fills in from Ω = [[Q, M], [Mᵀ, P]] (THEORY §3):
 *
 *   committee target:  I2^{fh} = E[f(u1) h(u2)],  J2 = E[σ′(u1) σ′(u2)],
 *                      I3^{h} = E[σ′(u1) u2 h(u3)],  I4^{h1h2} = E[σ′(u1) σ′(u2) h1(u3) h2(u4)];
 *   general target g*: T0 = E[g*(ν)²], TS = E[σ(u1) g*(ν)], T3 = E[σ′(u1) u2 g*(ν)],
 *                      T4g = E[σ′(u1) σ′(u2) g*(ν)²], T4s = E[σ′(u1) σ′(u2) σ(u3) g*(ν)].
 *
 * A backend either evaluates each template (scheme `templates`: the equations sum them) or the moments
 * A, B, V, S, ε as a whole (scheme `whole`: one pass over the fields). The template list is written
 * once here; a backend supplies a `make` that turns a template's factors into its evaluation.
 */
import type { Model } from '../hermite/model.ts';
import type { Poly } from '../symbolic/poly.ts';
import { isKinked } from '../hermite/piecewise.ts';
import { residualWeight } from '../loss/index.ts';

/** How a backend evaluates one template: its kind names the backend's evaluator (src/backends). */
export interface TemplateImpl {
  readonly kind: string;
}

/** A factor of a template's integrand: σ, σ′, g or the bare field at a slot, or g*(ν) on the k slots from `from`. */
export type SlotFactor = { kind: 's' | 'd' | 'g' | 'u'; slot: number } | { kind: 'target'; from: number };

/** Per slot of a committee template, which function sits there: s = σ, g = g, d = σ′, u = the bare field. */
export type SlotFn = 's' | 'g' | 'd' | 'u';

export interface Template {
  /** function name in generated code, e.g. `I4_sg`. */
  name: string;
  /** number of slots; arguments are the n(n+1)/2 covariance entries, upper triangle row-major. */
  slots: number;
  /** the definition, as LaTeX. */
  tex: string;
  impl: TemplateImpl;
  /** the template as an exact polynomial in its covariance entries, when it is one (Wick) */
  poly?: Poly;
}

export interface ExpectationPlan {
  /** the backend's id (its registry name, or `closed-<family>`), as generated files record it */
  backend: string;
  /** human-readable description, e.g. "closed forms (erf)". */
  label: string;
  /** `templates`: the moments are sums of the templates; `whole`: the backend computes them in one pass */
  scheme: 'templates' | 'whole';
  /** templates by role (committee: I2ss, I2sg, I2gg, J2, I3s, I3g, I4ss, I4sg, I4gg; general: …); empty under `whole`. */
  templates: Record<string, Template>;
  /**
   * the backend's numerical settings: `nodes` (quadrature: per field; quadrature-templates: tensor nodes
   * per right-hand side), `budget`, `order` (hermite), `points`, `shiftSeed`, `step` (lattice)
   */
  settings: Readonly<Record<string, number>>;
  notes: string[];
}

/** The student's output enters the residual e = y − w·f (w ≠ 0): the student–student templates are needed. */
export const needsStudentTerms = (m: Model): boolean => residualWeight(m) !== 0;

/** Whether the student or the committee teacher has a kink (or jump) at 0. */
export function modelHasKink(model: Model): boolean {
  return isKinked(model.student) || (model.target.kind === 'committee' && isKinked(model.target.g));
}

/**
 * How many times one evaluation of the moments calls each template (as src/ode/equations.ts sums
 * them: symmetric pairs once), for p students and k teachers.
 */
export function templateCalls(model: Model): Record<string, number> {
  const { p, k } = model;
  const studentTerms = needsStudentTerms(model);
  const P2 = (p * (p + 1)) / 2;
  const K2 = (k * (k + 1)) / 2;
  const m = studentTerms ? 1 : 0;
  if (model.target.kind === 'committee')
    return { I3g: p * k * k + p * p * k, I3s: m * (p * k * p + p * p * p), I4gg: P2 * K2, I4sg: m * P2 * p * k, I4ss: m * P2 * P2, J2: P2, I2sg: p * k + p * k, I2ss: m * p * p + P2, I2gg: K2 };
  return { T3: p * k + p * p, I3s: m * (p * k * p + p * p * p), T4g: P2, T4s: m * P2 * p, I4ss: m * P2 * P2, J2: P2, TS: p + p, I2ss: m * p * p + P2, T0: 1 };
}

/** Builds a template of a committee from the kernel it is an instance of and the function at each slot. */
export type CommitteeMaker = (name: string, f: 'I2' | 'J2' | 'I3' | 'I4', hs: SlotFn[], tex: string) => Template;
/** Builds a template of a general target from its slot count and the factors of its integrand. */
export type GeneralMaker = (name: string, n: number, factors: SlotFactor[], tex: string) => Template;

/** The templates a model needs, each built by the backend's `committee` or `general` maker. */
export function modelTemplates(model: Model, committee: CommitteeMaker, general: GeneralMaker): Record<string, Template> {
  const out: Record<string, Template> = {};
  if (model.target.kind === 'committee') addCommittee(out, needsStudentTerms(model), committee);
  else addGeneral(out, needsStudentTerms(model), model.k, general);
  return out;
}

/** The committee maker of a backend that sees every template as a product of slot factors. */
export const committeeByFactors =
  (make: GeneralMaker): CommitteeMaker =>
  (name, _f, hs, tex) =>
    make(name, hs.length, hs.map((kind, slot) => ({ kind, slot })), tex);



/**
 * The templates of a general target g*(ν) on k teacher fields (MSE adds the student–student terms),
 * each as its slot count and the factors of its integrand; `make` turns them into a backend's template.
 */
function addGeneral(out: Record<string, Template>, studentTerms: boolean, k: number, make: GeneralMaker): void {
  const nu = `g^*(\\nu)`;
  const f = (kind: 's' | 'd' | 'u', slot: number): SlotFactor => ({ kind, slot });
  const g = (from: number): SlotFactor => ({ kind: 'target', from });
  out.T0 = make('T0', k, [g(0), g(0)], `\\mathbb{E}[${nu}^2]`);
  out.TS = make('TS', 1 + k, [f('s', 0), g(1)], `\\mathbb{E}[\\sigma(u_1)\\,${nu}]`);
  out.T3 = make('T3', 2 + k, [f('d', 0), f('u', 1), g(2)], `\\mathbb{E}[\\sigma'(u_1)\\,u_2\\,${nu}]`);
  out.T4g = make('T4g', 2 + k, [f('d', 0), f('d', 1), g(2), g(2)], `\\mathbb{E}[\\sigma'(u_1)\\sigma'(u_2)\\,${nu}^2]`);
  out.J2 = make('J2', 2, [f('d', 0), f('d', 1)], `\\mathbb{E}[\\sigma'(u_1)\\sigma'(u_2)]`);
  out.I2ss = make('I2ss', 2, [f('s', 0), f('s', 1)], `\\mathbb{E}[\\sigma(u_1)\\sigma(u_2)]`);
  if (studentTerms) {
    out.T4s = make('T4s', 3 + k, [f('d', 0), f('d', 1), f('s', 2), g(3)], `\\mathbb{E}[\\sigma'(u_1)\\sigma'(u_2)\\sigma(u_3)\\,${nu}]`);
    out.I3s = make('I3s', 3, [f('d', 0), f('u', 1), f('s', 2)], `\\mathbb{E}[\\sigma'(u_1)\\,u_2\\,\\sigma(u_3)]`);
    out.I4ss = make('I4ss', 4, [f('d', 0), f('d', 1), f('s', 2), f('s', 3)], `\\mathbb{E}[\\sigma'(u_1)\\sigma'(u_2)\\sigma(u_3)\\sigma(u_4)]`);
  }
}

/** The committee templates a model needs (MSE adds the student–student terms). */
function addCommittee(out: Record<string, Template>, studentTerms: boolean, make: CommitteeMaker): void {
  const F = { s: '\\sigma', g: 'g' } as const;
  const I2 = (a: 's' | 'g', b: 's' | 'g') => make(`I2${a}${b}`, 'I2', [a, b], `\\mathbb{E}[${F[a]}(u_1)\\,${F[b]}(u_2)]`);
  const I3 = (h: 's' | 'g') => make(`I3${h}`, 'I3', ['d', 'u', h], `\\mathbb{E}[\\sigma'(u_1)\\,u_2\\,${F[h]}(u_3)]`);
  const I4 = (a: 's' | 'g', b: 's' | 'g') =>
    make(`I4${a}${b}`, 'I4', ['d', 'd', a, b], `\\mathbb{E}[\\sigma'(u_1)\\sigma'(u_2)\\,${F[a]}(u_3)\\,${F[b]}(u_4)]`);
  out.I2ss = I2('s', 's');
  out.I2sg = I2('s', 'g');
  out.I2gg = I2('g', 'g');
  out.J2 = make('J2', 'J2', ['d', 'd'], `\\mathbb{E}[\\sigma'(u_1)\\,\\sigma'(u_2)]`);
  out.I3g = I3('g');
  out.I4gg = I4('g', 'g');
  if (studentTerms) {
    out.I3s = I3('s');
    out.I4sg = I4('s', 'g');
    out.I4ss = I4('s', 's');
  }
}

