/**
 * Sparse multivariate polynomials with `Coef` coefficients over a fixed, named list of variables.
 * Terms are kept in a Map keyed by the exponent vector; `terms()` returns them in a canonical order
 * (graded, then lexicographic descending) so every printer emits the same text for the same polynomial.
 */
import { Coef } from './coef.ts';
import { Rational } from './rational.ts';

export interface Term {
  exps: number[];
  c: Coef;
}

export class Poly {
  readonly nv: number;
  private readonly map: Map<string, Term>;

  constructor(nv: number, map?: Map<string, Term>) {
    this.nv = nv;
    this.map = map ?? new Map();
  }

  static zero(nv: number): Poly {
    return new Poly(nv);
  }
  static constant(nv: number, c: Coef): Poly {
    const p = new Poly(nv);
    if (!c.isZero()) p.map.set(key(new Array(nv).fill(0)), { exps: new Array(nv).fill(0), c });
    return p;
  }
  static variable(nv: number, i: number, power = 1): Poly {
    const e = new Array(nv).fill(0);
    e[i] = power;
    return new Poly(nv, new Map([[key(e), { exps: e, c: Coef.one }]]));
  }
  static fromTerms(nv: number, terms: Iterable<Term>): Poly {
    const p = new Poly(nv);
    for (const t of terms) p.addTermInPlace(t.exps, t.c);
    return p;
  }

  get size(): number {
    return this.map.size;
  }
  isZero(): boolean {
    return this.map.size === 0;
  }

  /** Adds c·x^exps in place (only for polynomials under construction). */
  addTermInPlace(exps: number[], c: Coef): void {
    if (c.isZero()) return;
    const k = key(exps);
    const t = this.map.get(k);
    if (!t) {
      this.map.set(k, { exps: exps.slice(), c });
      return;
    }
    const s = t.c.add(c);
    if (s.isZero()) this.map.delete(k);
    else this.map.set(k, { exps: t.exps, c: s });
  }

  add(o: Poly): Poly {
    const p = new Poly(this.nv, new Map(this.map));
    for (const t of o.map.values()) p.addTermInPlace(t.exps, t.c);
    return p;
  }
  sub(o: Poly): Poly {
    return this.add(o.scale(Coef.int(-1)));
  }
  scale(c: Coef): Poly {
    if (c.isZero()) return Poly.zero(this.nv);
    const p = new Poly(this.nv);
    for (const [k, t] of this.map) p.map.set(k, { exps: t.exps, c: t.c.mul(c) });
    return p;
  }
  mul(o: Poly): Poly {
    const p = new Poly(this.nv);
    for (const a of this.map.values()) {
      for (const b of o.map.values()) {
        const e = new Array(this.nv);
        for (let i = 0; i < this.nv; i++) e[i] = a.exps[i] + b.exps[i];
        p.addTermInPlace(e, a.c.mul(b.c));
      }
    }
    return p;
  }
  pow(k: number): Poly {
    let out = Poly.constant(this.nv, Coef.one);
    let base: Poly = this;
    let n = k;
    while (n > 0) {
      if (n & 1) out = out.mul(base);
      n >>= 1;
      if (n) base = base.mul(base);
    }
    return out;
  }
  /** ∂/∂x_i. */
  derivative(i: number): Poly {
    const p = new Poly(this.nv);
    for (const t of this.map.values()) {
      const n = t.exps[i];
      if (n === 0) continue;
      const e = t.exps.slice();
      e[i] = n - 1;
      p.addTermInPlace(e, t.c.scale(Rational.of(n)));
    }
    return p;
  }
  /** Replaces variable i by the polynomial q (same variable list). */
  substitute(i: number, q: Poly): Poly {
    let out = Poly.zero(this.nv);
    const powers: Poly[] = [Poly.constant(this.nv, Coef.one)];
    for (const t of this.map.values()) {
      const n = t.exps[i];
      while (powers.length <= n) powers.push(powers[powers.length - 1].mul(q));
      const e = t.exps.slice();
      e[i] = 0;
      out = out.add(Poly.fromTerms(this.nv, [{ exps: e, c: t.c }]).mul(powers[n]));
    }
    return out;
  }
  /** Re-expresses the polynomial over a larger variable list: variable i goes to position map[i]. */
  embed(nv: number, map: number[]): Poly {
    const p = new Poly(nv);
    for (const t of this.map.values()) {
      const e = new Array(nv).fill(0);
      for (let i = 0; i < this.nv; i++) e[map[i]] += t.exps[i];
      p.addTermInPlace(e, t.c);
    }
    return p;
  }
  evaluate(x: ArrayLike<number>): number {
    let s = 0;
    for (const t of this.map.values()) {
      let m = t.c.toNumber();
      for (let i = 0; i < this.nv; i++) if (t.exps[i]) m *= x[i] ** t.exps[i];
      s += m;
    }
    return s;
  }
  totalDegree(): number {
    let d = -Infinity;
    for (const t of this.map.values()) d = Math.max(d, t.exps.reduce((a, b) => a + b, 0));
    return d;
  }
  degreeIn(i: number): number {
    let d = -Infinity;
    for (const t of this.map.values()) d = Math.max(d, t.exps[i]);
    return d;
  }
  /** Coefficient of x^exps. */
  coefficient(exps: number[]): Coef {
    return this.map.get(key(exps))?.c ?? Coef.zero;
  }
  isExact(): boolean {
    for (const t of this.map.values()) if (!t.c.isExact()) return false;
    return true;
  }
  /** Variables that occur. */
  support(): number[] {
    const used = new Array(this.nv).fill(false);
    for (const t of this.map.values()) t.exps.forEach((e, i) => e > 0 && (used[i] = true));
    return used.flatMap((u, i) => (u ? [i] : []));
  }
  terms(): Term[] {
    return [...this.map.values()].sort(compareTerms);
  }
  equals(o: Poly): boolean {
    if (this.map.size !== o.map.size) return false;
    for (const [k, t] of this.map) {
      const u = o.map.get(k);
      if (!u || !u.c.equals(t.c)) return false;
    }
    return true;
  }
}

function key(e: number[]): string {
  return e.join(',');
}

function compareTerms(a: Term, b: Term): number {
  const da = a.exps.reduce((s, x) => s + x, 0);
  const db = b.exps.reduce((s, x) => s + x, 0);
  if (da !== db) return db - da;
  for (let i = 0; i < a.exps.length; i++) if (a.exps[i] !== b.exps[i]) return b.exps[i] - a.exps[i];
  return 0;
}
