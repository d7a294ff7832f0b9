/**
 * An integration as a person states it — the command line's option texts (`--set`, `--tau` or
 * `--alpha`, `--nb`, `--d`, the rules, the tolerances) — turned into the library's request and run.
 * `hermode integrate` and the playground page both call this, so a page and a terminal given the same
 * texts get the same numbers. The start is given already read (a file, a simulation's mean or the
 * documented default are the caller's business: only the caller can read files or run workers).
 */
import type { OdeModule } from '../pipeline.ts';
import { usageError } from '../errors.ts';
import { runIntegration, countSteps } from './run.ts';
import { defaultOverlaps, parseAssignments, numberValue, integerValue } from './setup.ts';
import type { Overlaps, Trajectory } from './trajectory.ts';
import { escapeFunction, escapeCriterion } from './escape-criterion.ts';
import { timeLimitOf } from './outcome.ts';
import { rulesOf, ruleRate, startBatch, type RuleOpts } from './rule-options.ts';
import { learningRate } from './rate.ts';
import { isConstant } from '../rules/spec.ts';
import { CONSTANT } from '../rules/registry.ts';
import { INTEGRATE_DEFAULTS } from './defaults.ts';

export { INTEGRATE_DEFAULTS };

/** The conventions of a trajectory in one line: the convention of the equations and of the file, and the time unit. */
export function trajectoryConvention(traj: Trajectory): string {
  const m = traj.meta as { fileConvention?: string; rules?: string };
  return `canonical (file: ${m.fileConvention}); time τ = ${m.rules ? 'Σ γ_t over steps' : 'γ·steps, α = samples/d = τ/η̄'}`;
}

/** The options of `hermode integrate` as texts (the rule options are RuleOpts'). */
export interface IntegrateOpts extends RuleOpts {
  plainCsv?: boolean;
  maxSteps?: string;
  integrator?: string;
  fluctuations?: boolean;
  /** with fluctuations: Σ(0) of the simulators' random start */
  randomStart?: boolean;
  /** with fluctuations: Gauss–Hermite nodes per field of the diffusion matrix */
  fluctuationNodes?: string;
  quiet?: boolean;
  set?: string[];
  tau?: string;
  alpha?: string;
  points?: string;
  logGrid?: boolean;
  init?: string;
  seed: string;
  m0: string;
  rtol: string;
  atol: string;
  expectations?: string;
  json?: boolean;
  csv?: boolean;
  out?: string;
  initFromSim?: boolean;
  threshold?: string;
  entry?: string;
  nb?: string;
  d?: string;
  seeds?: string;
  teacher?: string;
  engine?: string;
  discard?: string;
  discardNodes?: string;
  /** seconds, or false for --no-time-limit */
  timeLimit?: string | false;
}

/** The integrator named by --integrator (odex unless told). */
export function integratorOf(o: Pick<IntegrateOpts, 'integrator'>): 'odex' | 'implicit' {
  const integrator = o.integrator ?? 'odex';
  if (integrator !== 'odex' && integrator !== 'implicit') throw usageError('expected odex or implicit', { field: '--integrator', value: o.integrator });
  return integrator;
}

/** Whether the options need the whole derivation's code (a Jacobian, the diffusion matrix, weighted samples), not only a generated module. */
export function needsDerivation(o: IntegrateOpts): boolean {
  return !!o.initFromSim || o.discard !== undefined || integratorOf(o) === 'implicit' || !!o.fluctuations;
}

/** A start already read by the caller, with the words that say where it came from. */
export interface GivenStart {
  init: Overlaps;
  source: string;
}

/**
 * Integrates `d` as the options say. `start` is the caller's (a file's overlaps, a simulation's mean);
 * without it the documented default start of `--seed` and `--m0` is used.
 */
