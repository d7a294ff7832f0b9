/**
 * Exact rationals p/q over BigInt, always normalised (q > 0, gcd(p, q) = 1). Used for Hermite
 * coefficients of polynomials and for every coefficient of the Wick expansions.
 */
import { internal } from '../errors.ts';
export class Rational {
  readonly n: bigint;
  readonly d: bigint;
  private constructor(n: bigint, d: bigint) {
    this.n = n;
    this.d = d;
  }

  static of(n: bigint | number, d: bigint | number = 1n): Rational {
    let nn = BigInt(n);
    let dd = BigInt(d);
    if (dd === 0n) throw internal('Rational with zero denominator');
    if (dd < 0n) {
      nn = -nn;
      dd = -dd;
    }
    const g = gcd(nn < 0n ? -nn : nn, dd);
    return g > 1n ? new Rational(nn / g, dd / g) : new Rational(nn, dd);
  }

  static readonly zero = new Rational(0n, 1n);
  static readonly one = new Rational(1n, 1n);

  /**
   * The exact rational written by a finite decimal literal: 0.3 is 3/10, 1e-3 is 1/1000. Returns
   * undefined for non-finite values. Uses the shortest round-trip decimal of the double, which is the
   * number the user typed.
   */
  static fromDecimal(x: number): Rational | undefined {
    if (!Number.isFinite(x)) return undefined;
    if (Number.isInteger(x) && Math.abs(x) < 2 ** 53) return Rational.of(BigInt(x));
    const s = x.toString();
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(s);
    if (!m) return undefined;
    const frac = m[3] ?? '';
    let exp = (m[4] ? parseInt(m[4], 10) : 0) - frac.length;
    let num = BigInt(m[2] + frac);
    if (m[1] === '-') num = -num;
    if (exp >= 0) return Rational.of(num * 10n ** BigInt(exp));
    return Rational.of(num, 10n ** BigInt(-exp));
  }

  isZero(): boolean {
    return this.n === 0n;
  }
  isOne(): boolean {
    return this.n === 1n && this.d === 1n;
  }
  isInteger(): boolean {
    return this.d === 1n;
  }
  sign(): number {
    return this.n > 0n ? 1 : this.n < 0n ? -1 : 0;
  }
  add(o: Rational): Rational {
    if (this.d === o.d) return Rational.of(this.n + o.n, this.d);
    return Rational.of(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  sub(o: Rational): Rational {
    return this.add(o.neg());
  }
  mul(o: Rational): Rational {
    return Rational.of(this.n * o.n, this.d * o.d);
  }
  div(o: Rational): Rational {
    return Rational.of(this.n * o.d, this.d * o.n);
  }
  neg(): Rational {
    return new Rational(-this.n, this.d);
  }
  pow(k: number): Rational {
    if (k < 0) return Rational.of(this.d ** BigInt(-k), this.n ** BigInt(-k));
    return Rational.of(this.n ** BigInt(k), this.d ** BigInt(k));
  }
  equals(o: Rational): boolean {
    return this.n === o.n && this.d === o.d;
  }
  toNumber(): number {
    // Exact to the last bit for moderate sizes; scale huge operands to keep the quotient accurate.
    const n = this.n;
    const d = this.d;
    const nb = n < 0n ? -n : n;
    if (nb < 2n ** 53n && d < 2n ** 53n) return Number(n) / Number(d);
    const shift = BigInt(Math.max(0, bitLength(d) - 60));
    const q = (n << 64n) / (d >> shift);
    return Number(q) / 2 ** (64 + Number(shift));
  }
  toString(): string {
    return this.d === 1n ? this.n.toString() : `${this.n}/${this.d}`;
  }
}

export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

function bitLength(x: bigint): number {
  return x.toString(2).length;
}

export function factorial(n: number): bigint {
  let r = 1n;
  for (let i = 2n; i <= BigInt(n); i++) r *= i;
  return r;
}

export function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  return factorial(n) / (factorial(k) * factorial(n - k));
}
