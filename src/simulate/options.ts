/**
 * A simulation as a person states it — the command line's option texts (`--d`, `--nb`, `--set`,
 * `--seeds`, `--seed`, `--engine`, `--teacher`, the rules) — checked and turned into the request of
 * `simulate`. `hermode simulate`/`compare` and the playground page both build their runs here, so the
 * same texts give the same seeds and the same numbers. A start from a file is read by the caller.
 */
import type { Derivation } from '../pipeline.ts';
import type { SimulateRequest } from './simulate.ts';
import type { Overlaps } from '../numeric/trajectory.ts';
import type { GivenStart } from '../numeric/options.ts';
import { parseAssignments, resolveParams, numberValue, integerValue } from '../numeric/setup.ts';
import { escapeCriterion } from '../numeric/escape-criterion.ts';
import { timeLimitOf } from '../numeric/outcome.ts';
import { rulesOf, ruleRate, startBatch, type RuleOpts } from '../numeric/rule-options.ts';
import { isConstant, type Rules } from '../rules/spec.ts';
import { usageError } from '../errors.ts';
import { SEEDS_BOUND, WORKERS_BOUND } from '../limits.ts';

import { SIM_DEFAULTS } from './defaults.ts';

export { SIM_DEFAULTS };

/** The options of `hermode simulate` as texts (the rule options are RuleOpts'). */
export interface SimOpts extends RuleOpts {
  d: string;
  /** --time-limit S, or false for --no-time-limit */
  timeLimit?: string | false;
  nb: string;
  set?: string[];
  steps?: string;
  tau?: string;
  seeds: string;
  seed: string;
  workers: string;
  points?: string;
  logGrid?: boolean;
  engine: string;
  teacher: string;
  init?: string;
  quiet?: boolean;
  /** a cluster task: write each seed's raw result here */
  seedResults?: string;
  /** gather: read the seeds' raw results from here instead of running them */
  fromSeedResults?: string;
  discard?: string;
  discardNodes?: string;
}


export interface Prepared {
  rules: Rules;
  d: Derivation;
  D: number;
  nb: number;
  gamma: number;
  params: number[];
  init: Overlaps | null;
  initSource: string;
  seeds: number[];
  workers: number;
}

export function prepareSimulation(d: Derivation, o: SimOpts, start: GivenStart | null): Prepared {
  const D = numberValue(o.d, '--d');
  const nb = numberValue(o.nb, '--nb');
  if (!Number.isInteger(D) || D < 1) throw usageError('must be a positive integer', { field: '--d', value: o.d });
  if (!Number.isInteger(nb) || nb < 1) throw usageError('must be a positive integer', { field: '--nb', value: o.nb });
  const sets = parseAssignments(o.set);
  const scope = { d: D, nb, p: d.model.p, k: d.model.k };
  const rules = rulesOf(o, sets, d.model.spec);
  const gamma = ruleRate(rules, sets, scope);
  const init = start?.init ?? null;
  const params = resolveParams(d.model, d.layout, sets, init?.P);
  params[d.layout.etaBar] = Number.isFinite(gamma) ? (gamma * D) / startBatch(rules, nb) : 0;
  if (init && !d.layout.trained) init.a.forEach((v, j) => (params[d.layout.aParam + j] = v));
  // --seeds N (from --seed) or --seeds A-B
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(o.seeds);
  if (range && Number(range[2]) < Number(range[1])) throw usageError('a seed range A-B needs A ≤ B', { field: '--seeds', value: o.seeds });
  const n = range ? Number(range[2]) - Number(range[1]) + 1 : integerValue(o.seeds, '--seeds', 1, SEEDS_BOUND);
  const s0 = range ? Number(range[1]) : integerValue(o.seed, '--seed', 0);
  const workers = integerValue(o.workers, '--workers', 1, WORKERS_BOUND);
  if (!['full', 'reduced'].includes(o.engine)) throw usageError('full | reduced', { field: '--engine', value: o.engine });
  if (!['orthonormal', 'random'].includes(o.teacher)) throw usageError('orthonormal | random', { field: '--teacher', value: o.teacher });
  const initSource = start ? start.source : 'random: w_j = g_j/√d (Q ≈ I, M ~ d^-1/2)';
  return { rules, d, D, nb, gamma, params, init, initSource, seeds: Array.from({ length: n }, (_, i) => s0 + i), workers };
}

/** The request of `simulate` for a prepared run of `steps` steps (progress and seed-result hooks are the caller's). */
export function simulationRequest(pr: Prepared, o: SimOpts & { threshold?: string; entry?: string }, steps: number): SimulateRequest {
  const escape = o.threshold !== undefined ? escapeCriterion(numberValue(o.threshold, '--threshold'), o.entry, pr.d.model.p, pr.d.model.k) : undefined;
  return {
    d: pr.D,
    nb: pr.nb,
    steps,
    seeds: pr.seeds,
    workers: pr.workers,
    ...(o.points !== undefined ? { points: numberValue(o.points, '--points') } : {}),
    logGrid: !!o.logGrid,
    engine: o.engine as 'full' | 'reduced',
    teacher: o.teacher as 'orthonormal' | 'random',
    gamma: pr.gamma,
    params: pr.params,
    init: pr.init,
    initSource: pr.initSource,
    timeLimit: timeLimitOf(o),
    escape,
    rules: pr.rules,
    ...(o.discard !== undefined ? { discard: numberValue(o.discard, '--discard') } : {}),
  };
}

export function stepsOf(pr: Prepared, o: { steps?: string; tau?: string }): number {
  if (o.steps !== undefined) return integerValue(o.steps, '--steps', 1);
  if (!isConstant(pr.rules)) throw usageError('under a rule each seed reaches its own τ: give the number of steps, --steps', { field: '--tau', value: o.tau });
  if (o.tau !== undefined) {
    if (!(pr.gamma > 0)) throw usageError('--tau needs γ > 0', { field: '--tau' });
    const tau = numberValue(o.tau, '--tau');
    if (!(tau > 0)) throw usageError('must be > 0', { field: '--tau', value: o.tau });
    return Math.max(1, Math.round(tau / pr.gamma));
  }
  throw usageError('give --steps or --tau', { field: '--steps' });
}
