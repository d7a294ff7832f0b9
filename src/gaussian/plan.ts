/**
 * The expectation stage (THEORY §3): which backend evaluates the Gaussian expectations of a model,
 * and the list of "templates" — the 2-, 3- and 4-point functions over generic slots whose
 * covariance entries the right-hand side fills in from Ω = [[Q, M], [Mᵀ, P]]:
 *
 *   committee target:  I2^{fh} = E[f(u1) h(u2)],  J2 = E[σ′(u1) σ′(u2)],
 *                      I3^{h} = E[σ′(u1) u2 h(u3)],  I4^{h1h2} = E[σ′(u1) σ′(u2) h1(u3) h2(u4)];
 *   general target g*: T0 = E[g*(ν)²], TS = E[σ(u1) g*(ν)], T3 = E[σ′(u1) u2 g*(ν)],
 *                      T4g = E[σ′(u1) σ′(u2) g*(ν)²], T4s = E[σ′(u1) σ′(u2) σ(u3) g*(ν)].
 *
 * Backends: `wick` (exact polynomials for polynomial σ, g — holds for singular covariances, so
 * coincident fields need no special case), `closed` (erf and ReLU families, §3.3), `quadrature:N`
 * (tensor Gauss–Hermite over all p + k fields in one pass, §3.4), and `hermite:K`: the exact ODE of
 * the model whose non-polynomial functions are replaced by their order-K Hermite truncations
 * Σ_{n≤K} c_n He_n (Wick on the truncation). The truncated model is a model in its own right (how
 * much of the dynamics the first K Hermite components carry); as an approximation of the original it
 * converges slowly (the L² tail of erf decays like K^{-3/2}), so `auto` never picks it.
 */
import type { Model } from '../hermite/model.ts';
import type { Activation } from '../hermite/activation.ts';
import { WickEngine } from './wick.ts';
import { Poly } from '../symbolic/poly.ts';
import { Coef } from '../symbolic/coef.ts';
import { hermiteCoefficients, hermitePolynomial, quadratureCoefficients, multivariateHermite, leapIndex } from '../hermite/hermite.ts';
import { usageError, type ErrorWhere, internal } from '../errors.ts';
import { trapezoidStep } from './lattice.ts';
import { CLOSED_FAMILIES, closedFamily } from './families/index.ts';
import { SteinEngine, indicatorTerms, type Factor, type SteinExpansion } from './stein.ts';
import { piecewiseOf, piecewiseDerivative, isKinked, type Piecewise } from '../hermite/piecewise.ts';
import { residualWeight } from '../loss/index.ts';

export type BackendKind = 'wick' | 'exact' | `closed-${string}` | 'hermite' | 'quadrature' | 'quadrature-templates' | 'lattice';

/** How one template is evaluated. */
export type TemplateImpl =
  | { kind: 'poly'; poly: Poly }
  /** factor · <family>fn(s_i s_j C_ij): a kernel of a closed-form family (gaussian/families) */
  | { kind: 'closed'; family: string; fn: 'I2' | 'J2' | 'I3' | 'I4'; scales: number[]; factor: number }
  /** a polynomial in conditional covariances, densities at 0 and orthant probabilities (gaussian/stein.ts) */
  | { kind: 'stein'; expansion: SteinExpansion }
  /** tensor Gauss–Hermite over this template's own slots, `nodes` per slot */
  | { kind: 'quad'; factors: SlotFactor[]; nodes: number };

/** A factor of a template's integrand: σ, σ′, g or the bare field at a slot, or g*(ν) on the k slots from `from`. */
export type SlotFactor = { kind: 's' | 'd' | 'g' | 'u'; slot: number } | { kind: 'target'; from: number };

export interface Template {
  /** function name in generated code, e.g. `I4_sg`. */
  name: string;
  /** number of slots; arguments are the n(n+1)/2 covariance entries, upper triangle row-major. */
  slots: number;
  /** the definition, as LaTeX. */
  tex: string;
  impl: TemplateImpl;
}

