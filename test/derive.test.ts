import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, existsSync, mkdirSync, cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deriveFile, deriveAnyFile, odeModule, type Derivation } from '../src/pipeline.ts';
import { monteCarloMoments, unpackMoments } from '../src/gaussian/reference.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { integrateOde, rk4 } from '../src/numeric/integrate.ts';
import { defaultOverlaps } from '../src/numeric/setup.ts';
import { gaussHermite } from '../src/quadrature.ts';
import { randomOverlaps, omegaFrom, deriveYaml, tmp, rhsAgainstDefinitions } from './helpers.ts';

const derivations = readdirSync('derivations').filter((f) => f.endsWith('.yaml'));

describe('generated/ is in sync with derivations/', () => {
  for (const f of derivations) {
    it(`${f}`, () => {
      const g = deriveAnyFile(join('derivations', f));
      const cmd = `npx hermode derive derivations/${f}`;
      expect(Object.keys(g.files).sort()).toEqual(['.c', '.h', '.py', '.tex', '.ts', '.wasm']);
      for (const [suffix, content] of Object.entries(g.files)) {
        const path = `generated/${g.name}${suffix}`;
        const same = existsSync(path) && (typeof content === 'string' ? readFileSync(path, 'utf8') === content : Buffer.from(content).equals(readFileSync(path)));
        expect(same, `${path} is missing or stale: run ${cmd}`).toBe(true);
      }
    });
  }

  it('the committed modules compute what the in-memory compilation computes', async () => {
    for (const f of derivations.filter((x) => !readFileSync(join('derivations', x), 'utf8').includes('kind: parameter-dynamics'))) {
      const d = deriveFile(join('derivations', f));
      const mod = await import(pathToFileURL(join(process.cwd(), `generated/${d.model.name}.ts`)).href);
      const { M, Q } = randomOverlaps(d.model.p, d.model.k, 3);
      const y = stateOf({ M, Q, a: d.model.a0.map((a) => a * 0.9) }, d.layout);
      const p = [...d.layout.defaultParams];
      const a = new Float64Array(y.length);
      const b = new Float64Array(y.length);
      mod.rhs(0, y, p, a);
      d.compiled.rhs(0, y, p, b);
      expect([...a]).toEqual([...b]);
      expect(mod.stateNames).toEqual(d.layout.stateNames);
    }
  });
});

interface Case {
  name: string;
  yaml: string;
  nodes: number;
  tol: number;
}

const committee = (act: string, extra = '') => `name: t
student: {width: 2, activation: "${act}", second_layer: {train: false, init: [0.7, 1.4]}}
teacher: {width: 2, target: committee, activation: "${act}", weights: [1, 0.6]}
${extra}`;

const cases: Case[] = [
  { name: 'erf committee (closed forms)', yaml: committee('erf(z/sqrt(2))', 'noise: 0.1'), nodes: 26, tol: 1e-8 },
  { name: 'scaled erf family, correlation loss, projected', yaml: committee('1.5*erf(0.4*z)', 'loss: correlation\ndynamics: projected'), nodes: 22, tol: 1e-8 },
  {
    name: 'erf student on scaled erf teacher, trained second layer, spherical',
    yaml: `name: t
student: {width: 2, activation: "erf(z/sqrt(2))", second_layer: {train: true}}
teacher: {width: 1, target: committee, activation: "2*erf(z)"}
dynamics: spherical
noise: 0.05`,
    nodes: 50,
    tol: 1e-8,
  },
  { name: 'polynomial committee (Wick)', yaml: committee('He3(z)/sqrt(6) + 0.5*z', 'noise: 0.2'), nodes: 12, tol: 1e-9 },
  {
    name: 'general polynomial target (Wick), trained second layer',
    yaml: `name: t
student: {width: 2, activation: "z + z^2/2", second_layer: {train: true, init: [1, -0.5]}}
teacher: {width: 2, target: "nu1 + nu1*nu2 - He2(nu2)/3"}
noise: 0.3`,
    nodes: 10,
    tol: 1e-9,
  },
  {
    name: 'general target, correlation loss, spherical (Wick)',
    yaml: `name: t
student: {width: 3, activation: "He2(z)/sqrt(2) + He3(z)/sqrt(6)"}
teacher: {width: 1, target: "He3(nu1)/sqrt(6) + 0.2*nu1"}
loss: correlation
dynamics: spherical`,
    nodes: 10,
    tol: 1e-9,
  },
  {
    name: 'tanh student on a non-polynomial target (quadrature)',
    yaml: `name: t
student: {width: 2, activation: "tanh(z)", second_layer: {train: true}}
teacher: {width: 1, target: "sin(nu1) + 0.3*nu1^2"}
noise: 0.1`,
    nodes: 44,
    tol: 2e-7,
  },
];

