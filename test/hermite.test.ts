import { describe, it, expect } from 'vitest';
import {
  hermitePolynomial,
  leapIndex,
  gaussianMean1,
  hermiteCoefficients,
  polynomialHermite,
  pairExponent,
  multivariateHermite,
  lowestDegreePerDirection,
  quadratureCoefficients,
  factNum,
} from '../src/hermite/hermite.ts';
import { erfCoefficients } from '../src/families/erf.ts';
import { reluCoefficients } from '../src/families/relu.ts';
import { activation } from '../src/hermite/activation.ts';
import { Poly } from '../src/symbolic/poly.ts';
import { Coef } from '../src/symbolic/coef.ts';
import { Expr } from '../src/symbolic/expr.ts';
import { normalExpectation } from '../src/quadrature.ts';
import { Rng } from '../src/random/rng.ts';

describe('probabilists’ Hermite polynomials', () => {
  it('are orthogonal with E[He_j He_k] = k! δ_jk (exact)', () => {
    for (let j = 0; j <= 10; j++)
      for (let k = 0; k <= 10; k++) {
        const e = gaussianMean1(hermitePolynomial(j).mul(hermitePolynomial(k)));
        expect(e.toString()).toBe(j === k ? factNum(k).toString() : '0');
      }
  });

  it('satisfy He_{n+1} = x He_n − n He_{n−1} and He_n′ = n He_{n−1} exactly', () => {
    const x = Poly.variable(1, 0);
    for (let n = 1; n <= 14; n++) {
      const lhs = hermitePolynomial(n + 1);
      const rhs = x.mul(hermitePolynomial(n)).sub(hermitePolynomial(n - 1).scale(Coef.int(n)));
      expect(lhs.equals(rhs)).toBe(true);
      expect(hermitePolynomial(n).derivative(0).equals(hermitePolynomial(n - 1).scale(Coef.int(n)))).toBe(true);
    }
    expect(hermitePolynomial(4).terms().map((t) => `${t.c}x^${t.exps[0]}`)).toEqual(['1x^4', '-6x^2', '3x^0']);
  });
});

