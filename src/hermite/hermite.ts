/**
 * The Hermite stage (THEORY §3.2). Probabilists' Hermite polynomials He_n with exact coefficients;
 * the coefficients c_k = E[f He_k]/k! = E[f^{(k)}]/k! of an activation — exactly for polynomials,
 * in closed form for A·erf(bz) and s·ReLU(z), by composite Gauss–Legendre quadrature (with an error
 * estimate) otherwise; information exponents of a function and of a student–target pair; the
 * multivariate Hermite expansion of polynomial targets g*(ν).
 */
import { Coef } from '../symbolic/coef.ts';
import { usageError } from '../errors.ts';
import { Poly } from '../symbolic/poly.ts';
import { Rational, factorial } from '../symbolic/rational.ts';
import { normalExpectation } from '../quadrature.ts';
import { activation as parseActivation, familyOf, type Activation } from './activation.ts';
import { closedFamily } from '../families/index.ts';
import { Expr } from '../symbolic/expr.ts';
import { math } from '../symbolic/mathjs.ts';
import { fmt17 } from '../symbolic/coef.ts';
import { maxAbsDiff } from '../extrema.ts';

/** He_n as a polynomial in one variable. */
export function hermitePolynomial(n: number): Poly {
  let h0 = Poly.constant(1, Coef.one);
  if (n === 0) return h0;
  const x = Poly.variable(1, 0);
  let h1 = x;
  for (let m = 1; m < n; m++) {
    const h2 = x.mul(h1).sub(h0.scale(Coef.int(m)));
    h0 = h1;
    h1 = h2;
  }
  return h1;
}

/**
 * x^m = Σ_j m!/(j!(m−2j)! 2^j) He_{m−2j}(x): the Hermite coefficients of a monomial.
 * Returns [degree, coefficient] pairs.
 */
export function monomialToHermite(m: number): [number, Rational][] {
  const out: [number, Rational][] = [];
  for (let j = 0; 2 * j <= m; j++) {
    out.push([m - 2 * j, Rational.of(factorial(m), factorial(j) * factorial(m - 2 * j) * 2n ** BigInt(j))]);
  }
  return out;
}

/** Exact Hermite coefficients c_0..c_deg of a univariate polynomial. */
export function polynomialHermite(poly: Poly): Coef[] {
  const deg = Math.max(0, poly.totalDegree());
  const c: Coef[] = new Array(deg + 1).fill(Coef.zero);
  for (const t of poly.terms()) {
    for (const [k, r] of monomialToHermite(t.exps[0])) c[k] = c[k].add(t.c.scale(r));
  }
  return c;
}

/** E[p(x)] for x ~ N(0,1), exactly: E[x^{2m}] = (2m−1)!!. */
export function gaussianMean1(poly: Poly): Coef {
  let s = Coef.zero;
  for (const t of poly.terms()) {
    const m = t.exps[0];
    if (m % 2) continue;
    let df = 1n;
    for (let i = m - 1; i > 1; i -= 2) df *= BigInt(i);
    s = s.add(t.c.scale(Rational.of(df)));
  }
  return s;
}

export type CoefficientMethod = 'exact' | 'closed-form' | 'quadrature';

export interface HermiteReport {
  coefficients: number[];
  /** exact coefficients as text (polynomials only). */
  exact?: string[];
  method: CoefficientMethod;
  /** estimated absolute error of each coefficient (0 for exact and closed forms). */
  accuracy: number;
  /** E[f'(x)²]. */
  derivativeSquare: number;
  /** E[f(x)²]. */
  meanSquare: number;
  /** smallest k ≥ 1 with c_k ≠ 0, null when none up to the order computed. */
  informationExponent: number | null;
}

/** Threshold below which a quadrature coefficient counts as zero. */
const ZERO_TOL = 1e-10;

export function hermiteCoefficients(act: Activation, order: number): HermiteReport {
  const fam = act.family;
  if (fam.kind === 'polynomial') {
    const exact = polynomialHermite(fam.poly);
    const all = Array.from({ length: order + 1 }, (_, k) => exact[k] ?? Coef.zero);
    const dpoly = fam.poly.derivative(0);
    return {
      coefficients: all.map((c) => c.toNumber()),
      exact: all.map((c) => c.toString()),
      method: 'exact',
      accuracy: 0,
      derivativeSquare: gaussianMean1(dpoly.mul(dpoly)).toNumber(),
      meanSquare: gaussianMean1(fam.poly.mul(fam.poly)).toNumber(),
      informationExponent: firstNonZero(all.map((c) => (c.isZero() ? 0 : 1)), 0),
    };
  }
  let coefficients: number[];
  let method: CoefficientMethod = 'closed-form';
  let accuracy = 0;
  const member = familyOf(act);
  if (member) coefficients = member.family.hermite(member.params, order);
  else {
    method = 'quadrature';
    const fine = quadratureCoefficients(act.f, order, 24);
    const coarse = quadratureCoefficients(act.f, order, 16);
    coefficients = fine;
    accuracy = Math.max(1e-16, maxAbsDiff(fine, coarse));
    // a function that is odd (even) on a dense grid has exactly zero even (odd) coefficients:
    // report those as 0 rather than as quadrature round-off
    const parity = parityOf(act.f);
    if (parity !== 0) coefficients = coefficients.map((c, k) => ((k % 2 === 0) === (parity === -1) ? 0 : c));
  }
  const derivativeSquare = member ? member.family.derivativeSquare(member.params) : normalExpectation((x) => act.df(x) ** 2, 24);
  const meanSquare = normalExpectation((x) => act.f(x) ** 2, 24);
  const tol = Math.max(ZERO_TOL, 10 * accuracy);
  return {
    coefficients,
    method,
    accuracy,
    derivativeSquare,
    meanSquare,
    informationExponent: firstNonZero(coefficients, tol),
  };
}

