/**
 * The derived equations as one value (THEORY §2.3): the state and parameter layout, the moments
 * A, B, V, S and the risk ε as sums of expectation templates over indexed local fields, and the
 * right-hand side for the model's dynamics — indexed, symbolic in p, k and the parameters. This is the
 * `calculate` step: code (src/codegen/module.ts → TypeScript, Python, C) and LaTeX
 * (src/codegen/latex.ts) are printed from this value alone, so they cannot disagree.
 *
 * Indices are 0-based in the value (j, l, s, s2 run over the p students; r, t, u over the k
 * teachers) and printed 1-based in LaTeX.
 */
import type { Model } from '../hermite/model.ts';
import type { ExpectationPlan, Template } from '../gaussian/plan.ts';
import { layoutOf, type Layout } from './layout.ts';
import { residualWeight } from '../loss/index.ts';

export type Ix = string | number;
export type Range = 'p' | 'k';
export type Sym = 'M' | 'Q' | 'a' | 'A' | 'B' | 'V' | 'S' | 'w' | 'r';
/** eta_bar, Delta, kappa, and the regularisers' parameters (src/regularisers) */
export type Param = string;

/** A local field: λ_i (student) or ν_i (teacher). */
export interface Field {
  f: 'lambda' | 'nu';
  i: Ix;
}

export type SExpr =
  | { k: 'num'; v: number }
  | { k: 'par'; name: Param }
  | { k: 'dim'; name: Range }
  | { k: 'el'; sym: Sym; ix: Ix[] }
  | { k: 'add'; terms: SExpr[] }
  | { k: 'mul'; fs: SExpr[] }
  | { k: 'neg'; a: SExpr }
  | { k: 'div'; a: SExpr; b: SExpr }
  /**
   * Σ over one index, or over two (`ix` of length 2) of the same range; `symmetric`: the body is
   * symmetric in the two, so code may sum the diagonal once and the off-diagonal twice.
   */
  | { k: 'sum'; ix: string[]; over: Range; symmetric?: boolean; body: SExpr }
  /** a template (plan.templates) at the covariance of these fields; `allNu`: then every ν_1..ν_k */
  | { k: 'tmpl'; name: string; fields: Field[]; allNu?: boolean };

export type Lhs = 'dM' | 'dQ' | 'da' | 'A' | 'B' | 'V' | 'S' | 'eps' | 'r';

export interface Equation {
  lhs: Lhs;
  /** index variables of the left-hand side with their ranges; `from`: starts at that index (l ≥ j) */
  domain: { ix: string; over: Range; from?: string }[];
  rhs: SExpr;
  /** the matrix is symmetric: the lower triangle copies the upper */
  symmetric?: boolean;
}

/** How the moments are evaluated: sums of the templates, or by the backend as a whole (quadrature over all fields, lattice). */
export type MomentScheme = { kind: 'templates'; equations: Equation[]; risk: Equation } | { kind: 'whole' };

export interface Equations {
  model: Model;
  plan: ExpectationPlan;
  layout: Layout;
  moments: MomentScheme;
  /** the right-hand side: auxiliaries (r_j) first, then dM, dQ, da */
  rhs: Equation[];
  templates: Template[];
}

// ---- builders ----
const n = (v: number): SExpr => ({ k: 'num', v });
const par = (name: Param): SExpr => ({ k: 'par', name });
const dim = (name: Range): SExpr => ({ k: 'dim', name });
const el = (sym: Sym, ...ix: Ix[]): SExpr => ({ k: 'el', sym, ix });
const add = (...terms: SExpr[]): SExpr => (terms.length === 1 ? terms[0] : { k: 'add', terms });
const mul = (...fs: SExpr[]): SExpr => ({ k: 'mul', fs });
const neg = (a: SExpr): SExpr => ({ k: 'neg', a });
const div = (a: SExpr, b: SExpr): SExpr => ({ k: 'div', a, b });
const sum = (ix: string | string[], over: Range, body: SExpr, symmetric = false): SExpr => ({ k: 'sum', ix: typeof ix === 'string' ? [ix] : ix, over, body, symmetric });
const lam = (i: Ix): Field => ({ f: 'lambda', i });
const nu = (i: Ix): Field => ({ f: 'nu', i });
const T = (name: string, ...fields: Field[]): SExpr => ({ k: 'tmpl', name, fields });
const Tnu = (name: string, ...fields: Field[]): SExpr => ({ k: 'tmpl', name, fields, allNu: true });

