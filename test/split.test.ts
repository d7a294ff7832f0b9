/**
 * The split rule (src/backends/split.ts, THEORY §3.8): a tensor rule in the Cholesky coordinates of Ω
 * whose kinked fields are integrated piece by piece between their breakpoints. Held against the exact
 * evaluator (ReLU, THEORY §3.5) and Monte Carlo (hard-tanh on erf) at wide states, with a wrong scale
 * rejected; its right-hand side is smooth in the state where a fixed tensor rule's jumps; the accuracy
 * along a run sees a planted coarse rule; the ODE agrees with simulation at two d, a mis-scaled
 * hard-tanh rejected.
 */
import { describe, it, expect } from 'vitest';
import { deriveYaml, mc } from './helpers.ts';
import { stateOf } from '../src/ode/layout.ts';
import { runIntegration } from '../src/numeric/run.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { compare } from '../src/compare/compare.ts';
import { erfNum } from '../src/families/erf.ts';
import type { Derivation } from '../src/pipeline.ts';

const yaml = (s: string, t: string, k: number, extra = '') => `name: sp
student: {width: 2, activation: "${s}", second_layer: {train: false, init: [1, 1]}}
teacher: {width: ${k}, target: committee, activation: "${t}"}
loss: mse
${extra}`;
const HT = 'max(-1, min(1, z))';
const ht = (x: number, b = 1) => Math.max(-1, Math.min(1, b * x));
const dht = (x: number, b = 1) => (Math.abs(b * x) < 1 ? b : 0);
const g = (x: number) => erfNum(x / Math.SQRT2);

const moments = (d: Derivation, M: number[][], Q: number[][]) => {
  const out = new Float64Array(d.layout.mom.size);
  d.compiled.moments(stateOf({ M, Q, a: [1, 1] }, d.layout), d.layout.defaultParams, out);
  return out;
};
const relDiff = (a: Float64Array, b: Float64Array) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]))) / Math.max(...Array.from(b, Math.abs));
// a wide state (field variances 2.5–3) and a singular one (λ2 aligned with ν1)
const WIDE = { M: [[1.2], [-0.7]], Q: [[3, 0.4], [0.4, 2.5]] };
const ALIGNED = { M: [[0.5], [1.5]], Q: [[1, 0.75], [0.75, 2.25]] };

