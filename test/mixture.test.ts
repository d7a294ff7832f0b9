/**
 * The scale-mixture backend (THEORY §3.7): tanh(x) = E_K[erf(x/(√2K))] with K Kolmogorov. Held against
 * independent evaluations — the Gauss rule's moments against tanh's Taylor coefficients, the sup-norm
 * error against tanh and sech² pointwise, the two-field templates (I2, J2, and I3 reduced to two fields
 * by regression) against a split Gauss–Legendre rule converged to round-off, I4 against the mixture at
 * 24 nodes (whose error the verified sup-norm bound holds below 1e-10) and Monte Carlo — at random wide,
 * coincident and singular covariances; a 1.01× wrong scale is rejected by the same checks. The ODE is
 * held against the reduced simulator at two d, with a mis-scaled activation rejected.
 */
import { describe, it, expect } from 'vitest';
import { logisticMixture } from '../src/gaussian/kolmogorov.ts';
import { mixtureMember, mixtureSupErrors, mixtureTemplateFunctions, mixtureBounds } from '../src/backends/mixture.ts';
import { erfNum } from '../src/families/erf.ts';
import { buildModel } from '../src/hermite/model.ts';
import { parseSpec } from '../src/spec/load.ts';
import { Rng } from '../src/random/rng.ts';
import { pseudoInverse } from '../src/linalg.ts';
import { runIntegration } from '../src/numeric/run.ts';
import { stateOf as stateOfModel } from '../src/ode/layout.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { compare } from '../src/compare/compare.ts';
import { deriveYaml, mc, rhsAgainstDefinitions, split2, randomCov, sub, upper, wideCovariances as covariances } from './helpers.ts';

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const dsig = (x: number) => sig(x) * (1 - sig(x));
const G = (x: number, b = 0.8) => 1.3 * Math.tanh(b * x);
const yaml = (student: string, teacher: string, extra = '') => `name: mix
student: {width: 2, activation: "${student}"}
teacher: {width: 2, target: committee, activation: "${teacher}"}
loss: mse
${extra}`;
const modelOf = (s: string, t: string) => buildModel(parseSpec(yaml(s, t), 'mix.yaml'));

