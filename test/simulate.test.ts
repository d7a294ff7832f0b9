import { describe, it, expect } from 'vitest';
import { deriveFile } from '../src/pipeline.ts';
import { runSeeds } from '../src/simulate/pool.ts';
import { kernelSources } from '../src/simulate/sources.ts';
import type { KernelConfig, SeedResult } from '../src/simulate/kernel.ts';
import { residualWeight } from '../src/loss/index.ts';
import { weightsWithOverlaps } from '../src/simulate/kernel.ts';
import { Rng, zigguratEdges } from '../src/random/rng.ts';
import { compileExpr } from '../src/ir/js.ts';
import { oneStepMeans } from './onestep.ts';

const erfcNum = compileExpr({ k: 'call', fn: 'erfc', args: [{ k: 'var', name: 'x' }] }, ['x']);

const I2 = [[1, 0], [0, 1]];

function config(der: ReturnType<typeof deriveFile>, over: Partial<KernelConfig>): KernelConfig {
  return {
    p: der.model.p, k: der.model.k, d: 100, nb: 1, gamma: 0.01, kappa: 0, trainA: false, Delta: 0, residualWeight: residualWeight(der.model), dynamics: der.model.dynamics,
    steps: 1, record: [0, 1], P: I2, teacher: 'orthonormal', init: null, a0: der.model.a0, ...kernelSources(der.model), ...over,
  };
}

function meanSe(runs: SeedResult[], f: (r: SeedResult) => number): [number, number] {
  let s = 0;
  let s2 = 0;
  for (const r of runs) {
    const v = f(r);
    s += v;
    s2 += v * v;
  }
  const n = runs.length;
  const m = s / n;
  return [m, Math.sqrt((s2 / n - m * m) / (n - 1))];
}

describe('simulators: reproducibility', () => {
  it('same seed → same numbers, whatever the number of workers; different seed → different numbers', async () => {
    const der = deriveFile('derivations/saad-solla-erf.yaml');
    const cfg = config(der, { d: 200, steps: 300, record: [0, 100, 300], gamma: 0.005 });
    for (const engine of ['full', 'reduced'] as const) {
      const one = await runSeeds(cfg, [1, 2, 3], engine, 1);
      const two = await runSeeds(cfg, [1, 2, 3], engine, 2);
      expect(two).toEqual(one);
      expect(one[0].Q[2]).not.toEqual(one[1].Q[2]);
    }
  });

  it('builds weights with exactly the requested overlaps', () => {
    const M = [[0.5, -0.2], [0.1, 0.4], [0, 0]];
    const Q = [[1, 0.3, 0.1], [0.3, 0.9, -0.2], [0.1, -0.2, 0.7]];
    const P = [[1, 0.3], [0.3, 1.2]];
    const d = 50;
    const { W, LP } = weightsWithOverlaps(M, Q, P, d);
    for (let j = 0; j < 3; j++) {
      for (let l = 0; l < 3; l++) expect(W.slice(j * d, j * d + d).reduce((s, x, i) => s + x * W[l * d + i], 0)).toBeCloseTo(Q[j][l], 12);
      for (let r = 0; r < 2; r++) expect(LP[r].reduce((s, x, t) => s + x * W[j * d + t], 0)).toBeCloseTo(M[j][r], 12);
    }
  });

  it('draws the default start as THEORY says: Q ≈ I and M_jr ~ N(0, 1/d)', async () => {
    const der = deriveFile('derivations/saad-solla-erf.yaml');
    const d = 400;
    for (const engine of ['full', 'reduced'] as const) {
      const runs = await runSeeds(config(der, { d, steps: 0, record: [0] }), Array.from({ length: 400 }, (_, i) => i + 1), engine, 1);
      const [mQ] = meanSe(runs, (r) => r.Q[0][0][0]);
      const [mM, seM] = meanSe(runs, (r) => r.M[0][0][1]);
      const [m2] = meanSe(runs, (r) => r.M[0][0][1] ** 2 * d);
      expect(Math.abs(mQ - 1)).toBeLessThan(0.02);
      expect(Math.abs(mM) / seM).toBeLessThan(4);
      expect(Math.abs(m2 - 1)).toBeLessThan(0.2);
    }
  });
});

describe('one step at finite d equals the exact means of THEORY §2.2 (d = 100, n_b = 5, γ = 0.3)', () => {
  for (const engine of ['full', 'reduced'] as const) {
    it(`${engine} simulator`, async () => {
      const der = deriveFile('derivations/saad-solla-erf.yaml');
      const M = [[0.5, 0.2], [0.1, 0.4]];
      const Q = [[1, 0.2], [0.2, 0.8]];
      const a = [1, 1];
      const [d, nb, gamma] = [100, 5, 0.3];
      const want = oneStepMeans(der, M, Q, a, d, nb, gamma);
      const runs = await runSeeds(config(der, { d, nb, gamma, init: { M, Q, a } }), Array.from({ length: 20000 }, (_, i) => i + 1), engine, 2);
      for (let j = 0; j < 2; j++)
        for (let l = 0; l < 2; l++) {
          const [m, se] = meanSe(runs, (r) => r.M[1][j][l] - r.M[0][j][l]);
          expect(Math.abs(m - want.dM[j][l]) / se, `ΔM_${j}${l}`).toBeLessThan(4.5);
        }
      for (let j = 0; j < 2; j++)
        for (let l = j; l < 2; l++) {
          const [m, se] = meanSe(runs, (r) => r.Q[1][j][l] - r.Q[0][j][l]);
          expect(Math.abs(m - want.dQ[j][l]) / se, `ΔQ_${j}${l}`).toBeLessThan(4.5);
          // the squared-mean term G is resolved: dropping it would be several standard errors off
          expect(Math.abs(want.parts.G[j][l]) / se).toBeGreaterThan(3);
        }
    });
  }
});

