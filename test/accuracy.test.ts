/**
 * The quadrature backends state their accuracy where a run went (accuracyAlong), not at one generic
 * state: the stated error is held against an independent converged evaluation at the state it names —
 * a 150-node rule for a smooth activation, the exact evaluator (THEORY §3.5) at a kink — and must lie
 * within 3× of the truth either way; a planted coarse rule is seen.
 */
import { describe, it, expect } from 'vitest';
import { deriveYaml } from './helpers.ts';
import { runIntegration } from '../src/numeric/run.ts';
import { stateOf } from '../src/ode/layout.ts';
import type { Derivation } from '../src/pipeline.ts';
import { gaussHermite, MAX_GAUSS_HERMITE } from '../src/quadrature.ts';
import { cli } from './helpers.ts';

const model = (act: string) => `name: acc
student: {width: 1, activation: "${act}"}
teacher: {width: 1, target: committee, activation: "${act}"}
loss: mse
noise: 0.1`;

/** The true relative error (relative to the largest moment, as accuracyAlong measures it) of `d` at the state of trajectory index i. */
function trueError(d: Derivation, truth: Derivation, t: ReturnType<typeof runIntegration>, i: number, params: number[]): number {
  const L = d.layout;
  const y = stateOf({ M: t.M[i], Q: t.Q[i], a: t.a[i] }, L);
  const a = new Float64Array(L.mom.size);
  const b = new Float64Array(L.mom.size);
  d.compiled.moments(y, params, a);
  truth.compiled.moments(y, params, b);
  let diff = 0;
  let scale = 0;
  for (let j = 0; j < L.mom.size; j++) (diff = Math.max(diff, Math.abs(a[j] - b[j]))), (scale = Math.max(scale, Math.abs(b[j])));
  const worst = diff / scale;
  return worst;
}

describe('the accuracy along a run', () => {
  for (const [name, act, coarse, truthBackend] of [
    ['tanh (smooth: a 150-node rule is the truth)', 'tanh(z)', 'quadrature:10', 'quadrature:150'],
    ['ReLU (a kink: the exact evaluator is the truth)', 'relu(z)', 'quadrature:12', 'exact'],
  ] as const) {
    it(`${name}: the stated worst error is within 3× of the true error there, and a wide start is what it sees`, () => {
      const d = deriveYaml(model(act), coarse);
      const truth = deriveYaml(model(act), truthBackend);
      const params = [...d.layout.defaultParams];
      params[d.layout.etaBar] = 0.5;
      // a start of large variance (Q = 3): where a fixed Gauss–Hermite rule is worst
      const init = { M: [[0.2]], Q: [[3]], P: [[1]], a: [1] };
      const t = runIntegration(d, { tauEnd: 4, points: 21, init, sets: { eta_bar: 0.5 } });
      const acc = t.meta.accuracy as { worst: number; tau: number; method: string };
      expect(acc.method).toMatch(act === "tanh(z)" ? /along the run, against a tensor Gauss–Hermite rule with 15 nodes per field at 12 of the saved states/ : /along the run, against the exact evaluator \(Wick–Stein\) at 12 of the saved states/);
      const i = t.tau.indexOf(acc.tau);
      const truthThere = trueError(d, truth, t, i, params);
      expect(acc.worst / truthThere, `stated ${acc.worst}, true ${truthThere} at τ = ${acc.tau}`).toBeGreaterThan(1 / 3);
      expect(acc.worst / truthThere).toBeLessThan(3);
      // the true error elsewhere along the run is not larger than what was stated (up to the same factor)
      for (const j of [0, 10, 20]) expect(trueError(d, truth, t, j, params)).toBeLessThan(3 * acc.worst);
      // and above the threshold it is a warning the CLI prints
      expect((t.meta.warnings as string[]).some((w) => /moments are accurate to about .* along the run/.test(w))).toBe(true);
      // a finer rule states a smaller error, as truthfully (tanh converges slowly at this variance: ~e^{−c√N/σ})
      const finer = deriveYaml(model(act), act === 'tanh(z)' ? 'quadrature:40' : 'quadrature:60');
      const f = runIntegration(finer, { tauEnd: 4, points: 21, init, sets: { eta_bar: 0.5 } });
      const fa = f.meta.accuracy as { worst: number; tau: number };
      expect(fa.worst).toBeLessThan(acc.worst / 2);
      const fTrue = trueError(finer, truth, f, f.tau.indexOf(fa.tau), params);
      expect(fa.worst / fTrue, `finer rule: stated ${fa.worst}, true ${fTrue}`).toBeGreaterThan(1 / 3);
      expect(fa.worst / fTrue).toBeLessThan(3);
    });
  }
});

describe('the Gauss–Hermite rule up to its largest order', () => {
  it('weights sum to 1 and E[x²] = 1, E[x⁴] = 3 to round-off at every order up to MAX_GAUSS_HERMITE; beyond it is refused, and quadrature:N stops at 150', async () => {
    for (let n = 2; n <= MAX_GAUSS_HERMITE; n++) {
      const { x, w } = gaussHermite(n);
      let s0 = 0;
      let s2 = 0;
      let s4 = 0;
      for (let i = 0; i < n; i++) (s0 += w[i]), (s2 += w[i] * x[i] ** 2), (s4 += w[i] * x[i] ** 4);
      expect(Math.abs(s0 - 1), `n = ${n}`).toBeLessThan(1e-12);
      if (n >= 2) expect(Math.abs(s2 - 1), `n = ${n}`).toBeLessThan(1e-12);
      if (n >= 3) expect(Math.abs(s4 - 3), `n = ${n}`).toBeLessThan(1e-11);
      // distinct nodes (the failure beyond the range: every root the same)
      expect(new Set(Array.from(x, (v) => v.toPrecision(12))).size, `n = ${n}`).toBe(n);
    }
    expect(() => gaussHermite(MAX_GAUSS_HERMITE + 1)).toThrow(/Gauss–Hermite order 196 out of range/);
    const r = await cli(['derive', 'derivations/tanh-on-he2.yaml', '--expectations', 'quadrature:151', '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/quadrature nodes must be between 2 and 150/);
  });
});
