import { describe, it, expect } from 'vitest';
import { erfFamily } from '../src/families/erf.ts';
import { reluFamily } from '../src/families/relu.ts';
import type { Const } from '../src/ir/ir.ts';
import { parseKernel } from '../src/ir/parse.ts';
import { instantiate } from '../src/ir/js.ts';
import { tensorExpectation, mc, covariances } from './helpers.ts';
import { erfNum } from '../src/hermite/activation.ts';
import { Rng } from '../src/random/rng.ts';
import { gaussLegendre } from '../src/quadrature.ts';

/** The closed-form kernels as the generated files print them (JavaScript from the same IR). */
function compile(src: string, names: string[], constants: Const[] = []): Record<string, (...a: number[]) => number> {
  const functions = parseKernel(src).map((f) => ({ ...f, exported: names.includes(f.name) }));
  return instantiate({ header: [], prefix: 'k', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants, functions });
}
const erfF = compile(erfFamily.source, ['erfI2', 'erfJ2', 'erfI3', 'erfI4']);
const reluF = compile(reluFamily.source, ['reluI2', 'reluJ2', 'reluI3', 'reluI4', 'reluOrthant4'], reluFamily.constants?.());

const g = (x: number) => erfNum(x / Math.SQRT2);
const dg = (x: number) => Math.sqrt(2 / Math.PI) * Math.exp(-x * x / 2);
const relu = (x: number) => (x > 0 ? x : 0);
const step = (x: number) => (x > 0 ? 1 : 0);

const upper = (C: number[][]) => C.flatMap((r, i) => r.slice(i));

const quad = (C: number[][], f: (u: number[]) => number, nodes: number) => tensorExpectation(C, f, nodes);

describe('erf closed forms (Saad & Solla) against quadrature and Monte Carlo', () => {
  const cases: [string, number, (u: number[]) => number][] = [
    ['erfI2', 2, (u) => g(u[0]) * g(u[1])],
    ['erfJ2', 2, (u) => dg(u[0]) * dg(u[1])],
    ['erfI3', 3, (u) => dg(u[0]) * u[1] * g(u[2])],
    ['erfI4', 4, (u) => dg(u[0]) * dg(u[1]) * g(u[2]) * g(u[3])],
  ];
  for (const [name, n, f] of cases) {
    it(`${name}`, () => {
      // quadrature is accurate to ~1e-8 here at field variances of order 1 (generic cases; the
      // coincident one is checked below by an exact reduction to fewer fields, and every case by Monte Carlo)
      for (const [i, C] of covariances(n, 0.5).entries()) {
        if (i >= 3) continue;
        const closed = erfF[name](...upper(C));
        const q = quad(C, f, n === 4 ? 28 : 50);
        expect(Math.abs(closed - q), `${name} case ${i}`).toBeLessThan((n === 4 ? 1e-7 : 2e-8) * (1 + Math.abs(q)));
      }
      for (const [i, C] of covariances(n).entries()) {
        const closed = erfF[name](...upper(C));
        const m = mc(C, f, 200_000, 17 + i);
        expect(Math.abs(closed - m.mean) / m.se, `${name} case ${i} z-score`).toBeLessThan(4.5);
      }
    });
  }
});

describe('erf closed forms with coincident fields', () => {
  it('I4(u1, u2, u3, u1) equals E[g′(u1)² … ] over three fields to 1e-12', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 3; t++) {
      const G = Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => 0.6 * rng.normal()));
      const C3 = G.map((a) => G.map((b) => a.reduce((s, x, i) => s + x * b[i], 0)));
      const C4 = [0, 1, 2, 0].map((i) => [0, 1, 2, 0].map((j) => C3[i][j]));
      const closed = erfF.erfI4(...upper(C4));
      const q = quad(C3, (u) => dg(u[0]) * dg(u[1]) * g(u[2]) * g(u[0]), 60);
      expect(Math.abs(closed - q)).toBeLessThan(1e-10);
    }
  });
});

