/**
 * The probit backend (THEORY §3.9): activations written in Φ and φ — GELU, z·erf, SiLU, softplus, erf,
 * tanh, kinks at 0 — with every expectation reduced exactly to orthant probabilities in an augmented
 * Gaussian vector. Held against independent evaluations: the representations pointwise against the
 * activations; two- and three-field templates against a split Gauss–Legendre rule converged to
 * round-off; four-field ones against a 30-node tensor Gauss–Hermite rule (GELU and erf are entire),
 * the erf closed forms of Saad & Solla, the mixture backend's arcsine sums and Monte Carlo — at wide,
 * coincident and singular covariances, with a 1.01× wrong scale rejected; the right-hand side against
 * the defining expectations; the accuracy along a run against a converged evaluation with a planted
 * coarse mixture; the ODE against the reduced simulator at two d with a mis-scaled student rejected.
 */
import { describe, it, expect } from 'vitest';
import { activation } from '../src/hermite/activation.ts';
import { probitRep, derivativeRep, evaluateRep, repSupErrors, normalCdf, normalPdf } from '../src/gaussian/probit.ts';
import { probitTemplateFunctions } from '../src/backends/probit.ts';
import { mixtureTemplateFunctions } from '../src/backends/mixture.ts';
import { erfFamily, erfNum } from '../src/families/erf.ts';
import { buildModel } from '../src/hermite/model.ts';
import { parseSpec } from '../src/spec/load.ts';
import { gaussHermite } from '../src/quadrature.ts';
import { choleskyPsd, pseudoInverse } from '../src/linalg.ts';
import { parseKernel } from '../src/ir/parse.ts';
import { instantiate } from '../src/ir/js.ts';
import { Rng } from '../src/random/rng.ts';
import { runIntegration } from '../src/numeric/run.ts';
import { stateOf } from '../src/ode/layout.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { compare } from '../src/compare/compare.ts';
import { cli, deriveYaml, mc, randomCov, rhsAgainstDefinitions, split2, sub, tmp, upper, wideCovariances } from './helpers.ts';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const GELU = 'z*(1+erf(z/sqrt(2)))/2';
const gelu = (z: number, s = 1) => z * normalCdf(s * z);
const dgelu = (z: number, s = 1) => normalCdf(s * z) + s * z * normalPdf(s * z);
const g = (z: number) => erfNum(z / Math.SQRT2);
const yaml = (student: string, teacher: string, extra = '') => `name: pb
student: {width: 2, activation: "${student}"}
teacher: {width: 2, target: committee, activation: "${teacher}"}
loss: mse
${extra}`;
const modelOf = (s: string, t: string) => buildModel(parseSpec(yaml(s, t), 'pb.yaml'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-3);

/** E[Π f_i(u_i)] by a tensor Gauss–Hermite rule with n nodes per field in Cholesky coordinates. */
function tensor(C: number[][], fs: ((x: number) => number)[], n = 30): number {
  const gh = gaussHermite(n);
  const L = choleskyPsd(C);
  const d = fs.length;
  let total = 0;
  const z = new Array(d).fill(0);
  const count = n ** d;
  for (let q = 0; q < count; q++) {
    let r = q;
    let w = 1;
    for (let i = 0; i < d; i++) {
      const k = r % n;
      r = (r - k) / n;
      z[i] = gh.x[k];
      w *= gh.w[k];
    }
    for (let i = 0; i < d && w !== 0; i++) {
      let u = 0;
      for (let j = 0; j <= i; j++) u += L[i][j] * z[j];
      w *= fs[i](u);
    }
    total += w;
  }
  return total;
}

describe('activations written in Φ and φ', () => {
  it('are recognised however written, represented pointwise to their stated sup-norm error, and nothing else is', () => {
    const cases: [string, string, boolean][] = [
      [GELU, 'z·erf', true],
      ['0.5*z*erfc(-z/sqrt(2))', 'z·erf', true],
      ['z*erf(z)', 'z·erf', true],
      ['z/(1+exp(-z))', 'z·tanh', false],
      ['z*sigmoid(1.702*z)', 'z·tanh', false],
      ['log(1+exp(z))', '∫tanh', false],
      ['softplus(2*z)/2', '∫tanh', false],
      ['log(cosh(z))', '∫tanh', false],
      ['tanh(z)', 'tanh', false],
      ['erf(z)', 'erf', true],
      ['relu(z)', 'piecewise polynomial', true],
      ['z^3 - 3*z', 'polynomial', true],
      ['max(-1, min(1, z))', 'piecewise polynomial (breakpoints at -1, 1)', true],
      ['relu(z - 0.5)', 'piecewise polynomial (breakpoints at 0.5)', true],
      ['min(relu(z), 2)', 'piecewise polynomial (breakpoints at 0, 2)', true],
    ];
    const rng = new Rng(3);
    for (const [text, what, exact] of cases) {
      const act = activation(text);
      const rep = probitRep(act, 13);
      expect(rep?.what, text).toBe(what);
      const drep = derivativeRep(rep!.terms);
      const sup = repSupErrors(act, 13);
      let e = 0;
      let ed = 0;
      for (let i = 0; i < 400; i++) {
        const z = 8 * (rng.uniform() - 0.5);
        e = Math.max(e, Math.abs(evaluateRep(rep!.terms, z) - act.f(z)));
        ed = Math.max(ed, Math.abs(evaluateRep(drep, z) - act.df(z)));
      }
      if (exact) {
        // exact: round-off of the value's size
        expect(e, text).toBeLessThan(1e-12 * 100);
        expect(ed, text).toBeLessThan(1e-12 * 100);
        expect(sup).toEqual({ f: 0, d: 0 });
      } else {
        expect(e, text).toBeLessThanOrEqual(sup.f);
        expect(ed, text).toBeLessThanOrEqual(sup.d);
        expect(sup.f, text).toBeLessThan(3e-7);
        expect(repSupErrors(act, 20).f, `${text} at 20 nodes`).toBeLessThan(sup.f / 10);
      }
    }
    for (const text of ['sin(z)', 'max(-1, min(1, z)) + 0.01*tanh(z)', 'z/(1+exp(-z)) + 0.001*z^2', 'z*(1+erf(z/sqrt(2)))/2 + 0.001*z^3', 'log(1+exp(z)) + 0.01*tanh(3*z)'])
      expect(probitRep(activation(text), 13), text).toBeUndefined();
  });
});

describe('GELU on erf: exact templates against independent evaluations', () => {
  const T = probitTemplateFunctions(modelOf(GELU, 'erf(z/sqrt(2))'));
  const wrong = probitTemplateFunctions(modelOf('z*(1+erf(1.01*z/sqrt(2)))/2', 'erf(z/sqrt(2))'));
  const cases = wideCovariances();
  const F = { s: (x: number) => gelu(x), d: (x: number) => dgelu(x), g, u: (x: number) => x };

  it('I2, J2 and I3 within 1e-10 of the split rule at wide, coincident and singular covariances; a 1.01× student is off by more than 1e-5 (10⁵ times the tolerance)', () => {
    for (const { what, C } of cases) {
      for (const [name, idx, a, b] of [
        ['I2ss', [0, 1], F.s, F.s],
        ['I2sg', [0, 2], F.s, F.g],
        ['I2gg', [2, 3], F.g, F.g],
        ['J2', [0, 1], F.d, F.d],
      ] as [string, number[], (x: number) => number, (x: number) => number][]) {
        const c = sub(C, idx);
        const ref = split2(c, (x, y) => a(x) * b(y));
        expect(rel(T[name](...upper(c)), ref), `${name} at ${what}`).toBeLessThan(1e-10);
        // (I2sg does not see the scale: u·Φ(bu) − u/2 is even, erf odd)
        if ((name === 'I2ss' || name === 'J2') && Math.abs(ref) > 0.05) expect(rel(wrong[name](...upper(c)), ref), `${name} with a wrong scale at ${what}`).toBeGreaterThan(1e-5);
      }
      for (const [name, idx, h] of [
        ['I3g', [0, 1, 2], F.g],
        ['I3s', [0, 2, 1], F.s],
      ] as [string, number[], (x: number) => number][]) {
        const c = sub(C, idx);
        const P = pseudoInverse(sub(c, [0, 2]), 1e-13);
        const b1 = c[1][0] * P[0][0] + c[1][2] * P[1][0];
        const b3 = c[1][0] * P[0][1] + c[1][2] * P[1][1];
        const ref = split2(sub(c, [0, 2]), (x, z) => F.d(x) * (b1 * x + b3 * z) * h(z));
        expect(rel(T[name](...upper(c)), ref), `${name} at ${what}`).toBeLessThan(1e-10);
      }
    }
  });

  it('I4 within 1e-10 of a 30-node tensor rule at moderate covariances (the 1.01× student is off by more than 1e-4), and within 4.5 standard errors of Monte Carlo at a wide one (which rejects a 1.1× student)', () => {
    const rng = new Rng(17, 4);
    for (let s = 0; s < 2; s++) {
      const C = randomCov(4, rng, 0.2, 1.5);
      for (const [name, fs] of [
        ['I4ss', [F.d, F.d, F.s, F.s]],
        ['I4sg', [F.d, F.d, F.s, F.g]],
        ['I4gg', [F.d, F.d, F.g, F.g]],
      ] as [string, ((x: number) => number)[]][]) {
        const ref = tensor(C, fs);
        expect(rel(T[name](...upper(C)), ref), `${name} at a moderate covariance`).toBeLessThan(1e-10);
        expect(rel(wrong[name](...upper(C)), ref), `${name} with a 1.01× student`).toBeGreaterThan(1e-4);
      }
    }
    const C = randomCov(4, new Rng(19, 4), 0.5, 6);
    const est = mc(C, (u) => dgelu(u[0]) * dgelu(u[1]) * gelu(u[2]) * gelu(u[3]), 1000000, 7);
    expect(Math.abs(T.I4ss(...upper(C)) - est.mean) / est.se).toBeLessThan(4.5);
    const off = probitTemplateFunctions(modelOf('z*(1+erf(1.1*z/sqrt(2)))/2', 'erf(z/sqrt(2))'));
    expect(Math.abs(off.I4ss(...upper(C)) - est.mean) / est.se).toBeGreaterThan(6);
  });

  it('on an erf student the templates are the closed forms of Saad & Solla to 1e-12, at singular covariances too', () => {
    const T2 = probitTemplateFunctions(modelOf('erf(z/sqrt(2))', 'erf(z/sqrt(2))'));
    const closed = instantiate<Record<string, (...c: number[]) => number>>({
      header: [], prefix: 'c', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: [],
      functions: parseKernel(erfFamily.source).map((f) => ({ ...f, exported: true })),
    });
    for (const { what, C } of cases) {
      expect(Math.abs(T2.I4gg(...upper(C)) - closed.erfI4(...upper(C))), `I4 at ${what}`).toBeLessThan(1e-12);
      expect(Math.abs(T2.I3g(...upper(sub(C, [0, 1, 2]))) - closed.erfI3(...upper(sub(C, [0, 1, 2])))), `I3 at ${what}`).toBeLessThan(1e-12);
      expect(Math.abs(T2.J2(...upper(sub(C, [0, 1]))) - closed.erfJ2(...upper(sub(C, [0, 1])))), `J2 at ${what}`).toBeLessThan(1e-12);
    }
  });
});

describe('tanh-based members (SiLU, softplus, tanh) through the mixture inside the Φ representation', () => {
  const cases = wideCovariances();
  it('tanh on tanh equals the mixture backend’s arcsine sums (the same mixing rule, another algebra) to 1e-11', () => {
    const m = modelOf('tanh(z)', '1.3*tanh(0.8*z)');
    const P = probitTemplateFunctions(m, 8);
    const X = mixtureTemplateFunctions(m, 8);
    for (const { what, C } of cases)
      for (const name of ['I4gg', 'I4sg', 'I4ss']) expect(Math.abs(P[name](...upper(C)) - X[name](...upper(C))), `${name} at ${what}`).toBeLessThan(1e-11);
  });

  it('SiLU and softplus students on an erf teacher: two-field templates within 1e-8 of the split rule, I4 within 4.5 standard errors of Monte Carlo', () => {
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const students: [string, (x: number) => number, (x: number) => number][] = [
      ['z/(1+exp(-z))', (x) => x * sig(x), (x) => sig(x) + x * sig(x) * (1 - sig(x))],
      ['log(1+exp(z))', (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), sig],
    ];
    for (const [text, f, df] of students) {
      const T = probitTemplateFunctions(modelOf(text, 'erf(z/sqrt(2))'));
      for (const { what, C } of cases)
        for (const [name, idx, a, b] of [
          ['I2ss', [0, 1], f, f],
          ['I2sg', [0, 2], f, g],
          ['J2', [0, 1], df, df],
        ] as [string, number[], (x: number) => number, (x: number) => number][]) {
          const c = sub(C, idx);
          expect(rel(T[name](...upper(c)), split2(c, (x, y) => a(x) * b(y))), `${text}: ${name} at ${what}`).toBeLessThan(1e-8);
        }
      const C = randomCov(4, new Rng(23, 4), 0.3, 3);
      const est = mc(C, (u) => df(u[0]) * df(u[1]) * f(u[2]) * g(u[3]), 600000, 9);
      expect(Math.abs(T.I4sg(...upper(C)) - est.mean) / est.se, text).toBeLessThan(4.5);
    }
  });
});

describe('the probit backend in the pipeline', () => {
  it('auto takes it for GELU, ReLU on erf and on tanh, and a GELU student on a He3 target; the right-hand side is the ODE of the defining expectations', () => {
    const m = deriveYaml(yaml(GELU, 'erf(z/sqrt(2))', 'noise: 0.1').replace('activation: "', 'second_layer: {train: true, init: [1, -0.5]}, activation: "'));
    expect(m.plan.backend).toBe('probit');
    expect(m.plan.settings.mixture).toBe(0);
    rhsAgainstDefinitions(m, 30, 1e-9);
    for (const [s, t] of [['relu(z)', 'erf(z)'], ['relu(z)', 'tanh(z)'], [GELU, 'tanh(z)']]) expect(deriveYaml(yaml(s, t)).plan.backend, s).toBe('probit');
    const he3 = deriveYaml(`name: gelu-he3
student: {width: 2, activation: "${GELU}"}
teacher: {width: 1, target: "He3(nu1)/sqrt(6)"}
loss: mse`);
    expect(he3.plan.backend).toBe('probit');
    rhsAgainstDefinitions(he3, 30, 1e-9);
  });

  it('its accuracy along a run is what a converged representation finds (a planted 3-node mixture is seen within 3×)', () => {
    const text = yaml(GELU, 'tanh(z)');
    const coarse = deriveYaml(text, 'probit:3');
    const truth = deriveYaml(text, 'probit:20');
    const init = { M: [[1.2, 0.3], [0.2, 1.1]], Q: [[3, 0.5], [0.5, 2.5]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const t = runIntegration(coarse, { tauEnd: 2, points: 5, init, sets: { eta_bar: 0.5 } });
    const acc = t.meta.accuracy as { worst: number; tau: number; method: string };
    expect(acc.method).toMatch(/along the run, against the representation with 7 mixture nodes/);
    const L = coarse.layout;
    const params = [...L.defaultParams];
    params[L.etaBar] = 0.5;
    const i = t.tau.indexOf(acc.tau);
    const y = stateOf({ M: t.M[i], Q: t.Q[i], a: t.a[i] }, L);
    const a = new Float64Array(L.mom.size);
    const b = new Float64Array(L.mom.size);
    coarse.compiled.moments(y, params, a);
    truth.compiled.moments(y, params, b);
    const trueRel = Math.max(...Array.from(a, (x, j) => Math.abs(x - b[j]))) / Math.max(...Array.from(b, Math.abs));
    expect(trueRel).toBeGreaterThan(1e-6);
    expect(acc.worst / trueRel).toBeGreaterThan(1 / 3);
    expect(acc.worst / trueRel).toBeLessThan(3);
  });

  it('a GELU committee: the ODE agrees with the reduced simulator at d = 400 and 1600; a 1.05× student is rejected', async () => {
    const d = deriveYaml(yaml(GELU, 'erf(z/sqrt(2))').replace('activation: "', 'second_layer: {train: false, init: [1, 1]}, activation: "'));
    const wrongD = deriveYaml(yaml('1.05*z*(1+erf(z/sqrt(2)))/2', 'erf(z/sqrt(2))').replace('activation: "', 'second_layer: {train: false, init: [1, 1]}, activation: "'));
    const L = d.layout;
    const params = [...L.defaultParams];
    params[L.etaBar] = 1;
    const init = { M: [[0.4, 0.1], [0.05, 0.3]], Q: [[0.7, 0.1], [0.1, 0.6]], P: [[1, 0], [0, 1]], a: [1, 1] };
    for (const dim of [400, 1600]) {
      const sim = await simulate(d, { d: dim, nb: 1, steps: 12 * dim, points: 9, seeds: Array.from({ length: 16 }, (_, i) => 1 + i), gamma: 1 / dim, params, init, engine: 'reduced', workers: 2 });
      const ok = compare(d, sim).agreement;
      expect(ok.pass, `d = ${dim}: ${JSON.stringify(ok.entries.filter((e) => !e.pass))}`).toBe(true);
      expect(compare(wrongD, sim).agreement.pass, `d = ${dim}, GELU × 1.05`).toBe(false);
    }
  });

  it('derive announces a measurement only where there is one: GELU on erf is exact (silent), GELU on tanh measures its mixture', async () => {
    const dir = tmp('hermode-probit-');
    for (const [teacher, announced] of [['erf(z/sqrt(2))', false], ['tanh(z)', true]] as const) {
      const f = join(dir, `g${announced ? 't' : 'e'}.yaml`);
      writeFileSync(f, yaml(GELU, teacher, 'expectations: probit:5'));
      const r = await cli(['derive', f, '--lang', 'ts', '--out-dir', join(dir, 'out')]);
      expect(r.code, r.stderr).toBe(0);
      expect(/then measuring its accuracy/.test(r.stderr), teacher).toBe(announced);
      expect(r.stdout.includes('probit accuracy'), teacher).toBe(announced);
    }
  });

  it('refuses bad requests in one line naming the value, exit 2, nothing written', async () => {
    const dir = tmp('hermode-probit-');
    const sin = join(dir, 'sin.yaml');
    const ok = join(dir, 'gelu.yaml');
    writeFileSync(sin, yaml('sin(z)', 'erf(z)'));
    writeFileSync(ok, yaml(GELU, 'erf(z)'));
    const out = join(dir, 'out');
    for (const [file, req, msg] of [
      [ok, 'probit:1', /probit mixture nodes must be 2 to 24, got 1/],
      [ok, 'probit:99', /got 99/],
      [sin, 'probit', /the student sin\(z\) is not/],
    ] as [string, string, RegExp][]) {
      const r = await cli(['derive', file, '--expectations', req, '--out-dir', out]);
      expect(r.code, req).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    }
  });
});