/** +1 if f is even, −1 if odd, 0 otherwise, to round-off on a grid of x ∈ [0.01, 12]. */
function parityOf(f: (x: number) => number): -1 | 0 | 1 {
  let even = true;
  let odd = true;
  for (let i = 1; i <= 1200; i++) {
    const x = i / 100;
    const a = f(x);
    const b = f(-x);
    const tol = 1e-13 * Math.max(1, Math.abs(a), Math.abs(b));
    if (Math.abs(a - b) > tol) even = false;
    if (Math.abs(a + b) > tol) odd = false;
    if (!even && !odd) return 0;
  }
  return even ? 1 : odd ? -1 : 0;
}

function firstNonZero(c: number[], tol: number): number | null {
  for (let k = 1; k < c.length; k++) if (Math.abs(c[k]) > tol) return k;
  return null;
}

/** c_k = E[f(x) He_k(x)]/k! by composite Gauss–Legendre with `nodes` points per panel. */
export function quadratureCoefficients(f: (x: number) => number, order: number, nodes: number): number[] {
  const out: number[] = [];
  for (let k = 0; k <= order; k++) out.push(normalExpectation((x) => f(x) * heNum(k, x), nodes) / factNum(k));
  return out;
}

/** He_k(x) numerically by the recurrence. */
export function heNum(k: number, x: number): number {
  if (k === 0) return 1;
  let h0 = 1;
  let h1 = x;
  for (let m = 1; m < k; m++) {
    const h2 = x * h1 - m * h0;
    h0 = h1;
    h1 = h2;
  }
  return h1;
}

export function factNum(k: number): number {
  let r = 1;
  for (let i = 2; i <= k; i++) r *= i;
  return r;
}

/** Information exponent of a student–target pair: first k ≥ 1 with c_k(σ) c_k(g) ≠ 0. */
export function pairExponent(a: HermiteReport, b: HermiteReport): number | null {
  const n = Math.min(a.coefficients.length, b.coefficients.length);
  const ta = Math.max(ZERO_TOL, 10 * a.accuracy);
  const tb = Math.max(ZERO_TOL, 10 * b.accuracy);
  for (let k = 1; k < n; k++) if (Math.abs(a.coefficients[k]) > ta && Math.abs(b.coefficients[k]) > tb) return k;
  return null;
}

export interface MultiHermiteTerm {
  /** degrees α_r of He_{α_r}(ν_r). */
  alpha: number[];
  coefficient: number;
  exact: string;
}

/**
 * Multivariate Hermite expansion g*(ν) = Σ_α c_α Π_r He_{α_r}(ν_r) of a polynomial target, exact.
 * Terms in canonical order (total degree descending).
 */
export function multivariateHermite(poly: Poly): MultiHermiteTerm[] {
  let out = Poly.zero(poly.nv); // exponents now mean Hermite degrees
  for (const t of poly.terms()) {
    let partial: { alpha: number[]; c: Coef }[] = [{ alpha: [], c: t.c }];
    for (let r = 0; r < poly.nv; r++) {
      const next: typeof partial = [];
      for (const p of partial)
        for (const [k, q] of monomialToHermite(t.exps[r])) next.push({ alpha: [...p.alpha, k], c: p.c.scale(q) });
      partial = next;
    }
    for (const p of partial) out = out.add(Poly.fromTerms(poly.nv, [{ exps: p.alpha, c: p.c }]));
  }
  return out.terms().map((t) => ({ alpha: t.exps, coefficient: t.c.toNumber(), exact: t.c.toString() }));
}

/**
 * For each direction r, the lowest total Hermite degree |α| among the terms that involve ν_r
 * (α_r ≥ 1); null when ν_r does not occur.
 */
