/**
 * Giant steps (THEORY §4.3, arXiv 2305.18270) through `hermode giant`: the closed form of the first
 * step, the finite-step map and the simulation agree; hard directions stay at d^{-1/2}; the staircase
 * is learned by ReLU and not by tanh; the fitted readout beats random features; bad input is refused.
 */
import { describe, it, expect } from 'vitest';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tmp } from './helpers.ts';
import type { GiantReport } from '../src/studies/giant.ts';

const dir = tmp('hermode-giant-');
const yaml = (name: string, body: string) => {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, `name: ${name}\n${body}\n`);
  return f;
};
const run = async (args: string[]): Promise<GiantReport> => {
  const r = await cli(['giant', ...args, '--json', '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as GiantReport;
};
const tanh3 = yaml('tanh-giant', 'student: {width: 3, activation: "tanh(z)"}\nteacher: {width: 1, target: "(nu1 + nu1^2 - 1)/sqrt(3)"}\nloss: correlation\ndynamics: projected');

describe('hermode giant', () => {
  it('one giant step: closed form, map and simulation agree for ReLU and tanh at α = 0.5, 2, 8 (ReLU α = 2: m1 = 1/2, Q1_12 = 5/8); a closed form at α/2 is rejected', async () => {
    for (const [file, mapTol] of [['derivations/relu-giant-step.yaml', 1e-8], [tanh3, 1e-4]] as const) {
      const r = await run([file, '--alpha', '0.5,2,8', '--steps', '1', '--d', '4000', '--seeds', '8']);
      expect(r.cases).toHaveLength(3);
      for (const c of r.cases) {
        const closed = c.closed as { m: number[]; qOff: number };
        expect(closed, file).not.toBeNull();
        // the map keeps the finite-n factor (1 − 1/n) of G, a relative O(1/n) from the giant limit
        expect(Math.abs(c.map.m[1][0] - closed.m[0]), `${file} α=${c.alpha} map m`).toBeLessThan(mapTol + 10 / c.n);
        expect(Math.abs(c.map.qOff[1] - closed.qOff), `${file} α=${c.alpha} map Q`).toBeLessThan(mapTol + 10 / c.n);
        const sim = c.sim as NonNullable<typeof c.sim>;
        // finite d = 4000: the simulation sits within its standard error plus a small upward bias
        expect(Math.abs(sim.m[1][0] - closed.m[0]), `${file} α=${c.alpha} sim m`).toBeLessThan(5 * sim.sem.m[1][0] + 0.01);
        expect(Math.abs(sim.qOff[1] - closed.qOff), `${file} α=${c.alpha} sim Q`).toBeLessThan(5 * sim.sem.qOff[1] + 0.01);
        // power: the closed form at half the samples is off by more than the same allowance
        const c1 = r.constants.c1;
        const b = r.constants.beta[0];
        const wrong = (c1 * b) / Math.sqrt(c1 * c1 * b * b + (r.constants.dsigma2 * r.constants.meanY2) / (c.alpha / 2));
        expect(Math.abs(sim.m[1][0] - wrong), `${file} α=${c.alpha}: α/2 must be rejected`).toBeGreaterThan(5 * sim.sem.m[1][0] + 0.01);
      }
      if (file.includes('relu')) {
        const c = r.cases[1];
        expect(c.closed?.m[0]).toBeCloseTo(0.5, 12);
        expect(c.closed?.qOff).toBeCloseTo(0.625, 12);
      }
    }
  });

  it('a hard direction (He2 target, n = 4d, one step) stays at |m| ~ d^{-1/2} at d = 500, 2000, 8000, and giant says so', async () => {
    const he2 = yaml('relu-he2', 'student: {width: 4, activation: "relu(z)"}\nteacher: {width: 1, target: "(nu1^2 - 1)/sqrt(2)"}\nloss: correlation\ndynamics: projected');
    const r = await run([he2, '--batch', '4*d', '--steps', '1', '--d', '500,2000,8000', '--seeds', '16']);
    expect(r.warnings.join('\n')).toMatch(/direction 1: β_1 = E\[g\*\(ν\) ν_1\] = 0 \(its lowest Hermite degree is 2\).*n ~ d\^2/);
    const rms = r.cases.map((c) => {
      const s = c.sim as NonNullable<typeof c.sim>;
      expect(c.map.m[1][0]).toBe(0);
      return Math.hypot(s.m[1][0], s.mSpread[1][0]);
    });
    rms.forEach((x, i) => {
      const scaled = x * Math.sqrt(r.cases[i].d);
      expect(scaled, `√d·|m| at d = ${r.cases[i].d}`).toBeGreaterThan(0.2);
      expect(scaled, `√d·|m| at d = ${r.cases[i].d}`).toBeLessThan(5);
    });
    expect(rms[2]).toBeLessThan(rms[0] / 2.5);
  });

  it('the staircase ν1 + ν1ν2 with n = 4d: ReLU picks up ν2 at step 2 (map and simulation), tanh (c_2 = 0) does not and derive warns', async () => {
    const relu = await run(['derivations/relu-staircase.yaml', '--batch', '4*d', '--steps', '3', '--d', '4000', '--seeds', '8']);
    const c = relu.cases[0];
    const s = c.sim as NonNullable<typeof c.sim>;
    expect(Math.abs(c.map.m[1][1])).toBeLessThan(1e-12);
    expect(c.map.m[2][1]).toBeGreaterThan(0.3);
    expect(s.m[2][1]).toBeGreaterThan(10 * s.sem.m[2][1]);
    expect(Math.abs(s.m[2][1] - c.map.m[2][1])).toBeLessThan(5 * s.sem.m[2][1] + 0.02);
    const tanh = yaml('tanh-staircase', 'student: {width: 2, activation: "tanh(z)"}\nteacher: {width: 2, target: "nu1 + nu1*nu2"}\nloss: correlation\ndynamics: projected');
    const t = await run([tanh, '--batch', '4*d', '--steps', '3', '--d', '4000', '--seeds', '8']);
    expect(t.warnings.join('\n')).toMatch(/c_2\(σ\) = 0 blocks the staircase/);
    const tc = t.cases[0];
    const ts = tc.sim as NonNullable<typeof tc.sim>;
    for (const step of [1, 2, 3]) {
      expect(Math.abs(tc.map.m[step][1])).toBeLessThan(1e-12);
      expect(Math.abs(ts.m[step][1])).toBeLessThan(5 * ts.sem.m[step][1] + 0.02);
    }
    expect(tc.map.m[1][0]).toBeGreaterThan(0.5);
  });

  it('the readout fitted after each step beats random features, more with every step (map and simulation)', async () => {
    const r = await run(['derivations/relu-staircase.yaml', '--batch', '4*d', '--steps', '2', '--d', '2000', '--seeds', '8']);
    // random features at M = 0: the readout fits only the mean of y, risk ½(Var y + Δ) = ½E[y²] = 1
    expect(r.randomFeaturesRisk).toBeCloseTo(0.5 * r.constants.meanY2, 10);
    const c = r.cases[0];
    expect(c.map.readoutRisk[0]).toBeCloseTo(r.randomFeaturesRisk, 10);
    expect(c.map.readoutRisk[1]).toBeLessThan(r.randomFeaturesRisk - 0.1);
    expect(c.map.readoutRisk[2]).toBeLessThan(c.map.readoutRisk[1] - 0.02);
    const s = c.sim as NonNullable<typeof c.sim>;
    for (const t of [1, 2]) expect(Math.abs(s.readoutRisk[t] - c.map.readoutRisk[t])).toBeLessThan(5 * s.sem.readoutRisk[t] + 0.01);
  });

  it('writes a report with plots and the closed forms (KaTeX)', async () => {
    const out = join(dir, 'report');
    const r = await cli(['giant', 'derivations/relu-giant-step.yaml', '--alpha', '2', '--steps', '2', '--d', '1000', '--seeds', '4', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/m1 closed/);
    for (const f of ['report.html', 'm.svg', 'risk.svg', 'giant.json', 'katex/katex.min.css']) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('refuses bad input with one line, exit 2, nothing written', async () => {
    const trained = yaml('trained', 'student: {width: 2, activation: "relu(z)", second_layer: {train: true}}\nteacher: {width: 1, target: "nu1"}\nloss: mse');
    const out = join(dir, 'never');
    for (const [args, what] of [
      [['derivations/relu-giant-step.yaml', '--alpha', '0,2'], /--alpha = "0,2": α must be > 0/],
      [['derivations/relu-giant-step.yaml', '--alpha', '-1'], /α must be > 0/],
      [['derivations/relu-giant-step.yaml', '--kappa', '0'], /--kappa = "0": κ must be in \(0, 3\]/],
      [['derivations/relu-giant-step.yaml', '--kappa', '3.5'], /κ must be in \(0, 3\]/],
      [['derivations/relu-giant-step.yaml', '--gamma', 'huge'], /--gamma = "huge": expected giant or a positive number/],
      [['derivations/relu-giant-step.yaml', '--gamma', '-3'], /expected giant or a positive number/],
      [['derivations/relu-giant-step.yaml', '--batch', '4*d', '--kappa', '2'], /give --batch or --kappa, not both/],
      [[trained], /student\.second_layer\.train.*second layer must not be trained/],
    ] as [string[], RegExp][]) {
      const r = await cli(['giant', ...args, '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(what);
    }
    expect(existsSync(out)).toBe(false);
  });
});