export interface ExpectationPlan {
  backend: BackendKind;
  /** human-readable description, e.g. "closed forms (erf)". */
  label: string;
  /** templates by role (committee: I2ss, I2sg, I2gg, J2, I3s, I3g, I4ss, I4sg, I4gg; general: …). */
  templates: Record<string, Template>;
  /** quadrature nodes per field. */
  nodes?: number;
  /** quadrature-templates: tensor nodes per template evaluation */
  budget?: number;
  /** Hermite truncation order. */
  order?: number;
  /** lattice: points of the rank-1 lattice, the seed of its shift, the trapezoidal step at unit variance */
  lattice?: { points: number; shiftSeed: number; step: number };
  notes: string[];
}

/** The student's output enters the residual e = y − w·f (w ≠ 0): the student–student templates are needed. */
const needsStudentTerms = (m: Model) => residualWeight(m) !== 0;

/** Chooses and builds the backend named by the spec (or the best one for `auto`). */
export function planExpectations(model: Model, request = model.spec.expectations): ExpectationPlan {
  const where = { file: model.spec.file, field: 'expectations', value: request };
  // every plan opens its notes with the exponent warnings (THEORY §3.2)
  const warned = (q: ExpectationPlan): ExpectationPlan => {
    q.notes.unshift(...exponentWarnings(model));
    return q;
  };
  const sigma = model.student;
  const t = model.target;
  const polyStudent = sigma.family.kind === 'polynomial';
  const polyTarget = t.kind === 'committee' ? t.g.family.kind === 'polynomial' : !!t.poly;
  // a closed-form family that holds both the student and the committee teacher
  const shared = t.kind === 'committee' ? CLOSED_FAMILIES.find((f) => f.scale(sigma) && f.scale(t.g)) : undefined;
  // exact with kinks (§3.5): a continuous piecewise-polynomial student (kink at 0), and a committee
  // teacher that is piecewise polynomial (jumps allowed) or a polynomial general target
  const pwStudent = piecewiseOf(sigma);
  const exactKinked =
    !!pwStudent && pwStudent.continuous && (t.kind === 'committee' ? !!piecewiseOf(t.g) : !!t.poly) && !(polyStudent && polyTarget);
  let kind: BackendKind;
  let nodes: number | undefined;
  let order: number | undefined;
  if (request === 'auto') {
    if (polyStudent && polyTarget) kind = 'wick';
    else if (shared) kind = `closed-${shared.name}`;
    else if (exactKinked) kind = 'exact';
    else kind = 'quadrature';
  } else if (request === 'wick') {
    if (!(polyStudent && polyTarget))
      throw usageError(`wick needs a polynomial activation and a polynomial target${exactKinked ? ' (this model has kinks: use exact)' : ''}`, where);
    kind = 'wick';
  } else if (request === 'exact') {
    if (polyStudent && polyTarget) kind = 'wick';
    else if (exactKinked) kind = 'exact';
    else
      throw usageError(
        'exact needs a continuous activation that is polynomial on each side of 0 (ReLU, leaky ReLU, |z|, polynomials) and a teacher of that kind (jumps allowed: step, sign) or a polynomial target',
        where,
      );
  } else if (request === 'closed') {
    if (shared) kind = `closed-${shared.name}`;
    else throw usageError(`closed forms exist for committees whose student and teacher share a family (${CLOSED_FAMILIES.map((f) => f.name).join(', ')})`, where);
  } else if (request.startsWith('hermite:')) {
    kind = 'hermite';
    order = Number(request.slice(8));
    if (order < 1 || order > 6) throw usageError('Hermite order must be between 1 and 6 (the Wick expansion of the truncated model grows as K⁴)', where);
    if (t.kind === 'general' && !t.poly) throw usageError('hermite:K needs a polynomial general target (use quadrature)', where);
  } else if (request === 'lattice' || request.startsWith('lattice:')) {
    return warned(latticePlan(model, request === 'lattice' ? LATTICE_POINTS : Number(request.slice(8)), where));
  } else if (request === 'quadrature-templates') {
    const q = templateQuadraturePlan(model, TEMPLATE_BUDGET);
    if (!q) throw usageError(`per-template quadrature would give some template fewer than 6 nodes per field within ${RHS_BUDGET.toExponential(0)} nodes per right-hand side`, where);
    return warned(q);
  } else {
    kind = 'quadrature';
    nodes = Number(request.slice(11));
    if (nodes < 2 || nodes > 150) throw usageError('quadrature nodes must be between 2 and 150 (beyond, the rule itself stops being accurate; and the accuracy along a run compares with 5 more)', where);
  }
  const fullCost = defaultQuadratureNodes(model.p + model.k) ** (model.p + model.k);
  // a smooth committee beyond the whole-field budget: pair integrals and a lattice for the variance term
  if (request === 'auto' && kind === 'quadrature' && fullCost > QUADRATURE_BUDGET && latticeApplies(model) === undefined)
    return warned(latticePlan(model, LATTICE_POINTS, where));
  // wide models: the tensor rule over all p + k fields grows as N^(p+k); every template involves at most
  // four fields (plus the k teacher fields of a general target), so evaluate each over its own
  // it is chosen when it costs less per right-hand side than the rule over all fields
  const perTemplate = kind === 'quadrature' && nodes === undefined ? templateQuadraturePlan(model, TEMPLATE_BUDGET) : undefined;
  const plan =
    perTemplate && (perTemplate.nodes as number) < fullCost
      ? perTemplate
      : kind === 'quadrature'
        ? quadraturePlan(model, nodes)
        : kind === 'exact'
          ? exactPlan(model)
          : templatePlan(model, kind, order);
  return warned(plan);
}

