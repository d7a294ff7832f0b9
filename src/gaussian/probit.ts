/**
 * Activations written in the Gaussian CDF Φ and density φ (THEORY §3.9): a sum of terms
 *   c · z^e · b(a z),   b ∈ {1, θ, Φ, φ}   (θ = step, at 0; a is the scale of Φ and φ),
 * closed under differentiation (d/dz z^eΦ(az) = e z^{e−1}Φ(az) + a z^e φ(az), d/dz φ(az) = −a²z φ(az)).
 * Members, recognised from values whatever way they were written:
 *   - piecewise polynomials with their kink at 0 (polynomials, ReLU, leaky ReLU, |z|, step, sign), and
 *     with breakpoints anywhere (hard-tanh, relu(z − b), clipped steps) as steps at thresholds θ(z − t);
 *   - c₀ + A·erf(b z) = c₀ − A + 2A Φ(√2 b z), exactly;
 *   - c₀ + A·tanh(b z) (tanh, the logistic sigmoid) through the scale mixture tanh x = E_K[erf(x/√2K)]
 *     (gaussian/kolmogorov.ts): a sum of Φ terms over the mixture's m nodes;
 *   - z times either (GELU z Φ(z), z·erf(z), SiLU/swish z·sigmoid(z));
 *   - the antiderivative of either (softplus, log cosh, ∫erf): ∫₀^z Φ(s t) dt = zΦ(sz) + (φ(sz) − φ(0))/s.
 * Every Gaussian expectation of products of such terms is then a polynomial times orthant
 * probabilities in an augmented Gaussian vector: Φ(a u) = P(ζ ≤ a u) = E[θ(a u − ζ)] with ζ ~ N(0, 1)
 * independent, and a φ(a u) factor reweights the Gaussian law (a rank-one change of its covariance).
 */
import type { Activation } from '../hermite/activation.ts';
import { piecewiseOf, piecesOf } from '../hermite/piecewise.ts';
import { mixtureMember, memberNodes, type MixtureMember } from './kolmogorov.ts';
import { maxAbsOf } from '../extrema.ts';
import { erfNum } from '../families/erf.ts';
import { PROBE } from '../families/family.ts';

export type ProbitBasis = 'one' | 'step' | 'Phi' | 'phi';

/** c · z^e · b(a z) (a = 1 for `one` and `step`); a step may sit at a threshold: c · z^e · θ(z − t). */
export interface ProbitTerm {
  b: ProbitBasis;
  e: number;
  a: number;
  c: number;
  /** the step's threshold (absent: 0) */
  t?: number;
}