export function lowestDegreePerDirection(terms: MultiHermiteTerm[], k: number): (number | null)[] {
  return Array.from({ length: k }, (_, r) => {
    let best: number | null = null;
    for (const t of terms) {
      if (t.alpha[r] >= 1) {
        const deg = t.alpha.reduce((a, b) => a + b, 0);
        best = best === null ? deg : Math.min(best, deg);
      }
    }
    return best;
  });
}

export interface LeapIndex {
  /** the leap: the fewest new Hermite degrees that some ordering of the support must pick up at once */
  leap: number;
  /** an ordering of the non-constant terms (indices into the expansion) that attains it */
  order: number[];
  /** the new degrees each term of that ordering picks up */
  steps: number[];
}

/**
 * The leap index of a target in Hermite form (THEORY §4.3): the minimum over orderings S_1, S_2, … of
 * the support of max_i Σ_{r ∉ U_{i−1}} (S_i)_r, U_{i−1} the coordinates touched before. A term whose
 * coordinates are all touched adds nothing, so it is the bottleneck (minimax) path from ∅ to all
 * coordinates of the support over the subsets U, found by a Dijkstra search on the largest step.
 * Exact; basis-dependent (it is computed in the basis the target is written in).
 */
export function leapIndex(terms: MultiHermiteTerm[], k: number): LeapIndex {
  const support = terms.map((t, i) => ({ i, alpha: t.alpha })).filter((t) => t.alpha.some((a) => a > 0) && terms[t.i].coefficient !== 0);
  const maskOf = (alpha: number[]) => alpha.reduce((m, a, r) => (a > 0 ? m | (1 << r) : m), 0);
  const full = support.reduce((m, t) => m | maskOf(t.alpha), 0);
  if (k > 20) throw usageError('the leap index is computed for at most 20 directions', { field: 'expression', value: k });
  const cost = (alpha: number[], U: number) => alpha.reduce((s, a, r) => (U & (1 << r) ? s : s + a), 0);
  // bottleneck Dijkstra over subsets U of touched coordinates
  const best = new Map<number, number>([[0, 0]]);
  const prev = new Map<number, { from: number; term: number; step: number }>();
  const done = new Set<number>();
  for (;;) {
    let U = -1;
    let bU = Infinity;
    for (const [u, b] of best) if (!done.has(u) && b < bU) [U, bU] = [u, b];
    if (U < 0 || U === full) break;
    done.add(U);
    for (const t of support) {
      const V = U | maskOf(t.alpha);
      if (V === U) continue;
      const step = cost(t.alpha, U);
      const b = Math.max(bU, step);
      if (b < (best.get(V) ?? Infinity)) {
        best.set(V, b);
        prev.set(V, { from: U, term: t.i, step });
      }
    }
  }
  const order: number[] = [];
  const steps: number[] = [];
  for (let V = full; V !== 0; ) {
    const p = prev.get(V) as { from: number; term: number; step: number };
    order.unshift(p.term);
    steps.unshift(p.step);
    V = p.from;
  }
  // terms whose coordinates were all touched on the way add nothing: they follow at step 0
  for (const t of support) if (!order.includes(t.i)) {
    order.push(t.i);
    steps.push(0);
  }
  return { leap: best.get(full) ?? 0, order, steps };
}

/**
 * The activation rescaled to a field of variance q: x ↦ f(√q x), whose Hermite coefficients are the
 * ones that enter expectations over a field with Var = q (THEORY §3.2). Exact for polynomials
 * (z → √q z, with √q exact for rational q), closed for the erf and ReLU families, quadrature otherwise.
 */
export function rescaledActivation(act: Activation, q: number): Activation {
  const r = Math.sqrt(q);
  const fam = act.family;
  let family: Activation['family'];
  if (fam.kind === 'polynomial') {
    const sq = Coef.fromNumber(q).sqrt() ?? Coef.float(r);
    family = { kind: 'polynomial', poly: fam.poly.substitute(0, Poly.variable(1, 0).scale(sq)) };
  } else if (fam.kind === 'closed') family = { ...fam, params: closedFamily(fam.name).rescale(fam.params, r) };
  else family = { kind: 'general' };
  // the printed expressions describe the rescaled function: f(√q z) and its derivative √q f′(√q z)
  const scaled = act.expr.substitute({ z: math.parse(`${fmt17(r)} * z`) });
  const dscaled = act.dexpr.substitute({ z: math.parse(`${fmt17(r)} * z`) });
  const dexpr = Expr.fromNode(math.parse(`${fmt17(r)} * (${dscaled.node.toString()})`), ['z']);
  return { expr: Expr.fromNode(scaled.node, ['z']), dexpr, f: (x) => act.f(r * x), df: (x) => r * act.df(r * x), family };
}

/** Hermite report of an activation given as text in z (e.g. "tanh(z)"): coefficients up to `order`, E[f²], E[f′²], information exponent. */
export function hermite(text: string, order = 8): HermiteReport {
  return hermiteCoefficients(parseActivation(text, { field: 'expression' }), order);
}
