/**
 * Piecewise-polynomial activations with their only kink at the origin — ReLU, leaky ReLU
 * max(z, s z), |z|, step/Heaviside, sign, z·ReLU(z), ReLU(z)², and polynomial combinations of them:
 *   f(z) = p₋(z) for z < 0,  p₊(z) for z > 0,  i.e.  f = p₋ + (p₊ − p₋)·θ(z),  θ = step.
 * Recognised from values, whatever way the user wrote the function: on each half-line f is
 * interpolated by polynomials of increasing degree (≤ 8) until one reproduces f at probe points far
 * from the interpolation nodes to 1e-10 relative. The value at 0 itself is a convention of the
 * simulators (x = 0 belongs to the lower branch: relu(0) = 0, step(0) = 0, sign(0) = 0); it has
 * measure zero in every expectation the exact evaluator computes (THEORY §3.5).
 */
import { Coef } from '../symbolic/coef.ts';
import { Poly } from '../symbolic/poly.ts';
import { Rational } from '../symbolic/rational.ts';
import { familyOf, type Activation } from './activation.ts';
import { maxAbsOf } from '../extrema.ts';
import { breakpoints } from './breaks.ts';

export interface Piecewise {
  /** p₋ on z < 0 (one variable) */
  minus: Poly;
  /** p₊ on z > 0 */
  plus: Poly;
  /** p₊(0) = p₋(0): no jump, so the derivative has no δ at 0 */
  continuous: boolean;
}

const MAX_DEGREE = 8;
const cache = new WeakMap<Activation, Piecewise | null>();

/** The two polynomial pieces of an activation (a polynomial has equal pieces), or undefined. */
export function piecewiseOf(act: Activation): Piecewise | undefined {
  const hit = cache.get(act);
  if (hit !== undefined) return hit ?? undefined;
  let out: Piecewise | undefined;
  const fam = act.family;
  if (fam.kind === 'polynomial') out = { minus: fam.poly, plus: fam.poly, continuous: true };
  else if (fam.kind === 'closed') out = familyOf(act)?.family.pieces?.(fam.params);
  else {
    const plus = halfLine(act.f, 1);
    const minus = plus && halfLine(act.f, -1);
    if (plus && minus && !plus.equals(minus)) out = { minus, plus, continuous: nearlyEqual(minus.evaluate([0]), plus.evaluate([0])) };
  }
  cache.set(act, out ?? null);
  return out;
}

/** Whether an activation has a kink (or jump) at 0 and is polynomial on each side. */
export function isKinked(act: Activation): boolean {
  const pw = piecewiseOf(act);
  return !!pw && !pw.minus.equals(pw.plus);
}

/** The derivative, piece by piece (the δ of a jump is not included: see `continuous`). */
export function piecewiseDerivative(pw: Piecewise): Piecewise {
  const minus = pw.minus.derivative(0);
  const plus = pw.plus.derivative(0);
  return { minus, plus, continuous: nearlyEqual(minus.evaluate([0]), plus.evaluate([0])) };
}

function nearlyEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** f on the half-line sign·z > 0 as a polynomial of degree ≤ 8, or undefined. */
function halfLine(f: (x: number) => number, sign: 1 | -1, from = 0): Poly | undefined {
  // Chebyshev-like nodes on (0.1, 3.2)
  return fitPolynomial(f, [0.013, 0.21, 0.77, 1.37, 2.23, 3.61, 4.9].map((x) => from + sign * x), (deg, i) => from + sign * (1.65 - 1.55 * Math.cos((Math.PI * (i + 0.5)) / (deg + 1))));
}

/**
 * Piecewise-polynomial activations with kinks (or jumps) anywhere — hard-tanh max(−1, min(1, z)),
 * relu(z − b), clipped and shifted steps:  f = p₀ + Σ_k (p_k − p_{k−1})·θ(z − b_k)  over the
 * breakpoints b₁ < … < b_K (hermite/breaks.ts), each piece fitted as `halfLine` does, on the
 * interval's inner points (the half-lines beyond the outer breakpoints as above, from the breakpoint).
 */