describe('full against reduced simulator', () => {
  it('many spherical steps: same mean and spread', async () => {
    const der = deriveFile('derivations/he3-single-index.yaml');
    const d = 300;
    const gamma = 0.002;
    const cfg = config(der, { d, gamma, nb: 2, steps: 1500, record: [0, 500, 1500], P: [[1]], init: { M: [[0.4]], Q: [[1]], a: [1] } });
    const seeds = Array.from({ length: 160 }, (_, i) => i + 1);
    const full = await runSeeds(cfg, seeds, 'full', 2);
    const red = await runSeeds(cfg, seeds.map((s) => s + 1000), 'reduced', 2);
    for (const t of [1, 2]) {
      const [mf, sf] = meanSe(full, (r) => r.M[t][0][0]);
      const [mr, sr] = meanSe(red, (r) => r.M[t][0][0]);
      expect(Math.abs(mf - mr) / Math.hypot(sf, sr)).toBeLessThan(4);
      // spreads: standard deviations within 25 % (the SE of a standard deviation from 160 runs is ~6 %)
      expect(sf / sr).toBeGreaterThan(0.75);
      expect(sf / sr).toBeLessThan(1.33);
      for (const r of [...full, ...red]) expect(r.Q[t][0][0]).toBeCloseTo(1, 12);
    }
  });
});

describe('the seeded normal sampler', () => {
  it('has the moments and tails of N(0, 1)', () => {
    const rng = new Rng(12345);
    const n = 2_000_000;
    const buf = new Float64Array(n);
    rng.fillNormal(buf);
    let s = 0;
    let s2 = 0;
    let s4 = 0;
    let tail = 0;
    for (const x of buf) {
      s += x;
      s2 += x * x;
      s4 += x ** 4;
      if (Math.abs(x) > 3) tail++;
    }
    expect(Math.abs(s / n) / Math.sqrt(1 / n)).toBeLessThan(4.5);
    expect(Math.abs(s2 / n - 1) / Math.sqrt(2 / n)).toBeLessThan(4.5);
    expect(Math.abs(s4 / n - 3) / Math.sqrt(96 / n)).toBeLessThan(4.5);
    const pTail = 0.0026997960632601866;
    expect(Math.abs(tail / n - pTail) / Math.sqrt(pTail / n)).toBeLessThan(4.5);
  });
});


describe('the ziggurat, layer by layer', () => {
  // Marsaglia–Tsang take the layer from the low 7 bits of the same 32-bit word that gives the value
  // (Doornik 2005): any layer-dependent bias shows as too many or too few draws in that layer's band
  // of |x|, on either sign. 10⁷ draws, 256 bands (128 layers × sign), Bonferroni at family-wise 10⁻³.
  const edges = zigguratEdges(); // 0 < x_1 < … < x_127 = R
  const Phi = (x: number) => 0.5 * erfcNum(-x / Math.SQRT2);
  // band b: |x| in (x_b, x_{b+1}] with x_0 = 0, the last one (R, ∞)
  const cuts = [0, ...edges, Infinity];
  const bands: [number, number][] = cuts.slice(0, -1).map((lo, b) => [lo, cuts[b + 1]]);
  const probs = bands.map(([lo, hi]) => Phi(hi) - Phi(lo));
  const zLimit = 4.42; // Φ⁻¹(1 − 10⁻³/(2·256))
  function worstZ(xs: Float64Array): number {
    const counts = new Float64Array(2 * bands.length);
    for (const x of xs) {
      const a = Math.abs(x);
      let lo = 0;
      let hi = bands.length - 1;
      // the band whose upper edge is the first ≥ |x|
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (bands[mid][1] >= a) hi = mid;
        else lo = mid + 1;
      }
      counts[2 * lo + (x > 0 ? 1 : 0)]++;
    }
    let worst = 0;
    probs.forEach((p, b) => {
      for (const s of [0, 1]) {
        const e = xs.length * p;
        worst = Math.max(worst, Math.abs(counts[2 * b + s] - e) / Math.sqrt(e * (1 - p)));
      }
    });
    return worst;
  }

  it('puts the mass of N(0, 1) in every layer’s band, on both signs', () => {
    const xs = new Float64Array(10_000_000);
    new Rng(20260, 7).fillNormal(xs);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(0.5, 12);
    expect(worstZ(xs)).toBeLessThan(zLimit);
  });

  it('the test sees a 3 % deficit in one layer’s band', () => {
    const xs = new Float64Array(10_000_000);
    const rng = new Rng(20260, 7);
    rng.fillNormal(xs);
    // drop every 33rd draw of layer 40's positive band, replacing it by a fresh draw outside that band
    const [lo, hi] = bands[40];
    let k = 0;
    for (let i = 0; i < xs.length; i++)
      if (xs[i] > lo && xs[i] <= hi && ++k % 33 === 0) {
        let y = rng.normal();
        while (y > lo && y <= hi) y = rng.normal();
        xs[i] = y;
      }
    expect(worstZ(xs)).toBeGreaterThan(zLimit);
  });
});
