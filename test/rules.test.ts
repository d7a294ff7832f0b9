/**
 * Learning-rate and batch-size rules (THEORY §4.5–§4.7): the overlap-level rates against an
 * independent evaluation, the ODE against simulation under LARS, CBLR's curvature, AdaDamp and a
 * batch schedule (each with a wrong variant rejected), MCLR's median, the clock columns, and bad input.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveFile } from '../src/pipeline.ts';
import { stateOf, type Overlaps } from '../src/numeric/trajectory.ts';
import { runIntegration, runMap } from '../src/numeric/run.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { compare } from '../src/compare/compare.ts';
import { OverlapRules, gradientStats, cblrCurvature, mclrMedian, derivativeGram, gradientGram, type RuleContext } from '../src/numeric/rules.ts';
import { resolveRules, type Rules } from '../src/rules/spec.ts';
import { adaptiveTable } from '../src/studies/adaptive.ts';
import { diagnose } from '../src/studies/diagnose.ts';
import { Rng } from '../src/random/rng.ts';
import { cli, tmp, deriveYaml } from './helpers.ts';
import { inverse } from './onestep.ts';
import { keptMoments, keptCount, discardMoments, discardAccuracy } from '../src/gaussian/discard.ts';

const erf = deriveFile('derivations/saad-solla-erf.yaml');
const noisy = deriveFile('derivations/erf-adaptive.yaml');
const warm: Overlaps = { M: [[0.5, 0.1], [0.05, 0.45]], Q: [[1, 0.1], [0.1, 1]], P: [[1, 0], [0, 1]], a: [1, 1] };
const warm2: Overlaps = { M: [[0.3, 0.05], [0.02, 0.25]], Q: [[1, 0.05], [0.05, 1]], P: [[1, 0], [0, 1]], a: [1, 1] };
const rulesOf = (o: { lrRule?: string; batchRule?: string; batchSchedule?: string; lrSchedule?: string }, sets: Record<string, string>): Rules => resolveRules(o, sets);
const ctxOf = (der: typeof erf, d: number, extra: Partial<RuleContext> = {}): RuleContext => ({ gm: der.compiled, L: der.layout, d, P: warm.P, aFixed: warm.a, params: [...der.layout.defaultParams], loss: der.model.loss, ...extra });

/** LARS's γ at a state from the generated moments, G from an explicit Ω⁻¹ (THEORY §4.6). */
function larsIndependent(o: Overlaps, d: number, nb: number, gamma0: number): number {
  const L = erf.layout;
  const mom = new Float64Array(L.mom.size);
  erf.compiled.moments(stateOf(o, L), L.defaultParams, mom);
  const p = 2;
  const k = 2;
  const Om = [...o.Q.map((r, j) => [...r, ...o.M[j]]), ...o.P.map((r, t) => [...o.M.map((m) => m[t]), ...r])];
  const Oi = inverse(Om);
  const v = [0, 1].map((j) => [...[0, 1].map((l) => mom[L.mom.B + j * p + l]), ...[0, 1].map((r) => mom[L.mom.A + j * k + r])]);
  const G = (j: number) => v[j].reduce((s, x, i) => s + x * Oi[i].reduce((u, z, c) => u + z * v[j][c], 0), 0);
  const c = o.a.map((a) => a / p);
  const g2 = [0, 1].reduce((s, j) => s + c[j] ** 2 * ((d / nb) * mom[L.mom.V + j * p + j] + (1 - 1 / nb) * G(j)), 0);
  return (gamma0 * Math.sqrt(o.Q[0][0] + o.Q[1][1])) / Math.sqrt(g2);
}