/**
 * THEORY §3.2 pitfalls: the drift toward a single-index committee target starts at the first k ≥ 1
 * with c_k(σ) c_k(g) ≠ 0. Warns when that pair exponent is infinite (e.g. ReLU on He3, tanh on He2)
 * or larger than the target's own information exponent.
 */
export function exponentWarnings(model: Model): string[] {
  const t = model.target;
  const order = 12;
  const sig = hermiteCoefficients(model.student, order);
  let tc: number[];
  let tAcc = 0;
  if (t.kind === 'committee') {
    const r = hermiteCoefficients(t.g, order);
    tc = r.coefficients;
    tAcc = r.accuracy;
  } else if (model.k === 1) {
    // a general single-index target g*(ν1): its own Hermite coefficients
    const f = t.f;
    tc = quadratureCoefficients((x) => f(x), order, 20);
    tAcc = 1e-12;
  } else return t.poly ? multiIndexNotes(t.poly, model.k, sig.coefficients[2], Math.max(1e-10, 10 * sig.accuracy)) : [];
  const tol = (acc: number) => Math.max(1e-10, 10 * acc);
  const ell = tc.findIndex((c, k) => k >= 1 && Math.abs(c) > tol(tAcc));
  let pair = -1;
  for (let k = 1; k <= order; k++) if (Math.abs(sig.coefficients[k]) > tol(sig.accuracy) && Math.abs(tc[k]) > tol(tAcc)) {
    pair = k;
    break;
  }
  if (ell < 0) return [];
  if (pair < 0)
    return [`warning: no k ≤ ${order} has c_k(σ) c_k(g) ≠ 0 — the student gets no drift toward the target (infinite pair exponent; the target's information exponent is ${ell})`];
  if (pair > ell)
    return [`warning: the pair exponent ${pair} exceeds the target's information exponent ${ell}: c_${ell}(σ) = 0, so the student misses the target's leading Hermite component`];
  return [];
}

/**
 * A polynomial multi-index target (THEORY §4.3): its leap index with an ordering that attains it, and a
 * warning when the student's c_2(σ) = 0 blocks a staircase — a direction with no first Hermite
 * coefficient reached through a degree-2 term with a direction that has one.
 */
