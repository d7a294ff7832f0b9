/**
 * Escape from the equator (THEORY §4.1): the first time at which |M_jr| — one entry, or the largest —
 * reaches a threshold, measured in the ODE (located on odex's dense output), in the finite-step map
 * (first step) and per seed in the simulators (median, quartiles, fraction escaped within the
 * horizon). Times are reported as τ, steps = τ/γ and samples = n_b·steps.
 */
import { paramSets } from '../numeric/setup.ts';
import { constantClock } from '../rules/clock.ts';
import { isConstant, type Rules } from '../rules/spec.ts';
import { OverlapRules, RuleStepper } from '../numeric/rules.ts';
import { runIntegration } from '../numeric/run.ts';
import type { Derivation, OdeModule } from '../pipeline.ts';
import type { Overlaps } from '../numeric/trajectory.ts';
import { stateOf } from '../numeric/trajectory.ts';
import { integrateOde } from '../numeric/integrate.ts';
import { iterateMap } from '../numeric/map.ts';
import { runSeeds, type Engine } from '../simulate/pool.ts';
import { kernelConfig, escapeSummary } from '../simulate/simulate.ts';
import { identity } from '../linalg.ts';
import { escapeFunction, escapeCriterion, type EscapeCriterion } from '../numeric/escape-criterion.ts';

export { escapeFunction, escapeCriterion, type EscapeCriterion };

export interface EscapeResult {
  method: 'ode' | 'map' | 'sim';
  /** median escape steps (null: none escaped within the horizon) */
  steps: number | null;
  stepsQ1: number | null;
  stepsQ3: number | null;
  samples: number | null;
  tau: number | null;
  escapedFraction: number;
  horizonSteps: number;
  runs: number;
}

/** The typical start of a random initialisation in dimension d: Q = I, every M_jr = d^{-1/2}. */
export function typicalStart(der: OdeModule, d: number, P: number[][]): Overlaps {
  const { p, k } = der.model;
  return {
    Q: identity(p),
    M: Array.from({ length: p }, () => new Array(k).fill(1 / Math.sqrt(d))),
    P,
    a: der.model.a0.slice(),
  };
}

/**
 * The critical η̄ at a state (THEORY §2.4): with normalised dynamics dM/dτ = D − η̄ N for the escape
 * entry, and η̄_crit = D/N is where its initial growth stops. Null when N ≤ 0 (no such threshold).
 */
export function criticalEtaBar(der: Derivation, y: number[], params: number[], c: EscapeCriterion): number | null {
  const L = der.layout;
  const k = der.model.k;
  const [j, r] = c.entry ?? [0, 0];
  const i = L.M + j * k + r;
  const dy = new Float64Array(y.length);
  const p0 = params.slice();
  p0[L.etaBar] = 0;
  der.compiled.rhs(0, y, p0, dy);
  const D = dy[i] * Math.sign(y[i] || 1);
  const p1 = params.slice();
  p1[L.etaBar] = 1;
  der.compiled.rhs(0, y, p1, dy);
  const N = D - dy[i] * Math.sign(y[i] || 1);
  return N > 0 && D > 0 ? D / N : null;
}

export interface EscapeSetup {
  der: Derivation;
  d: number;
  nb: number;
  gamma: number;
  params: number[];
  start: Overlaps;
  criterion: EscapeCriterion;
  horizonSteps: number;
  /** a learning-rate rule (γ_t from the state; `gamma` is then MCLR's first step or unused) */
  rules?: Rules;
}

