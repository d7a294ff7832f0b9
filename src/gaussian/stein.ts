/**
 * Exact Gaussian expectations of polynomials times half-space indicators (THEORY §3.5): for
 * u ~ N(0, C) in n slots and a set K of "kinked" slots, E[F(u)] with F = Σ_{S⊆K} P_S(u) Π_{i∈S} θ(u_i)
 * (θ = step). This extends the Wick recursion of wick.ts by the derivative of an indicator — Stein's
 * lemma E[u_a G(u)] = Σ_b C_ab E[∂_b G(u)] with ∂_b θ(u_b) = δ(u_b):
 *
 *   E^B[u^α θ_R] = Σ_{b∉B} C^B_ab (α − e_a)_b E^B[u^{α−e_a−e_b} θ_R]
 *                + Σ_{b∈R, (α−e_a)_b = 0} C^B_ab φ^B_b E^{B∪b}[u^{α−e_a} θ_{R∖b}],
 *   E^B[θ_R] = P^B_R,
 *
 * where B is the set of slots conditioned to 0 so far, C^B the conditional covariance given u_B = 0
 * (it does not depend on the order of conditioning), φ^B_b = 1/√(2π C^B_bb) the density of u_b at 0,
 * and P^B_R the orthant probability P(u_i > 0, i ∈ R | u_B = 0): 1/2 for one field, elementary for
 * two and three, Plackett's one-dimensional integral for four. The result is a polynomial with exact
 * coefficients in the symbols C^B_ij, φ^B_b and P^B_R; the generated code computes those symbols at the
 * covariance it is called with (the `stein*` kernels below) and evaluates the polynomial.
 *
 * Coincident and singular covariances (j = l, alignment, M = 0, fields in a plane) need no special
 * case in the algebra. The expectation is continuous in C, so at a singular C the kernels take every
 * symbol's limit along C + εI, ε → 0: a kinked field whose conditional variance vanishes (it lies in
 * the span of the fields conditioned on) has φ = 0, is uncorrelated with the regular fields, and is
 * correlated with the other degenerate ones by the ε-derivative D of the conditional covariance,
 * propagated alongside C^B. For a collinear pair the two orderings then add up to the merged
 * expectation (θ(u)² = θ(u), θ(u)θ(−u) = 0). Near a singular C the terms are ill-conditioned (a
 * conditional variance δ carries round-off 1e-16/δ relative) while their sum is Lipschitz, so three or
 * four kinked fields that are nearly linearly dependent are first given a ridge of 1e-9 of their
 * variances, shared by collinear fields so that pairs stay exact (steinRegularize).
 */
import { Coef } from '../symbolic/coef.ts';
import { Poly } from '../symbolic/poly.ts';
import { Rational } from '../symbolic/rational.ts';
import { parseKernel } from '../ir/parse.ts';
import { instantiate } from '../ir/js.ts';
import type { Piecewise } from '../hermite/piecewise.ts';
import { PLACKETT_SOURCE, steinConstants } from '../families/plackett.ts';

export { steinConstants };

/** A symbol of a Stein expansion; masks are bit sets of slots. */
export type SteinSymbol =
  /** C^B_ij (i ≤ j, both outside B); B = 0 is the covariance the template is called with */
  | { kind: 'c'; B: number; i: number; j: number }
  /** φ^B_b = 1/√(2π C^B_bb) */
  | { kind: 'phi'; B: number; b: number }
  /** P^B_R, |R| ≥ 2 */
  | { kind: 'P'; B: number; R: number };

export interface SteinExpansion {
  /** slots */
  n: number;
  /** kinked slots, as a mask */
  kinked: number;
  /** the expectation as a polynomial in `symbols` (order: P, then φ, then C) */
  poly: Poly;
  symbols: SteinSymbol[];
}

/** A polynomial in the slots times the indicators of the slots in `S` (a mask). */
export interface IndicatorTerm {
  S: number;
  poly: Poly;
}