describe('generated right-hand side equals the ODE of THEORY §2.3 built from the defining expectations', () => {
  for (const c of cases) {
    it(c.name, () => rhsAgainstDefinitions(deriveYaml(c.yaml), c.nodes, c.tol));
  }

  it('ReLU committee moments agree with Monte Carlo (z-scores)', () => {
    const d = deriveYaml(committee('relu(z)', 'noise: 0.1'));
    const { M, Q, P } = randomOverlaps(2, 2, 8);
    const a = [0.7, 1.4];
    const params = [...d.layout.defaultParams];
    const out = new Float64Array(d.layout.mom.size);
    d.compiled.moments(stateOf({ M, Q, a }, d.layout), params, out);
    const gen = unpackMoments(out, 2, 2, d.layout.mom);
    const ref = monteCarloMoments(d.model, omegaFrom(M, Q, P), a, params[d.layout.delta], 400_000, 5);
    const z: number[] = [];
    gen.A.forEach((r, j) => r.forEach((x, t) => z.push((x - ref.A[j][t]) / ref.se.A[j][t])));
    gen.B.forEach((r, j) => r.forEach((x, t) => z.push((x - ref.B[j][t]) / ref.se.B[j][t])));
    gen.V.forEach((r, j) => r.forEach((x, t) => z.push((x - ref.V[j][t]) / ref.se.V[j][t])));
    gen.S.forEach((x, j) => z.push((x - ref.S[j]) / ref.se.S[j]));
    for (const v of z) expect(Math.abs(v)).toBeLessThan(4.5);
  });

  it('hermite:K is the exact ODE of the Hermite-truncated model, and approaches the original as K grows', () => {
    const yaml = committee('erf(z/sqrt(2))', 'dynamics: spherical');
    const exact = deriveYaml(yaml);
    const M = [[0.5, 0.1], [0.2, -0.4]];
    const Q = [[1, 0.3], [0.3, 1]];
    const y = stateOf({ M, Q, a: [0.7, 1.4] }, exact.layout);
    const mom = (d: Derivation) => {
      const out = new Float64Array(d.layout.mom.size);
      d.compiled.moments(y, d.layout.defaultParams, out);
      return out;
    };
    const e = mom(exact);
    // c1 = 1/√π, c3 = −1/(12√π): the order-3 truncation written out as a polynomial, derived by Wick
    const c1 = 1 / Math.sqrt(Math.PI);
    const c3 = -1 / (12 * Math.sqrt(Math.PI));
    const written = mom(deriveYaml(committee(`${c1}*z + ${c3}*He3(z)`, 'dynamics: spherical')));
    const h3 = mom(deriveYaml(yaml, 'hermite:3'));
    h3.forEach((v, i) => expect(Math.abs(v - written[i])).toBeLessThan(1e-12));
    const err = (h: Float64Array) => Math.max(...[...h].map((v, i) => Math.abs(v - e[i])));
    const e5 = err(mom(deriveYaml(yaml, 'hermite:5')));
    expect(e5).toBeLessThan(err(h3));
    expect(e5).toBeLessThan(5e-3);
  });
});

