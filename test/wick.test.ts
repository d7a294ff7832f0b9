import { describe, it, expect } from 'vitest';
import nerdamer from 'nerdamer-prime';
import { WickEngine, evaluateAtCovariance } from '../src/gaussian/wick.ts';
import { Poly } from '../src/symbolic/poly.ts';
import { Coef } from '../src/symbolic/coef.ts';
import { Rational } from '../src/symbolic/rational.ts';
import { Expr } from '../src/symbolic/expr.ts';
import { tensorExpectation } from './helpers.ts';
import { Rng } from '../src/random/rng.ts';
import { hermitePolynomial } from '../src/hermite/hermite.ts';

function randomCovariance(n: number, rng: Rng, rank = n): number[][] {
  const G = Array.from({ length: n }, () => Array.from({ length: rank }, () => rng.normal() * 0.7));
  return G.map((a) => G.map((b) => a.reduce((s, x, i) => s + x * b[i], 0)));
}

function randomPoly(n: number, degree: number, terms: number, rng: Rng): Poly {
  let p = Poly.zero(n);
  for (let t = 0; t < terms; t++) {
    const e = new Array(n).fill(0);
    let d = Math.floor(rng.uniform() * (degree + 1));
    while (d-- > 0) e[Math.floor(rng.uniform() * n)]++;
    p = p.add(Poly.fromTerms(n, [{ exps: e, c: Coef.rational(Rational.of(Math.floor(rng.uniform() * 19) - 9, 1 + Math.floor(rng.uniform() * 4))) }]));
  }
  return p;
}

describe('Wick/Isserlis expectations', () => {
  it('equal tensor Gauss–Hermite quadrature to round-off on random polynomials', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 12; trial++) {
      const n = 2 + (trial % 3);
      const F = randomPoly(n, 7, 6, rng);
      const C = randomCovariance(n, rng, trial % 4 === 3 ? n - 1 : n);
      const wick = evaluateAtCovariance(new WickEngine(n).expectation(F), C);
      const quad = tensorExpectation(C, (u) => F.evaluate(u), 5); // exact for degree ≤ 9 per coordinate
      expect(Math.abs(wick - quad)).toBeLessThan(1e-10 * (1 + Math.abs(quad)));
    }
  });

  it('gives the sizes quoted in THEORY §3.1: E[σ′σ′σσ] has 86 monomials for He3/√6, 425 for He4/√24', () => {
    for (const [k, size] of [[3, 86], [4, 425]]) {
      const s = Expr.parse(`He${k}(z)/sqrt(${k === 3 ? 6 : 24})`, ['z']).toPoly() as Poly;
      const ds = s.derivative(0);
      const F = ds.embed(4, [0]).mul(ds.embed(4, [1])).mul(s.embed(4, [2])).mul(s.embed(4, [3]));
      const E = new WickEngine(4).expectation(F);
      expect(E.size).toBe(size);
      expect(E.isExact()).toBe(true);
    }
  });

  it('knows the classic moments exactly', () => {
    const E = new WickEngine(2);
    // E[x²y²] = C11 C22 + 2 C12²   (variables c11, c12, c22)
    const m = E.moment([2, 2]);
    expect(m.terms().map((t) => `${t.c}:${t.exps.join('')}`).sort()).toEqual(['1:101', '2:020'].sort());
    // E[x^6] = 15 C11³
    expect(E.moment([6, 0]).terms().map((t) => `${t.c}:${t.exps.join('')}`)).toEqual(['15:300']);
    expect(E.moment([3, 2]).isZero()).toBe(true);
  });

  it('handles coincident fields by substitution (singular covariance)', () => {
    // E[He3(u)He3(v)] with u = v: 6 C³ at C = 1 → 6; and Mehler: 6 ρ³
    const h3 = hermitePolynomial(3);
    const E = new WickEngine(2).expectation(h3.embed(2, [0]).mul(h3.embed(2, [1])));
    expect(evaluateAtCovariance(E, [[1, 1], [1, 1]])).toBeCloseTo(6, 12);
    expect(evaluateAtCovariance(E, [[1, 0.3], [0.3, 1]])).toBeCloseTo(6 * 0.3 ** 3, 12);
  });

  it('multiplies polynomials as an independent CAS does (nerdamer-prime)', () => {
    const text = '(x^3-3*x)^2*(y^2-1)*(x*y+2)';
    const mine = Expr.parse(text, ['x', 'y']).toPoly() as Poly;
    const expanded = nerdamer(`expand(${text})`).toString();
    const theirs = Expr.parse(expanded, ['x', 'y']).toPoly() as Poly;
    expect(mine.equals(theirs)).toBe(true);
    expect(mine.size).toBe(12);
  });
});

describe('exact rationals as doubles', () => {
  it('toNumber is correctly rounded also when numerator and denominator exceed 2^53 (decimal coefficients squared)', () => {
    // 1/√π to 17 digits, as a decimal fraction, squared and cubed: denominators 10^34 and 10^51
    const c = Rational.fromDecimal(0.5641895835477563) as Rational;
    for (const [r, want] of [
      [c.mul(c), 0.5641895835477563 ** 2],
      [c.mul(c).mul(c), 0.5641895835477563 ** 3],
      [Rational.of(10n ** 40n + 1n, 3n * 10n ** 40n), 1 / 3],
      [Rational.of(-(7n * 10n ** 30n), 2n ** 100n), -7e30 / 2 ** 100],
    ] as [Rational, number][]) {
      expect(Math.abs(r.toNumber() - want) / Math.abs(want)).toBeLessThan(4e-16);
    }
  });
});