describe('rates at the level of the overlaps', () => {
  it('LARS inside the ODE: γ_t at every saved state equals an independent evaluation, and steps = ∫ dτ/γ_t', () => {
    const rules = rulesOf({ lrRule: 'lars' }, { gamma0: '0.05' });
    const traj = runIntegration(erf, { tauEnd: 4, points: 401, init: warm, rules, d: 1000, nb: 10 });
    expect(traj.status).toBe('completed');
    for (const i of [0, 100, 400]) {
      const o = { M: traj.M[i], Q: traj.Q[i], P: warm.P, a: warm.a };
      expect(Math.abs((traj.gamma as number[])[i] / larsIndependent(o, 1000, 10, 0.05) - 1)).toBeLessThan(1e-12);
    }
    // trapezoid of 1/γ over the saved grid against the integrated steps; samples = n_b·steps (constant batch)
    let steps = 0;
    for (let i = 1; i < traj.tau.length; i++) steps += (0.5 * (traj.tau[i] - traj.tau[i - 1]) * (1 / traj.gamma![i] + 1 / traj.gamma![i - 1]));
    expect(Math.abs(steps / traj.steps![400] - 1)).toBeLessThan(1e-5);
    expect(Math.abs(traj.samples![400] / (10 * traj.steps![400]) - 1)).toBeLessThan(1e-9);
    // a wrong rate (γ0 × 1.2) is seen
    expect(Math.abs(traj.gamma![0] / larsIndependent(warm, 1000, 10, 0.06) - 1)).toBeGreaterThan(0.1);
  });

  it('γ_t ∝ √(n_b/d) for LARS while noise dominates; CBLR’s rate stays O(1) as d grows (THEORY §4.6)', () => {
    const y = stateOf(warm, erf.layout);
    const at = (lr: string, d: number, nb: number) => new OverlapRules(rulesOf({ lrRule: lr }, { gamma0: '0.05' }), ctxOf(erf, d, { nb })).at(0, 0, y).gamma;
    expect(Math.abs(at('lars', 10000, 100) / at('lars', 1000, 10) - 1)).toBeLessThan(0.01);
    expect(Math.abs(at('lars', 100000, 10) / at('lars', 1000, 10) - 0.1)).toBeLessThan(0.002);
    expect(Math.abs(at('cblr', 100000, 10) / at('cblr', 1000, 10) - 1)).toBeLessThan(0.002);
    // gamma_max caps the rate (CBLR's is 0.375 here)
    const capped = new OverlapRules(rulesOf({ lrRule: 'cblr' }, { gamma0: '0.05', gamma_max: '0.2' }), ctxOf(erf, 1000, { nb: 10 })).at(0, 0, y).gamma;
    expect(capped).toBe(0.2);
  });

  it('LARS is CBLR where the gradient is the curvature times the weights; they part by √(1 + n_b*/n_b) (linear student, THEORY §4.6)', () => {
    const lin = deriveFile('derivations/he1-single-index.yaml');
    // the loss ½‖w − w*‖² (a = 1) has Hessian I: CBLR's κ is exactly 1 in every direction
    for (const [q, nb, expectRatio] of [
      [1e4, 1e9, 1],
      [1e4, 1000, Math.SQRT2],
      [1e4, 10, Math.sqrt(101)],
    ] as const) {
      const o = { M: [[0.1]], Q: [[q]], P: [[1]], a: [1] };
      const ctx: RuleContext = { gm: lin.compiled, L: lin.layout, d: 1000, P: o.P, aFixed: o.a, params: [...lin.layout.defaultParams], loss: 'mse' };
      const y = stateOf(o, lin.layout);
      const s = gradientStats(ctx, y);
      const kc = cblrCurvature(ctx, y, s, nb);
      expect(Math.abs(kc - 1)).toBeLessThan(1e-12);
      const larsKappa = Math.sqrt(s.c[0] ** 2 * ((1000 / nb) * s.V[0][0] + (1 - 1 / nb) * s.G[0][0])) / Math.sqrt(q);
      expect(Math.abs(larsKappa / kc / expectRatio - 1)).toBeLessThan(2e-3);
    }
  });

  it('MCLR’s median secant ratio: √2 for pure noise, √(1 + ρ²) for a noise ratio ρ — against Monte Carlo', () => {
    expect(Math.abs(mclrMedian([{ sPrev2: 1, sNow2: 1, m2: 0 }]) - Math.SQRT2)).toBeLessThan(1e-12);
    const rng = new Rng(7, 3);
    for (const rho of [0.5, 2]) {
      const n = 200001;
      const r = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const y = rng.normal();
        r[i] = Math.abs(rho * rng.normal() - y) / Math.abs(y);
      }
      r.sort();
      const mc = r[(n - 1) / 2];
      expect(Math.abs(mclrMedian([{ sPrev2: 1, sNow2: rho * rho, m2: 0 }]) - Math.sqrt(1 + rho * rho))).toBeLessThan(1e-12);
      expect(Math.abs(mc / Math.sqrt(1 + rho * rho) - 1)).toBeLessThan(0.01);
    }
  });
});

