/**
 * What kind of scalar function an activation is, which decides how its Gaussian expectations are
 * computed: an exact polynomial (Wick), a member of a family with closed forms (src/families: A·erf(b z),
 * s·ReLU(z)) recognised from its values whatever way the user wrote it, or a general function
 * (Hermite series / quadrature). Also the well-posedness checks: real-valued on ℝ and with finite
 * Gaussian moments up to the fourth power the expectations need.
 */
import { Expr } from '../symbolic/expr.ts';
import { recogniseFamily, closedFamily, type ClosedFamily, type FamilyParams } from '../families/index.ts';
import { erfNum } from '../families/erf.ts';
import { normalExpectation } from '../quadrature.ts';
import type { Poly } from '../symbolic/poly.ts';
import { usageError, type ErrorWhere } from '../errors.ts';

export type Family =
  | { kind: 'polynomial'; poly: Poly }
  /** a member of a closed-form family (src/families) */
  | { kind: 'closed'; name: string; params: FamilyParams }
  | { kind: 'general' };

export interface Activation {
  expr: Expr;
  /** σ as a plain function. */
  f: (x: number) => number;
  /** σ′. */
  df: (x: number) => number;
  dexpr: Expr;
  family: Family;
}

/** Parses, validates and classifies a one-variable activation in `z`. */
export function activation(text: string, where: ErrorWhere = {}): Activation {
  const expr = Expr.parse(text, ['z'], where);
  const f = expr.compile();
  const dexpr = expr.derivative('z');
  const df = dexpr.compile();
  checkWellPosed(f, text, where);
  checkWellPosed(df, text, where, 'its derivative ');
  return { expr, f: (x) => f(x), df: (x) => df(x), dexpr, family: classify(expr, f) };
}

/** A polynomial, a member of a closed-form family (recognised from its values), or a general function. */
export function classify(expr: Expr, f: (x: number) => number = expr.compile()): Family {
  const poly = expr.toPoly();
  if (poly) return { kind: 'polynomial', poly };
  const member = recogniseFamily(f);
  return member ? { kind: 'closed', name: member.family.name, params: member.params } : { kind: 'general' };
}

/** The closed-form family of an activation, if it is a member of one. */
export function familyOf(act: Activation): { family: ClosedFamily; params: FamilyParams } | undefined {
  return act.family.kind === 'closed' ? { family: closedFamily(act.family.name), params: act.family.params } : undefined;
}

/**
 * Refuses functions that are not real-valued on ℝ or whose Gaussian moments up to E[f⁴] diverge
 * (e.g. exp(z²)): checks values on a grid and the growth 4 log|f(z)| − z²/2 at |z| = 20, 25, 30.
 */
export function checkWellPosed(f: (x: number) => number, text: string, where: ErrorWhere, what = ''): void {
  for (let i = -200; i <= 200; i++) {
    const z = i / 20;
    const v = f(z);
    if (Number.isNaN(v)) throw usageError(`${what}is not real-valued at z = ${z}`, { ...where, value: text });
    if (!Number.isFinite(v)) throw usageError(`${what}is infinite at z = ${z} (f = ${v}): hermode needs f and f′ finite on the real line`, { ...where, value: text });
  }
  for (const z of [20, 25, 30, -20, -25, -30]) {
    const v = Math.abs(f(z));
    if (Number.isNaN(v)) throw usageError(`${what}is not real-valued at z = ${z}`, { ...where, value: text });
    if (!Number.isFinite(v) || 4 * Math.log(v) - (z * z) / 2 > -20)
      throw usageError(`${what}grows too fast: its Gaussian moments diverge (|f(${z})| = ${v.toExponential(3)})`, {
        ...where,
        value: text,
      });
  }
  checkSquareIntegrable(f, text, where, what);
}

/**
 * Poles and other non-integrable singularities on the real line (1/z, tan(z), 1/√|z| …): E[f²] by
 * composite Gauss–Legendre (16 nodes on panels of width 1/2, 1/4 and 1/8, §3.4) converges for any
 * square-integrable f, kinks and jumps included, but does not settle when the integral diverges: the
 * nodes of the finer rules come closer to the singularity. A relative change above 1 % between the
 * two finest rules is refused, naming where |f| is largest on a fine grid (the singularity). (Gauss–
 * Hermite is no detector: at a kink away from 0, e.g. max(−1, min(1, z)), its 96- and 192-node values
 * still differ by 1 %.) A jump inside a panel unsettles the rules too (the derivative of max(−1,
 * min(1, 1.1z)) jumps at ±1/1.1): f bounded near its peak at a thousandfold finer scale is a jump.
 */
function checkSquareIntegrable(f: (x: number) => number, text: string, where: ErrorWhere, what: string): void {
  const f2 = (x: number) => f(x) ** 2;
  const [m48, m96, m192] = [normalExpectation(f2, 16, 0.5), normalExpectation(f2, 16, 0.25), normalExpectation(f2, 16, 0.125)];
  const settled = Number.isFinite(m192) && Math.abs(m192 - m96) <= 0.01 * Math.abs(m192) + 1e-12 && Math.abs(m96 - m48) <= 0.1 * Math.abs(m96) + 1e-12;
  if (settled) return;
  let at = 0;
  let big = 0;
  for (let i = -12000; i <= 12000; i++) {
    const z = i / 1000;
    const v = Math.abs(f(z + 1e-7));
    if (v > big) {
      big = v;
      at = z;
    }
  }
  // a jump inside a panel also unsettles the rules (by ~jump × panel width): bounded near its largest
  // value at a thousandfold finer scale, f has a jump there, not a singularity
  const peak = (h: number) => {
    let m = 0;
    for (let i = -60; i <= 60; i++) m = Math.max(m, Math.abs(f(at + (i + 1 / 3) * h)));
    return m;
  };
  if (Number.isFinite(m192) && peak(1e-6) <= 2 * peak(1e-3)) return;
  throw usageError(`${what}is singular near z = ${at} (|f| reaches ${big.toExponential(2)}): E[f²] does not exist (composite Gauss–Legendre on panels of width 1/2, 1/4, 1/8 gives ${m48.toExponential(3)}, ${m96.toExponential(3)}, ${m192.toExponential(3)})`, { ...where, value: text });
}

/** erf in double precision (families/erf.ts). */
export { erfNum };
