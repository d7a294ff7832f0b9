/**
 * Finite-d fluctuations (THEORY §2.13): the linear-noise standard deviations against the spread of the
 * reduced simulator over 500 seeds at d = 500 and 2000 — an erf committee, and an erf student with a
 * trained second layer on a single-index target with label noise. The check has power: the same
 * comparison rejects a theory with D × 1.2.
 */
import { describe, it, expect } from 'vitest';
import { deriveFile, deriveSpec } from '../src/pipeline.ts';
import { parseSpec } from '../src/spec/load.ts';
import { runIntegration } from '../src/numeric/run.ts';
import { stateOf, type Overlaps } from '../src/numeric/trajectory.ts';
import { resolveParams } from '../src/numeric/setup.ts';
import { simulate } from '../src/simulate/simulate.ts';
import type { Derivation } from '../src/pipeline.ts';
import { cli, tmp } from './helpers.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const committee = deriveFile('derivations/saad-solla-erf.yaml');
const singleIndex = deriveSpec(
  parseSpec(['name: erf-on-he2-trained', 'student: {width: 2, activation: "erf(z/sqrt(2))", second_layer: {train: true, init: [0.5, -0.3]}}', 'teacher: {width: 1, target: "He2(nu1)/sqrt(2) + nu1"}', 'loss: mse', 'dynamics: plain', 'noise: 0.1'].join('\n')),
);

/** mean over entries and the saved times after 0 of (simulated variance)/(predicted variance) at each d */
async function varianceRatios(d: Derivation, init: Overlaps, dims: number[]): Promise<number[]> {
  const eta = 0.5;
  const T = 6;
  const grid = [0, T / 2, T];
  const L = d.layout;
  const traj = runIntegration(d, { tauEnd: T, grid, init, sets: { eta_bar: eta }, fluctuations: { d: dims[0] }, measureAccuracy: false });
  expect(traj.std!.risk.length).toBe(traj.tau.length);
  const params = resolveParams(d.model, L, { eta_bar: String(eta) });
  const out: number[] = [];
  for (const D of dims) {
    const gamma = eta / D;
    const sim = await simulate(d, { d: D, nb: 1, gamma, steps: Math.round(T / gamma), seeds: Array.from({ length: 500 }, (_, i) => i + 1), engine: 'reduced', init, points: 3, workers: 2, params: [...params] });
    const ratios: number[] = [];
    for (const gi of [1, 2]) {
      const si = sim.tau.findIndex((t) => Math.abs(t - grid[gi]) < 1e-6 * T);
      const ys = sim.seeds.map((s) => stateOf({ M: s.M[si], Q: s.Q[si], a: s.a[si] }, L));
      // the prediction at d is the one at dims[0] scaled by dims[0]/d (Σ does not depend on d)
      const pred = stateOf({ M: traj.std!.M[gi], Q: traj.std!.Q[gi], a: traj.std!.a[gi] }, L).map((s) => (s * s * dims[0]) / D);
      L.stateNames.forEach((_, e) => {
        const v = ys.map((y) => y[e]);
        const m = v.reduce((a, b) => a + b, 0) / v.length;
        ratios.push(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1) / pred[e]);
      });
    }
    out.push(ratios.reduce((a, b) => a + b, 0) / ratios.length);
  }
  return out;
}

describe('finite-d fluctuations in the linear-noise approximation', () => {
  for (const [name, d, init] of [
    ['an erf committee (p = k = 2)', committee, { M: [[0.3, 0.1], [0.05, 0.25]], Q: [[0.8, 0.1], [0.1, 0.7]], P: [[1, 0], [0, 1]], a: [1, 1] }],
    ['an erf student with a trained second layer on He2/√2 + ν (label noise 0.1)', singleIndex, { M: [[0.3], [0.1]], Q: [[0.8, 0.1], [0.1, 0.7]], P: [[1]], a: [0.5, -0.3] }],
  ] as [string, Derivation, Overlaps][])
    it(`${name}: the reduced simulator's variances over 500 seeds are the predicted ones at d = 500 and 2000 (mean ratio within 8 %); D × 1.2 is rejected`, async () => {
      const r = await varianceRatios(d, init, [500, 2000]);
      for (const x of r) {
        expect(Math.abs(x - 1)).toBeLessThan(0.08);
        expect(Math.abs(x / 1.2 - 1)).toBeGreaterThan(0.08);
      }
    }, 120_000);

  it('integrate --fluctuations --d prints the standard deviations and `std` in --json, aligned with tau; spherical dynamics are refused in one line (exit 2)', async () => {
    const dir = tmp('fluct');
    const init = join(dir, 'init.json');
    writeFileSync(init, JSON.stringify({ M: [[0.3, 0.1], [0.05, 0.25]], Q: [[0.8, 0.1], [0.1, 0.7]] }));
    const r = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=0.5', '--tau', '2', '--init', init, '--fluctuations', '--d', '1000', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.std.risk).toHaveLength(j.tau.length);
    expect(j.std.M).toHaveLength(j.tau.length);
    expect(j.std.M[0][0][0]).toBe(0);
    expect(j.std.M.at(-1)[0][0]).toBeGreaterThan(0);
    expect(j.meta.fluctuations.d).toBe(1000);
    const t = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=0.5', '--tau', '2', '--init', init, '--fluctuations', '--d', '1000']);
    expect(t.stdout).toMatch(/fluctuations of one run at d = 1000/);
    const bad = await cli(['integrate', 'derivations/he3-single-index.yaml', '--tau', '2', '--fluctuations']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/plain SGD/);
  }, 60_000);
});