export function odeEscape(s: EscapeSetup): EscapeResult {
  const L = s.der.layout;
  if (s.rules && !isConstant(s.rules)) {
    // under a rule: integrate in steps up to the horizon; the escape event carries the clock
    const sets = paramSets(L, s.params);
    const traj = runIntegration(s.der, { tauEnd: 1, init: s.start, sets, rules: s.rules, d: s.d, nb: s.nb, gamma: s.gamma > 0 ? s.gamma : undefined, stepsGrid: [0, s.horizonSteps], events: [{ name: 'escape', g: escapeFunction(s.der, s.criterion), terminal: true }], rtol: 1e-9, atol: 1e-12, maxSteps: 2e6 });
    const ev = traj.status === 'event' ? traj.events?.[0] : undefined;
    return { method: 'ode', steps: ev?.steps ?? null, stepsQ1: ev?.steps ?? null, stepsQ3: ev?.steps ?? null, samples: ev?.samples ?? null, tau: ev?.tau ?? null, escapedFraction: ev ? 1 : 0, horizonSteps: s.horizonSteps, runs: 1 };
  }
  const clock = constantClock(s.gamma, s.nb);
  const tauEnd = clock.tauAt(s.horizonSteps);
  const sol = integrateOde(s.der.compiled, L, stateOf(s.start, L), s.params, {
    grid: [0, tauEnd],
    rtol: 1e-9,
    atol: 1e-12,
    P: s.start.P,
    aFixed: s.start.a,
    events: [{ name: 'escape', g: escapeFunction(s.der, s.criterion), terminal: true }],
    maxSteps: 2e6,
  });
  const tau = sol.events.length ? sol.events[0].tau : null;
  const steps = tau !== null ? clock.stepsAt(tau) : null;
  return { method: 'ode', steps, stepsQ1: steps, stepsQ3: steps, samples: steps !== null ? clock.samplesAt(steps) : null, tau, escapedFraction: tau !== null ? 1 : 0, horizonSteps: s.horizonSteps, runs: 1 };
}

export function mapEscape(s: EscapeSetup): EscapeResult {
  const L = s.der.layout;
  let rate: ((t: number, tau: number, steps: number, y: number[]) => { gamma: number; nb: number }) | undefined;
  if (s.rules && !isConstant(s.rules)) {
    const ev = new OverlapRules(s.rules, { gm: s.der.compiled, L, d: s.d, P: s.start.P, aFixed: s.start.a, params: s.params.slice(), loss: s.der.model.loss, gamma: s.gamma > 0 ? s.gamma : undefined, nb: s.nb });
    ev.start(stateOf(s.start, L));
    const stepper = new RuleStepper(ev);
    rate = (t, tau, st, y) => stepper.next(t, tau, st, y);
  }
  const r = iterateMap(s.der.compiled, L, stateOf(s.start, L), s.params, {
    gamma: s.gamma,
    d: s.d,
    nb: s.nb,
    steps: s.horizonSteps,
    record: [0],
    P: s.start.P,
    aFixed: s.start.a,
    dynamics: s.der.model.dynamics,
    escape: escapeFunction(s.der, s.criterion),
    rate,
  });
  const steps = r.escapeStep ?? null;
  const at = steps !== null ? r.steps.indexOf(steps) : -1;
  return { method: 'map', steps, stepsQ1: steps, stepsQ3: steps, samples: at >= 0 ? r.samples[at] : null, tau: at >= 0 ? r.tau[at] : null, escapedFraction: steps !== null ? 1 : 0, horizonSteps: s.horizonSteps, runs: 1 };
}

export async function simEscape(s: EscapeSetup, seeds: number[], engine: Engine, workers: number, init: Overlaps | null): Promise<EscapeResult> {
  const cfg = kernelConfig(s.der, {
    d: s.d, nb: s.nb, gamma: s.gamma, params: s.params, steps: s.horizonSteps, record: [0], teacher: 'orthonormal', init,
    escape: { threshold: s.criterion.threshold, entry: s.criterion.entry, stop: true },
    rules: s.rules,
  });
  if (!init) cfg.P = s.start.P;
  const runs = await runSeeds(cfg, seeds, engine, workers);
  const e = escapeSummary(runs.map((r) => r.escapeStep), s.rules && !isConstant(s.rules) ? runs.map((r) => r.escapeClock) : constantClock(s.gamma, s.nb), s.horizonSteps);
  return {
    method: 'sim',
    steps: e.medianSteps,
    stepsQ1: e.q1Steps,
    stepsQ3: e.q3Steps,
    samples: e.medianSamples,
    tau: e.medianTau,
    escapedFraction: e.escapedFraction,
    horizonSteps: s.horizonSteps,
    runs: runs.length,
  };
}

