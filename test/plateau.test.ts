/**
 * Plateau lengths in simulation against the escape law (THEORY §2.11): reduced simulations started on
 * the symmetric saddle of the Saad–Solla erf committee leave it by SGD noise alone, and their median
 * exit grows by 1/(2λ₊) per unit ln d. The check has power: a law with λ₊ 1.5× off is rejected by the
 * same measurement. The left eigenvector that measures the coordinate along v₊ is checked against the
 * Jacobian itself.
 */
import { describe, it, expect } from 'vitest';
import { deriveFile, jacobianOf } from '../src/pipeline.ts';
import { findFixedPoints } from '../src/numeric/fixedpoints.ts';
import { defaultOverlaps, resolveParams } from '../src/numeric/setup.ts';
import { plateauLengths, escapeKs, escapeLaw } from '../src/studies/plateau.ts';
import { cli } from './helpers.ts';

const d = deriveFile('derivations/saad-solla-erf.yaml');
const params = resolveParams(d.model, d.layout, { eta_bar: '3' });
const saddle = findFixedPoints(d, { params, start: defaultOverlaps(d.model, 1), tau: 2000 }).find((f) => f.type === 'saddle')!;

describe('plateau lengths against the escape law (Saad–Solla erf, p = k = 2, η̄ = 3)', () => {
  it('the left eigenvector of λ₊ is one (wᵀJ = λ₊wᵀ to 1e-9) and is scaled so that w·v₊ = 1', () => {
    const n = d.layout.stateNames.length;
    const J = new Float64Array(n * n);
    jacobianOf(d)(0, saddle.y, params, J);
    const lead = saddle.leading!;
    const w = d.layout.stateNames.map((s) => lead.left![s]);
    const v = d.layout.stateNames.map((s) => lead.vector[s]);
    expect(Math.abs(w.reduce((s, x, i) => s + x * v[i], 0) - 1)).toBeLessThan(1e-12);
    for (let j = 0; j < n; j++) {
      const wJ = w.reduce((s, x, i) => s + x * J[i * n + j], 0);
      expect(Math.abs(wJ - lead.value * w[j])).toBeLessThan(1e-9);
    }
  });

  it('the median exit from the saddle grows by 1/(2λ₊) per unit ln d (d = 200 and 2000, 150 seeds each, within 3 bootstrap standard errors), at the level the linear-noise theory predicts; a law with λ₊ × 1.5, or D × 2, is rejected', async () => {
    const seeds = Array.from({ length: 150 }, (_, i) => i + 1);
    const r = await plateauLengths({ der: d, params, saddle, dims: [200, 2000], nbs: [1, 10], seeds, band: 0.1, engine: 'reduced', workers: 2 });
    expect(r.perD.every((p) => p.escapedFraction > 0.9)).toBe(true);
    // the measurement is precise enough to tell the law from a 1.5× wrong rate
    expect(r.ratioSE).toBeLessThan(0.13);
    expect(Math.abs(r.ratio - 1)).toBeLessThan(3 * r.ratioSE);
    // a law with λ₊ × 1.5 predicts a slope 1.5× smaller: the measured one is 1.5·ratio of it
    const wrong = 1.5 * r.ratio;
    expect(Math.abs(wrong - 1)).toBeGreaterThan(3 * 1.5 * r.ratioSE);
    // the level too: the linear-noise theory's median (THEORY §2.13, c² = w₊ᵀDw₊) within 3 standard errors at
    // both d; with D × 2 (the exit ln √2/λ₊ earlier) it is not
    expect(r.noise).toBeGreaterThan(0);
    for (const p of r.perD) {
      expect(Math.abs(p.median! - p.predictedMedian!)).toBeLessThan(3 * p.medianSE!);
      expect(Math.abs(p.median! - (p.predictedMedian! - Math.log(Math.sqrt(2)) / r.lambda))).toBeGreaterThan(3 * p.medianSE!);
      // the whole distribution of exit times: Kolmogorov–Smirnov against the law, and against the law with D × 2
      expect(p.ks!.distance, `KS at d = ${p.d}`).toBeLessThan(p.ks!.critical);
      const A = Math.log((r.band * Math.sqrt(2 * r.lambda * p.d)) / r.noise!);
      expect(escapeKs(p.exits, p.horizonTau, escapeLaw(r.lambda, A - Math.log(Math.SQRT2)).cdf).distance).toBeGreaterThan(p.ks!.critical);
      // the law's own quantiles are its CDF's inverse
      expect(escapeLaw(r.lambda, A).cdf(p.predictedQ3!)).toBeCloseTo(0.75, 10);
      expect(p.predictedQ1!).toBeLessThan(p.predictedMedian!);
    }
    // the exit grows with d, and every seed's exit lies within the horizon
    expect(r.perD[1].median!).toBeGreaterThan(r.perD[0].median!);
    for (const p of r.perD) for (const x of p.exits) if (x !== null) expect(x).toBeLessThanOrEqual(p.horizonTau);
  }, 120_000);

  it('refuses one dimension, repeated dimensions and a model without a saddle in one line (exit 2, exit 1)', async () => {
    for (const args of [['--d', '1000'], ['--d', '1000,1000'], ['--d', '1000,2000', '--nb', '1'], ['--d', '1000,2000', '--band', '0']]) {
      const b = await cli(['plateau', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=3', ...args, '--quiet']);
      expect(b.code).toBe(2);
      expect(b.stderr.trim().split('\n')).toHaveLength(1);
      expect(b.stdout).toBe('');
    }
    const none = await cli(['plateau', 'derivations/he3-correlation.yaml', '--d', '1000,2000', '--quiet']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/no saddle/);
  }, 60_000);
});