export function integrateWithOptions(d: OdeModule, o: IntegrateOpts, start?: GivenStart, onProgress?: (tau: number, tauEnd: number) => void): Trajectory {
  const integrator = integratorOf(o);
  if (o.randomStart && !o.fluctuations) throw usageError('is the start of the predicted fluctuations: give --fluctuations too', { field: '--random-start' });
  if (o.fluctuationNodes !== undefined && !o.fluctuations) throw usageError('is a setting of the predicted fluctuations: give --fluctuations too', { field: '--fluctuation-nodes' });
  const sets = parseAssignments(o.set);
  if (o.tau !== undefined && o.alpha !== undefined) throw usageError('give --tau or --alpha, not both', { field: '--alpha' });
  const seed = integerValue(o.seed, '--seed', 0);
  const D = integerValue(o.d ?? '1000', '--d', 1);
  const nb = o.nb !== undefined ? integerValue(o.nb, '--nb', 1) : undefined;
  const rules = rulesOf(o, sets, d.model.spec);
  const ruled = !isConstant(rules);
  if (ruled && rules.batch.kind === CONSTANT && nb === undefined) throw usageError('a learning-rate rule with a constant batch needs --nb', { field: '--nb' });
  if (ruled && o.alpha !== undefined) throw usageError('under a rule α = samples/d is integrated, not a time to stop at: give --tau', { field: '--alpha' });
  const gamma = ruled ? ruleRate(rules, sets, { d: D, nb: nb ?? startBatch(rules, 1), p: d.model.p, k: d.model.k }) : undefined;
  // a constant rate given as γ: η̄ = γd/n_b
  if (!ruled && sets.gamma !== undefined) {
    if (nb === undefined) throw usageError('a rate given as gamma needs --nb (and --d) for η̄ = γd/n_b; or set eta_bar', { field: '--set gamma', value: sets.gamma });
    sets.eta_bar = String(learningRate(sets, { d: D, nb, p: d.model.p, k: d.model.k }) * (D / nb));
  }
  const init = start?.init ?? defaultOverlaps(d.model, seed, nonNegative(numberValue(o.m0, '--m0'), '--m0'));
  const initSource = start?.source ?? `default: Q = I, M_jr ~ N(0, ${o.m0}²) seed ${seed}, P = I`;
  let tauEnd: number;
  if (o.alpha !== undefined) {
    const alpha = numberValue(o.alpha, '--alpha');
    const etaText = sets.eta_bar ?? sets.eta;
    const eta = etaText !== undefined ? numberValue(etaText, '--set eta_bar') : d.layout.defaultParams[d.layout.etaBar];
    if (!(eta > 0)) throw usageError('--alpha needs η̄ > 0', { field: '--alpha' });
    tauEnd = alpha * eta;
  } else tauEnd = numberValue(o.tau ?? '10', '--tau');
  const crit = o.threshold !== undefined ? escapeCriterion(numberValue(o.threshold, '--threshold'), o.entry, d.model.p, d.model.k) : null;
  const traj = runIntegration(d, {
    timeLimit: timeLimitOf(o),
    events: crit ? [{ name: 'escape', g: escapeFunction(d, crit), terminal: true }] : undefined,
    maxSteps: integerValue(o.maxSteps ?? INTEGRATE_DEFAULTS.maxSteps, '--max-steps', 1),
    integrator,
    ...(o.fluctuations ? { fluctuations: { d: D, start: o.randomStart ? ('random' as const) : ('fixed' as const), ...(o.fluctuationNodes !== undefined ? { nodes: fluctuationNodes(o.fluctuationNodes) } : {}) } } : {}),
    onProgress,
    tauEnd,
    ...(o.points !== undefined ? { points: numberValue(o.points, '--points') } : {}),
    logGrid: !!o.logGrid,
    init,
    initSource,
    sets,
    rtol: numberValue(o.rtol, '--rtol'),
    atol: numberValue(o.atol, '--atol'),
    ...(ruled ? { rules, d: D, gamma: Number.isFinite(gamma) ? gamma : undefined, nb } : {}),
    ...(o.discard !== undefined ? { discard: { q: numberValue(o.discard, '--discard'), ...(o.discardNodes !== undefined ? { nodes: integerValue(o.discardNodes, '--discard-nodes', 2) } : {}) } } : {}),
    ...(o.discard !== undefined && !ruled && nb !== undefined ? { nb } : {}),
  });
  if (nb !== undefined && !ruled) countSteps(traj, D, nb);
  return traj;
}

/** A standard deviation or scale typed by the user: finite and ≥ 0. */
function nonNegative(v: number, field: string): number {
  if (!(v >= 0)) throw usageError('must be ≥ 0 (a standard deviation)', { field, value: v });
  return v;
}

/** --fluctuation-nodes: Gauss–Hermite nodes per field of the diffusion matrix, 4 to 48. */
export function fluctuationNodes(text: string): number {
  const n = integerValue(text, '--fluctuation-nodes', 4);
  if (n > 48) throw usageError('at most 48 nodes per field (the accuracy along the run compares with twice as many)', { field: '--fluctuation-nodes', value: text });
  return n;
}
