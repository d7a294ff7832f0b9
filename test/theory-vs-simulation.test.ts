/**
 * Theory against simulation from warm starts (THEORY §5, §6) by the check of THEORY §2.8, and the
 * check's power: it must reject ODEs that are wrong in the ways that matter (η̄, activation scale).
 */
import { describe, it, expect } from 'vitest';
import { deriveFile } from '../src/pipeline.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { compare } from '../src/compare/compare.ts';
import type { Overlaps } from '../src/numeric/trajectory.ts';
import { deriveYaml, randomOverlaps } from './helpers.ts';

const I2 = [[1, 0], [0, 1]];
const warm: Overlaps = { Q: [[1, 0.1], [0.1, 1]], M: [[0.4, 0.1], [0.1, 0.3]], P: I2, a: [1, 1] };

/** ODE from the simulations' mean start against the simulation (THEORY §6: warm starts), by the check of THEORY §2.8. */
async function theoryVsSimulation(
  file: string | ReturnType<typeof deriveFile>,
  init: Overlaps,
  o: { d: number; nb: number; etaBar: number; tau: number; seeds: number; engine?: 'full' | 'reduced'; odeEtaBar?: number; kappa?: number; odeDerivation?: ReturnType<typeof deriveFile> },
) {
  const der = typeof file === 'string' ? deriveFile(file) : file;
  const gamma = (o.etaBar * o.nb) / o.d;
  const params = [...der.layout.defaultParams];
  params[der.layout.etaBar] = o.etaBar;
  if (der.layout.trained && o.kappa !== undefined) params[der.layout.kappa] = o.kappa;
  const sim = await simulate(der, {
    d: o.d, nb: o.nb, steps: Math.round(o.tau / gamma), seeds: Array.from({ length: o.seeds }, (_, i) => i + 1), workers: 2, points: 11, logGrid: false,
    engine: o.engine ?? 'full', teacher: 'orthonormal', gamma, params, init, initSource: 'test',
  });
  const odeSets: Record<string, number> = o.odeEtaBar !== undefined ? { eta_bar: o.odeEtaBar } : {};
  const { ode, agreement: ag } = compare(o.odeDerivation ?? der, sim, { odeSets });
  return { sim, ode, ag };
}

describe('theory against simulation (warm starts, THEORY §5), by the check of THEORY §2.8', () => {
  // (d = 500 with 64 seeds at both engines is the configuration of the power tests below)
  it('Saad–Solla erf p = k = 2 at d = 250 (full) and d = 2000 (reduced)', async () => {
    for (const [d, engine] of [[250, 'full'], [2000, 'reduced']] as const) {
      const { ag } = await theoryVsSimulation('derivations/saad-solla-erf.yaml', warm, { d, nb: 1, etaBar: 1, tau: 15, seeds: 32, engine });
      expect(ag.pass, JSON.stringify(ag.entries.filter((e) => !e.pass))).toBe(true);
    }
  });

  it('a trained second layer', async () => {
    const der = deriveYaml(`name: t
student: {width: 2, activation: "erf(z/sqrt(2))", second_layer: {train: true, init: [0.8, 1.2]}}
teacher: {width: 2, target: committee, activation: "erf(z/sqrt(2))"}`);
    const { ag } = await theoryVsSimulation(der, { ...warm, a: [0.8, 1.2] }, { d: 1000, nb: 1, etaBar: 1, tau: 15, seeds: 32, kappa: 1, engine: 'reduced' });
    expect(ag.entries.map((e) => e.entry)).toContain('a_2');
    expect(ag.pass, JSON.stringify(ag.entries.filter((e) => !e.pass))).toBe(true);
  });

  it('n_b = 10 at η̄ = 2: the ODE with the variance term agrees, the same ODE without it does not', async () => {
    const o = { d: 1000, nb: 10, etaBar: 2, tau: 12, seeds: 32, engine: 'reduced' as const };
    const good = await theoryVsSimulation('derivations/saad-solla-erf.yaml', warm, o);
    expect(good.ag.pass, JSON.stringify(good.ag.entries.filter((e) => !e.pass))).toBe(true);
    const bad = await theoryVsSimulation('derivations/saad-solla-erf.yaml', warm, { ...o, odeEtaBar: 0 });
    expect(bad.ag.pass).toBe(false);
    expect(Math.max(...bad.ag.entries.filter((e) => e.entry.startsWith('Q')).map((e) => e.maxZ))).toBeGreaterThan(10);
  });

  it('a ReLU committee (closed forms)', async () => {
    const { ag } = await theoryVsSimulation('derivations/relu-committee.yaml', warm, { d: 1000, nb: 1, etaBar: 0.5, tau: 10, seeds: 32, engine: 'reduced' });
    expect(ag.pass, JSON.stringify(ag.entries.filter((e) => !e.pass))).toBe(true);
  });

  it('tanh on He2/√2 (quadrature backend, trained second layer)', async () => {
    const init: Overlaps = { Q: [[1, 0.2], [0.2, 1]], M: [[0.5], [0.3]], P: [[1]], a: [1, 1] };
    const { ag } = await theoryVsSimulation('derivations/tanh-on-he2.yaml', init, { d: 1000, nb: 1, etaBar: 0.5, tau: 10, seeds: 16, kappa: 1, engine: 'reduced' });
    expect(ag.pass, JSON.stringify(ag.entries.filter((e) => !e.pass))).toBe(true);
  });

  it('a ReLU student p = 3 on the staircase ν1 + ν1ν2 and on He2(ν1)/√2 + ν2 (exact kinked evaluator), at d = 1000 and 4000; a ReLU scaled by 1.1 in the ODE is rejected', async () => {
    const warm3: Overlaps = {
      Q: [[1, 0.1, 0.05], [0.1, 1, 0.1], [0.05, 0.1, 1]],
      M: [[0.4, 0.1], [0.1, 0.3], [0.2, -0.1]],
      P: I2,
      a: [1, 1, 1],
    };
    const yaml = (target: string, act = 'relu(z)') => `name: relu3\nstudent: {width: 3, activation: "${act}"}\nteacher: {width: 2, target: "${target}"}\nloss: mse\n`;
    for (const target of ['nu1 + nu1*nu2', '(nu1^2 - 1)/sqrt(2) + nu2']) {
      const der = deriveYaml(yaml(target));
      expect(der.plan.backend).toBe('exact');
      for (const d of [1000, 4000]) {
        const { ag } = await theoryVsSimulation(der, warm3, { d, nb: 1, etaBar: 1, tau: 6, seeds: 32, engine: 'reduced' });
        expect(ag.pass, `${target} d=${d}: ${JSON.stringify(ag.entries.filter((e) => !e.pass))}`).toBe(true);
      }
    }
    const wrong = deriveYaml(yaml('nu1 + nu1*nu2', '1.1*relu(z)'));
    const { ag } = await theoryVsSimulation(deriveYaml(yaml('nu1 + nu1*nu2')), warm3, { d: 1000, nb: 1, etaBar: 1, tau: 6, seeds: 32, engine: 'reduced', odeDerivation: wrong });
    expect(ag.pass).toBe(false);
  });

  it('the reduced simulator at d = 10⁵ against the ODE', async () => {
    const { ag } = await theoryVsSimulation('derivations/saad-solla-erf.yaml', warm, { d: 100000, nb: 100, etaBar: 1, tau: 5, seeds: 16, engine: 'reduced' });
    expect(ag.pass, JSON.stringify(ag.entries.filter((e) => !e.pass))).toBe(true);
  });
});