describe('ReLU closed forms against Monte Carlo (quadrature is poor on kinks)', () => {
  const cases: [string, number, (u: number[]) => number][] = [
    ['reluI2', 2, (u) => relu(u[0]) * relu(u[1])],
    ['reluJ2', 2, (u) => step(u[0]) * step(u[1])],
    ['reluI3', 3, (u) => step(u[0]) * u[1] * relu(u[2])],
    ['reluI4', 4, (u) => step(u[0]) * step(u[1]) * relu(u[2]) * relu(u[3])],
  ];
  for (const [name, n, f] of cases) {
    it(`${name}, including coincident and rank-deficient covariances`, () => {
      for (const [i, C] of covariances(n).entries()) {
        const closed = reluF[name](...upper(C));
        const m = mc(C, f, 400_000, 29 + i);
        expect(Math.abs(closed - m.mean), `${name} case ${i}`).toBeLessThan(4.5 * m.se + 1e-8);
      }
    });
  }

  it('reluI4 on four distinct fields in a plane equals the exact polar integral', () => {
    // u_i = h_i·g, g ~ N(0, I_2): E[Π θ(u_i) u_3 u_4] = E[r²] E_φ[…] with E[r²] = 2, φ uniform
    const angles = [0.1, 0.45, 0.7, 1.2];
    const norms = [1, 1.3, 1.6, 1.9];
    const H = angles.map((phi, i) => [norms[i] * Math.cos(phi), norms[i] * Math.sin(phi)]);
    const C = H.map((a) => H.map((b) => a[0] * b[0] + a[1] * b[1]));
    // all u_i > 0 on φ ∈ (max a_i − π/2, min a_i + π/2); ∫cos(φ−a)cos(φ−b)dφ = ½[φ cos(a−b) + ½ sin(2φ−a−b)]
    const [a, b] = [angles[2], angles[3]];
    const F = (phi: number) => 0.5 * (phi * Math.cos(a - b) + 0.5 * Math.sin(2 * phi - a - b));
    const I = F(Math.min(...angles) + Math.PI / 2) - F(Math.max(...angles) - Math.PI / 2);
    const exact = (2 / (2 * Math.PI)) * norms[2] * norms[3] * I;
    expect(exact).toBeGreaterThan(0.1);
    expect(Math.abs(reluF.reluI4(...upper(C)) - exact)).toBeLessThan(1e-6);
  });

  it('P4 by Plackett’s integral matches the orthant frequency', () => {
    for (const [i, C] of covariances(4).slice(0, 3).entries()) {
      const m = mc(C, (u) => (u.every((x) => x > 0) ? 1 : 0), 1_000_000, 71 + i);
      const P = reluF.reluOrthant4(Float64Array.from(C.flat()) as unknown as number);
      expect(Math.abs(P - m.mean) / m.se).toBeLessThan(4.5);
    }
    // independent fields: 1/16 exactly; exchangeable ρ = 1/2: 1/5 (closed form for equicorrelated orthants)
    const I = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    expect(reluF.reluOrthant4(Float64Array.from(I) as unknown as number)).toBeCloseTo(1 / 16, 12);
    const half = [1, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 1];
    expect(Math.abs(reluF.reluOrthant4(Float64Array.from(half) as unknown as number) - 1 / 5)).toBeLessThan(1e-13);
  });

  it('P4 is accurate to 1e-13 at every conditioning, where the integral’s own closed forms are known (independent pairs, 3 + 1 blocks), down to correlations 1 − 1e-7; one fixed 16-node rule is not', () => {
    const P2 = (r: number) => 0.25 + Math.asin(r) / (2 * Math.PI);
    const P3 = (a: number, b: number, c: number) => 0.125 + (Math.asin(a) + Math.asin(b) + Math.asin(c)) / (4 * Math.PI);
    const rng = new Rng(8);
    let fixedWorst = 0;
    for (let t = 0; t < 200; t++) {
      const near = (x: number) => Math.sign(x) * (1 - 10 ** (-1 - 6 * rng.uniform()));
      const r = () => (rng.uniform() < 0.5 ? near(rng.normal()) : 2 * rng.uniform() - 1);
      let R: number[];
      let want: number;
      if (t % 2 === 0) {
        // two independent pairs
        const [a, b] = [r(), r()];
        R = [1, a, 0, 0, a, 1, 0, 0, 0, 0, 1, b, 0, 0, b, 1];
        want = P2(a) * P2(b);
      } else {
        // a 3-block from a random (possibly nearly singular) correlation matrix, and an independent field
        const G = Array.from({ length: 3 }, () => [rng.normal(), rng.normal(), 10 ** (-4 * rng.uniform()) * rng.normal()]);
        const C = G.map((x) => G.map((y) => x[0] * y[0] + x[1] * y[1] + x[2] * y[2]));
        const c = (i: number, j: number) => C[i][j] / Math.sqrt(C[i][i] * C[j][j]);
        R = [1, c(0, 1), c(0, 2), 0, c(0, 1), 1, c(1, 2), 0, c(0, 2), c(1, 2), 1, 0, 0, 0, 0, 1];
        want = 0.5 * P3(c(0, 1), c(0, 2), c(1, 2));
      }
      expect(Math.abs(reluF.reluOrthant4(Float64Array.from(R) as unknown as number) - want), JSON.stringify(R)).toBeLessThan(1e-13);
      fixedWorst = Math.max(fixedWorst, Math.abs(plackettFixed(R, 16) - want));
    }
    expect(fixedWorst).toBeGreaterThan(1e-8);
  });
});

/** Plackett's integral with one fixed Gauss–Legendre rule of n nodes in s (what the kernel did before it chose by conditioning). */
function plackettFixed(R: number[], n: number): number {
  const gl = gaussLegendre(n);
  let total = 0;
  for (let q = 0; q < n; q++) {
    const s = 0.5 * (gl.x[q] + 1);
    const t = 1 - s * s;
    let deriv = 0;
    for (let i = 0; i < 4; i++)
      for (let j = i + 1; j < 4; j++) {
        const rij = R[i * 4 + j];
        if (rij === 0) continue;
        const [k, l] = [0, 1, 2, 3].filter((x) => x !== i && x !== j);
        const r = t * rij;
        const den = 1 - r * r;
        const [rki, rkj, rli, rlj, rkl] = [R[k * 4 + i], R[k * 4 + j], R[l * 4 + i], R[l * 4 + j], R[k * 4 + l]].map((x) => t * x);
        const ckk = 1 - (rki * rki - 2 * r * rki * rkj + rkj * rkj) / den;
        const cll = 1 - (rli * rli - 2 * r * rli * rlj + rlj * rlj) / den;
        const ckl = rkl - (rki * rli - r * (rki * rlj + rkj * rli) + rkj * rlj) / den;
        const rc = Math.max(-1, Math.min(1, ckk > 0 && cll > 0 ? ckl / Math.sqrt(ckk * cll) : 0));
        deriv += (rij / (2 * Math.PI * Math.sqrt(den))) * (0.25 + Math.asin(rc) / (2 * Math.PI));
      }
    total += 0.5 * gl.w[q] * 2 * s * deriv;
  }
  return 0.0625 + total;
}