/** A factor of a template's integrand: a polynomial in the slots, or a piecewise function of one slot. */
export type Factor = { kind: 'poly'; poly: Poly } | { kind: 'pw'; slot: number; pw: Piecewise };

/** Σ_S P_S(u) θ_S(u) for a product of factors: each piecewise one is p₋ + (p₊ − p₋)θ. */
export function indicatorTerms(n: number, factors: Factor[]): IndicatorTerm[] {
  let acc = new Map<number, Poly>([[0, Poly.constant(n, Coef.one)]]);
  for (const f of factors) {
    const next = new Map<number, Poly>();
    const put = (S: number, q: Poly) => {
      if (q.isZero()) return;
      const sum = (next.get(S) ?? Poly.zero(n)).add(q);
      if (sum.isZero()) next.delete(S);
      else next.set(S, sum);
    };
    for (const [S, q] of acc) {
      if (f.kind === 'poly') put(S, q.mul(f.poly));
      else {
        const minus = f.pw.minus.embed(n, [f.slot]);
        const jump = f.pw.plus.sub(f.pw.minus).embed(n, [f.slot]);
        put(S, q.mul(minus));
        put(S | (1 << f.slot), q.mul(jump));
      }
    }
    acc = next;
  }
  return [...acc].map(([S, poly]) => ({ S, poly }));
}


/** A polynomial in symbol ids: products (sorted id lists) keyed by their joined ids. */
export type Sparse = Map<string, { ids: number[]; c: Coef }>;

/**
 * The symbols of an expansion, numbered as first met, and the sum over indicator terms both engines
 * share: `toPoly` turns a sparse result into a polynomial over the symbols it uses, in `compare`'s order.
 */
export class SymbolTable<S> {
  private readonly list: S[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly key: (s: S) => string) {}

  id(s: S): number {
    const k = this.key(s);
    let id = this.index.get(k);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(s);
      this.index.set(k, id);
    }
    return id;
  }

  /** Σ over the terms of E[poly_S θ_S] by `moment(S, exps)`, and the union of their indicator masks. */
  static sum(terms: IndicatorTerm[], moment: (S: number, exps: number[]) => Sparse): { total: Sparse; kinked: number } {
    const total: Sparse = new Map();
    let kinked = 0;
    for (const t of terms) {
      kinked |= t.S;
      for (const term of t.poly.terms()) addScaled(total, moment(t.S, term.exps), [], term.c);
    }
    return { total, kinked };
  }

  toPoly(sp: Sparse, compare: (a: S, b: S) => number): { poly: Poly; symbols: S[] } {
    const used = new Set<number>();
    for (const { ids } of sp.values()) for (const id of ids) used.add(id);
    const order = [...used].sort((x, y) => compare(this.list[x], this.list[y]));
    const pos = new Map(order.map((id, i) => [id, i]));
    const nv = order.length;
    const poly = Poly.fromTerms(
      nv,
      [...sp.values()].map(({ ids, c }) => {
        const exps = new Array(nv).fill(0);
        for (const id of ids) exps[pos.get(id) as number]++;
        return { exps, c };
      }),
    );
    return { poly, symbols: order.map((id) => this.list[id]) };
  }
}

export class SteinEngine {
  readonly n: number;
  private readonly table = new SymbolTable<SteinSymbol>(symbolKey);
  private readonly memo = new Map<string, Sparse>();

  constructor(n: number) {
    this.n = n;
  }

  /** E[Σ_S poly_S(u) θ_S(u)] for u ~ N(0, C). */
  expectation(terms: IndicatorTerm[]): SteinExpansion {
    const { total, kinked } = SymbolTable.sum(terms, (S, exps) => this.moment(0, S, exps));
    // a canonical order: P, φ, C; by B, then indices
    const rank = { P: 0, phi: 1, c: 2 } as const;
    const { poly, symbols } = this.table.toPoly(total, (a, b) => rank[a.kind] - rank[b.kind] || a.B - b.B || symbolKey(a).localeCompare(symbolKey(b)));
    return { n: this.n, kinked, poly, symbols };
  }