function multiIndexNotes(poly: Poly, k: number, c2: number, tol: number): string[] {
  const terms = multivariateHermite(poly);
  const leap = leapIndex(terms, k);
  const name = (alpha: number[]) => alpha.map((a, r) => (a === 0 ? '' : a === 1 ? `ν${r + 1}` : `He${a}(ν${r + 1})`)).join('');
  const out = [`target leap index ${leap.leap} (THEORY §4.3), attained by the order ${leap.order.map((i) => name(terms[i].alpha)).join(' → ')}`];
  const first = Array.from({ length: k }, (_, r) => terms.some((x) => x.coefficient !== 0 && x.alpha.every((a, s) => a === (s === r ? 1 : 0))));
  const staircase = terms.some((x) => x.coefficient !== 0 && x.alpha.reduce((a, b) => a + b, 0) === 2 && x.alpha.some((a, r) => a === 1 && !first[r]) && x.alpha.some((a, r) => a === 1 && first[r]));
  if (staircase && Math.abs(c2) <= tol)
    out.push('warning: c_2(σ) = 0 blocks the staircase: a direction reached through a degree-2 term (e.g. ν1ν2) gets the drift 2c_2(σ)m from the learned one, which vanishes — use an activation with c_2 ≠ 0 (ReLU)');
  return out;
}

/** Default nodes per field for tensor quadrature: about 2·10⁵ nodes before pruning. */
export function defaultQuadratureNodes(fields: number): number {
  return Math.max(6, Math.min(80, Math.floor(Math.pow(2e5, 1 / fields))));
}

/** Tensor nodes per evaluation that `auto` accepts (each right-hand side visits them all). */
export const QUADRATURE_BUDGET = 2e5;

/** Tensor nodes per template evaluation under quadrature-templates. */
export const TEMPLATE_BUDGET = 2e4;

/** Tensor nodes per evaluation of the whole right-hand side that quadrature-templates may spend. */
export const RHS_BUDGET = 5e6;

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

/** Nodes per field for a template over n fields with `per` nodes per evaluation (even with kinks: no node on one). */
function templateNodes(n: number, per: number, kinked: boolean): number {
  let N = Math.min(80, Math.floor(Math.pow(per, 1 / n) + 1e-9));
  if (kinked && N % 2 === 1) N -= 1;
  return N;
}

/**
 * Every template by tensor Gauss–Hermite over its own fields (THEORY §3.4, per template): each gets
 * at most `budget` nodes per evaluation and an equal share of RHS_BUDGET over its calls. Undefined
 * when some template would get fewer than 6 nodes per field (too costly to be worth it).
 */
export function templateQuadraturePlan(model: Model, budget: number): ExpectationPlan | undefined {
  const templates: Record<string, Template> = {};
  const studentTerms = needsStudentTerms(model);
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
    return { name, slots: n, tex, impl: { kind: 'quad', factors, nodes: N } };
  };
  const t = model.target;
  if (t.kind === 'committee') {
    const make = (name: string, _f: string, hs: ('s' | 'g' | 'd' | 'u')[], tex: string): Template => mk(name, hs.length, hs.map((h, i) => ({ kind: h, slot: i })), tex);
    addCommittee(templates, studentTerms, make);
  } else {
    addGeneral(templates, studentTerms, model.k, mk);
  }
  if (!feasible) return undefined;
  const desc = [...new Set(Object.values(templates).map((t) => `${(t.impl as { nodes: number }).nodes}^${t.slots}`))].join(', ');
  return {
    backend: 'quadrature-templates',
    label: `Gauss–Hermite quadrature per template over its own fields (${desc} nodes; ${cost.toExponential(1)} per right-hand side)`,
    templates,
    budget,
    nodes: cost,
    notes: ['each expectation is a tensor Gauss–Hermite rule over its own 2–4 fields (plus the teacher fields of a general target): the cost grows polynomially in p'],
  };
}

/** Default points of the `lattice` backend's rule for the variance term. */
export const LATTICE_POINTS = 16384;

/** Why the `lattice` backend does not apply to a model (undefined when it does). */
export function latticeApplies(model: Model): string | undefined {
  const t = model.target;
  if (t.kind !== 'committee') return 'lattice needs a committee target (a general target g*(ν) couples all k teacher fields in every pair)';
  if (modelHasKink(model)) return 'lattice needs smooth activations: this model has a kink (use exact or quadrature:N)';
  return undefined;
}