describe('theory against simulation under rules', () => {
  it('CBLR’s high-d curvature matches the simulated finite-difference curvature at d = 10³ and 10⁴; the Gauss–Newton part alone is rejected', async () => {
    const rules = rulesOf({ lrRule: 'cblr' }, { gamma0: '0.5' });
    const y = stateOf(warm, erf.layout);
    for (const d of [1000, 10000]) {
      const ctx = ctxOf(erf, d);
      const s = gradientStats(ctx, y);
      const theory = cblrCurvature(ctx, y, s, 100);
      const sim = await simulate(erf, { d, nb: 100, steps: 1, points: 2, seeds: Array.from({ length: 160 }, (_, i) => 1 + i), gamma: NaN, params: [...erf.layout.defaultParams], init: warm, engine: 'reduced', workers: 2, rules });
      const k = sim.seeds.map((t) => 0.5 / (t.gamma as number[])[0]);
      const m = k.reduce((a, b) => a + b, 0) / k.length;
      const sem = Math.sqrt(k.reduce((a, b) => a + (b - m) ** 2, 0) / (k.length - 1) / k.length);
      expect(Math.abs(m - theory) / sem).toBeLessThan(4);
      // without the −E[σ″e] term (Gauss–Newton only) the curvature is off by many standard errors
      const J = derivativeGram(ctx, y);
      const N = gradientGram(s, d, 100);
      const gnOnly = [0, 1].reduce((acc, j) => acc + [0, 1].reduce((u, l) => u + s.c[j] * s.c[l] * J[j][l] * N[j][l], 0), 0) / (N[0][0] + N[1][1]);
      expect(Math.abs(m - gnOnly) / sem).toBeGreaterThan(6);
      expect(Math.abs(cblrCurvature(ctx, y, s, 100, J, true) / gnOnly - 1)).toBeLessThan(1e-12);
      // gauss_newton=1: THEORY §4.6's leading order, in theory and in the simulators (mean of (uᵀ∇f)² on fresh samples)
      if (d === 1000) {
        const gnRules = rulesOf({ lrRule: 'cblr' }, { gamma0: '0.5', gauss_newton: '1' });
        const gn = await simulate(erf, { d, nb: 100, steps: 1, points: 2, seeds: Array.from({ length: 160 }, (_, i) => 1 + i), gamma: NaN, params: [...erf.layout.defaultParams], init: warm, engine: 'reduced', workers: 2, rules: gnRules });
        const kg = gn.seeds.map((t) => 0.5 / (t.gamma as number[])[0]);
        const mg = kg.reduce((a, b) => a + b, 0) / kg.length;
        const sg = Math.sqrt(kg.reduce((a, b) => a + (b - mg) ** 2, 0) / (kg.length - 1) / kg.length);
        expect(Math.abs(mg - gnOnly) / sg).toBeLessThan(4);
      }
    }
  });

  it('LARS inside the ODE tracks simulation against steps, better as d grows (n_b = d/100); τ = Σγ_t runs ahead by O(1/n_b)', async () => {
    const rules = rulesOf({ lrRule: 'lars' }, { gamma0: '0.01' });
    const gaps: { m: number; tau: number }[] = [];
    for (const d of [1000, 10000]) {
      const sim = await simulate(erf, { d, nb: d / 100, steps: 4000, points: 9, seeds: Array.from({ length: 16 }, (_, i) => 1 + i), gamma: NaN, params: [...erf.layout.defaultParams], init: warm, engine: 'reduced', workers: 2, rules });
      const c = compare(erf, sim);
      const mGap = Math.max(...c.series.filter((s) => s.family === 'M').flatMap((s) => s.ode.map((v, i) => Math.abs(v - s.mean[i]))));
      const last = sim.steps.length - 1;
      gaps.push({ m: mGap, tau: Math.abs(sim.mean.tau[last] / c.ode.tau[last] - 1) });
      if (d === 10000) {
        for (const e of c.agreement.entries.filter((x) => /^[MQ]_|risk/.test(x.entry))) expect(e.pass, e.entry).toBe(true);
        // power: the same check rejects an ODE whose LARS rate is γ0 × 1.2
        const wrong = compare(erf, { ...sim, meta: { ...sim.meta, ruleSpec: { ...rules, lr: { ...rules.lr, gamma0: 0.012 } } } });
        expect(wrong.agreement.entries.filter((x) => /^[MQ]_|risk/.test(x.entry)).some((e) => !e.pass)).toBe(true);
      }
    }
    expect(gaps[1].m).toBeLessThan(0.4 * gaps[0].m);
    expect(gaps[0].tau).toBeGreaterThan(0.03);
    expect(gaps[1].tau).toBeLessThan(0.3 * gaps[0].tau);
  });

  it('AdaDamp inside the ODE matches simulated overlaps, n_b and samples; an ODE with n_b0 = 6 or γ × 1.2 is rejected', async () => {
    const rules = rulesOf({ batchRule: 'adadamp' }, { nb0: '4', nmax: '4000' });
    const sim = await simulate(noisy, { d: 500, nb: 4, steps: 2000, points: 11, seeds: Array.from({ length: 16 }, (_, i) => 1 + i), gamma: 0.02, params: [...noisy.layout.defaultParams], init: warm2, engine: 'reduced', workers: 2, rules });
    const ok = compare(noisy, sim);
    expect(ok.agreement.pass, JSON.stringify(ok.agreement.entries.filter((e) => !e.pass))).toBe(true);
    expect(ok.series.map((s) => s.entry)).toEqual(expect.arrayContaining(['tau', 'samples', 'gamma', 'nb']));
    const wrongNb0 = { ...sim, meta: { ...sim.meta, ruleSpec: { ...rules, batch: { ...rules.batch, nb0: 6 } } } };
    expect(compare(noisy, wrongNb0).agreement.pass).toBe(false);
    const wrongGamma = { ...sim, meta: { ...sim.meta, gamma: 0.024 } };
    expect(compare(noisy, wrongGamma).agreement.pass).toBe(false);
  });

  it('a batch schedule enters only through η̄(τ): at fixed γ the trajectory against samples matches simulation; a schedule twice as large is rejected', async () => {
    const rules = rulesOf({ batchSchedule: '4*2^floor(steps/250)' }, {});
    const sim = await simulate(erf, { d: 500, nb: 4, steps: 1000, points: 9, seeds: Array.from({ length: 16 }, (_, i) => 1 + i), gamma: 0.02, params: [...erf.layout.defaultParams], init: warm, engine: 'reduced', workers: 2, rules });
    expect(sim.samples[sim.samples.length - 1]).toBe(4 * 250 * (1 + 2 + 4 + 8));
    expect(compare(erf, sim).agreement.pass).toBe(true);
    const twice = { ...sim, meta: { ...sim.meta, ruleSpec: { ...rules, batch: { ...rules.batch, schedule: '8*2^floor(steps/250)' } } } };
    expect(compare(erf, twice).agreement.pass).toBe(false);
  });

  it('a learning-rate schedule η̄(τ): the ODE integrates γ_t = η̄ n_b/d with steps = ∫dτ/γ_t; both simulators follow it; a schedule 1.5× as large is rejected; a bad one is refused', async () => {
    const rules = rulesOf({ lrSchedule: '2/(1 + tau/3)' }, {});
    const d = 500;
    const nb = 4;
    const ode = runIntegration(erf, { tauEnd: 6, points: 7, init: warm, rules, d, nb });
    // γ_t = η̄(τ) n_b/d and steps = ∫ d dτ/(η̄ n_b) = (d/(2 n_b))(τ + τ²/6) in closed form
    const last = ode.tau.length - 1;
    expect(ode.gamma![last]).toBeCloseTo(((2 / (1 + 6 / 3)) * nb) / d, 12);
    expect(ode.steps![last]).toBeCloseTo((d / (2 * nb)) * (6 + 36 / 6), 6);
    for (const engine of ['reduced', 'full'] as const) {
      const sim = await simulate(erf, { d, nb, steps: 3000, points: 7, seeds: Array.from({ length: 16 }, (_, i) => 1 + i), gamma: NaN, params: [...erf.layout.defaultParams], init: warm, engine, workers: 2, rules });
      // a row's γ is the rate at its τ, η̄(τ) n_b/d exactly (the last row: the last step's, taken at τ − γ)
      const t = sim.seeds[0];
      const at = (tau: number) => ((2 / (1 + tau / 3)) * nb) / d;
      for (let i = 0; i < t.tau.length - 1; i++) expect(Math.abs(t.gamma![i] - at(t.tau[i]))).toBeLessThan(1e-15);
      const end = t.tau.length - 1;
      expect(Math.abs(t.gamma![end] - at(t.tau[end] - t.gamma![end]))).toBeLessThan(1e-15);
      expect(compare(erf, sim).agreement.pass, engine).toBe(true);
      const larger = { ...sim, meta: { ...sim.meta, ruleSpec: { ...rules, lr: { ...rules.lr, schedule: '3/(1 + tau/3)' } } } };
      expect(compare(erf, larger).agreement.pass, engine).toBe(false);
    }
    const bad = await cli(['integrate', 'saad-solla-erf', '--lr-schedule', '1 - tau', '--nb', '1', '--tau', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--lr-schedule = "1 - tau": evaluates to -?[\d.e-]+ at tau = .*: η̄ must be finite and > 0/);
    expect((await cli(['integrate', 'saad-solla-erf', '--lr-schedule', 'foo(tau)', '--nb', '1'])).code).toBe(2);
    expect((await cli(['integrate', 'saad-solla-erf', '--lr-schedule', '1', '--lr-rule', 'lars', '--nb', '1'])).stderr).toMatch(/--lr-schedule needs --lr-rule schedule/);
  });

  it('AdaDamp reaches a target excess risk in updates of GD’s order at samples of SGD’s order (ODE)', async () => {
    const rows = await adaptiveTable(noisy, { d: 500, gamma: 0.02, nb0: 4, nmax: 4000, target: 0.013, params: [...noisy.layout.defaultParams], start: warm2, tauMax: 200, seeds: 0, engine: 'reduced', workers: 1 });
    const [ada, sgd, gd] = rows.map((r) => r.ode as { steps: number; samples: number });
    expect(ada.steps).toBeLessThan(1.5 * gd.steps);
    expect(ada.steps).toBeLessThan(0.3 * sgd.steps);
    expect(ada.samples).toBeLessThan(1.5 * sgd.samples);
    expect(ada.samples).toBeLessThan(0.01 * gd.samples);
  });

  it('MCLR: the simulated per-step log-multiplier of γ has the map’s mean at d = 10³ and 4·10³ (n_b = 100); γ0 × 1.1 in the map is rejected', async () => {
    const rules = rulesOf({ lrRule: 'mclr' }, { gamma0: String(Math.SQRT2) });
    const steps = 20;
    for (const d of [1000, 4000]) {
      const m = runMap(erf, { gamma: 0.01, d, nb: 100, steps, params: [...erf.layout.defaultParams], P: warm.P, start: warm, initSource: 'warm', rules });
      const mapLog = Math.log(m.gamma![steps] / m.gamma![1]) / (steps - 1);
      const sim = await simulate(erf, { d, nb: 100, steps, points: steps + 1, seeds: Array.from({ length: 8 }, (_, i) => i + 1), gamma: 0.01, params: [...erf.layout.defaultParams], init: warm, engine: 'full', workers: 2, rules });
      const logs = sim.seeds.flatMap((t) => t.gamma!.slice(1, steps).map((g, i) => Math.log(t.gamma![i + 2] / g)));
      const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
      const sem = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1) / logs.length);
      expect(Math.abs(mean - mapLog) / sem, `d = ${d}`).toBeLessThan(4);
      // a map whose γ0 is 10 % larger multiplies γ by 1.1 more every step
      expect(Math.abs(mean - (mapLog + Math.log(1.1))) / sem).toBeGreaterThan(6);
    }
  });

  it('a sweep under LARS: escape steps fall like n_b^(−1/2) (γ_t ∝ √(n_b/d)) in the ODE, the map and simulation', async () => {
    const r = await cli(['sweep', 'derivations/saad-solla-erf.yaml', '--d', '500,2000', '--nb', '5,20', '--method', 'ode,map,sim', '--lr-rule', 'lars', '--set', 'gamma0=0.01', '--seeds', '8', '--threshold', '0.3', '--max-steps', '200000', '--engine', 'reduced', '--quiet', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { fits, points } = JSON.parse(r.stdout) as { fits: { kind: string; method: string; fit: { slope: number } }[]; points: { method: string; steps: number; samples: number; nb: number; gamma: number | null }[] };
    for (const f of fits.filter((x) => x.kind === 'steps-vs-nb')) expect(Math.abs(f.fit.slope + 0.5), `${f.method}: ${f.fit.slope}`).toBeLessThan(f.method === 'sim' ? 0.1 : 0.03);
    for (const p of points) {
      expect(p.gamma).toBeNull();
      expect(p.samples).toBeCloseTo(p.steps * p.nb, 6);
    }
    // a batch-size rule is not swept; a rate with LARS is refused
    expect((await cli(['sweep', 'derivations/erf-adaptive.yaml', '--d', '500', '--set', 'gamma=0.01', '--quiet'])).stderr).toMatch(/rules\.batch = "adadamp": the sweep’s axis is the batch size/);
    expect((await cli(['sweep', 'derivations/saad-solla-erf.yaml', '--d', '500', '--lr-rule', 'lars', '--set', 'gamma0=0.01,gamma=0.1', '--quiet'])).code).toBe(2);
  });

  it('the map under MCLR refuses nothing and the ODE refuses MCLR; the simulators reproduce their runs for any number of workers', async () => {
    const mclr = rulesOf({ lrRule: 'mclr' }, { gamma0: '1.4142135623730951' });
    const m = runMap(erf, { gamma: 0.01, d: 1000, nb: 100, steps: 5, params: [...erf.layout.defaultParams], P: warm.P, start: warm, initSource: 'warm', rules: mclr });
    // pure noise: γ_t = γ0 γ_{t−1}/√(1 + ρ²), ρ² the ratio of consecutive noise variances (≈ 1)
    expect(Math.abs(m.gamma![1] / m.gamma![0] - 1)).toBeLessThan(0.01);
    expect(() => runIntegration(erf, { tauEnd: 1, init: warm, rules: mclr, d: 1000, nb: 100, gamma: 0.01 })).toThrow(/no ODE limit/);
    const lars = rulesOf({ lrRule: 'lars' }, { gamma0: '0.05' });
    const run = (workers: number) => simulate(erf, { d: 200, nb: 5, steps: 50, points: 3, seeds: [1, 2, 3], gamma: NaN, params: [...erf.layout.defaultParams], init: warm, engine: 'full', workers, rules: lars });
    const [a, b] = [await run(1), await run(2)];
    expect(JSON.stringify(a.seeds.map((s) => [s.M, s.tau, s.gamma]))).toBe(JSON.stringify(b.seeds.map((s) => [s.M, s.tau, s.gamma])));
  });

  it('under LARS and CBLR the reduced simulator has the full one’s law (means of M, τ and γ within the standard error)', async () => {
    for (const lr of ['lars', 'cblr']) {
      const rules = rulesOf({ lrRule: lr }, { gamma0: lr === 'lars' ? '0.05' : '0.01', ...(lr === 'cblr' ? { gamma_max: '0.5' } : {}) });
      const run = (engine: 'full' | 'reduced') => simulate(erf, { d: 300, nb: 32, steps: 60, points: 2, seeds: Array.from({ length: 96 }, (_, i) => 1 + i), gamma: NaN, params: [...erf.layout.defaultParams], init: warm, engine, workers: 2, rules });
      const [f, r] = [await run('full'), await run('reduced')];
      const z = (m1: number, s1: number, m2: number, s2: number) => Math.abs(m1 - m2) / Math.hypot(s1, s2);
      expect(z(f.mean.M[1][0][0], f.sem.M[1][0][0], r.mean.M[1][0][0], r.sem.M[1][0][0]), `${lr} M_11`).toBeLessThan(4);
      expect(z(f.mean.tau[1], f.sem.tau![1], r.mean.tau[1], r.sem.tau![1]), `${lr} τ`).toBeLessThan(4);
      expect(z(f.mean.gamma![1], f.sem.gamma![1], r.mean.gamma![1], r.sem.gamma![1]), `${lr} γ`).toBeLessThan(4);
    }
  });
});

describe('discarding small-loss samples (THEORY §4.7)', () => {
  const single = deriveYaml(`name: erf-single-noisy
student: {width: 1, activation: erf(z/sqrt(2)), second_layer: {train: false, init: [1]}}
teacher: {width: 1, target: committee, activation: erf(z/sqrt(2))}
noise: 0.05
`);
  const w1: Overlaps = { M: [[0.3]], Q: [[1]], P: [[1]], a: [1] };

  it('the kept moments, the kept count and the weighted quadrature against Monte Carlo, exact sums and the generated moments', () => {
    const rng = new Rng(3, 1);
    for (const [D, sd, t] of [
      [0.3, 0.5, 0.4],
      [-1, 0.2, 0.5],
    ]) {
      const N = 400000;
      const m = [0, 0, 0];
      for (let i = 0; i < N; i++) {
        const e = D + sd * rng.normal();
        if (Math.abs(e) > t) [m[0], m[1], m[2]] = [m[0] + 1, m[1] + e, m[2] + e * e];
      }
      keptMoments(D, sd, t).forEach((v, i) => expect(Math.abs(v - m[i] / N)).toBeLessThan(5e-3));
    }
    // E[1{K>0}/K] for K ~ Bin(10, 0.78) by the definition
    const binom = (n: number, k: number): number => (k === 0 ? 1 : (binom(n, k - 1) * (n - k + 1)) / k);
    const direct = Array.from({ length: 10 }, (_, i) => i + 1).reduce((acc, k) => acc + (binom(10, k) * 0.78 ** k * 0.22 ** (10 - k)) / k, 0);
    expect(Math.abs(keptCount(10, 0.78).invKept - direct)).toBeLessThan(1e-14);
    // q = 0 keeps everything: the generated moments (closed forms) back
    const L = single.layout;
    const mom = new Float64Array(L.mom.size);
    single.compiled.moments(stateOf(w1, L), L.defaultParams, mom);
    const r = discardMoments(single.model, L, [[1, 0.3], [0.3, 1]], [1], 0.05, 0, 60);
    for (let i = 0; i < L.mom.risk; i++) expect(Math.abs(r.mom[i] - mom[i])).toBeLessThan(1e-12);
    // at a wide field (Q = 7.77) 60 nodes are coarse: the stated accuracy sees at least half the true error
    const wide = [[7.77, 2.45], [2.45, 1]];
    const coarse = discardMoments(single.model, L, wide, [1], 0.05, 0, 60).mom[L.mom.V];
    single.compiled.moments(stateOf({ M: [[2.45]], Q: [[7.77]], a: [1] }, L), L.defaultParams, mom);
    const fine = mom[L.mom.V];
    expect(Math.abs(coarse / fine - 1)).toBeGreaterThan(0.01);
    expect(discardAccuracy(single.model, L, wide, [1], 0.05, 0, 60)).toBeGreaterThan(0.5 * Math.abs(coarse / fine - 1));
  });

  it('the ODE with discarded samples matches simulation; an ODE with the wrong threshold is rejected', async () => {
    const sim = await simulate(single, { d: 1000, nb: 10, steps: 3000, points: 9, seeds: Array.from({ length: 32 }, (_, i) => 1 + i), gamma: 0.01, params: [...single.layout.defaultParams], init: w1, engine: 'reduced', workers: 2, discard: 0.02 });
    const ok = compare(single, sim);
    expect(ok.agreement.pass, JSON.stringify(ok.agreement.entries)).toBe(true);
    expect((ok.ode.meta.discard as { accuracy: number }).accuracy).toBeLessThan(1e-3);
    const wrong = compare(single, { ...sim, meta: { ...sim.meta, discard: { q: 0.04 } } });
    expect(wrong.agreement.pass).toBe(false);
  });
});

describe('diagnose', () => {
  it('gradient norm, relative step and loss change per update against simulated single steps; theory at d × 1.2 is rejected', async () => {
    const r = await diagnose(erf, { d: 1000, nbs: [1, 10, 100, 1000], gamma: 0.05, params: [...erf.layout.defaultParams], start: warm, stateSource: 'warm', reps: 300, seed: 1, engine: 'reduced', workers: 2 });
    for (const p of r.points) {
      const s = p.sim!;
      expect(Math.abs(p.theory.grad2W - s.grad2W.mean) / s.grad2W.sem, `‖g‖² at n_b = ${p.nb}`).toBeLessThan(4);
      expect(Math.abs(p.theory.lossChange - s.lossChange.mean) / s.lossChange.sem, `Δε at n_b = ${p.nb}`).toBeLessThan(4);
    }
    // the noise part falls like 1/n_b, the signal does not: saturation above n_b*
    expect(r.noiseScale).toBeGreaterThan(100);
    const g = r.points.map((p) => p.theory.grad2W);
    expect(Math.abs(g[0] / g[1] - 10)).toBeLessThan(0.2);
    const wrong = await diagnose(erf, { d: 1200, nbs: [10], gamma: 0.05, params: [...erf.layout.defaultParams], start: warm, stateSource: 'warm', reps: 0, seed: 1, engine: 'reduced', workers: 1 });
    const s10 = r.points[1].sim!.grad2W;
    expect(Math.abs(wrong.points[0].theory.grad2W - s10.mean) / s10.sem).toBeGreaterThan(6);
  });

  it('the second layer’s gradient norm (trained a) against simulation; without its 1/n_b noise term it is rejected', async () => {
    const tanh = deriveYaml(`name: erf-trained
student: {width: 2, activation: erf(z/sqrt(2)), second_layer: {train: true, init: [1, 1]}}
teacher: {width: 1, target: committee, activation: erf(z/sqrt(2))}
noise: 0.05
`);
    const start: Overlaps = { M: [[0.3], [0.2]], Q: [[1, 0.1], [0.1, 1]], P: [[1]], a: [1.1, 0.9] };
    const r = await diagnose(tanh, { d: 1000, nbs: [10, 100, 1000], gamma: 0.05, params: [...tanh.layout.defaultParams], start, stateSource: 'test', reps: 300, seed: 1, engine: 'reduced', workers: 2 });
    for (const p of r.points) {
      const sim = p.sim!.grad2A!;
      expect(Math.abs((p.theory.grad2A as number) - sim.mean) / sim.sem, `‖g_a‖² at n_b = ${p.nb}`).toBeLessThan(4);
    }
    // the signal part alone (n_b → ∞: nearly the n_b = 1000 value) is rejected at n_b = 10 by the same 4-SEM test
    const p10 = r.points[0];
    const signalOnly = r.points[2].theory.grad2A as number;
    expect(Math.abs(signalOnly - p10.sim!.grad2A!.mean) / p10.sim!.grad2A!.sem).toBeGreaterThan(4);
  });

  it('writes a report with three plots and the JSON; refuses a spherical state off the sphere', async () => {
    const dir = tmp();
    const out = join(dir, 'diag');
    const init = join(dir, 'warm.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(init, JSON.stringify(warm));
    const r = await cli(['diagnose', 'derivations/saad-solla-erf.yaml', '--d', '1000', '--nb', '1,100', '--set', 'gamma=0.05', '--init', init, '--seeds', '20', '--quiet', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['report.html', 'grad.svg', 'step.svg', 'loss.svg', 'diagnose.json']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'grad.svg'), 'utf8')).toContain('<svg');
    writeFileSync(init, JSON.stringify({ M: [[0.1]], Q: [[4]], P: [[1]], a: [1] }));
    const bad = await cli(['diagnose', 'derivations/he1-single-index.yaml', '--set', 'gamma=0.01', '--init', init, '--seeds', '0', '--out', join(dir, 'no')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Q_11 .*must be 1/);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });
});

describe('the clock columns and bad input', () => {
  it('every trajectory output carries steps, samples, gamma and nb (CSV header), under a rule and for a constant batch', async () => {
    const ruled = await cli(['integrate', 'derivations/erf-adaptive.yaml', '--set', 'gamma=0.02', '--d', '500', '--tau', '2', '--points', '3', '--csv', '--plain-csv', '--quiet']);
    expect(ruled.code, ruled.stderr).toBe(0);
    expect(ruled.stdout.split('\n')[0]).toMatch(/^tau,alpha,steps,samples,gamma,nb,risk,/);
    const constant = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'gamma=0.01', '--d', '1000', '--nb', '10', '--tau', '2', '--points', '3', '--csv', '--plain-csv', '--quiet']);
    expect(constant.code, constant.stderr).toBe(0);
    const rows = constant.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^tau,alpha,steps,samples,gamma,nb,risk,/);
    expect(rows[3].split(',').slice(0, 6).map(Number)).toEqual([2, 2, 200, 2000, 0.01, 10]);
  });

  it('unknown or incomplete rules, nmax < nb0, ε* at or above the starting risk, a non-positive schedule: one line, exit 2, nothing written', async () => {
    const dir = tmp();
    const cases: [string[], RegExp][] = [
      [['integrate', 'derivations/saad-solla-erf.yaml', '--lr-rule', 'adam', '--d', '1000', '--nb', '10'], /--lr-rule = "adam": unknown learning-rate rule/],
      [['integrate', 'derivations/saad-solla-erf.yaml', '--lr-rule', 'lars', '--d', '1000', '--nb', '10'], /--set gamma0: the lars learning-rate rule needs it/],
      [['integrate', 'derivations/saad-solla-erf.yaml', '--lr-rule', 'lars', '--set', 'gamma0=-1', '--d', '1000', '--nb', '10'], /--set gamma0 = "-1": must be a finite number > 0/],
      [['integrate', 'derivations/saad-solla-erf.yaml', '--lr-rule', 'lars', '--set', 'gamma0=0.1,gamma=0.1', '--d', '1000', '--nb', '10'], /--set gamma = "0.1": the lars rule sets the learning rate itself/],
      [['integrate', 'derivations/saad-solla-erf.yaml', '--batch-rule', 'adadamp', '--set', 'gamma=0.02,nb0=8,nmax=4', '--d', '500'], /--set nmax = 4: must be ≥ nb0 = 8/],
      [['integrate', 'derivations/erf-adaptive.yaml', '--set', 'gamma=0.02,eps_star=5', '--d', '500'], /--set eps_star = 5: must lie below the starting risk/],
      [['integrate', 'derivations/saad-solla-erf.yaml', '--batch-schedule', '4 - steps', '--set', 'gamma=0.02', '--d', '500', '--tau', '10'], /--batch-schedule = "4 - steps": evaluates to -?[\d.]+ at tau = .*: a batch size must be finite and > 0/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--batch-schedule', '4 - steps', '--set', 'gamma=0.02', '--d', '500', '--steps', '10'], /--batch-schedule = "4 - steps": evaluates to 0/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--batch-rule', 'sometimes', '--set', 'gamma=0.02', '--steps', '10'], /--batch-rule = "sometimes": unknown batch-size rule/],
      [['map', 'derivations/saad-solla-erf.yaml', '--batch-rule', 'adadamp', '--set', 'gamma=0.02,nb0=4', '--d', '500'], /--set nmax: the adadamp batch-size rule needs it/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--lr-rule', 'mclr', '--set', 'gamma0=1,gamma=0.01', '--engine', 'reduced', '--steps', '10'], /--engine = "reduced": MCLR reads individual coordinates/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--lr-rule', 'lars', '--set', 'gamma0=0.1', '--tau', '10'], /--tau = "10": under a rule each seed reaches its own τ/],
    ];
    for (const [args, msg] of cases) {
      const out = join(dir, `${args[0]}-${cases.indexOf(cases.find((c) => c[0] === args)!)}.json`);
      const r = await cli([...args, '--out', out, ...(args[0] === 'map' ? [] : ['--quiet'])]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(out)).toBe(false);
    }
  });
});
