/**
 * AdaDamp against fixed batches (THEORY §4.5): updates and samples to reach a target excess risk
 * ε − ε* for the adaptive rule, fixed n_b0 (SGD-like) and fixed n_max (GD-like), at the same γ — from
 * the ODE (the first τ at which ε falls to ε* + target, located on the dense output) and from
 * simulation (the first recorded step at which the seed mean does).
 */
import { paramSets } from '../numeric/setup.ts';
import type { Derivation } from '../pipeline.ts';
import type { Overlaps } from '../numeric/trajectory.ts';

import { runIntegration } from '../numeric/run.ts';
import { simulate } from '../simulate/simulate.ts';
import { CONSTANT_RULES, resolveRules, isConstant, type Rules } from '../rules/spec.ts';
import { constantClock } from '../rules/clock.ts';
import type { Engine } from '../simulate/pool.ts';

export interface AdaptiveCase {
  label: string;
  rules: Rules;
  nb: number;
}

export interface AdaptiveRow {
  label: string;
  ode: { steps: number | null; samples: number | null; finalNb: number | null };
  sim?: { steps: number | null; samples: number | null; finalNb: number | null };
}

export interface AdaptiveRequest {
  d: number;
  gamma: number;
  nb0: number;
  nmax: number;
  /** target excess risk ε − ε* (ε* = Δ/2) */
  target: number;
  params: number[];
  start: Overlaps;
  /** horizon in τ for the ODE and in steps (= horizon/γ) for the simulation */
  tauMax: number;
  /** simulated seeds (0: ODE only) */
  seeds: number;
  engine: Engine;
  workers: number;
  points?: number;
}

export function adaptiveCases(nb0: number, nmax: number): AdaptiveCase[] {
  return [
    { label: `AdaDamp (n_b0 = ${nb0}, n_max = ${nmax})`, rules: resolveRules({ batchRule: 'adadamp' }, { nb0: String(nb0), nmax: String(nmax) }), nb: nb0 },
    { label: `fixed n_b = ${nb0} (SGD)`, rules: CONSTANT_RULES, nb: nb0 },
    { label: `fixed n_b = ${nmax} (GD-like)`, rules: CONSTANT_RULES, nb: nmax },
  ];
}

export async function adaptiveTable(der: Derivation, req: AdaptiveRequest): Promise<AdaptiveRow[]> {
  const L = der.layout;
  const epsStar = req.params[L.delta] / 2;
  const level = epsStar + req.target;
  const rows: AdaptiveRow[] = [];
  for (const c of adaptiveCases(req.nb0, req.nmax)) {
    const sets = paramSets(L, req.params);
    const below = (y: ArrayLike<number>) => {
      const pr = req.params.slice();
      return level - der.compiled.risk(y, pr);
    };
    const ruled = !isConstant(c.rules);
    const traj = runIntegration(der, {
      tauEnd: req.tauMax,
      points: 2,
      init: req.start,
      sets: ruled ? sets : { ...sets, eta_bar: (req.gamma * req.d) / c.nb },
      events: [{ name: 'target', g: below, terminal: true }],
      ...(ruled ? { rules: c.rules, d: req.d, gamma: req.gamma, nb: c.nb } : {}),
    });
    const ev = traj.status === 'event' ? traj.events?.[0] : undefined;
    const clock = constantClock(req.gamma, c.nb);
    const ode = ev
      ? ruled
        ? { steps: ev.steps as number, samples: ev.samples as number, finalNb: ev.nb as number }
        : { steps: clock.stepsAt(ev.tau), samples: clock.samplesAt(clock.stepsAt(ev.tau)), finalNb: c.nb }
      : { steps: null, samples: null, finalNb: null };
    const row: AdaptiveRow = { label: c.label, ode };
    if (req.seeds > 0) {
      const steps = Math.round(req.tauMax / req.gamma);
      const sim = await simulate(der, {
        d: req.d,
        nb: c.nb,
        steps,
        seeds: Array.from({ length: req.seeds }, (_, i) => 1 + i),
        gamma: req.gamma,
        params: req.params,
        init: req.start,
        engine: req.engine,
        workers: req.workers,
        points: req.points ?? 201,
        rules: c.rules,
      });
      const i = sim.mean.risk.findIndex((r) => r <= level);
      row.sim = i >= 0 ? { steps: sim.steps[i], samples: (sim.samples as number[])[i], finalNb: (sim.mean.nb as number[])[i] } : { steps: null, samples: null, finalNb: null };
    }
    rows.push(row);
  }
  return rows;
}