export interface Pieces {
  breaks: number[];
  /** the polynomial on (−∞, b₁), (b₁, b₂), …, (b_K, ∞) */
  polys: Poly[];
  /** no jump of f: the derivative has no δ */
  continuous: boolean;
}

const piecesCache = new WeakMap<Activation, Pieces | null>();

/** The pieces of an activation with breakpoints, or undefined (smooth, or not polynomial between them). */
export function piecesOf(act: Activation): Pieces | undefined {
  const hit = piecesCache.get(act);
  if (hit !== undefined) return hit ?? undefined;
  const bps = breakpoints(act);
  let out: Pieces | undefined;
  if (bps.length) {
    const breaks = bps.map((b) => b.at);
    const polys: Poly[] = [];
    for (let k = 0; k <= breaks.length; k++) {
      const lo = k > 0 ? breaks[k - 1] : undefined;
      const hi = k < breaks.length ? breaks[k] : undefined;
      const p =
        lo === undefined
          ? halfLine(act.f, -1, hi)
          : hi === undefined
            ? halfLine(act.f, 1, lo)
            : fitPolynomial(act.f, [0.011, 0.13, 0.37, 0.52, 0.71, 0.93, 0.989].map((u) => lo + u * (hi - lo)), (deg, i) => lo + (hi - lo) * (0.5 - 0.47 * Math.cos((Math.PI * (i + 0.5)) / (deg + 1))));
      if (!p) break;
      polys.push(p);
    }
    if (polys.length === breaks.length + 1) out = { breaks, polys, continuous: !bps.some((b) => b.order === 0) };
  }
  piecesCache.set(act, out ?? null);
  return out;
}

/** A polynomial of degree ≤ 8 through f at `node(deg, i)` that reproduces f at the probes to 1e-10 relative, or undefined. */
function fitPolynomial(f: (x: number) => number, probes: number[], node: (deg: number, i: number) => number): Poly | undefined {
  const pv = probes.map(f);
  if (!pv.every(Number.isFinite)) return undefined;
  const scale = maxAbsOf(pv, 1e-300);
  for (let deg = 0; deg <= MAX_DEGREE; deg++) {
    const xs = Array.from({ length: deg + 1 }, (_, i) => node(deg, i));
    const coefs = interpolate(xs, xs.map(f));
    if (!coefs) return undefined;
    const val = (x: number) => coefs.reduceRight((s, c) => s * x + c, 0);
    if (probes.every((x, i) => Math.abs(val(x) - pv[i]) <= 1e-10 * scale)) {
      let p = Poly.zero(1);
      coefs.forEach((c, n) => {
        const cc = clean(c, maxAbsOf(coefs));
        if (cc) p = p.add(Poly.variable(1, 0, n).scale(cc));
      });
      return p;
    }
  }
  return undefined;
}

/** Monomial coefficients of the interpolating polynomial (Newton form, then expanded). */
function interpolate(xs: number[], ys: number[]): number[] | undefined {
  const n = xs.length;
  const dd = ys.slice();
  for (let j = 1; j < n; j++) for (let i = n - 1; i >= j; i--) dd[i] = (dd[i] - dd[i - 1]) / (xs[i] - xs[i - j]);
  if (!dd.every(Number.isFinite)) return undefined;
  // expand Σ dd_j Π_{i<j} (x − x_i) from the innermost factor outwards
  let c = [dd[n - 1]];
  for (let j = n - 2; j >= 0; j--) {
    const next = new Array(c.length + 1).fill(0);
    for (let i = 0; i < c.length; i++) {
      next[i + 1] += c[i];
      next[i] -= xs[j] * c[i];
    }
    next[0] += dd[j];
    c = next;
  }
  return c;
}

/** A fitted coefficient: 0 below round-off, an exact small rational when it is one to 1e-10. */
function clean(c: number, scale: number): Coef | undefined {
  if (Math.abs(c) <= 1e-11 * scale) return undefined;
  for (const den of [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 25, 50, 100, 1000]) {
    const num = Math.round(c * den);
    if (Math.abs(num / den - c) <= 1e-10 * Math.max(1, Math.abs(c))) return Coef.rational(Rational.of(num, den));
  }
  return Coef.float(c);
}
