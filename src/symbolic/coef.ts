/**
 * Coefficients of hermode's polynomials: elements of Q(√2, √3, √5, …) — finite sums Σ_s r_s √s over
 * square-free integers s with exact rationals r_s — plus a floating part for constants that are not
 * algebraic of that kind (π, e, 0.1·π, …). The exact part is closed under + and ×, so normalised
 * Hermite polynomials such as He3/√6 stay exact through every Wick expansion: (1/√6)² = 1/6.
 */
import { internal } from '../errors.ts';
import { Rational } from './rational.ts';

export class Coef {
  /** square-free radicand s → rational multiplier r_s (no zero entries). */
  readonly exact: ReadonlyMap<bigint, Rational>;
  /** floating remainder (0 when the coefficient is exact). */
  readonly approx: number;

  private constructor(exact: Map<bigint, Rational>, approx: number) {
    this.exact = exact;
    this.approx = approx;
  }

  static readonly zero = new Coef(new Map(), 0);
  static readonly one = Coef.rational(Rational.one);

  static rational(r: Rational): Coef {
    return r.isZero() ? Coef.zero : new Coef(new Map([[1n, r]]), 0);
  }
  static int(n: number | bigint): Coef {
    return Coef.rational(Rational.of(n));
  }
  static float(x: number): Coef {
    return new Coef(new Map(), x);
  }
  /** A JS number from user input: exact when it is a finite decimal literal. */
  static fromNumber(x: number): Coef {
    const r = Rational.fromDecimal(x);
    return r ? Coef.rational(r) : Coef.float(x);
  }

  /** √(this) when this is a non-negative exact rational with a small enough radicand; else undefined. */
  sqrt(): Coef | undefined {
    if (this.approx !== 0 || this.exact.size > 1) return undefined;
    if (this.exact.size === 0) return Coef.zero;
    const [[s, r]] = [...this.exact];
    if (s !== 1n || r.sign() < 0) return undefined;
    // √(n/d) = √(n d)/d
    const split = squareFreeSplit(r.n * r.d);
    if (!split) return undefined;
    const [outer, radicand] = split;
    return new Coef(new Map([[radicand, Rational.of(outer, r.d)]]), 0);
  }

  isZero(): boolean {
    return this.exact.size === 0 && this.approx === 0;
  }
  isExact(): boolean {
    return this.approx === 0;
  }
  /** The rational value when the coefficient is an exact rational (no surd, no float). */
  asRational(): Rational | undefined {
    if (this.approx !== 0) return undefined;
    if (this.exact.size === 0) return Rational.zero;
    if (this.exact.size === 1 && this.exact.has(1n)) return this.exact.get(1n);
    return undefined;
  }

  add(o: Coef): Coef {
    if (o.isZero()) return this;
    if (this.isZero()) return o;
    const m = new Map(this.exact);
    for (const [s, r] of o.exact) {
      const v = (m.get(s) ?? Rational.zero).add(r);
      if (v.isZero()) m.delete(s);
      else m.set(s, v);
    }
    return new Coef(m, this.approx + o.approx);
  }
  neg(): Coef {
    const m = new Map<bigint, Rational>();
    for (const [s, r] of this.exact) m.set(s, r.neg());
    return new Coef(m, -this.approx);
  }
  sub(o: Coef): Coef {
    return this.add(o.neg());
  }
  mul(o: Coef): Coef {
    if (this.isZero() || o.isZero()) return Coef.zero;
    const m = new Map<bigint, Rational>();
    for (const [s1, r1] of this.exact) {
      for (const [s2, r2] of o.exact) {
        // √s1 √s2 = g √(s1 s2 / g²), g = gcd(s1, s2); both square-free so the rest is square-free
        const g = gcdBig(s1, s2);
        const s = (s1 / g) * (s2 / g);
        const r = r1.mul(r2).mul(Rational.of(g));
        const v = (m.get(s) ?? Rational.zero).add(r);
        if (v.isZero()) m.delete(s);
        else m.set(s, v);
      }
    }
    const approx = this.approx * o.approx + this.approx * exactValue(o.exact) + o.approx * exactValue(this.exact);
    return new Coef(m, approx);
  }
  scale(r: Rational): Coef {
    return this.mul(Coef.rational(r));
  }
  pow(k: number): Coef {
    let out = Coef.one;
    for (let i = 0; i < k; i++) out = out.mul(this);
    return out;
  }
  /** Multiplicative inverse for exact rationals and single surds r√s (1/(r√s) = √s/(r s)); floats otherwise. */
  inverse(): Coef {
    if (this.approx === 0 && this.exact.size === 1) {
      const [[s, r]] = [...this.exact];
      return new Coef(new Map([[s, Rational.one.div(r.mul(Rational.of(s)))]]), 0);
    }
    const v = this.toNumber();
    if (v === 0) throw internal('division by zero');
    return Coef.float(1 / v);
  }

  toNumber(): number {
    return exactValue(this.exact) + this.approx;
  }

  equals(o: Coef): boolean {
    if (this.approx !== o.approx || this.exact.size !== o.exact.size) return false;
    for (const [s, r] of this.exact) {
      const q = o.exact.get(s);
      if (!q || !q.equals(r)) return false;
    }
    return true;
  }

  /** Canonical text (stable term order), used as a cache key and in messages. */
  toString(): string {
    const parts = [...this.exact]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([s, r]) => (s === 1n ? r.toString() : `${r.toString()}*sqrt(${s})`));
    if (this.approx !== 0) parts.push(fmt17(this.approx));
    return parts.length ? parts.join(' + ') : '0';
  }
}

function exactValue(m: ReadonlyMap<bigint, Rational>): number {
  let v = 0;
  for (const [s, r] of m) v += s === 1n ? r.toNumber() : r.toNumber() * Math.sqrt(Number(s));
  return v;
}

function gcdBig(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** n = outer² · radicand with radicand square-free; undefined when n is too large to factor quickly. */
export function squareFreeSplit(n: bigint): [bigint, bigint] | undefined {
  if (n === 0n) return [0n, 1n];
  let outer = 1n;
  let rad = 1n;
  let m = n;
  for (let p = 2n; p * p <= m; p++) {
    if (p > 100000n) return undefined;
    let e = 0;
    while (m % p === 0n) {
      m /= p;
      e++;
    }
    if (e > 0) {
      outer *= p ** BigInt(Math.floor(e / 2));
      if (e % 2 === 1) rad *= p;
    }
  }
  rad *= m;
  return [outer, rad];
}

/** 17 significant digits, the shortest form that round-trips when shorter. */
export function fmt17(x: number): string {
  if (Object.is(x, -0)) return '0';
  const short = String(x);
  if (Number(short) === x) return short;
  return x.toPrecision(17);
}
