/**
 * The linear-noise approximation from the simulators' random start (THEORY §2.13): Σ(0) of
 * w_j = g_j/√d against draws of both engines, the seeds' spread against the prediction in `compare
 * --fluctuations` (and the prediction from Σ(0) = 0 shown to miss it), and where the approximation
 * stops holding.
 */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { deriveFile } from '../src/pipeline.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { compare, spreadOf, seriesOf } from '../src/compare/compare.ts';
import { runIntegration } from '../src/numeric/run.ts';
import { randomStartCovariance, LINEAR_NOISE_LIMIT } from '../src/numeric/fluctuations.ts';
import { meanInitial } from '../src/simulate/simulate.ts';
import { stateOf } from '../src/ode/layout.ts';
import { cli, tmp } from './helpers.ts';

const der = deriveFile('derivations/saad-solla-erf.yaml');
const L = der.layout;
const n = L.stateNames.length;
const I2 = [
  [1, 0],
  [0, 1],
];

describe('Σ(0) of the random start', () => {
  it.each(['full', 'reduced'] as const)('%s engine: the covariance of 4000 initial states at d = 60 is Σ₀/d entry by entry; Var Q_jj = 1/d instead of 2/d is rejected', async (engine) => {
    const S = 4000;
    const d = 60;
    const sim = await simulate(der, { d, nb: 1, steps: 1, points: 2, seeds: Array.from({ length: S }, (_, i) => i + 1), engine, gamma: 0.001 });
    const ys = sim.seeds.map((t) => stateOf({ M: t.M[0], Q: t.Q[0], a: t.a[0] }, L));
    const mean = new Array(n).fill(0);
    for (const y of ys) for (let i = 0; i < n; i++) mean[i] += y[i] / S;
    const cov = (i: number, c: number) => ys.reduce((s, y) => s + (y[i] - mean[i]) * (y[c] - mean[c]), 0) / (S - 1);
    const sigma0 = randomStartCovariance(L, I2);
    const wrong = sigma0.map((v, i) => (Math.floor(i / n) === i % n && [L.Q, L.Q + 2].includes(i % n) ? 1 : v));
    let wrongMiss = 0;
    for (let i = L.M; i < L.Q + 3; i++)
      for (let c = i; c < L.Q + 3; c++) {
        const predicted = sigma0[i * n + c] / d;
        // the standard error of a sample covariance of Gaussian entries: √((Σ_ii Σ_cc + Σ_ic²)/S) (per d²)
        const se = Math.sqrt((sigma0[i * n + i] * sigma0[c * n + c] + sigma0[i * n + c] ** 2) / S) / d;
        expect(Math.abs(cov(i, c) - predicted), `${L.stateNames[i]}, ${L.stateNames[c]}`).toBeLessThan(4.5 * se);
        if (Math.abs(cov(i, c) - wrong[i * n + c] / d) > 4.5 * se) wrongMiss++;
      }
    // the mean is the ODE's start: M = 0, Q = I
    expect(Math.abs(mean[L.Q] - 1)).toBeLessThan(4.5 * Math.sqrt(2 / d / S));
    expect(wrongMiss).toBe(2);
  });
});

describe('compare --fluctuations', () => {
  it('from the random start at d = 1000: the seeds\' spread is the predicted one (median ratios within 0.15 of 1); the prediction from Σ(0) = 0 misses it', async () => {
    const S = 300;
    const d = 1000;
    const gamma = 0.5 / d;
    const sim = await simulate(der, { d, nb: 1, steps: Math.round(4 / gamma), points: 21, seeds: Array.from({ length: S }, (_, i) => i + 1), engine: 'reduced', gamma });
    const c = compare(der, sim, { fluctuations: true });
    const spread = c.spread as NonNullable<typeof c.spread>;
    expect(spread.start).toBe('random');
    expect(spread.validUntil).toBeNull();
    expect(spread.entries.map((e) => e.entry)).toEqual(['M_11', 'M_12', 'M_21', 'M_22', 'Q_11', 'Q_12', 'Q_22', 'risk']);
    for (const e of spread.entries) {
      expect(e.times).toBe(20);
      expect(Math.abs(e.ratio - 1), e.entry).toBeLessThan(0.15);
    }
    // the same comparison with the start's spread left out (Σ(0) = 0)
    const fixed = runIntegration(der, { tauEnd: sim.tau.at(-1) as number, grid: sim.tau, init: meanInitial(sim), sets: { eta_bar: 0.5 }, fluctuations: { d, start: 'fixed' } });
    const wrong = spreadOf(seriesOf(fixed, sim, false), sim.tau, S, null, 'fixed');
    const m11 = wrong.entries.find((e) => e.entry === 'M_11') as NonNullable<(typeof wrong.entries)[number]>;
    expect(m11.ratio).toBeGreaterThan(1.4);
  });

  it('the command line: a table of ratios and `spread` in --json; at d = 100 the approximation does not hold from the start and says so', async () => {
    const dir = tmp('hermode-spread-');
    const r = await cli(['compare', 'saad-solla-erf', '--engine', 'reduced', '--d', '1000', '--seeds', '40', '--set', 'eta_bar=0.5', '--tau', '0.5', '--fluctuations', '--out', join(dir, 'report')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/spread of the seeds .* Σ\(0\) of the random start/);
    expect(r.stdout).toMatch(/M_11 +[\d.]+/);
    const small = await cli(['compare', 'saad-solla-erf', '--engine', 'reduced', '--d', '100', '--seeds', '8', '--set', 'eta_bar=0.5', '--tau', '0.5', '--fluctuations', '--json']);
    const j = JSON.parse(small.stdout);
    // Var Q_jj = 2/d: std 0.14 > LINEAR_NOISE_LIMIT already at τ = 0
    expect(Math.sqrt(2 / 100)).toBeGreaterThan(LINEAR_NOISE_LIMIT);
    expect(j.spread.validUntil).toBe(0);
    expect(j.spread.entries).toEqual([]);
    expect(small.stderr).toMatch(/warning: the ODE: the predicted standard deviation of an overlap exceeds 0.1 after τ = 0 \(d = 100\)/);
    // --fluctuation-nodes is bounded and needs --fluctuations (one line, exit 2)
    for (const [args, why] of [
      [['--fluctuations', '--fluctuation-nodes', '100'], /--fluctuation-nodes = "100": at most 48 nodes per field/],
      [['--fluctuations', '--fluctuation-nodes', '3'], /--fluctuation-nodes = "3": must be an integer ≥ 4/],
      [['--fluctuation-nodes', '10'], /--fluctuation-nodes: is a setting of the predicted fluctuations: give --fluctuations too/],
    ] as const) {
      const bad = await cli(['integrate', 'saad-solla-erf', ...args]);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(why);
    }
    // --random-start needs --fluctuations; with it, integrate starts Σ from the random start's
    expect((await cli(['integrate', 'saad-solla-erf', '--random-start'])).stderr).toMatch(/--random-start: is the start of the predicted fluctuations/);
    const start = join(dir, 'start.json');
    writeFileSync(start, JSON.stringify({ Q: I2, M: [[0, 0], [0, 0]] }));
    const fl = JSON.parse((await cli(['integrate', 'saad-solla-erf', '--init', start, '--fluctuations', '--random-start', '--d', '400', '--tau', '0.1', '--json'])).stdout);
    expect(fl.std.Q[0][0][0]).toBeCloseTo(Math.sqrt(2 / 400), 12);
    expect(fl.std.M[0][1][0]).toBeCloseTo(Math.sqrt(1 / 400), 12);
  });
});
