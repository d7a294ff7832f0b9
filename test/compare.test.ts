/** The check of THEORY §2.8: Student-t quantiles, Bonferroni over times × entries, the bias allowance. */
import { describe, it, expect } from 'vitest';
import { studentTQuantileUpper, studentTUpper } from '../src/compare/stats.ts';
import { agreement, type Series } from '../src/compare/compare.ts';

describe('Student t', () => {
  it('quantiles match SciPy 1.17 (scipy.stats.t.isf) to 1e-9', () => {
    const ref: [number, number, number][] = [
      [0.025, 7, 2.3646242515927844],
      [0.025, 1, 12.706204736174705],
      [0.005, 30, 2.749995653567226],
      [0.025, 1000, 1.9623390808264085],
      [1e-5, 7, 10.102684252967578],
      [1e-6, 63, 5.237200198870491],
      [0.05, 2, 2.9199855803537256],
    ];
    for (const [q, nu, t] of ref) {
      expect(Math.abs(studentTQuantileUpper(q, nu) - t) / t, `t_${nu}(${q})`).toBeLessThan(1e-9);
      expect(Math.abs(studentTUpper(t, nu) - q) / q).toBeLessThan(1e-9);
    }
  });
});

describe('agreement', () => {
  const tau = [0, 1, 2, 3];
  const series = (diff: number, sem: number): Series => ({ entry: 'M_11', family: 'M', ode: [0, 0, 0, 0], mean: [0, 0, diff, 0], sem: [sem, sem, sem, sem] });
  const run = { d: 1000, gamma: 0.001, seeds: 16 };
  const settings = { alpha: 1e-3, c1: 0.1, c2: 0.05 };
  it('uses q = t_{S−1}(1 − α/(2·T·E)) with T the times τ > 0, and b = c1/d + c2·γ', () => {
    const a = agreement([series(0, 0.01), series(0, 0.01)], tau, run, settings);
    expect(a.times).toBe(3);
    expect(a.quantile).toBeCloseTo(studentTQuantileUpper(1e-3 / (2 * 3 * 2), 15), 12);
    expect(a.allowance).toBeCloseTo(0.1 / 1000 + 0.05 * 0.001, 15);
  });
  it('passes a difference just inside q·SEM + b and fails one just outside', () => {
    const a0 = agreement([series(0, 0.01)], tau, run, settings);
    const edge = a0.quantile * 0.01 + a0.allowance;
    expect(agreement([series(edge * (1 - 1e-9), 0.01)], tau, run, settings).pass).toBe(true);
    const out = agreement([series(edge * (1 + 1e-9), 0.01)], tau, run, settings);
    expect(out.pass).toBe(false);
    expect(out.entries[0].worstTau).toBe(2);
  });
  it('a difference at τ = 0 is not compared (both start at the simulations’ mean)', () => {
    const s: Series = { entry: 'Q_11', family: 'Q', ode: [1, 0, 0, 0], mean: [0, 0, 0, 0], sem: [0.01, 0.01, 0.01, 0.01] };
    expect(agreement([s], tau, run, settings).pass).toBe(true);
  });
});
