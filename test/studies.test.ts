import { describe, it, expect } from 'vitest';
import { deriveFile, deriveWith } from '../src/pipeline.ts';
import { loadSpecFile } from '../src/spec/load.ts';
import { odeEscape, simEscape, typicalStart, criticalEtaBar, type EscapeSetup } from '../src/studies/escape.ts';
import { fitLine, fitPowerLaw } from '../src/studies/fit.ts';
import { runSweep } from '../src/studies/sweep.ts';
import { integrateOde } from '../src/numeric/integrate.ts';
import { iterateMap } from '../src/numeric/map.ts';
import { stateOf, type Overlaps } from '../src/numeric/trajectory.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { gaussHermite } from '../src/quadrature.ts';
import { planExpectations } from '../src/backends/registry.ts';
import { deriveYaml } from './helpers.ts';
import { studentTQuantileUpper } from '../src/compare/stats.ts';
import { DEFAULT_CHECK } from '../src/compare/compare.ts';

const one = [[1]];

function setup(file: string, d: number, nb: number, etaBar: number, threshold: number, horizonSteps: number, start?: Overlaps): EscapeSetup {
  const der = deriveFile(file);
  const params = [...der.layout.defaultParams];
  params[der.layout.etaBar] = etaBar;
  return { der, d, nb, gamma: (etaBar * nb) / d, params, start: start ?? typicalStart(der, d, one), criterion: { threshold, entry: null }, horizonSteps };
}

describe('fits', () => {
  it('recover a known exponent with a confidence interval that covers it', () => {
    const x = [1, 2, 4, 8, 16, 32];
    const y = x.map((v, i) => 3 * v ** 1.7 * (1 + 0.01 * Math.sin(7 * i)));
    const f = fitPowerLaw(x, y);
    expect(Math.abs(f.slope - 1.7)).toBeLessThan(f.slopeCI95);
    expect(f.slopeCI95).toBeLessThan(0.05);
    expect(fitLine([0, 1, 2], [1, 3, 5]).slope).toBeCloseTo(2, 14);
  });
});

describe('escape from the equator (THEORY §4.1): sample complexity against d', () => {
  const ds = [256, 1024, 4096, 16384, 65536];
  it('ℓ = 1: samples ∝ d (fitted exponent within ±0.1 of 1)', () => {
    const samples = ds.map((d) => odeEscape(setup('derivations/he1-single-index.yaml', d, 1, 0.5, 0.5, 1e12)).samples as number);
    const f = fitPowerLaw(ds, samples);
    expect(Math.abs(f.slope - 1)).toBeLessThan(0.1);
  });

  it('ℓ = 2: samples ∝ d log d — the escape time grows by 1/(2ρ) per unit of ln d, ρ = 2 − ½η̄V(0)', () => {
    // under MSE V(0) = 12 for He2/√2, so η̄ = 0.1 gives ρ = 1.4 (at η̄ = 0.5, ρ < 0: no escape at all)
    const eta = 0.1;
    const der = deriveFile('derivations/he2-single-index.yaml');
    const out = new Float64Array(der.layout.mom.size);
    der.compiled.moments([0, 1], der.layout.defaultParams, out);
    const rho = 2 - 0.5 * eta * out[der.layout.mom.V];
    const big = [1024, 4096, 16384, 65536, 262144];
    expect(rho).toBeCloseTo(1.4, 12);
    const tau = big.map((d) => odeEscape(setup('derivations/he2-single-index.yaml', d, 1, eta, 0.5, Math.round((50 * d) / eta))).tau as number);
    const slope = fitLine(big.map(Math.log), tau).slope;
    expect(Math.abs(slope - 1 / (2 * rho)) / (1 / (2 * rho))).toBeLessThan(0.03);
    const f = fitPowerLaw(big, tau.map((t, i) => (t * big[i]) / eta));
    expect(f.slope).toBeGreaterThan(1.02); // d log d, not d
    expect(f.slope).toBeLessThan(1.2);
  });

  it('ℓ = 3 at η̄ = ½ η̄_crit(m0): samples ∝ d² (fitted exponent within ±0.1 of 2)', () => {
    const samples = ds.map((d) => {
      const s = setup('derivations/he3-single-index.yaml', d, 1, 1, 0.5, 1e15);
      const crit = criticalEtaBar(s.der, stateOf(s.start, s.der.layout), s.params, s.criterion) as number;
      s.params[s.der.layout.etaBar] = 0.5 * crit;
      s.gamma = (0.5 * crit) / d;
      return odeEscape(s).samples as number;
    });
    expect(Math.abs(fitPowerLaw(ds, samples).slope - 2)).toBeLessThan(0.1);
  });

  it('simulation is consistent: ℓ = 1 median escape samples from the reduced simulator scale like the ODE', async () => {
    const small = [256, 1024, 4096];
    const sim: number[] = [];
    const ode: number[] = [];
    for (const d of small) {
      const s = setup('derivations/he1-single-index.yaml', d, 1, 0.5, 0.5, 20 * d);
      ode.push(odeEscape(s).samples as number);
      const r = await simEscape(s, Array.from({ length: 24 }, (_, i) => i + 1), 'reduced', 2, null);
      expect(r.escapedFraction).toBe(1);
      sim.push(r.samples as number);
    }
    const fs = fitPowerLaw(small, sim);
    expect(Math.abs(fs.slope - fitPowerLaw(small, ode).slope)).toBeLessThan(0.15);
    // the cold-start median sits near the ODE from the typical start (within 25 %)
    sim.forEach((s, i) => expect(Math.abs(s / ode[i] - 1)).toBeLessThan(0.25));
  });
});

