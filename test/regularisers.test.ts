/**
 * Regularisers are files (src/regularisers): weight decay, w_j ← w_j(1 − γλ) + γ(…), is one file
 * and a registry line, and every stage reads it — the derivation file (weight_decay: λ, --set
 * lambda=…), the equations (−λM, −2λQ; THEORY §2.9), the generated code and LaTeX, the finite-step
 * map (M × s, Q × s², s = 1 − γλ) and both simulators. Held against simulation at two d, with a
 * wrong λ rejected by `compare --check`.
 */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { deriveFile } from '../src/pipeline.ts';
import { stateOf } from '../src/ode/layout.ts';
import { runIntegration, runMap } from '../src/numeric/run.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { compare } from '../src/compare/compare.ts';
import { cli, deriveYaml, randomOverlaps } from './helpers.ts';

const wd = deriveFile('derivations/erf-weight-decay.yaml');
const plain = deriveFile('derivations/saad-solla-erf.yaml');
const L = wd.layout;
const warm = { M: [[0.5, 0.1], [0.05, 0.45]], Q: [[1, 0.1], [0.1, 1]], P: [[1, 0], [0, 1]], a: [1, 1] };

describe('weight decay: a regulariser file and a registry line', () => {
  it('the generated right-hand side is the undecayed one minus λM and 2λQ (a 1.5× wrong λ is seen); the LaTeX and the Python and C printers carry it', () => {
    const lam = L.paramNames.indexOf('lambda');
    expect(lam).toBe(L.paramNames.length - 1);
    expect(L.defaultParams[lam]).toBe(0.05);
    for (let s = 0; s < 4; s++) {
      const { M, Q } = randomOverlaps(2, 2, 70 + s, 0.5);
      const y = stateOf({ M, Q, a: [1, 1] }, L);
      const params = [...L.defaultParams];
      params[L.etaBar] = 0.7;
      const with_ = new Float64Array(y.length);
      wd.compiled.rhs(0, y, params, with_);
      // the model without the regulariser: the shipped Saad–Solla erf committee (same a = 1, P = I)
      const pPlain = [...plain.layout.defaultParams];
      pPlain[plain.layout.etaBar] = 0.7;
      const without = new Float64Array(y.length);
      plain.compiled.rhs(0, stateOf({ M, Q, a: [1, 1] }, plain.layout), pPlain, without);
      const expected = Array.from(without, (v, i) => v - (i < L.Q ? 0.05 : 0.1) * y[i]);
      for (let i = 0; i < y.length; i++) expect(Math.abs(with_[i] - expected[i])).toBeLessThan(1e-14);
      const wrong = Array.from(without, (v, i) => v - 1.5 * (i < L.Q ? 0.05 : 0.1) * y[i]);
      expect(Math.max(...wrong.map((v, i) => Math.abs(v - with_[i])))).toBeGreaterThan(1e-3);
    }
    expect(wd.tex).toMatch(/\\frac\{dM_\{jr\}\}\{d\\tau\} = .* - \\lambda_\{\\mathrm\{wd\}\}\\,M_\{jr\}/);
    expect(wd.tex).toMatch(/- 2\\,\\lambda_\{\\mathrm\{wd\}\}\\,Q_\{jl\}/);
    for (const ext of ['py', 'c', 'ts']) expect(existsSync(join('generated', `erf-weight-decay.${ext}`))).toBe(true);
  });

  it('the file field is checked and refused on the sphere; --set lambda overrides it', async () => {
    const base = (extra: string) => `name: t
student: {width: 1, activation: "erf(z/sqrt(2))"}
teacher: {width: 1, target: committee, activation: "erf(z/sqrt(2))"}
${extra}`;
    expect(() => deriveYaml(base('weight_decay: -0.1'))).toThrow();
    expect(() => deriveYaml(base('dynamics: projected\nweight_decay: 0.1'))).toThrow(/weight decay shrinks the weights, which projected dynamics hold on the sphere/);
    const r = await cli(['integrate', 'derivations/erf-weight-decay.yaml', '--set', 'eta_bar=0.5,lambda=-0.2', '--tau', '200', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hermode: --set lambda = -0\.2: must be ≥ 0\n$/);
    const ok = await cli(['integrate', 'derivations/erf-weight-decay.yaml', '--set', 'eta_bar=0.5,lambda=0.2', '--tau', '300', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const t = JSON.parse(ok.stdout) as { Q: number[][][] };
    // a strong decay holds the student well below the teacher's norm
    expect(t.Q.at(-1)![0][0]).toBeLessThan(0.8);
  });

  it('the ODE agrees with the reduced simulator at d = 500 and 2000 and with the full one; ODEs with λ × 1.5 and without decay are rejected', async () => {
    const params = [...L.defaultParams];
    params[L.paramNames.indexOf('lambda')] = 0.1;
    for (const d of [500, 2000]) {
      params[L.etaBar] = 1;
      const sim = await simulate(wd, { d, nb: 1, steps: 30 * d, points: 11, seeds: Array.from({ length: 24 }, (_, i) => 1 + i), gamma: 1 / d, params, init: warm, engine: 'reduced', workers: 2 });
      const ok = compare(wd, sim).agreement;
      expect(ok.pass, `d = ${d}: ${JSON.stringify(ok.entries.filter((e) => !e.pass))}`).toBe(true);
      expect(ok.verdict).toBe('pass');
      expect(compare(wd, sim, { odeSets: { lambda: 0.15 } }).agreement.pass, `d = ${d}, λ × 1.5`).toBe(false);
      expect(compare(wd, sim, { odeSets: { lambda: 0 } }).agreement.pass, `d = ${d}, no decay`).toBe(false);
    }
    const full = await simulate(wd, { d: 500, nb: 1, steps: 15000, points: 6, seeds: Array.from({ length: 16 }, (_, i) => 1 + i), gamma: 1 / 500, params, init: warm, engine: 'full', workers: 2 });
    expect(compare(wd, full).agreement.pass).toBe(true);
  });

  it('compare --check rejects a wrong λ on the command line (exit 1) and passes the right one', async () => {
    const args = ['compare', 'derivations/erf-weight-decay.yaml', '--d', '1000', '--nb', '1', '--set', 'eta_bar=1,lambda=0.1', '--steps', '30000', '--seeds', '24', '--engine', 'reduced', '--init', 'examples/warm-erf.json', '--quiet', '--check'];
    const ok = await cli(args);
    expect(ok.code, ok.stderr).toBe(0);
    const wrong = await cli([...args, '--ode-set', 'lambda=0.15']);
    expect(wrong.code).toBe(1);
  });

  it('the finite-step map carries the shrink: at small γ it follows the ODE, and without it it does not', () => {
    const params = [...L.defaultParams];
    const lam = L.paramNames.indexOf('lambda');
    params[lam] = 0.1;
    const d = 1000;
    const gamma = 2e-3;
    const nb = 2; // η̄ = γd/n_b = 1
    const steps = 5000;
    const ode = runIntegration(wd, { tauEnd: gamma * steps, grid: [0, gamma * steps], init: warm, sets: { eta_bar: 1, lambda: 0.1 } });
    const map = (l: number) => {
      const p = params.slice();
      p[lam] = l;
      return runMap(wd, { gamma, d, nb, steps, params: p, P: warm.P, start: warm, initSource: 'warm' });
    };
    const last = (m: ReturnType<typeof map>) => m.M![m.M!.length - 1];
    const gap = (m: ReturnType<typeof map>) => Math.max(...last(m).flatMap((row, j) => row.map((v, r) => Math.abs(v - ode.M.at(-1)![j][r]))));
    expect(gap(map(0.1))).toBeLessThan(5e-3);
    expect(gap(map(0))).toBeGreaterThan(5e-2);
  });

  it('one large step of the map keeps the square of the shrink: Q′ = s²Q + s(…) + noise matches simulated single steps at s = ½, where the first-order (1 − 2γλ)Q is rejected', async () => {
    const lam = L.paramNames.indexOf('lambda');
    const params = [...L.defaultParams];
    params[lam] = 1;
    const gamma = 0.5;
    const d = 4000;
    const nb = 4000;
    const mapAt = (l: number) => {
      const p = params.slice();
      p[lam] = l;
      return runMap(wd, { gamma, d, nb, steps: 1, params: p, P: warm.P, start: warm, initSource: 'warm' }).Q!.at(-1)!;
    };
    const right = mapAt(1)[0][0];
    // the same step with the shrink to first order: (1 − 2γλ)Q + the undecayed increments
    const firstOrder = mapAt(0)[0][0] - 2 * gamma * 1 * warm.Q[0][0];
    params[L.etaBar] = (gamma * d) / nb;
    const sim = await simulate(wd, { d, nb, steps: 1, points: 2, seeds: Array.from({ length: 48 }, (_, i) => 1 + i), gamma, params, init: warm, engine: 'reduced', workers: 2 });
    const mean = sim.mean.Q[1][0][0];
    const sem = sim.sem.Q[1][0][0];
    expect(Math.abs(mean - right) / sem).toBeLessThan(4);
    expect(Math.abs(mean - firstOrder) / sem).toBeGreaterThan(20);
  });
});