/** An activation as a sum of terms: exact, or through the scale mixture (`nodes` > 0). */
export interface ProbitRep {
  terms: ProbitTerm[];
  /** mixture nodes the representation uses (0: exact) */
  nodes: number;
  /** what the activation was recognised as, for notes and labels */
  what: string;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const PHI0 = 1 / SQRT_2PI;

/** Φ in double precision. */
export const normalCdf = (x: number): number => 0.5 * (1 + erfNum(x / Math.SQRT2));
/** φ. */
export const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / SQRT_2PI;

/** Evaluates a representation at z. */
export function evaluateRep(terms: ProbitTerm[], z: number): number {
  let s = 0;
  for (const t of terms) {
    const base = t.b === 'one' ? 1 : t.b === 'step' ? (z > (t.t ?? 0) ? 1 : 0) : t.b === 'Phi' ? normalCdf(t.a * z) : normalPdf(t.a * z);
    s += t.c * z ** t.e * base;
  }
  return s;
}

/** Sums terms of equal basis, power and scale; drops zeros. */
export function mergeTerms(terms: ProbitTerm[]): ProbitTerm[] {
  const by = new Map<string, ProbitTerm>();
  for (const t of terms) {
    if (t.c === 0) continue;
    const a = t.b === 'one' || t.b === 'step' ? 1 : t.a;
    const key = `${t.b}:${t.e}:${a}:${t.t ?? 0}`;
    const hit = by.get(key);
    if (hit) hit.c += t.c;
    else by.set(key, t.t ? { b: t.b, e: t.e, a, c: t.c, t: t.t } : { b: t.b, e: t.e, a, c: t.c });
  }
  return [...by.values()].filter((t) => t.c !== 0);
}

/**
 * The derivative of a representation, term by term; a step term's δ at 0 is dropped (the caller
 * differentiates only continuous functions, whose step terms have no constant part in total).
 */
export function derivativeRep(terms: ProbitTerm[]): ProbitTerm[] {
  const out: ProbitTerm[] = [];
  for (const t of terms) {
    if (t.e > 0) out.push({ ...t, e: t.e - 1, c: t.c * t.e });
    if (t.b === 'Phi') out.push({ b: 'phi', e: t.e, a: t.a, c: t.c * t.a });
    else if (t.b === 'phi') out.push({ b: 'phi', e: t.e + 1, a: t.a, c: -t.c * t.a * t.a });
  }
  return mergeTerms(out);
}

/** c₀ + Σ W_i erf(s_i z/√2) → terms (c₀ − ΣW) + Σ 2W_i Φ(s_i z), times z^shift. */
function mixtureTerms(mem: MixtureMember, m: number, shift: number): ProbitTerm[] {
  const { s, W } = memberNodes(mem, m);
  const sumW = W.reduce((x, y) => x + y, 0);
  const terms: ProbitTerm[] = [{ b: 'one', e: shift, a: 1, c: mem.c0 - sumW }];
  for (let i = 0; i < s.length; i++) terms.push({ b: 'Phi', e: shift, a: s[i], c: 2 * W[i] });
  return mergeTerms(terms);
}

/** f(0) + ∫₀^z of the member: ∫₀^z Φ(s t) dt = zΦ(sz) + (φ(sz) − φ(0))/s. */
function antiderivativeTerms(f0: number, mem: MixtureMember, m: number): ProbitTerm[] {
  const d = mixtureTerms(mem, m, 0);
  const terms: ProbitTerm[] = [{ b: 'one', e: 0, a: 1, c: f0 }];
  for (const t of d) {
    if (t.b === 'one') terms.push({ b: 'one', e: 1, a: 1, c: t.c });
    else {
      terms.push({ b: 'Phi', e: 1, a: t.a, c: t.c });
      terms.push({ b: 'phi', e: 0, a: t.a, c: t.c / t.a });
      terms.push({ b: 'one', e: 0, a: 1, c: (-t.c * PHI0) / t.a });
    }
  }
  return mergeTerms(terms);
}

const describe = (mem: MixtureMember) => (mem.kind === 'erf' ? 'erf' : 'tanh');

/** Whether f matches g on the probe points and at ±7, ±15 to round-off. */
function matches(f: (x: number) => number, g: (x: number) => number): boolean {
  const pts = [...PROBE, -7, 7, -15, 15];
  const scale = maxAbsOf(pts.map(f), 1e-300);
  return pts.every((z) => Math.abs(f(z) - g(z)) <= 1e-10 * scale);
}

const softplusNum = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** The exact antiderivative of c₀′ + A tanh(b z) (or erf) from 0, for recognising antiderivatives. */
function exactAntiderivative(mem: MixtureMember): (z: number) => number {
  const { c0, A, b } = mem;
  if (mem.kind === 'tanh') return (z) => c0 * z + (A / b) * (softplusNum(2 * b * z) - b * z - Math.LN2);
  // ∫₀^z erf(b t) dt = z erf(bz) + (e^{−b²z²} − 1)/(b√π)
  return (z) => c0 * z + A * (z * erfNum(b * z) + (Math.exp(-b * b * z * z) - 1) / (b * Math.sqrt(Math.PI)));
}

/**
 * The representation of an activation with m mixture nodes (where tanh enters), or undefined when it
 * is none of the members above.
 */
export function probitRep(act: Activation, m: number): ProbitRep | undefined {
  const pw = piecewiseOf(act);
  if (pw) {
    const terms: ProbitTerm[] = [];
    for (const t of pw.minus.terms()) terms.push({ b: 'one', e: t.exps[0], a: 1, c: t.c.toNumber() });
    for (const t of pw.plus.sub(pw.minus).terms()) terms.push({ b: 'step', e: t.exps[0], a: 1, c: t.c.toNumber() });
    return { terms: mergeTerms(terms), nodes: 0, what: pw.minus.equals(pw.plus) ? 'polynomial' : 'piecewise polynomial' };
  }
  const pieces = piecesOf(act);
  if (pieces) {
    const terms: ProbitTerm[] = [];
    for (const t of pieces.polys[0].terms()) terms.push({ b: 'one', e: t.exps[0], a: 1, c: t.c.toNumber() });
    pieces.breaks.forEach((at, k) => {
      for (const t of pieces.polys[k + 1].sub(pieces.polys[k]).terms()) terms.push({ b: 'step', e: t.exps[0], a: 1, c: t.c.toNumber(), t: at });
    });
    return { terms: mergeTerms(terms), nodes: 0, what: `piecewise polynomial (breakpoints at ${pieces.breaks.map((b) => +b.toPrecision(6)).join(', ')})` };
  }
  const f = act.f;
  const direct = mixtureMember(f);
  if (direct) return { terms: mixtureTerms(direct, m, 0), nodes: direct.kind === 'tanh' ? m : 0, what: describe(direct) };
  // z times a member (GELU, SiLU): f(z)/z, continued by f′(0) at 0
  const over = (z: number) => (z === 0 ? act.df(0) : f(z) / z);
  const times = mixtureMember(over);
  if (times && matches(f, (z) => z * (times.c0 + times.A * (times.kind === 'tanh' ? Math.tanh(times.b * z) : erfNum(times.b * z)))))
    return { terms: mixtureTerms(times, m, 1), nodes: times.kind === 'tanh' ? m : 0, what: `z·${describe(times)}` };
  // an antiderivative of a member (softplus, log cosh)
  const slope = mixtureMember(act.df);
  if (slope) {
    const F = exactAntiderivative(slope);
    const f0 = f(0);
    if (matches(f, (z) => f0 + F(z))) return { terms: antiderivativeTerms(f0, slope, m), nodes: slope.kind === 'tanh' ? m : 0, what: `∫${describe(slope)}` };
  }
  return undefined;
}

const supCache = new WeakMap<Activation, Map<number, { f: number; d: number }>>();

/**
 * Sup-norm errors of a representation of σ and of its derivative against the activation on [−60, 60]
 * (step 5e-3: the mixture's error oscillates with periods ≳ 0.3; beyond, every member is polynomial
 * or saturated to round-off); 0 for an exact representation. Measured once per activation and node count.
 */
export function repSupErrors(act: Activation, m: number): { f: number; d: number } {
  let byM = supCache.get(act);
  if (!byM) supCache.set(act, (byM = new Map()));
  const hit = byM.get(m);
  if (hit) return hit;
  const rep = probitRep(act, m);
  if (!rep) return { f: Infinity, d: Infinity };
  // an exact representation has round-off only
  if (rep.nodes === 0) return { f: 0, d: 0 };
  const drep = derivativeRep(rep.terms);
  let f = 0;
  let d = 0;
  for (let i = -12000; i <= 12000; i++) {
    const z = i * 5e-3;
    f = Math.max(f, Math.abs(evaluateRep(rep.terms, z) - act.f(z)));
    d = Math.max(d, Math.abs(evaluateRep(drep, z) - act.df(z)));
  }
  const out = { f: 1.05 * f, d: 1.05 * d };
  byM.set(m, out);
  return out;
}