describe('Hermite coefficients (THEORY §3.2 table)', () => {
  const table: [string, Record<number, number>, number][] = [
    ['erf(z/sqrt(2))', { 1: 0.5641896, 3: -0.0470158, 5: 0.0035262, 7: -0.0002099 }, 0.36755],
    ['relu(z)', { 0: 0.3989423, 1: 0.5, 2: 0.1994711, 4: -0.0166226, 6: 0.0016623, 8: -0.0001484 }, 0.5],
    ['tanh(z)', { 1: 0.6057055, 3: -0.0605992, 5: 0.0057098, 7: -0.0004429, 9: 2.89e-5 }, 0.4644],
  ];
  for (const [f, coeffs, d2] of table) {
    it(`reproduces ${f}`, () => {
      const rep = hermiteCoefficients(activation(f), 9);
      // the table lists c_0..c_8 (blank = 0), and c_9 where given
      for (let k = 0; k <= (9 in coeffs ? 9 : 8); k++) {
        // the table prints 7 decimals: it is matched to half a unit of its last digit (the closed forms are
        // exact to ~1e-15 and tanh's quadrature to ~1e-12, so a wrong value one unit off fails)
        const want = coeffs[k] ?? 0;
        expect(Math.abs(rep.coefficients[k] - want), `${f}: c_${k}`).toBeLessThan(5e-8 + 1e-12);
      }
      const decimals = (String(d2).split('.')[1] ?? '').length;
      expect(Math.abs(rep.derivativeSquare - d2)).toBeLessThan(0.5 * 10 ** -decimals + 1e-12);
    });
  }

  it('gives He_k/√k! exactly c_k = 1/√k! and E[f′²] = k', () => {
    for (let k = 1; k <= 6; k++) {
      const rep = hermiteCoefficients(activation(`He${k}(z)/sqrt(${factNum(k)})`), 8);
      expect(rep.method).toBe('exact');
      rep.coefficients.forEach((c, n) => expect(c).toBeCloseTo(n === k ? 1 / Math.sqrt(factNum(k)) : 0, 14));
      expect(rep.derivativeSquare).toBeCloseTo(k, 12);
      expect(rep.informationExponent).toBe(k);
    }
    expect(hermiteCoefficients(activation('He3(z)/sqrt(6)'), 3).exact?.[3]).toBe('1/6*sqrt(6)');
  });

  it('closed forms of A·erf(bz) and s·ReLU agree with quadrature', () => {
    for (const [A, b] of [[1, 0.3], [2.5, 1.7], [-0.7, 0.05]]) {
      const closed = erfCoefficients(A, b, 9);
      const quad = quadratureCoefficients((x) => A * erfBySimpson(b * x), 9, 24);
      closed.forEach((c, k) => expect(Math.abs(c - quad[k])).toBeLessThan(1e-11 * Math.max(1, Math.abs(A))));
    }
    const relu = reluCoefficients(1.3, 10);
    const quad = quadratureCoefficients((x) => 1.3 * Math.max(x, 0), 10, 24);
    relu.forEach((c, k) => expect(Math.abs(c - quad[k])).toBeLessThan(1e-12));
  });

  it('recognises the closed-form families however they are written', () => {
    expect(activation('max(z, 0)').family).toMatchObject({ kind: 'closed', name: 'relu' });
    expect(activation('(z + abs(z))/2').family).toMatchObject({ kind: 'closed', name: 'relu' });
    expect(activation('3*erf(0.2*z)').family).toMatchObject({ kind: 'closed', name: 'erf' });
    expect(activation('tanh(z)').family.kind).toBe('general');
    expect(activation('z^3 - 3*z').family.kind).toBe('polynomial');
  });

  it('computes information exponents of functions and of pairs', () => {
    const rep = (f: string) => hermiteCoefficients(activation(f), 10);
    expect(rep('He3(z)').informationExponent).toBe(3);
    expect(rep('He2(z)/sqrt(2)').informationExponent).toBe(2);
    expect(rep('relu(z)').informationExponent).toBe(1);
    expect(rep('z^2').informationExponent).toBe(2);
    // ReLU has c_k = 0 for odd k ≥ 3: no drift on He3
    expect(pairExponent(rep('relu(z)'), rep('He3(z)/sqrt(6)'))).toBeNull();
    expect(pairExponent(rep('tanh(z)'), rep('He2(z)/sqrt(2)'))).toBeNull();
    expect(pairExponent(rep('relu(z)'), rep('He2(z)/sqrt(2)'))).toBe(2);
    expect(pairExponent(rep('erf(z/sqrt(2))'), rep('He3(z)'))).toBe(3);
  });

  it('expands polynomial multi-index targets exactly, with the lowest degree per direction', () => {
    const poly = Expr.parse('nu1 + nu1*nu2', ['nu1', 'nu2']).toPoly() as Poly;
    const terms = multivariateHermite(poly);
    expect(terms.map((t) => [t.alpha, t.exact])).toEqual([
      [[1, 1], '1'],
      [[1, 0], '1'],
    ]);
    expect(lowestDegreePerDirection(terms, 2)).toEqual([1, 2]);
    const p2 = Expr.parse('nu1^2*nu2 + He3(nu2)/sqrt(6)', ['nu1', 'nu2']).toPoly() as Poly;
    const t2 = multivariateHermite(p2);
    // ν1²ν2 = He2(ν1)He1(ν2) + He1(ν2)
    expect(t2.find((t) => t.alpha[0] === 2 && t.alpha[1] === 1)?.exact).toBe('1');
    expect(t2.find((t) => t.alpha[0] === 0 && t.alpha[1] === 1)?.exact).toBe('1');
    expect(t2.find((t) => t.alpha[0] === 0 && t.alpha[1] === 3)?.exact).toBe('1/6*sqrt(6)');
    expect(lowestDegreePerDirection(t2, 2)).toEqual([3, 1]);
  });

  it('polynomial coefficients equal E[f He_k]/k! by quadrature', () => {
    const act = activation('0.3*z^5 - z^2 + 2*z + 1/7');
    const exact = polynomialHermite((act.family as { poly: Poly }).poly).map((c) => c.toNumber());
    const quad = quadratureCoefficients(act.f, 6, 20);
    exact.forEach((c, k) => expect(Math.abs(c - quad[k])).toBeLessThan(1e-12));
    expect(normalExpectation((x) => act.f(x) ** 2)).toBeCloseTo(hermiteCoefficients(act, 6).meanSquare, 10);
  });
});

/** An independent erf: Simpson's rule on 2/√π ∫_0^x e^{−t²} dt (h = x/4000, error ≪ 1e-13). */
function erfBySimpson(x: number): number {
  const n = 4000;
  const h = x / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const t = i * h;
    s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-t * t);
  }
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
}