  /** E^B[u^α θ_R] (α vanishes on B). */
  private moment(B: number, R: number, alpha: number[]): Sparse {
    const key = `${B}|${R}|${alpha.join(',')}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    const out: Sparse = new Map();
    const a = alpha.findIndex((x) => x > 0);
    if (a < 0) {
      const size = popcount(R);
      if (size === 0) addScaled(out, ONE, [], Coef.one);
      else if (size === 1) addScaled(out, ONE, [], Coef.rational(Rational.of(1, 2)));
      else addScaled(out, ONE, [this.table.id({ kind: 'P', B, R })], Coef.one);
    } else {
      const rest = alpha.slice();
      rest[a] -= 1;
      for (let b = 0; b < this.n; b++) {
        if (B & (1 << b) || rest[b] === 0) continue;
        const next = rest.slice();
        next[b] -= 1;
        addScaled(out, this.moment(B, R, next), [this.cov(B, a, b)], Coef.int(rest[b]));
      }
      for (let b = 0; b < this.n; b++) {
        if (!(R & (1 << b)) || rest[b] !== 0) continue;
        addScaled(out, this.moment(B | (1 << b), R & ~(1 << b), rest), [this.cov(B, a, b), this.table.id({ kind: 'phi', B, b })], Coef.one);
      }
    }
    this.memo.set(key, out);
    return out;
  }

  private cov(B: number, i: number, j: number): number {
    return this.table.id({ kind: 'c', B, i: Math.min(i, j), j: Math.max(i, j) });
  }
}

export const ONE: Sparse = new Map([['', { ids: [], c: Coef.one }]]);

/** out += c · factor · src, where factor is a product of symbols. */
export function addScaled(out: Sparse, src: Sparse, factor: number[], c: Coef): void {
  for (const { ids, c: sc } of src.values()) {
    const all = factor.length ? [...ids, ...factor].sort((x, y) => x - y) : ids;
    const key = all.join(',');
    const prod = sc.mul(c);
    const t = out.get(key);
    if (!t) out.set(key, { ids: all, c: prod });
    else {
      const s = t.c.add(prod);
      if (s.isZero()) out.delete(key);
      else out.set(key, { ids: all, c: s });
    }
  }
}

function popcount(m: number): number {
  let c = 0;
  for (; m; m &= m - 1) c++;
  return c;
}

function symbolKey(s: SteinSymbol): string {
  return s.kind === 'c' ? `c${s.B}:${s.i}:${s.j}` : s.kind === 'phi' ? `f${s.B}:${s.b}` : `P${s.B}:${s.R}`;
}

/**
 * Numerical values of the symbols at a covariance C (n×n, row-major), by the kernels' rules — for
 * evaluating an expansion in process (tests, the reference evaluator). Generated code computes the
 * same values with the `stein*` kernel source.
 */
function steinSymbolValues(exp: SteinExpansion, C: ArrayLike<number>): number[] {
  const n = exp.n;
  const K = steinKernels();
  const identity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) identity[i * n + i] = 1;
  const C0 = new Float64Array(n * n);
  K.steinRegularize(C, n, exp.kinked, C0);
  const cond = new Map<number, [Float64Array, Float64Array]>([[0, [C0, identity]]]);
  const at = (B: number): [Float64Array, Float64Array] => {
    const hit = cond.get(B);
    if (hit) return hit;
    const top = 31 - Math.clz32(B);
    const out: [Float64Array, Float64Array] = [new Float64Array(n * n), new Float64Array(n * n)];
    const [from, dfrom] = at(B & ~(1 << top));
    K.steinCondition(from, dfrom, n, top, out[0], out[1]);
    cond.set(B, out);
    return out;
  };
  return exp.symbols.map((s) => {
    const [CB, DB] = at(s.B);
    if (s.kind === 'c') return CB[s.i * n + s.j];
    if (s.kind === 'phi') return K.steinPhi(CB, C0, n, s.b);
    return K.steinOrthant(CB, DB, C0, n, s.R);
  });
}

/** E[F] of an expansion at covariance C. */
export function evaluateStein(exp: SteinExpansion, C: ArrayLike<number>): number {
  return exp.poly.evaluate(steinSymbolValues(exp, C));
}

/** The kernels as kernel source, printed into every generated module that calls them. */
export const STEIN_SOURCE = `
// out = C, or — when the kinked fields K (a bit mask, at most four) that are not collinear with one another
// are nearly linearly dependent (determinant of their correlation matrix below 1e-7) — C plus 1e-9 times
// independent noise of each such field's variance, shared by the fields collinear with it, so that
// collinear pairs stay collinear: the expectation is Lipschitz there, while the conditional variances
// of a nearly dependent set would carry round-off of order 1e-16 over their size
function steinRegularize(C: f64[], n: int, K: int, out: f64[]): void {
  let idx: int[4];
  let rep: int[4];
  let scale: f64[4];
  let m: int = 0;
  for (let i = 0; i < n * n; i++) out[i] = C[i];
  for (let i = 0; i < n; i++) {
    if ((K & (1 << i)) != 0) {
      idx[m] = i;
      rep[m] = m;
      scale[m] = 1.0;
      for (let j = 0; j < m; j++) {
        let a: int = idx[j];
        if (rep[j] == j && C[a * n + a] > 0.0 && C[i * n + i] > 0.0) {
          let rho = C[i * n + a] / sqrt(C[i * n + i] * C[a * n + a]);
          if (rep[m] == m && (rho > 1.0 - 1e-12 || rho < -1.0 + 1e-12)) {
            rep[m] = j;
            scale[m] = C[i * n + a] / C[a * n + a];
          }
        }
      }
      m += 1;
    }
  }
  // the correlation matrix of the representatives, and its determinant by elimination
  let R: f64[16];
  let r: int = 0;
  let sel: int[4];
  for (let i = 0; i < m; i++) {
    if (rep[i] == i) {
      sel[r] = idx[i];
      r += 1;
    }
  }
  if (r < 3) return;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let vi = C[sel[i] * n + sel[i]];
      let vj = C[sel[j] * n + sel[j]];
      R[i * 4 + j] = vi > 0.0 && vj > 0.0 ? C[sel[i] * n + sel[j]] / sqrt(vi * vj) : (i == j ? 1.0 : 0.0);
    }
  }
  let det = 1.0;
  for (let c = 0; c < r; c++) {
    let piv = R[c * 4 + c];
    det = det * piv;
    if (!(piv > 1e-300)) break;
    for (let i = c + 1; i < r; i++) {
      let f = R[i * 4 + c] / piv;
      for (let j = c; j < r; j++) R[i * 4 + j] -= f * R[c * 4 + j];
    }
  }
  if (det > 1e-7) return;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (rep[i] == rep[j]) {
        let a: int = idx[rep[i]];
        out[idx[i] * n + idx[j]] += 1e-9 * scale[i] * scale[j] * C[a * n + a];
      }
    }
  }
}
// (outC, outD) = the covariance of u given u_j = 0 and its derivative along C + εI at ε = 0 (n×n, row-major);
// a field of zero variance leaves both as they are
function steinCondition(C: f64[], D: f64[], n: int, j: int, outC: f64[], outD: f64[]): void {
  let vj = C[j * n + j];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (vj > 0.0) {
        outC[r * n + c] = C[r * n + c] - C[r * n + j] * C[j * n + c] / vj;
        outD[r * n + c] = D[r * n + c] - (D[r * n + j] * C[j * n + c] + C[r * n + j] * D[j * n + c]) / vj + C[r * n + j] * C[j * n + c] * D[j * n + j] / (vj * vj);
      } else {
        outC[r * n + c] = C[r * n + c];
        outD[r * n + c] = D[r * n + c];
      }
    }
  }
  for (let r = 0; r < n; r++) {
    outC[r * n + j] = 0.0;
    outC[j * n + r] = 0.0;
    outD[r * n + j] = 0.0;
    outD[j * n + r] = 0.0;
  }
}
// the conditional variance of u_j, or 0 when it is below 1e-11 of its variance: a degenerate field, which
// after steinRegularize lies on the line of a field conditioned on
function steinVar(C: f64[], C0: f64[], n: int, j: int): f64 {
  let v = C[j * n + j];
  return v > 1e-11 * C0[j * n + j] ? v : 0.0;
}
// φ = 1/√(2π C_jj), the density of u_j at 0; 0 for a degenerate field (its terms vanish in the limit)
function steinPhi(C: f64[], C0: f64[], n: int, j: int, ): f64 {
  let v = steinVar(C, C0, n, j);
  return v > 0.0 ? 1.0 / sqrt(6.2831853071795862 * v) : 0.0;
}
// the correlation of u_i and u_j; for degenerate fields its limit along C + εI (D), and 0 between a
// degenerate and a regular field (they decouple in that limit)
function steinCorr(C: f64[], D: f64[], C0: f64[], n: int, i: int, j: int, ): f64 {
  let vi = steinVar(C, C0, n, i);
  let vj = steinVar(C, C0, n, j);
  let r = 0.0;
  if (vi > 0.0 && vj > 0.0) {
    r = C[i * n + j] / sqrt(vi * vj);
  } else if (vi == 0.0 && vj == 0.0) {
    let di = D[i * n + i];
    let dj = D[j * n + j];
    r = di > 0.0 && dj > 0.0 ? D[i * n + j] / sqrt(di * dj) : 0.0;
  }
  return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}