/** a_s/p */
const ap = (s: Ix): SExpr => div(el('a', s), dim('p'));
/** w_t/k */
const wk = (t: Ix): SExpr => div(el('w', t), dim('k'));

/** The equations of a model under an expectation plan (the `calculate` step). */
export function overlapEquations(model: Model, plan: ExpectationPlan): Equations {
  const layout = layoutOf(model);
  const moments: MomentScheme = plan.scheme === 'whole' ? { kind: 'whole' } : templateMoments(model, residualWeight(model));
  return { model, plan, layout, moments, rhs: rhsEquations(model), templates: Object.values(plan.templates) };
}

/**
 * The moments from the templates, with the residual e = y − w·f of the model's loss (src/loss): the
 * student's terms enter with w in the drift and S, with w (cross) and w² (student–student) in V, and
 * not at all when w = 0.
 */
function templateMoments(model: Model, w: number): MomentScheme {
  const committee = model.target.kind === 'committee';
  const stud = (body: SExpr[], power: 1 | 2 = 1) => (w === 0 ? [] : w === 1 ? body : body.map((e) => mul(n(w ** power), e)));
  const eqs: Equation[] = [];
  const jr = [{ ix: 'j', over: 'p' as const }, { ix: 'r', over: 'k' as const }];
  const jl = [{ ix: 'j', over: 'p' as const }, { ix: 'l', over: 'p' as const }];
  const jlUpper = [{ ix: 'j', over: 'p' as const }, { ix: 'l', over: 'p' as const, from: 'j' }];
  const drift = (x: Field): SExpr =>
    add(
      committee ? sum('t', 'k', mul(wk('t'), T('I3g', lam('j'), x, nu('t')))) : Tnu('T3', lam('j'), x),
      ...stud([neg(sum('s', 'p', mul(ap('s'), T('I3s', lam('j'), x, lam('s')))))]),
    );
  eqs.push({ lhs: 'A', domain: jr, rhs: drift(nu('r')) });
  eqs.push({ lhs: 'B', domain: jl, rhs: drift(lam('l')) });
  const V = committee
    ? add(
        sum(['t', 'u'], 'k', mul(wk('t'), wk('u'), T('I4gg', lam('j'), lam('l'), nu('t'), nu('u'))), true),
        ...stud([neg(mul(n(2), sum('s', 'p', sum('t', 'k', mul(ap('s'), wk('t'), T('I4sg', lam('j'), lam('l'), lam('s'), nu('t')))))))]),
        ...stud([sum(['s', 's2'], 'p', mul(ap('s'), ap('s2'), T('I4ss', lam('j'), lam('l'), lam('s'), lam('s2'))), true)], 2),
        mul(par('Delta'), T('J2', lam('j'), lam('l'))),
      )
    : add(
        Tnu('T4g', lam('j'), lam('l')),
        ...stud([neg(mul(n(2), sum('s', 'p', mul(ap('s'), Tnu('T4s', lam('j'), lam('l'), lam('s'))))))]),
        ...stud([sum(['s', 's2'], 'p', mul(ap('s'), ap('s2'), T('I4ss', lam('j'), lam('l'), lam('s'), lam('s2'))), true)], 2),
        mul(par('Delta'), T('J2', lam('j'), lam('l'))),
      );
  eqs.push({ lhs: 'V', domain: jlUpper, rhs: V, symmetric: true });
  const S = add(
    committee ? sum('t', 'k', mul(wk('t'), T('I2sg', lam('j'), nu('t')))) : Tnu('TS', lam('j')),
    ...stud([neg(sum('s', 'p', mul(ap('s'), T('I2ss', lam('j'), lam('s')))))]),
  );
  eqs.push({ lhs: 'S', domain: [{ ix: 'j', over: 'p' }], rhs: S });
  // ε = ½(Δ + E[y²] − 2E[f y] + E[f²]): the MSE population risk under either loss
  const yy = committee ? sum(['t', 'u'], 'k', mul(wk('t'), wk('u'), T('I2gg', nu('t'), nu('u'))), true) : Tnu('T0');
  const fy = committee ? sum('j', 'p', sum('t', 'k', mul(ap('j'), wk('t'), T('I2sg', lam('j'), nu('t'))))) : sum('j', 'p', mul(ap('j'), Tnu('TS', lam('j'))));
  const ff = sum(['j', 'l'], 'p', mul(ap('j'), ap('l'), T('I2ss', lam('j'), lam('l'))), true);
  const risk: Equation = { lhs: 'eps', domain: [], rhs: mul(n(0.5), add(par('Delta'), yy, neg(mul(n(2), fy)), ff)) };
  return { kind: 'templates', equations: eqs, risk };
}