describe('single-neuron reduction (THEORY §2.4)', () => {
  for (const ell of [1, 2, 3, 4]) {
    for (const loss of ['mse', 'correlation']) {
      it(`He${ell}/√${ell}! pair, ${loss}: dm/dτ = ℓ m^{ℓ−1}(1 − m²) − ½ η̄ V(m) m and dQ/dτ = 0`, () => {
        const fact = [1, 1, 2, 6, 24][ell];
        const f = `He${ell}(z)/sqrt(${fact})`;
        const d = deriveYaml(`name: t
student: {width: 1, activation: "${f}"}
teacher: {width: 1, target: committee, activation: "${f}"}
loss: ${loss}
dynamics: spherical`);
        const he = (x: number) => [1, x, x * x - 1, x ** 3 - 3 * x, x ** 4 - 6 * x * x + 3][ell] / Math.sqrt(fact);
        const dhe = (x: number) => [0, 1, 2 * x, 3 * x * x - 3, 4 * x ** 3 - 12 * x][ell] / Math.sqrt(fact);
        const gh = gaussHermite(20);
        for (const m of [0.05, 0.3, 0.7, 0.95]) {
          // V(m) = E[σ′(λ)² e²] with (λ, ν) of correlation m: 2-D Gauss–Hermite, exact for these polynomials
          let V = 0;
          for (let i = 0; i < 20; i++)
            for (let j = 0; j < 20; j++) {
              const lam = gh.x[i];
              const nu = m * gh.x[i] + Math.sqrt(1 - m * m) * gh.x[j];
              const e = loss === 'mse' ? he(nu) - he(lam) : he(nu);
              V += gh.w[i] * gh.w[j] * dhe(lam) ** 2 * e * e;
            }
          const eta = 0.3;
          const params = [...d.layout.defaultParams];
          params[d.layout.etaBar] = eta;
          const dy = new Float64Array(2);
          d.compiled.rhs(0, [m, 1], params, dy);
          const want = ell * m ** (ell - 1) * (1 - m * m) - 0.5 * eta * V * m;
          expect(Math.abs(dy[0] - want)).toBeLessThan(1e-11 * (1 + Math.abs(want)));
          expect(Math.abs(dy[1])).toBeLessThan(1e-11);
        }
      });
    }
  }

  it('reproduces THEORY’s He3/√6 numbers: V(0) = 96 vs 3, η̄_crit(0.3) = 0.0173 vs 0.245', () => {
    const num = (loss: string) => {
      const d = deriveYaml(`name: t
student: {width: 1, activation: "He3(z)/sqrt(6)"}
teacher: {width: 1, target: committee, activation: "He3(z)/sqrt(6)"}
loss: ${loss}
dynamics: spherical`);
      const out = new Float64Array(d.layout.mom.size);
      const V = (m: number) => (d.compiled.moments([m, 1], d.layout.defaultParams, out), out[d.layout.mom.V]);
      const crit = (m: number) => (2 * (1 - m * m) * 3 * m * m) / (V(m) * m);
      return { V0: V(0), crit: crit(0.3) };
    };
    const mse = num('mse');
    const corr = num('correlation');
    expect(mse.V0).toBeCloseTo(96, 10);
    expect(corr.V0).toBeCloseTo(3, 10);
    expect(mse.crit).toBeCloseTo(0.0173, 4);
    expect(corr.crit).toBeCloseTo(0.245, 3);
  });
});

describe('integration', () => {
  it('odex on saad-solla-erf agrees with an independent fine-step RK4 of the same right-hand side', () => {
    const d = deriveFile('derivations/saad-solla-erf.yaml');
    const init = defaultOverlaps(d.model, 1);
    const y0 = stateOf(init, d.layout);
    const params = [...d.layout.defaultParams];
    const sol = integrateOde(d.compiled, d.layout, y0, params, { grid: [0, 15, 30], rtol: 1e-11, atol: 1e-13, P: init.P, aFixed: init.a });
    expect(sol.status).toBe('completed');
    const ref = rk4(d.compiled, y0, params, 30, 0.005);
    sol.y[2].forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1e-9));
    // and RK4 converges at fourth order: halving dt divides the error by ~16
    const e1 = Math.max(...rk4(d.compiled, y0, params, 30, 0.2).map((v, i) => Math.abs(v - sol.y[2][i])));
    const e2 = Math.max(...rk4(d.compiled, y0, params, 30, 0.1).map((v, i) => Math.abs(v - sol.y[2][i])));
    expect(e1 / e2).toBeGreaterThan(12);
    expect(e1 / e2).toBeLessThan(20);
  });

  it('locates events on the dense output', () => {
    const d = deriveFile('derivations/he3-single-index.yaml');
    const params = [...d.layout.defaultParams];
    params[d.layout.etaBar] = 0;
    // η̄ = 0: dm/dτ = 3m²(1 − m²) ⇒ τ(m) = ∫ dm / (3m²(1−m²)) = [−1/(3m) + atanh(m)/3]
    const T = (m: number) => -1 / (3 * m) + Math.atanh(m) / 3;
    const sol = integrateOde(d.compiled, d.layout, [0.1, 1], params, {
      grid: [0, 10],
      P: [[1]],
      aFixed: [1],
      rtol: 1e-12,
      atol: 1e-14,
      events: [{ name: 'm=0.5', g: (y) => y[0] - 0.5, terminal: true }],
    });
    expect(sol.status).toBe('event');
    expect(Math.abs(sol.events[0].tau - (T(0.5) - T(0.1)))).toBeLessThan(1e-9);
  });
});