describe('split: a tensor rule that follows the kinks', () => {
  it('auto takes it where no exact evaluator reaches (ELU, ReLU on sin), not where one does (ReLU and hard-tanh on erf: probit)', () => {
    expect(deriveYaml(yaml('relu(z) + step(-z)*(exp(z)-1)', 'erf(z/sqrt(2))', 2)).plan.backend).toBe('split');
    expect(deriveYaml(yaml(HT, 'erf(z/sqrt(2))', 2)).plan.backend).toBe('probit');
    expect(deriveYaml(yaml('relu(z)', 'sin(z)', 1)).plan.backend).toBe('split');
    expect(deriveYaml(yaml('relu(z)', 'erf(z/sqrt(2))', 1)).plan.backend).toBe('probit');
    expect(deriveYaml(yaml('relu(z)', 'relu(z)', 1)).plan.backend).toBe('closed-relu');
    expect(deriveYaml(yaml('relu(z)', 'z + z^2/2', 1)).plan.backend).toBe('exact');
    expect(() => deriveYaml(yaml('tanh(z)', 'tanh(z)', 1), 'split')).toThrow(/has none/);
  });

  it('ReLU: within 5e-8 of the exact evaluator at wide and singular states (1e-9 with 8 nodes per piece); a 1.01× teacher is off by more than 1e-4', () => {
    const sp = deriveYaml(yaml('relu(z)', 'relu(z)', 1), 'split');
    const sp8 = deriveYaml(yaml('relu(z)', 'relu(z)', 1), 'split:8');
    const ex = deriveYaml(yaml('relu(z)', 'relu(z)', 1), 'exact');
    const wrong = deriveYaml(yaml('relu(z)', 'relu(1.01*z)', 1), 'exact');
    for (const { M, Q } of [WIDE, ALIGNED]) {
      expect(relDiff(moments(sp, M, Q), moments(ex, M, Q))).toBeLessThan(5e-8);
      expect(relDiff(moments(sp8, M, Q), moments(ex, M, Q))).toBeLessThan(1e-9);
      expect(relDiff(moments(wrong, M, Q), moments(ex, M, Q))).toBeGreaterThan(1e-4);
    }
    // the fixed tensor rule auto used before is off by ~1e-3 here
    expect(relDiff(moments(deriveYaml(yaml('relu(z)', 'relu(z)', 1), 'quadrature:20'), WIDE.M, WIDE.Q), moments(ex, WIDE.M, WIDE.Q))).toBeGreaterThan(1e-4);
  });

  it('hard-tanh on erf: A, B, V and ε within 4.5 standard errors of Monte Carlo at a wide state; a 1.1× hard-tanh is rejected', () => {
    const d = deriveYaml(yaml(HT, 'erf(z/sqrt(2))', 1), 'split');
    const { M, Q } = WIDE;
    const C = [
      [Q[0][0], Q[0][1], M[0][0]],
      [Q[1][0], Q[1][1], M[1][0]],
      [M[0][0], M[1][0], 1],
    ];
    const L = d.layout.mom;
    const out = moments(d, M, Q);
    const e = (u: number[], b: number) => g(u[2]) - 0.5 * (ht(u[0], b) + ht(u[1], b));
    const checks: [number, (b: number) => (u: number[]) => number][] = [
      [L.A, (b) => (u) => dht(u[0], b) * u[2] * e(u, b)],
      [L.B + 1, (b) => (u) => dht(u[0], b) * u[1] * e(u, b)],
      [L.V + 1, (b) => (u) => dht(u[0], b) * dht(u[1], b) * e(u, b) ** 2],
      [L.risk, (b) => (u) => 0.5 * e(u, b) ** 2],
    ];
    for (const [i, f] of checks) {
      const est = mc(C, f(1), 400000, 3 + i);
      expect(Math.abs(out[i] - est.mean) / est.se, `moment ${i}`).toBeLessThan(4.5);
    }
    const off = moments(deriveYaml(yaml('max(-1, min(1, 1.1*z))', 'erf(z/sqrt(2))', 1), 'split'), M, Q);
    const est = mc(C, checks[3][1](1), 400000, 99);
    expect(Math.abs(off[L.risk] - est.mean) / est.se).toBeGreaterThan(6);
  });

  it('its right-hand side is smooth in the state; a fixed tensor rule’s jumps where a node crosses a kink', () => {
    const jumps = (d: Derivation) => {
      const y0 = stateOf({ M: [[0.3], [0.2]], Q: [[1, 0.1], [0.1, 0.9]], a: [1, 1] }, d.layout);
      const dy = new Float64Array(y0.length);
      const v: number[] = [];
      for (let i = 0; i <= 60; i++) {
        const y = y0.slice();
        y[0] += i * 2e-4;
        d.compiled.rhs(0, y, d.layout.defaultParams, dy);
        v.push(dy[0]);
      }
      const d2 = v.slice(2).map((x, i) => Math.abs(x - 2 * v[i + 1] + v[i])).sort((a, b) => a - b);
      return d2[d2.length - 1] / d2[Math.floor(d2.length / 2)];
    };
    expect(jumps(deriveYaml(yaml(HT, 'erf(z/sqrt(2))', 1), 'split'))).toBeLessThan(2);
    expect(jumps(deriveYaml(yaml(HT, 'erf(z/sqrt(2))', 1), 'quadrature:16'))).toBeGreaterThan(50);
  });

  it('the accuracy along a run sees a planted two-node rule within 3× of a converged one', () => {
    const coarse = deriveYaml(yaml(HT, 'erf(z/sqrt(2))', 1, 'noise: 0.1\n'), 'split:2');
    const truth = deriveYaml(yaml(HT, 'erf(z/sqrt(2))', 1, 'noise: 0.1\n'), 'split:10');
    const t = runIntegration(coarse, { tauEnd: 3, points: 7, init: { M: [[1.2], [-0.7]], Q: [[3, 0.4], [0.4, 2.5]], P: [[1]], a: [1, 1] }, sets: { eta_bar: 0.5 } });
    const acc = t.meta.accuracy as { worst: number; tau: number; method: string };
    expect(acc.method).toMatch(/against the split rule with 5 nodes per piece/);
    const i = t.tau.indexOf(acc.tau);
    const params = [...coarse.layout.defaultParams];
    params[coarse.layout.etaBar] = 0.5;
    const y = stateOf({ M: t.M[i], Q: t.Q[i], a: t.a[i] }, coarse.layout);
    const a = new Float64Array(coarse.layout.mom.size);
    const b = new Float64Array(coarse.layout.mom.size);
    coarse.compiled.moments(y, params, a);
    truth.compiled.moments(y, params, b);
    const trueRel = relDiff(a, b);
    expect(trueRel).toBeGreaterThan(1e-6);
    expect(acc.worst / trueRel).toBeGreaterThan(1 / 3);
    expect(acc.worst / trueRel).toBeLessThan(3);
  });

  it('hard-tanh on erf: the ODE agrees with the reduced simulator at d = 400 and 1600; an ODE with hard-tanh at 1.05× is rejected', async () => {
    // three nodes per piece (~1e-5 relative) is far below the simulations' statistical error and keeps the four ODEs cheap
    const d = deriveYaml(yaml(HT, 'erf(z/sqrt(2))', 1, 'noise: 0.1\n'), 'split:3');
    const wrong = deriveYaml(yaml('max(-1, min(1, 1.05*z))', 'erf(z/sqrt(2))', 1, 'noise: 0.1\n'), 'split:3');
    const params = [...d.layout.defaultParams];
    params[d.layout.etaBar] = 1;
    const init = { M: [[0.4], [0.1]], Q: [[0.8, 0.1], [0.1, 0.6]], P: [[1]], a: [1, 1] };
    for (const dim of [400, 1600]) {
      const sim = await simulate(d, { d: dim, nb: 1, steps: 12 * dim, points: 9, seeds: Array.from({ length: 16 }, (_, i) => 1 + i), gamma: 1 / dim, params, init, engine: 'reduced', workers: 2 });
      const ok = compare(d, sim).agreement;
      expect(ok.pass, `d = ${dim}: ${JSON.stringify(ok.entries.filter((e) => !e.pass))}`).toBe(true);
      expect(compare(wrong, sim).agreement.pass, `d = ${dim}, hard-tanh × 1.05`).toBe(false);
    }
  });
});

