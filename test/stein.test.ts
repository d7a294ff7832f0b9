import { describe, it, expect } from 'vitest';
import { SteinEngine, evaluateStein, indicatorTerms, type Factor } from '../src/gaussian/stein.ts';
import { activation } from '../src/hermite/activation.ts';
import { piecewiseOf, piecewiseDerivative, type Piecewise } from '../src/hermite/piecewise.ts';
import { Poly } from '../src/symbolic/poly.ts';
import { gaussLegendre } from '../src/quadrature.ts';
import { reluFamily } from '../src/families/relu.ts';
import { parseKernel } from '../src/ir/parse.ts';
import { instantiate } from '../src/ir/js.ts';
import { mc, covariances, cli, tmp, deriveYaml, randomOverlaps, omegaFrom } from './helpers.ts';
import { monteCarloMoments, unpackMoments, type Moments } from '../src/gaussian/reference.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/random/rng.ts';

/** The kinked activations of THEORY §3.5, as a user writes them. */
const KINKED: Record<string, string> = {
  relu: 'relu(z)',
  leaky: 'max(z, 0.1*z)',
  abs: 'abs(z)',
  step: 'step(z)',
  sign: 'sign(z)',
  zrelu: 'z*relu(z)',
  relu2: 'relu(z)^2 - 0.5*abs(z) + z',
};

interface Fn1 {
  pw: Piecewise;
  f: (x: number) => number;
}
const fn = (text: string): Fn1 => {
  const act = activation(text);
  const pw = piecewiseOf(act);
  if (!pw) throw new Error(`${text} not recognised as piecewise polynomial`);
  return { pw, f: act.f };
};
/** the derivative a.e. (a jump's δ is not part of a template's σ′) */
const deriv = (a: Fn1): Fn1 => {
  const d = piecewiseDerivative(a.pw);
  return { pw: d, f: (x) => (x > 0 ? d.plus.evaluate([x]) : d.minus.evaluate([x])) };
};

/** E[Π_i f_i(u_i) · Π_j u_{lin_j}] by the Stein expansion. */
function stein(C: number[][], fs: (Fn1 | null)[], lin: number[] = []): number {
  const n = C.length;
  const factors: Factor[] = [];
  fs.forEach((f, i) => f && factors.push({ kind: 'pw', slot: i, pw: f.pw }));
  for (const j of lin) factors.push({ kind: 'poly', poly: Poly.variable(n, j) });
  const exp = new SteinEngine(n).expectation(indicatorTerms(n, factors));
  return evaluateStein(exp, C.flat());
}
const integrand = (fs: (Fn1 | null)[], lin: number[] = []) => (u: number[]) => {
  let v = 1;
  fs.forEach((f, i) => f && (v *= f.f(u[i])));
  for (const j of lin) v *= u[j];
  return v;
};

/**
 * Exact reference for fields in a plane, u_i = h_i·g with g ~ N(0, I₂): in polar coordinates the
 * indicators depend on the angle only, so the angular integral is split at every kink direction and
 * each piece (a trigonometric polynomial) integrated by 24-point Gauss–Legendre; the radial integral of
 * a polynomial times r e^{−r²/2} by composite Gauss–Legendre on [0, 14].
 */