describe('generated LaTeX compiles as written', () => {
  // pdflatex rejects Unicode in prose and fused macros such as \sigmag or \cdotb (KaTeX is lenient
  // about both); every generated .tex is therefore ASCII and uses only known control sequences.
  const known = new Set(
    'frac sigma ensuremath lambda end begin nu sum cdot mathbb top tau Delta sqrt eta bar partial Big big qquad quad subsection section right left Lambda mathrm usepackage gamma Omega pi varepsilon documentclass allowdisplaybreaks xi theta sim dots operatorname arcsin arccos surd in varphi tfrac setminus rho Phi to nabla le ge neq kappa tanh zeta approx text prod int dot alpha beta delta mu Delta infty times textbackslash textasciicircum log exp sin cos tan sinh cosh arctan max min'.split(' '),
  );
  for (const f of derivations) {
    it(f, () => {
      const g = deriveAnyFile(join('derivations', f));
      const body = (g.files['.tex'] as string).split('\n').filter((l) => !l.startsWith('%')).join('\n');
      expect(body).toMatch(/^[\x00-\x7F]*$/);
      // subscripts in prose are typeset as mathematics, not printed as escaped characters
      expect(body).not.toMatch(/\\_|textasciicircum/);
      const unknown = [...body.matchAll(/\\([a-zA-Z]+)/g)].map((m) => m[1]).filter((c) => !known.has(c));
      expect(unknown).toEqual([]);
    });
  }
});

describe('a current generated/X.ts is used as it is', () => {
  const overlap = derivations.filter((x) => !readFileSync(join('derivations', x), 'utf8').includes('kind: parameter-dynamics'));
  for (const f of overlap) {
    it(`${f}: odeModule loads generated/ (no derivation) and computes what deriving computes`, () => {
      const m = odeModule(join('derivations', f));
      expect('equations' in m, 'loaded from generated/, not derived').toBe(false);
      const d = deriveFile(join('derivations', f));
      expect(m.layout).toEqual(d.layout);
      expect(m.plan.label).toBe(d.plan.label);
      const { M, Q } = randomOverlaps(d.model.p, d.model.k, 11);
      const y = stateOf({ M, Q, a: d.model.a0 }, d.layout);
      const a = new Float64Array(y.length);
      const b = new Float64Array(y.length);
      m.compiled.rhs(0, y, d.layout.defaultParams, a);
      d.compiled.rhs(0, y, d.layout.defaultParams, b);
      expect([...a]).toEqual([...b]);
    });
  }

  it('a spec that changed since generation, or an expectations override, derives afresh', () => {
    const dir = tmp('hermode-stale-');
    mkdirSync(join(dir, 'derivations'));
    cpSync('generated', join(dir, 'generated'), { recursive: true });
    const text = readFileSync('derivations/saad-solla-erf.yaml', 'utf8');
    writeFileSync(join(dir, 'derivations', 'saad-solla-erf.yaml'), text.replace('noise: 0', 'noise: 0.01'));
    const changed = odeModule(join(dir, 'derivations', 'saad-solla-erf.yaml'));
    expect('equations' in changed).toBe(true);
    expect(changed.layout.defaultParams[changed.layout.delta]).toBe(0.01);
    writeFileSync(join(dir, 'derivations', 'saad-solla-erf.yaml'), text);
    expect('equations' in odeModule(join(dir, 'derivations', 'saad-solla-erf.yaml'))).toBe(false);
    expect('equations' in odeModule(join(dir, 'derivations', 'saad-solla-erf.yaml'), 'quadrature:8')).toBe(true);
  });
});