describe('a wide smooth committee through the lattice backend (THEORY §3.6)', () => {
  it('tanh p = k = 4 at n_b = 10, η̄ = 2 (8 fields, beyond the tensor rule): the ODE agrees with 32 reduced simulations at d = 2000; without its variance term, or with a 5 % wrong activation scale, it does not', async () => {
    const spec = (s: string) => `name: wide\nstudent: {width: 4, activation: "${s}"}\nteacher: {width: 4, target: committee, activation: "${s}"}\nnoise: 0.05\nexpectations: lattice:8192`;
    const der = deriveYaml(spec('tanh(z)'));
    expect(der.plan.backend).toBe('lattice');
    const { M, Q, P } = randomOverlaps(4, 4, 21, 0.33);
    const init: Overlaps = { M, Q, P, a: [1, 1, 1, 1] };
    const o = { d: 2000, nb: 10, etaBar: 2, tau: 8, seeds: 32, engine: 'reduced' as const };
    const good = await theoryVsSimulation(der, init, o);
    expect(good.ag.pass, JSON.stringify(good.ag.entries.filter((e) => !e.pass))).toBe(true);
    expect(compare(der, good.sim, { odeSets: { eta_bar: 0 } }).agreement.pass).toBe(false);
    expect(compare(deriveYaml(spec('tanh(1.05*z)')), good.sim).agreement.pass).toBe(false);
  });
});

describe('the check has power (THEORY §2.8)', () => {
  for (const engine of ['full', 'reduced'] as const)
    it(`${engine} simulator: passes the correct ODE and rejects η̄ × 0.8, η̄ × 1.2 and a 5 % wrong activation scale`, async () => {
      const der = deriveFile('derivations/saad-solla-erf.yaml');
      const [d, nb, etaBar, tau] = [500, 1, 1, 15];
      const gamma = (etaBar * nb) / d;
      const sim = await simulate(der, {
        d, nb, gamma, steps: Math.round(tau / gamma), seeds: Array.from({ length: 64 }, (_, i) => 1001 + i), workers: 2, points: 11, engine, params: [...der.layout.defaultParams], init: warm,
      });
      expect(compare(der, sim).agreement.pass).toBe(true);
      expect(compare(der, sim, { odeSets: { eta_bar: 0.8 } }).agreement.pass).toBe(false);
      expect(compare(der, sim, { odeSets: { eta_bar: 1.2 } }).agreement.pass).toBe(false);
      // the ODE of erf(0.95 z/√2) for student and teacher against the simulation of erf(z/√2)
      const scaled = deriveYaml(`name: scaled
student: {width: 2, activation: "erf(0.95*z/sqrt(2))"}
teacher: {width: 2, target: committee, activation: "erf(0.95*z/sqrt(2))"}`);
      expect(compare(scaled, sim).agreement.pass).toBe(false);
    });
});