/**
 * The `lattice` backend (THEORY §3.6): A, B, S and ε from pair integrals E[f(x_i) h(x_m)] by the
 * trapezoidal rule (the three-field drift reduced to pairs by Stein's lemma,
 * E[σ′(x_j) x_i h(x_m)] = Ω_ij E[σ″(x_j) h(x_m)] + Ω_im E[σ′(x_j) h′(x_m)]), and the four-field part of
 * V, E[σ′(λ_j)σ′(λ_l)e²], by a randomly shifted rank-1 lattice with `points` points over all fields.
 */
export function latticePlan(model: Model, points: number, where: ErrorWhere, shiftSeed = 1): ExpectationPlan {
  const why = latticeApplies(model);
  if (why) throw usageError(why, where);
  if (!Number.isInteger(points) || points < 1024 || points > 2 ** 22 || !Number.isInteger(Math.log2(points)))
    throw usageError('lattice points must be a power of two between 1024 and 4194304 (e.g. lattice:65536)', where);
  const t = model.target as Extract<Model['target'], { kind: 'committee' }>;
  const d2 = model.student.dexpr.derivative('z').compile();
  const dg = t.g.dexpr.compile();
  const fns = [model.student.f, model.student.df, (x: number) => d2(x), t.g.f, (x: number) => dg(x)];
  const step = trapezoidStep(fns);
  if (step === undefined)
    throw usageError('lattice: the trapezoidal rule does not converge for these activations down to step 0.05 (not smooth enough); use quadrature:N', where);
  const n = model.p + model.k;
  return {
    backend: 'lattice',
    label: `pair integrals by the trapezoidal rule (step ${step.toPrecision(2)}/sd), the variance term by a ${points}-point shifted lattice over the ${n} fields`,
    templates: {},
    lattice: { points, shiftSeed, step },
    notes: [
      'A, B, S and ε are pair integrals (the drift reduced to pairs by Stein’s lemma), spectrally accurate for analytic activations; the four-field part of V, E[σ′σ′e²], is a lattice estimate — its error is stated below; lattice:N with more points lowers it (for p = k = 10, 4× the points about halve it)',
    ],
  };
}

/** Whether the student or the committee teacher has a kink (or jump) at 0. */
export function modelHasKink(model: Model): boolean {
  return isKinked(model.student) || (model.target.kind === 'committee' && isKinked(model.target.g));
}

function quadraturePlan(model: Model, nodes?: number): ExpectationPlan {
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
    const rep = hermiteCoefficients(model.student, 30);
    const tail = rep.coefficients.slice(K + 1).reduce((acc, c, i) => acc + c * c * factorialNum(i + K + 1), 0);
    throw usageError(
      `tensor quadrature over p + k = ${n} fields needs at least ${N}^${n} = ${(N ** n).toExponential(1)} nodes per evaluation of the right-hand side (budget ${QUADRATURE_BUDGET.toExponential(0)}): pass ${perTemplate}${hermiteOk ? `expectations: hermite:${K} (the exact ODE of the student truncated at Hermite order ${K}, ‖σ − σ_${K}‖² ≈ ${tail.toExponential(1)}), ` : ''}use an activation with closed forms or a polynomial one${model.target.kind === 'committee' ? '' : ', write a single-index target g*(ν1) as a committee with k = 1 (smooth committees take expectations: lattice)'}, or accept the cost with expectations: quadrature:N (N^${n} nodes)`,
      { file: model.spec.file, field: 'expectations', value: model.spec.expectations },
    );
  }
  return {
    backend: 'quadrature',
    label: `tensor Gauss–Hermite quadrature, ${N} nodes per field (${n} fields)`,
    templates: {},
    nodes: N,
    notes: [
      'quadrature is exact for polynomials of degree ≤ 2N−1 in each field, geometric for smooth activations, slow for kinks',
      ...(kinked && N % 2 === 1 ? [`warning: ${N} nodes per field is odd: a node sits on the kink at 0 in every field, which biases the expectations — use an even N`] : []),
    ],
  };
}