function polar(H: number[][], F: (u: number[]) => number): number {
  const cuts = new Set<number>([0, 2 * Math.PI]);
  for (const h of H) {
    const a = Math.atan2(h[1], h[0]);
    for (const c of [a + Math.PI / 2, a - Math.PI / 2]) cuts.add(((c % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI));
  }
  const edges = [...cuts].sort((x, y) => x - y);
  const gl = gaussLegendre(24);
  const radial = (phi: number) => {
    const w = [Math.cos(phi), Math.sin(phi)];
    let s = 0;
    for (let p = 0; p < 56; p++) {
      const mid = (p + 0.5) * 0.25;
      for (let i = 0; i < 24; i++) {
        const r = mid + 0.125 * gl.x[i];
        s += 0.125 * gl.w[i] * r * Math.exp(-0.5 * r * r) * F(H.map((h) => r * (h[0] * w[0] + h[1] * w[1])));
      }
    }
    return s;
  };
  let total = 0;
  for (let e = 0; e + 1 < edges.length; e++) {
    const [a, b] = [edges[e], edges[e + 1]];
    if (b - a < 1e-15) continue;
    for (let i = 0; i < 24; i++) total += 0.5 * (b - a) * gl.w[i] * radial(0.5 * (a + b) + 0.5 * (b - a) * gl.x[i]);
  }
  return total / (2 * Math.PI);
}

function planeCovariance(n: number, seed: number, coincide = false): { H: number[][]; C: number[][] } {
  const rng = new Rng(seed);
  const H = Array.from({ length: n }, () => [rng.normal(), rng.normal()]);
  if (coincide) H[n - 1] = H[0].slice();
  return { H, C: H.map((a) => H.map((b) => a[0] * b[0] + a[1] * b[1])) };
}

describe('exact kinked expectations (Stein reduction to orthant probabilities)', () => {
  it('recognises each listed activation as piecewise polynomial and tanh, erf, softplus, hard tanh as not', () => {
    for (const t of Object.values(KINKED)) expect(piecewiseOf(activation(t)), t).toBeDefined();
    for (const t of ['tanh(z)', 'erf(z)', 'softplus(z)', 'max(-1, min(1, z))', 'relu(z - 0.5)']) expect(piecewiseOf(activation(t)), t).toBeUndefined();
    const leaky = piecewiseOf(activation('max(z, 0.1*z)')) as Piecewise;
    expect(leaky.minus.coefficient([1]).toString()).toBe('1/10');
    expect(piecewiseOf(activation('sign(z)'))?.continuous).toBe(false);
  });

  for (const [name, text] of Object.entries(KINKED)) {
    const f = fn(text);
    const df = deriv(f);
    it(`${name}: against the exact polar integral for fields in a plane, coincident ones included`, () => {
      let worst = 0;
      let worst2 = 0;
      for (const [seed, coincide] of [[1, false], [2, true], [3, false]] as const) {
        for (const n of [2, 3, 4]) {
          const { H, C } = planeCovariance(n, 10 * seed + n, coincide);
          const cases: [(Fn1 | null)[], number[]][] = [
            [[f, f, ...new Array(n - 2).fill(null)], n > 2 ? [n - 1] : []],
            [[df, f, ...new Array(n - 2).fill(f)], []],
            [[df, df, ...new Array(n - 2).fill(null)], n > 2 ? [n - 1, n - 1] : [0]],
          ];
          for (const [fs, lin] of cases) {
            const exact = polar(H, integrand(fs, lin));
            const got = stein(C, fs, lin);
            const err = Math.abs(got - exact) / Math.max(1, Math.abs(exact));
            worst = Math.max(worst, err);
            if (n === 2) worst2 = Math.max(worst2, err);
          }
        }
      }
      expect(worst).toBeLessThan(planeTolerance);
      // two kinked fields need no ridge: exact to round-off
      expect(worst2).toBeLessThan(1e-12);
    });
    it(`${name}: against Monte Carlo at full-rank, coincident and rank-2 covariances (|z| < 4.5)`, () => {
      for (const [i, C] of covariances(4).entries()) {
        for (const [fs, lin] of [
          [[df, df, f, f], []],
          [[df, null, f, null], [1, 3, 3]],
        ] as [(Fn1 | null)[], number[]][]) {
          const got = stein(C, fs, lin);
          const m = mc(C, integrand(fs, lin), 80_000, 91 + i);
          expect(Math.abs(got - m.mean), `${name} case ${i}: ${got} vs ${m.mean} ± ${m.se}`).toBeLessThan(4.5 * m.se + planeTolerance * Math.max(1, Math.abs(m.mean)));
        }
      }
    });
  }

  it('has the power to see a wrong answer: a 2 % error in one orthant probability is rejected by the same checks', () => {
    const f = fn(KINKED.relu);
    const { H, C } = planeCovariance(3, 77);
    const fs = [deriv(f), deriv(f), f];
    const exact = polar(H, integrand(fs));
    const wrong = stein(C, fs) + 0.02 * 0.25;
    expect(Math.abs(wrong - exact)).toBeGreaterThan(1e-3);
  });

  it('agrees with the ReLU committee closed forms (I2, J2, I3, I4) where both apply', () => {
    const functions = parseKernel(reluFamily.source).map((x) => ({ ...x, exported: true }));
    const relu = instantiate<Record<string, (...a: number[]) => number>>({ header: [], prefix: 'r', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: reluFamily.constants?.() ?? [], functions });
    const s = fn('relu(z)');
    const d = deriv(s);
    const upper = (C: number[][]) => C.flatMap((r, i) => r.slice(i));
    for (const C of covariances(4)) {
      const C2 = C.slice(0, 2).map((r) => r.slice(0, 2));
      const C3 = C.slice(0, 3).map((r) => r.slice(0, 3));
      expect(Math.abs(stein(C2, [s, s]) - relu.reluI2(...upper(C2)))).toBeLessThan(1e-13);
      expect(Math.abs(stein(C2, [d, d]) - relu.reluJ2(...upper(C2)))).toBeLessThan(1e-13);
      expect(Math.abs(stein(C3, [d, null, s], [1]) - relu.reluI3(...upper(C3)))).toBeLessThan(1e-12);
      // reluI4 regularises rank-deficient C by a relative ridge of 1e-9
      expect(Math.abs(stein(C, [d, d, s, s]) - relu.reluI4(...upper(C)))).toBeLessThan(1e-7);
    }
  });
});

/**
 * Three or four kinked fields in a plane are nearly linearly dependent: the evaluator adds a ridge of
 * 1e-9 of their variances there (steinRegularize), which costs a few 1e-9 relative; elsewhere it is
 * exact to round-off.
 */
const planeTolerance = 5e-8;

describe('one giant step of a ReLU student from M = 0 (THEORY §4.3) through the exact evaluator', () => {
  const dir = tmp('hermode-giant-');
  const setup = (p: number, expectations = 'auto') => {
    const file = join(dir, `relu${p}-${expectations.replace(':', '')}.yaml`);
    writeFileSync(
      file,
      `name: relu-giant-p${p}\nstudent: {width: ${p}, activation: "relu(z)"}\nteacher: {width: 1, target: "(nu1 + nu1^2 - 1)/sqrt(3)"}\nloss: correlation\ndynamics: projected\nexpectations: "${expectations}"\n`,
    );
    const init = join(dir, `init${p}.json`);
    writeFileSync(init, JSON.stringify({ M: Array.from({ length: p }, () => [0]), Q: Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => (j === l ? 1 : 0))) }));
    return { file, init };
  };
  // closed form: m1 = c1 β/√(c1²β² + E[σ′²]E[y²]/α), Q1_jl = (c1²β² + c1²E[y²]/α)/(c1²β² + E[σ′²]E[y²]/α)
  const c1 = 0.5;
  const beta = 1 / Math.sqrt(3);
  const ds2 = 0.5;
  const closed = (alpha: number) => ({
    m: (c1 * beta) / Math.sqrt(c1 * c1 * beta * beta + ds2 / alpha),
    q: (c1 * c1 * beta * beta + (c1 * c1) / alpha) / (c1 * c1 * beta * beta + ds2 / alpha),
  });
  const step = async (file: string, init: string, alpha: number) => {
    // d = 10¹⁰ and n = αd make the finite-n_b factor (1 − 1/n) of G negligible; γ = 10⁶ is the giant limit
    const r = await cli(['map', file, '--d', '10000000000', '--nb', String(alpha * 1e10), '--set', 'gamma=1e6', '--steps', '1', '--init', init, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    return { M: j.M[1] as number[][], Q: j.Q[1] as number[][], expectations: j.meta.expectations as string };
  };

  it('m1 and Q1_jl equal the closed form to 1e-9 at p = 2, 3, 4 and α = 0.5, 2, 8 (ReLU α = 2: 1/2 and 5/8)', async () => {
    for (const p of [2, 3, 4]) {
      const { file, init } = setup(p);
      for (const alpha of [0.5, 2, 8]) {
        const { M, Q, expectations } = await step(file, init, alpha);
        expect(expectations).toMatch(/^exact/);
        const want = closed(alpha);
        for (let j = 0; j < p; j++) {
          expect(Math.abs(M[j][0] - want.m), `p=${p} α=${alpha} m_${j}`).toBeLessThan(1e-9);
          for (let l = j + 1; l < p; l++) expect(Math.abs(Q[j][l] - want.q), `p=${p} α=${alpha} Q_${j}${l}`).toBeLessThan(1e-9);
        }
      }
    }
    expect(closed(2).m).toBeCloseTo(0.5, 14);
    expect(closed(2).q).toBeCloseTo(0.625, 14);
  });

  it('the same check rejects tensor Gauss–Hermite with a node on the kink (21 nodes per field at p = 3)', async () => {
    const { file, init } = setup(3, 'quadrature:21');
    const { M, Q } = await step(file, init, 2);
    expect(Math.abs(M[0][0] - 0.5)).toBeGreaterThan(1e-2);
    expect(Math.abs(Q[0][1] - 0.625)).toBeGreaterThan(1e-2);
  });
});

describe('kinked models by quadrature: an accuracy estimate that sees the kink', () => {
  const spec = (body: string, expectations = 'auto') => `name: probe\n${body}\nexpectations: "${expectations}"\n`;
  const moments = (d: ReturnType<typeof deriveYaml>) => {
    const { p, k } = d.model;
    const s = 1 / Math.sqrt(Math.max(p, k));
    const M = Array.from({ length: p }, (_, j) => Array.from({ length: k }, (_, r) => s * (j === r ? 0.5 : 0.2)));
    const Q = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => (j === l ? 1 : 0.3)));
    const out = new Float64Array(d.layout.mom.size);
    d.compiled.moments(stateOf({ M, Q, a: d.model.a0 }, d.layout), d.layout.defaultParams, out);
    return out;
  };
  const relErr = (a: Float64Array, b: Float64Array) => Math.max(...[...a].map((v, i) => Math.abs(v - b[i]))) / Math.max(...[...a].map(Math.abs));
  const reported = (notes: string[]) => Number(/accuracy:? (\S+) relative/.exec(notes.join('\n'))?.[1]);

  it('an even default rule, and an estimate within a factor 3 of the true error (ReLU p = 2 on ν1ν2, exact known)', () => {
    const body = 'student: {width: 2, activation: "relu(z)"}\nteacher: {width: 2, target: "nu1*nu2"}\nloss: mse';
    const exact = deriveYaml(spec(body));
    expect(exact.plan.backend).toBe('exact');
    for (const N of [12, 20]) {
      const q = deriveYaml(spec(body, `quadrature:${N}`));
      const truth = relErr(moments(exact), moments(q));
      const est = reported(q.plan.notes);
      expect(truth, `N = ${N}`).toBeGreaterThan(1e-7);
      expect(est / truth, `N = ${N}: estimate ${est} vs true ${truth}`).toBeGreaterThan(1 / 3);
      expect(est / truth, `N = ${N}: estimate ${est} vs true ${truth}`).toBeLessThan(3);
      expect(q.plan.notes.join('\n')).toMatch(/warning: quadrature accuracy .* is above 1e-6: raise the nodes/);
    }
  });

  it('an odd rule (a node on the kink) is called out, and its bias is what the estimate reports', () => {
    const body = 'student: {width: 3, activation: "relu(z)"}\nteacher: {width: 1, target: "(nu1 + nu1^2 - 1)/sqrt(3)"}\nloss: correlation\ndynamics: projected';
    const q = deriveYaml(spec(body, 'quadrature:21'));
    const notes = q.plan.notes.join('\n');
    expect(notes).toMatch(/21 nodes per field is odd: a node sits on the kink/);
    const truth = relErr(moments(deriveYaml(spec(body))), moments(q));
    expect(truth).toBeGreaterThan(1e-3);
    expect(reported(q.plan.notes) / truth).toBeGreaterThan(1 / 3);
  });

  it('ReLU on a sin teacher (no exact evaluator) goes to the split rule when affordable, else to an even rule that warns with the surrogate’s error', () => {
    expect(deriveYaml(spec('student: {width: 2, activation: "relu(z)"}\nteacher: {width: 1, target: committee, activation: "sin(z)"}\nloss: mse')).plan.backend).toBe('split');
    const d = deriveYaml(spec('student: {width: 3, activation: "relu(z)"}\nteacher: {width: 2, target: committee, activation: "sin(z)"}\nloss: mse'));
    expect(d.plan.backend).toBe('quadrature');
    expect(d.plan.settings.nodes % 2).toBe(0);
    expect(d.plan.notes.join('\n')).toMatch(/warning: quadrature accuracy \S+ relative \(the moments of \d+ nodes per field differ by \S+ from the exact evaluator on a surrogate/);
  });
});