// P(u_i > 0 for i ∈ S), S a bit mask of at most four slots
function steinOrthant(C: f64[], D: f64[], C0: f64[], n: int, S: int, ): f64 {
  let idx: int[4];
  let m: int = 0;
  for (let i = 0; i < n; i++) {
    if ((S & (1 << i)) != 0) {
      idx[m] = i;
      m += 1;
    }
  }
  if (m == 0) return 1.0;
  if (m == 1) return 0.5;
  if (m == 2) return 0.25 + asin(steinCorr(C, D, C0, n, idx[0], idx[1])) / 6.2831853071795862;
  if (m == 3) return 0.125 + (asin(steinCorr(C, D, C0, n, idx[0], idx[1])) + asin(steinCorr(C, D, C0, n, idx[0], idx[2])) + asin(steinCorr(C, D, C0, n, idx[1], idx[2]))) / 12.566370614359172;
  let R: f64[16];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) R[i * 4 + j] = i == j ? 1.0 : steinCorr(C, D, C0, n, idx[i], idx[j]);
  }
  // a collinear pair is one field (θ(u)² = θ(u)) or an empty orthant (θ(u)θ(−u) = 0)
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) {
      if (R[i * 4 + j] < -1.0 + 1e-12) return 0.0;
      if (R[i * 4 + j] > 1.0 - 1e-12) return steinOrthant(C, D, C0, n, S & ~(1 << idx[j]));
    }
  }
  return steinPlackett(R);
}
${PLACKETT_SOURCE}
`;


interface SteinKernels {
  steinCondition(C: ArrayLike<number>, D: ArrayLike<number>, n: number, j: number, outC: Float64Array, outD: Float64Array): void;
  steinRegularize(C: ArrayLike<number>, n: number, K: number, out: Float64Array): void;
  steinPhi(C: ArrayLike<number>, C0: ArrayLike<number>, n: number, j: number): number;
  steinOrthant(C: ArrayLike<number>, D: ArrayLike<number>, C0: ArrayLike<number>, n: number, S: number): number;
}
let kernels: SteinKernels | undefined;

/** The kernels of STEIN_SOURCE instantiated in process (the code the generated files print). */
function steinKernels(): SteinKernels {
  if (kernels) return kernels;
  const fns = parseKernel(STEIN_SOURCE).map((f) => ({ ...f, exported: ['steinRegularize', 'steinCondition', 'steinPhi', 'steinOrthant'].includes(f.name) }));
  return (kernels = instantiate<SteinKernels>({ header: [], prefix: 'stein', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: steinConstants(), functions: fns }));
}