/** Polynomial standing in for an activation under the wick / hermite backends. */
function asPolynomial(act: Activation, kind: BackendKind, order?: number): Poly {
  if (act.family.kind === 'polynomial') return act.family.poly;
  if (kind !== 'hermite') throw internal('not a polynomial');
  const c = hermiteCoefficients(act, order as number).coefficients;
  let p = Poly.zero(1);
  for (let n = 0; n < c.length; n++) if (c[n] !== 0) p = p.add(hermitePolynomial(n).scale(Coef.float(c[n])));
  return p;
}

function templatePlan(model: Model, kind: BackendKind, order?: number): ExpectationPlan {
  const sigma = model.student;
  const target = model.target;
  const templates: Record<string, Template> = {};
  const notes: string[] = [];
  const studentTerms = needsStudentTerms(model);

  if (kind.startsWith('closed-')) {
    const g = (target as Extract<typeof target, { kind: 'committee' }>).g;
    const fam = closedFamily(kind.slice('closed-'.length));
    // σ(z) = A f(s z): σ′(z) = A s f′(s z); a homogeneous family (ReLU) folds s into A
    const sc = (act: Activation) => {
      const x = fam.scale(act) as { A: number; s: number };
      return fam.scaling === 'covariance' ? x : { A: x.A * x.s, s: 1 };
    };
    const S = sc(sigma);
    const G = sc(g);
    const fn = (h: 's' | 'g') => (h === 's' ? S : G);
    const make = (name: string, f: 'I2' | 'J2' | 'I3' | 'I4', hs: ('s' | 'g' | 'd' | 'u')[], tex: string): Template => {
      // hs: per slot, which function sits there: s = σ, g = g, d = σ′, u = the bare field
      const scales = hs.map((h) => (h === 'u' ? 1 : h === 'd' ? S.s : fn(h).s));
      let factor = 1;
      for (const h of hs) {
        if (h === 's' || h === 'g') factor *= fn(h).A;
        if (h === 'd') factor *= S.A * S.s;
      }
      return { name, slots: hs.length, tex, impl: { kind: 'closed', family: fam.name, fn: f, scales, factor } };
    };
    addCommittee(templates, studentTerms, make);
    return { backend: kind, label: `closed forms (${fam.name})`, templates, notes };
  }

  // wick / hermite: polynomials in the slots
  const sp = asPolynomial(sigma, kind, order);
  const dsp = sp.derivative(0);
  if (kind === 'hermite') {
    const rep = hermiteCoefficients(sigma, 30);
    const tail = rep.coefficients.slice((order as number) + 1).reduce((s, c, i) => s + c * c * factorialNum(i + (order as number) + 1), 0);
    notes.push(`student truncated at Hermite order ${order}: ‖σ − σ_K‖² ≈ ${tail.toExponential(2)} (L²(N(0,1)))`);
    notes.push('hermite:K gives the exact ODE of the truncated model; as an approximation of the original it is an L²(N(0,1)) truncation, so use closed forms or quadrature for accuracy');
  }
  const engines = new Map<number, WickEngine>();
  const expect = (n: number, F: Poly) => {
    let e = engines.get(n);
    if (!e) engines.set(n, (e = new WickEngine(n)));
    return e.expectation(F);
  };
  const at = (p: Poly, n: number, slot: number) => p.embed(n, [slot]);
  const lin = (n: number, slot: number) => Poly.variable(n, slot);

  if (target.kind === 'committee') {
    const gp = asPolynomial(target.g, kind, order);
    if (kind === 'hermite' && target.g.family.kind !== 'polynomial') notes.push(`target truncated at Hermite order ${order}`);
    const poly = { s: sp, g: gp, d: dsp } as const;
    const make = (name: string, _f: string, hs: ('s' | 'g' | 'd' | 'u')[], tex: string): Template => {
      const n = hs.length;
      let F = Poly.constant(n, Coef.one);
      hs.forEach((h, i) => (F = F.mul(h === 'u' ? lin(n, i) : at(poly[h], n, i))));
      return { name, slots: n, tex, impl: { kind: 'poly', poly: expect(n, F) } };
    };
    addCommittee(templates, studentTerms, make);
  } else {
    const k = model.k;
    const gstar = target.poly as Poly;
    const factor = (n: number, f: SlotFactor): Poly =>
      f.kind === 'target' ? gstar.embed(n, Array.from({ length: k }, (_, r) => f.from + r)) : f.kind === 'u' ? lin(n, f.slot) : at(f.kind === 's' ? sp : dsp, n, f.slot);
    addGeneral(templates, studentTerms, k, (name, n, factors, tex) => ({
      name,
      slots: n,
      tex,
      impl: { kind: 'poly', poly: expect(n, factors.reduce((F, f) => F.mul(factor(n, f)), Poly.constant(n, Coef.one))) },
    }));
  }
  const label = kind === 'wick' ? 'exact polynomials (Wick)' : `Hermite truncation at order ${order}, then Wick`;
  return { backend: kind, label, templates, order, notes };
}