describe('rescaling to a field of variance q (THEORY §3.2)', () => {
  it('follows He_n(sx) = Σ_m n!/(m!(n−2m)!) ((s²−1)/2)^m s^{n−2m} He_{n−2m}(x) exactly, and quadrature for the other families', async () => {
    const { rescaledActivation } = await import('../src/hermite/hermite.ts');
    for (const [n, q] of [[3, 2], [4, 0.5], [5, 3]]) {
      const s = Math.sqrt(q);
      const rep = hermiteCoefficients(rescaledActivation(activation(`He${n}(z)`), q), n);
      for (let m = 0; 2 * m <= n; m++) {
        const want = (factNum(n) / (factNum(m) * factNum(n - 2 * m))) * ((s * s - 1) / 2) ** m * s ** (n - 2 * m);
        expect(rep.coefficients[n - 2 * m]).toBeCloseTo(want, 12);
      }
    }
    for (const f of ['erf(z/sqrt(2))', 'relu(z)', 'tanh(z)']) {
      const q = 2.5;
      const act = activation(f);
      const rep = hermiteCoefficients(rescaledActivation(act, q), 6);
      const quad = quadratureCoefficients((x) => act.f(Math.sqrt(q) * x), 6, 24);
      rep.coefficients.forEach((c, k) => expect(Math.abs(c - quad[k])).toBeLessThan(1e-9));
    }
  });
});

describe('the leap index (THEORY §4.3)', () => {
  const expand = (text: string, k: number) => multivariateHermite(Expr.parse(text, Array.from({ length: k }, (_, r) => `nu${r + 1}`)).toPoly() as Poly);
  /** the definition itself, by every ordering of the support (an independent oracle for small supports) */
  function bruteForce(terms: { alpha: number[]; coefficient: number }[]): number {
    const support = terms.filter((t) => t.coefficient !== 0 && t.alpha.some((a) => a > 0)).map((t) => t.alpha);
    let best = Infinity;
    const permute = (rest: number[][], touched: Set<number>, worst: number): void => {
      if (worst >= best) return;
      if (!rest.length) return void (best = worst);
      rest.forEach((S, i) => {
        const step = S.reduce((s, a, r) => (touched.has(r) ? s : s + a), 0);
        const next = new Set(touched);
        S.forEach((a, r) => a > 0 && next.add(r));
        permute([...rest.slice(0, i), ...rest.slice(i + 1)], next, Math.max(worst, step));
      });
    };
    permute(support, new Set(), 0);
    return support.length ? best : 0;
  }
  it('reproduces the examples: staircase 1, ν1ν2 2, He3 3, ν1 + ν1He2(ν2) 2', () => {
    for (const [t, k, leap] of [['nu1 + nu1*nu2 + nu1*nu2*nu3', 3, 1], ['nu1*nu2', 2, 2], ['He3(nu1)', 1, 3], ['nu1 + nu1*He2(nu2)', 2, 2]] as const)
      expect(leapIndex(expand(t, k), k).leap, t).toBe(leap);
  });
  it('equals the minimum over all orderings on random polynomial targets, and its ordering attains it', () => {
    const rng = new Rng(31, 4);
    for (let trial = 0; trial < 40; trial++) {
      const k = 2 + Math.floor(rng.uniform() * 3);
      const monos: string[] = [];
      for (let m = 0; m < 2 + Math.floor(rng.uniform() * 4); m++)
        monos.push(Array.from({ length: k }, (_, r) => `He${Math.floor(rng.uniform() * 3)}(nu${r + 1})`).join('*'));
      const terms = expand(monos.join(' + '), k);
      const L = leapIndex(terms, k);
      expect(L.leap, monos.join(' + ')).toBe(bruteForce(terms));
      expect(Math.max(0, ...L.steps)).toBe(L.leap);
    }
  });
  it('on the command line: --leap prints the index and its ordering; a non-polynomial or a z-activation is refused', async () => {
    const { cli } = await import('./helpers.ts');
    const r = await cli(['hermite', 'nu1 + nu1*He2(nu2)', '--leap', '--json']);
    expect(JSON.parse(r.stdout).leap.index).toBe(2);
    for (const e of ['tanh(nu1)', 'tanh(z)']) {
      const bad = await cli(['hermite', e, '--leap']);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