describe('the Gauss rule on the Kolmogorov mixing law', () => {
  it("integrates tanh's Taylor coefficients exactly and represents tanh and sech² uniformly (a 1.01× mixing law is rejected)", () => {
    const sqpi = Math.sqrt(Math.PI);
    for (const m of [6, 12, 16]) {
      const r = logisticMixture(m);
      const mom = (k: number, s = 1) => r.w.reduce((acc, w, i) => acc + w * (s * r.c[i]) ** k, 0);
      expect(r.w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
      // tanh′(0) = 1, tanh‴(0) = −2, tanh⁽⁵⁾(0) = 16 against the derivatives of erf(c x) at 0
      expect(Math.abs(mom(1) - sqpi / 2)).toBeLessThan(1e-13);
      expect(Math.abs(mom(3) - sqpi / 2)).toBeLessThan(1e-12);
      expect(Math.abs(mom(5) - (2 * sqpi) / 3)).toBeLessThan(1e-11);
      // power: the law of 1.01·c misses the first by 1e-2
      expect(Math.abs(mom(1, 1.01) - sqpi / 2)).toBeGreaterThan(5e-3);
    }
    const r = logisticMixture(16);
    let e = 0;
    let ed = 0;
    for (let i = 0; i <= 20000; i++) {
      const x = -12 + (24 * i) / 20000;
      let f = 0;
      let d = 0;
      for (let j = 0; j < 16; j++) (f += r.w[j] * erfNum(r.c[j] * x)), (d += ((r.w[j] * r.c[j] * 2) / Math.sqrt(Math.PI)) * Math.exp(-((r.c[j] * x) ** 2)));
      e = Math.max(e, Math.abs(f - Math.tanh(x)));
      ed = Math.max(ed, Math.abs(d - 1 / Math.cosh(x) ** 2));
    }
    expect(e).toBeLessThan(3e-9);
    expect(ed).toBeLessThan(7e-9);
    // the bound the notes state covers the pointwise error and is not loose by more than the grid's margin
    const sup = mixtureSupErrors(16);
    expect(sup.f).toBeGreaterThanOrEqual(e);
    expect(sup.d).toBeGreaterThanOrEqual(ed);
    expect(sup.f).toBeLessThan(1.2 * e);
  });

  it('recognises c0 + A·tanh(bz) and c0 + A·erf(bz) however written, and nothing else', () => {
    const near = (x: number, y: number) => Math.abs(x - y) < 1e-9;
    const t = mixtureMember(sig);
    expect(t && t.kind === 'tanh' && near(t.c0, 0.5) && near(t.A, 0.5) && near(t.b, 0.5)).toBe(true);
    const u = mixtureMember((z) => 2 * Math.tanh(0.7 * z) - 0.3);
    expect(u && u.kind === 'tanh' && near(u.c0, -0.3) && near(u.A, 2) && near(u.b, 0.7)).toBe(true);
    const e = mixtureMember((z) => erfNum(z / Math.SQRT2) + 1);
    expect(e && e.kind === 'erf' && near(e.c0, 1) && near(e.b, Math.SQRT1_2)).toBe(true);
    for (const f of [(z: number) => Math.log1p(Math.exp(z)), (z: number) => Math.tanh(z) + 0.01 * z, (z: number) => Math.tanh(z) + 0.001 * z * z, (z: number) => z * sig(z)])
      expect(mixtureMember(f)).toBeUndefined();
  });
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-3);

describe('mixture templates against independent evaluations (sigmoid student, 1.3·tanh(0.8z) teacher)', () => {
  const model = modelOf('1/(1+exp(-z))', '1.3*tanh(0.8*z)');
  const T = mixtureTemplateFunctions(model, 12);
  const wrong = mixtureTemplateFunctions(modelOf('1/(1+exp(-z))', '1.3*tanh(0.808*z)'), 12);
  const cases = covariances();

  it('I2 and J2: within 1e-8 (relative, or absolute below 1e-3) of the split rule; the teacher at 1.01× scale is off by more than 1e-4', () => {
    for (const { what, C } of cases) {
      const pairs: [string, number[], (a: number, b: number) => number][] = [
        ['I2ss', [0, 1], (a, b) => sig(a) * sig(b)],
        ['I2sg', [0, 2], (a, b) => sig(a) * G(b)],
        ['I2gg', [2, 3], (a, b) => G(a) * G(b)],
        ['J2', [0, 1], (a, b) => dsig(a) * dsig(b)],
      ];
      for (const [name, idx, F] of pairs) {
        const c = sub(C, idx);
        const ref = split2(c, F);
        expect(rel(T[name](...upper(c)), ref), `${name} at ${what}`).toBeLessThan(1e-8);
        if (name === 'I2gg' && Math.abs(c[0][1]) > 0.05) expect(rel(wrong[name](...upper(c)), ref), `${name} with a wrong scale at ${what}`).toBeGreaterThan(1e-4);
      }
    }
  });

  it('I3 (u2 regressed on u1, u3): within 1e-8 of the split rule', () => {
    for (const { what, C } of cases)
      for (const [name, idx, h] of [
        ['I3g', [0, 1, 2], G],
        ['I3s', [0, 2, 1], sig],
      ] as [string, number[], (x: number) => number][]) {
        const c = sub(C, idx);
        // E[u2 | u1, u3] = β1 u1 + β3 u3
        const P = pseudoInverse(sub(c, [0, 2]), 1e-13);
        const b1 = c[1][0] * P[0][0] + c[1][2] * P[1][0];
        const b3 = c[1][0] * P[0][1] + c[1][2] * P[1][1];
        const ref = split2(sub(c, [0, 2]), (x, z) => dsig(x) * (b1 * x + b3 * z) * h(z));
        expect(rel(T[name](...upper(c)), ref), `${name} at ${what}`).toBeLessThan(1e-8);
      }
  });

  it('I4: within 1e-8 of the 24-node mixture and within 4.5 standard errors of Monte Carlo (which rejects a 1.1× teacher scale)', () => {
    const ref24 = mixtureTemplateFunctions(model, 24);
    const b24 = mixtureBounds(model, 24);
    expect(b24.I4).toBeLessThan(1e-9);
    for (const { what, C } of cases) {
      for (const name of ['I4gg', 'I4sg', 'I4ss']) {
        const args = upper(C);
        expect(rel(T[name](...args), ref24[name](...args)), `${name} at ${what}`).toBeLessThan(1e-8);
      }
    }
    // Monte Carlo at a moderate covariance, where the teacher's scale matters (at wide ones tanh saturates)
    const C = randomCov(4, new Rng(43, 2), 0.3, 2);
    const f = (b: number) => (u: number[]) => dsig(u[0]) * dsig(u[1]) * G(u[2], b) * G(u[3], b);
    const est = mc(C, f(0.8), 1200000, 5);
    expect(Math.abs(T.I4gg(...upper(C)) - est.mean) / est.se).toBeLessThan(4.5);
    const off = mixtureTemplateFunctions(modelOf('1/(1+exp(-z))', '1.3*tanh(0.88*z)'), 12);
    expect(Math.abs(off.I4gg(...upper(C)) - est.mean) / est.se).toBeGreaterThan(6);
  });
});

const tanhCommittee = (act: string) => `name: tanh-committee
student: {width: 2, activation: "${act}", second_layer: {train: false, init: [1, 1]}}
teacher: {width: 2, target: committee, activation: "tanh(z)", weights: [1, 1]}
loss: mse
noise: 0.1`;

describe('a tanh committee through the mixture', () => {
  it('the generated moments and right-hand side of a sigmoid student (trained a, label noise) on a tanh teacher are the ODE of the defining expectations', () => {
    const m = deriveYaml(`name: sig
student: {width: 2, activation: "1/(1+exp(-z))", second_layer: {train: true, init: [1, -0.5]}}
teacher: {width: 2, target: committee, activation: "1.3*tanh(0.8*z)"}
loss: mse
noise: 0.1`);
    expect(m.plan.backend).toBe('mixture');
    rhsAgainstDefinitions(m, 30, 1e-8);
  });

  const d = deriveYaml(tanhCommittee('tanh(z)'));
  it('auto takes the mixture, and its accuracy along a run is what a converged mixture finds (a planted 4-node rule is seen within 3×)', () => {
    expect(d.plan.backend).toBe('mixture');
    expect(d.plan.label).toMatch(/13 nodes on the Kolmogorov mixing law/);
    const coarse = deriveYaml(tanhCommittee('tanh(z)'), 'mixture:4');
    const truth = deriveYaml(tanhCommittee('tanh(z)'), 'mixture:24');
    const init = { M: [[1.2, 0.3], [0.2, 1.1]], Q: [[3, 0.5], [0.5, 2.5]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const t = runIntegration(coarse, { tauEnd: 5, points: 11, init, sets: { eta_bar: 0.5 } });
    const acc = t.meta.accuracy as { worst: number; tau: number; method: string };
    expect(acc.method).toMatch(/along the run, against the mixture with 8 nodes/);
    const L = coarse.layout;
    const params = [...L.defaultParams];
    params[L.etaBar] = 0.5;
    const i = t.tau.indexOf(acc.tau);
    const st = { M: t.M[i], Q: t.Q[i], a: t.a[i] };
    const a = new Float64Array(L.mom.size);
    const b = new Float64Array(L.mom.size);
    coarse.compiled.moments(stateOfModel(st, L), params, a);
    truth.compiled.moments(stateOfModel(st, L), params, b);
    const trueRel = Math.max(...Array.from(a, (x, j) => Math.abs(x - b[j]))) / Math.max(...Array.from(b, Math.abs));
    expect(acc.worst / trueRel).toBeGreaterThan(1 / 3);
    expect(acc.worst / trueRel).toBeLessThan(3);
    expect(trueRel).toBeGreaterThan(1e-6);
  });

  it('the ODE agrees with the reduced simulator at d = 400 and 1600; an ODE with the student at 1.05× scale is rejected', async () => {
    const L = d.layout;
    const params = [...L.defaultParams];
    params[L.etaBar] = 1;
    const init = { M: [[0.4, 0.1], [0.05, 0.3]], Q: [[0.7, 0.1], [0.1, 0.6]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const wrong = deriveYaml(tanhCommittee('tanh(1.05*z)'));
    for (const dim of [400, 1600]) {
      const sim = await simulate(d, { d: dim, nb: 1, steps: 20 * dim, points: 11, seeds: Array.from({ length: 24 }, (_, i) => 1 + i), gamma: 1 / dim, params, init, engine: 'reduced', workers: 2 });
      const ok = compare(d, sim).agreement;
      expect(ok.pass, `d = ${dim}: ${JSON.stringify(ok.entries.filter((e) => !e.pass))}`).toBe(true);
      expect(compare(wrong, sim).agreement.pass, `d = ${dim}, student × 1.05`).toBe(false);
    }
  });
});