describe('bad requests for split and mixture', () => {
  it('are refused with one line naming the field and value, exit 2, nothing written', async () => {
    const { cli, tmp } = await import('./helpers.ts');
    const { writeFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    expect(() => deriveYaml(yaml(HT, 'erf(z/sqrt(2))', 1), 'split:1')).toThrow(/split nodes per piece must be 2 to 40, got 1/);
    expect(() => deriveYaml(yaml(HT, 'erf(z/sqrt(2))', 1), 'split:41')).toThrow(/split nodes per piece must be 2 to 40, got 41/);
    expect(() => deriveYaml(yaml('tanh(z)', 'tanh(z)', 1), 'mixture:1')).toThrow(/mixture nodes must be 2 to 24 .*got 1/);
    expect(() => deriveYaml(yaml('tanh(z)', 'tanh(z)', 1), 'mixture:25')).toThrow(/mixture nodes must be 2 to 24 .*got 25/);
    expect(() => deriveYaml(yaml(HT, 'tanh(z)', 1), 'mixture')).toThrow(/the student max\(-1, min\(1, z\)\) is not/);
    const dir = tmp('hermode-badsplit-');
    writeFileSync(join(dir, 'h.yaml'), yaml(HT, 'erf(z/sqrt(2))', 1));
    const r = await cli(['derive', join(dir, 'h.yaml'), '--expectations', 'split:1', '--out-dir', join(dir, 'gen')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/split nodes per piece must be 2 to 40, got 1/);
    expect(existsSync(join(dir, 'gen'))).toBe(false);
  });
});