describe('exact kinked moments of whole models against Monte Carlo of their definitions (THEORY §2.2)', () => {
  const models = [
    'student: {width: 3, activation: "relu(z)"}\nteacher: {width: 2, target: "nu1 + nu1*nu2"}\nloss: mse\nnoise: 0.1',
    'student: {width: 4, activation: "max(z, 0.2*z)", second_layer: {train: true, init: [1, -0.5, 0.8, 1.2]}}\nteacher: {width: 3, target: "nu1*nu2 + He3(nu3)/6"}\nloss: mse',
    'student: {width: 5, activation: "abs(z) - 0.3*z"}\nteacher: {width: 1, target: "(nu1^2 - 1)/sqrt(2)"}\nloss: correlation',
    'student: {width: 3, activation: "z*relu(z) - 0.5*z"}\nteacher: {width: 2, target: committee, activation: "sign(z)"}\nloss: mse',
  ];
  const zMax = (d: ReturnType<typeof deriveYaml>, model: ReturnType<typeof deriveYaml>['model'], seed: number) => {
    const { p, k } = d.model;
    const { M, Q, P } = randomOverlaps(p, k, seed, 0.5);
    const params = [...d.layout.defaultParams];
    const out = new Float64Array(d.layout.mom.size);
    d.compiled.moments(stateOf({ M, Q, a: d.model.a0 }, d.layout), params, out);
    const got = unpackMoments(out, p, k, d.layout.mom);
    const ref = monteCarloMoments(model, omegaFrom(M, Q, P), d.model.a0, params[d.layout.delta], 300_000, seed);
    const flat = (m: Moments) => [...m.A.flat(), ...m.B.flat(), ...m.V.flat(), ...m.S, m.risk];
    const [g, r, se] = [flat(got), flat(ref), flat(ref.se)];
    return Math.max(...g.map((x, j) => Math.abs(x - r[j]) / Math.max(se[j], 1e-12)));
  };
  it('the comparison has power: moments derived for 1.05·ReLU are rejected against Monte Carlo of ReLU', () => {
    const right = deriveYaml(`name: r\n${models[0]}\n`);
    const wrong = deriveYaml(`name: w\n${models[0].replace('relu(z)', '1.05*relu(z)')}\n`);
    expect(zMax(right, right.model, 40)).toBeLessThan(5);
    expect(zMax(wrong, right.model, 40)).toBeGreaterThan(10);
  });
  for (const [i, body] of models.entries()) {
    it(`model ${i + 1}: ${body.split('\n').slice(0, 2).join(', ')}`, () => {
      const d = deriveYaml(`name: m${i}\n${body}\n`);
      expect(d.plan.backend).toBe('exact');
      const { p, k } = d.model;
      const { M, Q, P } = randomOverlaps(p, k, 40 + i, 0.5);
      const a = d.model.a0;
      const params = [...d.layout.defaultParams];
      const y = stateOf({ M, Q, a }, d.layout);
      const out = new Float64Array(d.layout.mom.size);
      d.compiled.moments(y, params, out);
      const got = unpackMoments(out, p, k, d.layout.mom);
      const ref = monteCarloMoments(d.model, omegaFrom(M, Q, P), a, params[d.layout.delta], 300_000, 17 + i);
      const flat = (m: Moments) => [...m.A.flat(), ...m.B.flat(), ...m.V.flat(), ...m.S, m.risk];
      const [g, r, se] = [flat(got), flat(ref), flat(ref.se)];
      const z = g.map((x, j) => (se[j] > 0 ? Math.abs(x - r[j]) / se[j] : Math.abs(x - r[j]) / 1e-12));
      expect(Math.max(...z), `worst entry ${z.indexOf(Math.max(...z))}: ${g[z.indexOf(Math.max(...z))]} vs ${r[z.indexOf(Math.max(...z))]}`).toBeLessThan(5);
    });
  }
});