describe('the critical η̄ (THEORY §2.4)', () => {
  it('He3/√6 from m = 0.3: below η̄_crit the ODE and the simulation escape, above it neither does', async () => {
    const warm: Overlaps = { Q: one, M: [[0.3]], P: one, a: [1] };
    const base = setup('derivations/he3-single-index.yaml', 1000, 1, 1, 0.5, 1, warm);
    const crit = criticalEtaBar(base.der, stateOf(warm, base.der.layout), base.params, base.criterion) as number;
    expect(crit).toBeCloseTo(0.0173, 4); // THEORY §2.4
    for (const [factor, escapes] of [[0.5, true], [2, false]] as const) {
      const eta = factor * crit;
      const s = setup('derivations/he3-single-index.yaml', 1000, 1, eta, 0.5, Math.round((3 * 1000) / eta), warm);
      expect(odeEscape(s).escapedFraction).toBe(escapes ? 1 : 0);
      const r = await simEscape(s, Array.from({ length: 8 }, (_, i) => i + 1), 'reduced', 2, warm);
      if (escapes) expect(r.escapedFraction).toBeGreaterThanOrEqual(0.75);
      else expect(r.escapedFraction).toBeLessThanOrEqual(0.25);
    }
  });
});

describe('batch size at fixed η̄ (first claim of arXiv 2406.02157)', () => {
  it('the trajectory against samples does not depend on n_b: ODE exactly, simulation within errors', async () => {
    const der = deriveFile('derivations/saad-solla-erf.yaml');
    const init: Overlaps = { Q: [[1, 0.1], [0.1, 1]], M: [[0.4, 0.1], [0.1, 0.3]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const d = 1000;
    const eta = 1;
    const samples = 8000;
    const runs = [];
    for (const nb of [1, 8]) {
      const gamma = (eta * nb) / d;
      runs.push(
        await simulate(der, {
          d, nb, steps: samples / nb, seeds: Array.from({ length: 12 }, (_, i) => i + 1), workers: 2, points: 5, logGrid: false, engine: 'full', teacher: 'orthonormal',
          gamma, params: [...der.layout.defaultParams], init, initSource: 'test',
        }),
      );
    }
    const [a, b] = runs;
    expect(a.samples).toEqual(b.samples);
    for (let t = 1; t < a.samples.length; t++)
      for (const [j, l] of [[0, 0], [0, 1], [1, 1]]) {
        const diff = Math.abs(a.mean.Q[t][j][l] - b.mean.Q[t][j][l]);
        expect(diff / Math.hypot(a.sem.Q[t][j][l], b.sem.Q[t][j][l])).toBeLessThan(4);
        const dm = Math.abs(a.mean.M[t][j][l] - b.mean.M[t][j][l]);
        expect(dm / Math.hypot(a.sem.M[t][j][l], b.sem.M[t][j][l])).toBeLessThan(4);
      }
    // the steps fall as 1/n_b at equal samples
    expect(a.steps[a.steps.length - 1] / b.steps[b.steps.length - 1]).toBe(8);
  });
});

describe('large batches: MSE against correlation loss (THEORY §4.2, (A)’s d = 256 experiment)', () => {
  it('map: steps ∝ 1/n_b up to n_b = d^1.5; at n_b = d² MSE fails and the correlation loss learns in a few steps; simulation agrees', async () => {
    const spec = loadSpecFile('derivations/he3-time-complexity.yaml');
    const { points } = await runSweep(
      spec,
      {
        ds: [256], nbs: ['d^1.25', 'd^1.5', 'd^2'], losses: ['mse', 'correlation'], methods: ['map'], seeds: 8, seed: 1,
        criterion: { threshold: 0.9, entry: null }, rate: { kind: 'gamma', text: '0.032*p*nb*d^-1.5' }, horizon: '4000', engine: 'reduced', sets: {}, init: null,
      },
      null,
      2,
    );
    const at = (nb: number, loss: string) => points.find((p) => p.nb === nb && p.loss === loss)!;
    for (const loss of ['mse', 'correlation']) {
      const ratio = (at(1024, loss).steps as number) / (at(4096, loss).steps as number);
      expect(ratio).toBeGreaterThan(3.2); // ~4 = the ratio of batch sizes
      expect(ratio).toBeLessThan(4.8);
    }
    expect(at(65536, 'mse').steps).toBeNull();
    expect(at(65536, 'correlation').steps as number).toBeLessThanOrEqual(10);
    // the simulations agree on which runs learn (reduced simulator, cold starts, 8 seeds)
    const der = deriveWith(spec, { loss: 'correlation' });
    const derMse = deriveFile('derivations/he3-time-complexity.yaml');
    for (const [d0, loss, learns] of [[derMse, 'mse', false], [der, 'correlation', true]] as const) {
      const nb = 65536;
      const gamma = 0.032 * 4 * nb * 256 ** -1.5;
      const params = [...d0.layout.defaultParams];
      params[d0.layout.etaBar] = (gamma * 256) / nb;
      const r = await simEscape(
        { der: d0, d: 256, nb, gamma, params, start: typicalStart(d0, 256, one), criterion: { threshold: 0.9, entry: null }, horizonSteps: 60 },
        Array.from({ length: 8 }, (_, i) => i + 1),
        'reduced',
        2,
        null,
      );
      if (learns) {
        expect(r.escapedFraction, loss).toBe(1);
        expect(r.steps as number).toBeLessThanOrEqual(10);
      } else expect(r.escapedFraction, loss).toBeLessThan(0.5);
    }
  });
});

describe('correlation loss (THEORY §2.5)', () => {
  /** V(m) = E[σ′(λ)² y²], C′(m) = 3m² for the matched He3/√6 pair: the root of (1 − m²)C′ = ½η̄ (a/p) V m. */
  function fixedPoint(eta: number, aOverP: number): number {
    const gh = gaussHermite(24);
    const s = (x: number) => (x ** 3 - 3 * x) / Math.sqrt(6);
    const ds = (x: number) => (3 * x * x - 3) / Math.sqrt(6);
    const V = (m: number) => {
      let v = 0;
      for (let i = 0; i < 24; i++) for (let j = 0; j < 24; j++) {
        const nu = m * gh.x[i] + Math.sqrt(1 - m * m) * gh.x[j];
        v += gh.w[i] * gh.w[j] * ds(gh.x[i]) ** 2 * s(nu) ** 2;
      }
      return v;
    };
    const F = (m: number) => (1 - m * m) * 3 * m * m - 0.5 * eta * aOverP * V(m) * m;
    let lo = 0.5;
    let hi = 0.999999;
    for (let it = 0; it < 100; it++) {
      const mid = 0.5 * (lo + hi);
      if (F(mid) > 0) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  }

  it('the ODE settles at m* < 1 and the neurons align (Q₁₂ → 1), unlike MSE; the simulation matches m*', async () => {
    const der = deriveFile('derivations/he3-correlation.yaml');
    const start: Overlaps = { Q: [[1, 0.2], [0.2, 1]], M: [[0.6], [0.5]], P: one, a: [1, 1] };
    for (const eta of [0.05, 0.1]) {
      const mStar = fixedPoint(eta, 0.5);
      expect(mStar).toBeLessThan(0.999);
      const params = [...der.layout.defaultParams];
      params[der.layout.etaBar] = eta;
      const sol = integrateOde(der.compiled, der.layout, stateOf(start, der.layout), params, { grid: [0, 400], P: one, aFixed: [1, 1] });
      const [m1, m2, , q12] = sol.y[1];
      expect(Math.abs(m1 - mStar)).toBeLessThan(1e-6);
      expect(Math.abs(m2 - mStar)).toBeLessThan(1e-6);
      expect(q12).toBeGreaterThan(1 - 1e-6);
    }
    // MSE on a two-direction committee: the neurons specialise (each to its own teacher direction) and
    // stay distinct. (With a single-index target the MSE optimum also has every neuron on w*.)
    const mse = deriveYaml(`name: t
student: {width: 2, activation: "He3(z)/sqrt(6)"}
teacher: {width: 2, target: committee, activation: "He3(z)/sqrt(6)"}
dynamics: spherical`);
    const params = [...mse.layout.defaultParams];
    params[mse.layout.etaBar] = 0.05;
    const two: Overlaps = { Q: [[1, 0.2], [0.2, 1]], M: [[0.6, 0.3], [0.3, 0.5]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const solMse = integrateOde(mse.compiled, mse.layout, stateOf(two, mse.layout), params, { grid: [0, 400], P: two.P, aFixed: [1, 1] });
    const [, , , , , q12] = solMse.y[1];
    expect(Math.abs(q12)).toBeLessThan(0.1);
    // simulation from near the fixed point goes there (d = 1000, reduced simulator), judged as in THEORY §2.8:
    // |mean − m*| ≤ t_{S−1}(1 − α/2)·SEM + c1/d + c2·γ for this one comparison
    const eta = 0.1;
    const mStar = fixedPoint(eta, 0.5);
    const d = 1000;
    const S = 16;
    const init: Overlaps = { Q: [[1, 0.95], [0.95, 1]], M: [[mStar - 0.05], [mStar - 0.05]], P: one, a: [1, 1] };
    const sim = await simulate(der, {
      d, nb: 1, steps: Math.round(20 / (eta / d)), seeds: Array.from({ length: S }, (_, i) => i + 1), workers: 2, points: 4, logGrid: false, engine: 'reduced',
      teacher: 'orthonormal', gamma: eta / d, params: [...der.layout.defaultParams], init, initSource: 'test',
    });
    const last = sim.mean.M.length - 1;
    const q = studentTQuantileUpper(DEFAULT_CHECK.alpha / 2, S - 1);
    expect(Math.abs(sim.mean.M[last][0][0] - mStar)).toBeLessThan(q * sim.sem.M[last][0][0] + DEFAULT_CHECK.c1 / d + DEFAULT_CHECK.c2 * (eta / d));
    // and the check would see a fixed point of the wrong η̄ (m* at η̄ × 1.5)
    expect(Math.abs(sim.mean.M[last][0][0] - fixedPoint(1.5 * eta, 0.5))).toBeGreaterThan(q * sim.sem.M[last][0][0] + DEFAULT_CHECK.c1 / d + DEFAULT_CHECK.c2 * (eta / d));
  });
});

describe('the finite-step map', () => {
  it('reduces to the Euler step of the ODE as γ → 0, and keeps ‖w‖ = 1 when projected', () => {
    const der = deriveFile('derivations/saad-solla-erf.yaml');
    const y0 = stateOf({ Q: [[1, 0.2], [0.2, 0.8]], M: [[0.5, 0.2], [0.1, 0.4]], a: [1, 1] }, der.layout);
    const params = [...der.layout.defaultParams];
    const d = 1000;
    const nb = 1;
    const gamma = 1e-6;
    params[der.layout.etaBar] = (gamma * d) / nb;
    const r = iterateMap(der.compiled, der.layout, y0, params, { gamma, d, nb, steps: 1, P: [[1, 0], [0, 1]], aFixed: [1, 1], dynamics: 'plain' });
    const dy = new Float64Array(y0.length);
    der.compiled.rhs(0, y0, params, dy);
    r.y[1].forEach((v, i) => expect(Math.abs((v - y0[i]) / gamma - dy[i])).toBeLessThan(1e-5));
    const proj = deriveWith(loadSpecFile('derivations/saad-solla-erf.yaml'), { dynamics: 'projected' });
    const rp = iterateMap(proj.compiled, proj.layout, stateOf({ Q: [[1, 0.2], [0.2, 1]], M: [[0.5, 0.2], [0.1, 0.4]], a: [1, 1] }, proj.layout), params, {
      gamma: 0.5, d, nb: 2000, steps: 5, P: [[1, 0], [0, 1]], aFixed: [1, 1], dynamics: 'projected',
    });
    for (const y of rp.y) {
      expect(y[4]).toBeCloseTo(1, 12);
      expect(y[6]).toBeCloseTo(1, 12);
    }
  });

  for (const dynamics of ['plain', 'projected'] as const)
    it(`follows the simulation mean at γ = 0.5, n_b = 2d (${dynamics})`, async () => {
      const der = deriveWith(loadSpecFile('derivations/saad-solla-erf.yaml'), { dynamics });
      // projected dynamics keep ‖w_j‖ = 1, so the start has Q_jj = 1
      const init: Overlaps = { Q: [[1, 0.2], [0.2, dynamics === 'plain' ? 0.8 : 1]], M: [[0.5, 0.2], [0.1, 0.4]], P: [[1, 0], [0, 1]], a: [1, 1] };
      const [d, nb, gamma] = [200, 400, 0.5];
      const params = [...der.layout.defaultParams];
      params[der.layout.etaBar] = (gamma * d) / nb;
      const r = iterateMap(der.compiled, der.layout, stateOf(init, der.layout), params, { gamma, d, nb, steps: 3, P: init.P, aFixed: [1, 1], dynamics });
      const sim = await simulate(der, {
        d, nb, steps: 3, seeds: Array.from({ length: 60 }, (_, i) => i + 1), workers: 2, points: 4, logGrid: false, engine: 'full', teacher: 'orthonormal',
        gamma, params, init, initSource: 'test',
      });
      for (let t = 1; t <= 3; t++) {
        const y = r.y[t];
        expect(Math.abs(y[0] - sim.mean.M[t][0][0]) / sim.sem.M[t][0][0]).toBeLessThan(4);
        expect(Math.abs(y[5] - sim.mean.Q[t][0][1]) / sim.sem.Q[t][0][1]).toBeLessThan(4);
        if (dynamics === 'plain') expect(Math.abs(y[4] - sim.mean.Q[t][0][0]) / sim.sem.Q[t][0][0]).toBeLessThan(4);
        else expect(sim.mean.Q[t][0][0]).toBeCloseTo(1, 12);
      }
    });
});

describe('pair-exponent warnings (THEORY §3.2, §5)', () => {
  it('warn for ReLU on an odd target of exponent 3 and tanh on He2, not for matched pairs', () => {
    const warn = (s: string, t: string) =>
      planExpectations(deriveYaml(`name: t\nstudent: {width: 1, activation: "${s}"}\nteacher: {width: 1, target: committee, activation: "${t}"}`).model)
        .notes.filter((n) => n.startsWith('warning'))
        .join(' ');
    expect(warn('relu(z)', 'He3(z)/sqrt(6)')).toMatch(/no drift/);
    expect(warn('tanh(z)', 'He2(z)/sqrt(2)')).toMatch(/no drift/);
    expect(warn('erf(z/sqrt(2))', 'He2(z) + He1(z)')).toBe('');
    expect(warn('He3(z) + He1(z)', 'He2(z) + He3(z)')).toMatch(/pair exponent 3 exceeds the target's information exponent 2/);
    expect(warn('He3(z)/sqrt(6)', 'He3(z)/sqrt(6)')).toBe('');
  });
});