/** Exact templates for kinked piecewise-polynomial models (THEORY §3.5). */
function exactPlan(model: Model): ExpectationPlan {
  const templates: Record<string, Template> = {};
  const studentTerms = needsStudentTerms(model);
  const sw = piecewiseOf(model.student) as Piecewise;
  const dsw = piecewiseDerivative(sw);
  const engines = new Map<number, SteinEngine>();
  const expand = (n: number, factors: Factor[]): TemplateImpl => {
    let e = engines.get(n);
    if (!e) engines.set(n, (e = new SteinEngine(n)));
    return { kind: 'stein', expansion: e.expectation(indicatorTerms(n, factors)) };
  };
  const target = model.target;
  if (target.kind === 'committee') {
    const gw = piecewiseOf(target.g) as Piecewise;
    const pw = { s: sw, g: gw, d: dsw } as const;
    const make = (name: string, _f: string, hs: ('s' | 'g' | 'd' | 'u')[], tex: string): Template => {
      const n = hs.length;
      const factors: Factor[] = hs.map((h, i) => (h === 'u' ? { kind: 'poly', poly: Poly.variable(n, i) } : { kind: 'pw', slot: i, pw: pw[h] }));
      return { name, slots: n, tex, impl: expand(n, factors) };
    };
    addCommittee(templates, studentTerms, make);
  } else {
    const k = model.k;
    const gstar = target.poly as Poly;
    const factor = (n: number, f: SlotFactor): Factor =>
      f.kind === 'target'
        ? { kind: 'poly', poly: gstar.embed(n, Array.from({ length: k }, (_, r) => f.from + r)) }
        : f.kind === 'u'
          ? { kind: 'poly', poly: Poly.variable(n, f.slot) }
          : { kind: 'pw', slot: f.slot, pw: f.kind === 's' ? sw : dsw };
    addGeneral(templates, studentTerms, k, (name, n, factors, tex) => {
      // a template without σ or σ′ (E[g*²]) has no kink: Wick alone
      const kinkless = factors.every((f) => f.kind === 'target' || f.kind === 'u');
      const F = factors.map((f) => factor(n, f));
      const impl: TemplateImpl = kinkless
        ? { kind: 'poly', poly: new WickEngine(n).expectation(F.reduce((acc, f) => acc.mul((f as { poly: Poly }).poly), Poly.constant(n, Coef.one))) }
        : expand(n, F);
      return { name, slots: n, tex, impl };
    });
  }
  return {
    backend: 'exact',
    label: 'exact: Wick–Stein reduction of the kinks to orthant probabilities',
    templates,
    notes: ['kinks at 0 are exact: every expectation is a polynomial in conditional covariances, densities at 0 and orthant probabilities (P₄ by Plackett, 48-point Gauss–Legendre)'],
  };
}

type Maker = (name: string, f: 'I2' | 'J2' | 'I3' | 'I4', hs: ('s' | 'g' | 'd' | 'u')[], tex: string) => Template;

/**
 * The templates of a general target g*(ν) on k teacher fields (MSE adds the student–student terms),
 * each as its slot count and the factors of its integrand; `make` turns them into a backend's template.
 */
function addGeneral(out: Record<string, Template>, studentTerms: boolean, k: number, make: (name: string, n: number, factors: SlotFactor[], tex: string) => Template): void {
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
function addCommittee(out: Record<string, Template>, studentTerms: boolean, make: Maker): void {
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

function factorialNum(n: number): number {
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}