/** THEORY §2.3: plain, or spherical/projected with the normalisation terms r_j. */
function rhsEquations(model: Model): Equation[] {
  const normalised = model.dynamics !== 'plain';
  const out: Equation[] = [];
  const cj = ap('j');
  const cl = ap('l');
  if (normalised)
    out.push({
      lhs: 'r',
      domain: [{ ix: 'j', over: 'p' }],
      rhs: add(mul(cj, el('B', 'j', 'j')), mul(n(0.5), par('eta_bar'), cj, cj, el('V', 'j', 'j'))),
    });
  out.push({
    lhs: 'dM',
    domain: [{ ix: 'j', over: 'p' }, { ix: 'r', over: 'k' }],
    rhs: add(
      mul(cj, el('A', 'j', 'r')),
      ...(normalised ? [neg(mul(el('r', 'j'), el('M', 'j', 'r')))] : []),
      // a linear shrink ∇R = λW (THEORY §2.9): −λ M
      ...model.regularisers.map(({ reg }) => neg(mul(par(reg.param.name), el('M', 'j', 'r')))),
    ),
  });
  out.push({
    lhs: 'dQ',
    domain: [{ ix: 'j', over: 'p' }, { ix: 'l', over: 'p', from: 'j' }],
    rhs: add(
      mul(cj, el('B', 'j', 'l')),
      mul(cl, el('B', 'l', 'j')),
      mul(par('eta_bar'), cj, cl, el('V', 'j', 'l')),
      ...(normalised ? [neg(mul(add(el('r', 'j'), el('r', 'l')), el('Q', 'j', 'l')))] : []),
      // −2λ Q
      ...model.regularisers.map(({ reg }) => neg(mul(n(2), par(reg.param.name), el('Q', 'j', 'l')))),
    ),
  });
  if (model.trainSecondLayer) out.push({ lhs: 'da', domain: [{ ix: 'j', over: 'p' }], rhs: mul(div(par('kappa'), dim('p')), el('S', 'j')) });
  return out;
}

/** Template names an expression refers to, in order of appearance. */
export function templatesIn(e: SExpr): string[] {
  const out: string[] = [];
  const walk = (x: SExpr): void => {
    switch (x.k) {
      case 'tmpl':
        if (!out.includes(x.name)) out.push(x.name);
        return;
      case 'add':
        x.terms.forEach(walk);
        return;
      case 'mul':
        x.fs.forEach(walk);
        return;
      case 'neg':
        walk(x.a);
        return;
      case 'div':
        walk(x.a);
        walk(x.b);
        return;
      case 'sum':
        walk(x.body);
        return;
      default:
        return;
    }
  };
  walk(e);
  return out;
}
