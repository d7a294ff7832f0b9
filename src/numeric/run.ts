/**
 * A derivation's ODE integrated from an initial state onto a time grid, returned as a trajectory
 * with its conventions, parameters, integrator statistics and status (failure is a value).
 */
import { accuracyAlong, jacobianOf, QUADRATURE_WARN, type OdeModule } from '../pipeline.ts';
import { integrateOde, psdTolerance, type EventSpec } from './integrate.ts';
import { iterateMap } from './map.ts';
import { overlapsOf, stateOf, omegaOf, type Trajectory, type Overlaps } from './trajectory.ts';
import { resolveParams, teacherOverlaps, defaultOverlaps, DEFAULT_M0 } from './setup.ts';
import { usageError } from '../errors.ts';
import { requireMemory, trajectoryBytes, DEFAULT_TIME_LIMIT_S } from '../limits.ts';
import { timeGrid, roundGridPoints } from './grid.ts';

export { timeGrid, roundGridPoints };
import { largeStepWarning } from './regime.ts';
import { fluctuationRhs, fluctuationResult, diffusionNodes, randomStartCovariance } from './fluctuations.ts';
import { discardMoments, discardAccuracy, keptCount } from '../gaussian/discard.ts';
import type { Derivation } from '../pipeline.ts';
import type { Model } from '../hermite/model.ts';
import { isConstant, describeRules, type Rules } from '../rules/spec.ts';
import { OverlapRules, RuleStepper, type RuleContext } from './rules.ts';
import { clockRates, constantClock, constantColumns } from '../rules/clock.ts';
import { maxAbsOf, maxOf } from '../extrema.ts';

export interface IntegrateRequest {
  /** final τ (ignored when `grid` is given) */
  tauEnd: number;
  /** grid points (default: about 61, at round times — roundGridPoints) */
  points?: number;
  logGrid?: boolean;
  /** initial overlaps (default: Q = I, M_jr ~ N(0, 1/1000) from seed 1, P = I, the derivation's a) */
  init?: Overlaps;
  initSource?: string;
  /** parameter assignments by name: eta_bar, kappa, Delta, a_j, P_r_t (numbers or expressions) */
  sets?: Record<string, string | number>;
  /** default 1e-9 */
  rtol?: number;
  /** default 1e-11 */
  atol?: number;
  events?: EventSpec[];
  /** explicit time grid (overrides tauEnd/points/logGrid) */
  grid?: number[];
  /** odex's step budget (default 200,000); a run that exhausts it returns status 'max-steps' with the trajectory so far */
  maxSteps?: number;
  /** called after every accepted step with the time reached */
  onProgress?: (tau: number, tauEnd: number) => void;
  /** measure the quadrature backends' accuracy at the saved states (default true; accuracyAlong of the pipeline) */
  measureAccuracy?: boolean;
  /**
   * seconds the integration may be predicted to take (default 600; Infinity for none): refused at once
   * when 100 evaluations of the right-hand side exceed it, stopped with status `too-slow` when its pace
   * predicts more
   */
  timeLimit?: number;
  /**
   * learning-rate and batch-size rules (THEORY §4.5–§4.7): η̄(τ) = γ_t d/n_b(τ) from the current state,
   * with steps and samples integrated beside the overlaps; needs `d`, and `gamma` / `nb` for a
   * constant rate / batch
   */
  rules?: Rules;
  d?: number;
  gamma?: number;
  nb?: number;
  /**
   * under a rule: integrate in SGD steps instead of τ (the same ODE, dy/d(steps) = γ_t dy/dτ, with τ
   * and samples riding along), saving at these step counts — how a simulation under a rule is compared
   */
  stepsGrid?: number[];
  /**
   * discard small-loss samples (THEORY §4.7): only samples with ½e² > q enter the gradient; the moments
   * come from a tensor Gauss–Hermite quadrature with `nodes` points per field (default: the largest even
   * count with nodes^(p+k) ≤ 3·10⁴, at most 100), whose accuracy at every saved state is stated in the
   * meta (and warned about above 10⁻³)
   */
  discard?: { q: number; nodes?: number };
  /**
   * odex (default) or `implicit` (THEORY §2.12: the linearly implicit Euler extrapolated, with the
   * generated Jacobian for a derived model's plain right-hand side, forward differences otherwise)
   */
  integrator?: 'odex' | 'implicit';
  /**
   * the linear-noise approximation at dimension d (THEORY §2.13): Σ integrated beside the overlaps, the
   * standard deviations in `std`; D by Gauss–Hermite with `nodes` per field (default diffusionNodes).
   * `start`: 'fixed' (default: the start's overlaps given exactly, Σ(0) = 0) or 'random' (the
   * simulators' random start w_j = g_j/√d on an orthonormal teacher: Σ(0) of randomStartCovariance)
   */
  fluctuations?: { d: number; nodes?: number; start?: 'fixed' | 'random' };
}

/** The integrator's line in a trajectory's meta. */
export const INTEGRATOR_METHODS = {
  odex: 'odex (Gragg–Bulirsch–Stoer), dense output',
  implicit: 'linearly implicit Euler extrapolated (stiff), the Jacobian at each step',
} as const;

export function runIntegration(d: OdeModule, request: IntegrateRequest): Trajectory {
  const L = d.layout;
  const init = request.init ?? defaultOverlaps(d.model, 1);
  const req = {
    points: roundGridPoints(request.tauEnd),
    logGrid: false,
    initSource: request.init ? 'given overlaps' : `default: Q = I, M_jr ~ N(0, ${DEFAULT_M0}²) seed 1, P = I`,
    rtol: 1e-9,
    atol: 1e-11,
    ...request,
    init,
    sets: Object.fromEntries(Object.entries(request.sets ?? {}).map(([k, v]) => [k, String(v)])),
  };
  const params = resolveParams(d.model, L, req.sets, req.init.P);
  const P = teacherOverlaps(params, L);
  if (!L.trained) req.init.a.forEach((v, j) => (params[L.aParam + j] = v));
  const y0 = stateOf(req.init, L);
  const ruled = !isConstant(req.rules);
  const inSteps = ruled && req.stepsGrid !== undefined;
  const grid = inSteps ? (req.stepsGrid as number[]) : (req.grid ?? timeGrid(req.tauEnd, req.points, req.logGrid));
  requireMemory(trajectoryBytes(grid.length, y0.length + 4), 'points', grid.length, `a trajectory of ${grid.length} saved states of ${y0.length} numbers`);
  let rules: OverlapRules | undefined;
  let rhs: ((t: number, y: number[], dydt: Float64Array) => void) | undefined;
  const n = y0.length;
  if (ruled) {
    if (req.d === undefined) throw usageError('a learning-rate or batch-size rule needs the dimension d', { field: '--d' });
    rules = new OverlapRules(req.rules as Rules, ruleContext(d, L, params, P, req.init.a, req.d, req.gamma, req.nb));
    rules.start(y0);
    const pr = params.slice();
    const ev = rules;
    // η̄(τ) = γ_t d/n_b from the state, with steps and samples riding along (THEORY §2.3 bookkeeping);
    // in steps (z[n] = τ) the same right-hand side is multiplied by γ_t
    const overlapRates = (tau: number, steps: number, z: number[], dz: Float64Array) => {
      const r = ev.at(tau, steps, z);
      pr[L.etaBar] = r.etaBar;
      if (r.mom) d.compiled.rhsFromMoments(tau, z, pr, r.mom, dz);
      else d.compiled.rhs(tau, z, pr, dz);
      return r;
    };
    rhs = inSteps
      ? (s, z, dz) => {
          const r = overlapRates(z[n], s, z, dz);
          for (let i = 0; i < n; i++) dz[i] *= r.gamma;
          dz[n] = r.gamma;
          dz[n + 1] = r.nb;
        }
      : (t, z, dz) => {
          const r = overlapRates(t, z[n], z, dz);
          [dz[n], dz[n + 1]] = clockRates(r.gamma, r.nb);
        };
  }
  let discard: ReturnType<typeof discardDynamics> | undefined;
  if (req.discard) {
    if (ruled) throw usageError('discarding small-loss samples runs with a constant rate and batch only', { field: '--discard' });
    discard = discardDynamics(d, params, P, req.init.a, y0, req.discard, req.nb);
    rhs = discard.rhs;
  }
  const fl = req.fluctuations;
  let flNodes = 0;
  if (fl) {
    if (ruled || req.discard) throw usageError('fluctuations are predicted under a constant rate and batch, without discarding', { field: '--fluctuations' });
    if (!('module' in d)) throw usageError('fluctuations need the derivation (its Jacobian), not only generated code', { field: '--fluctuations' });
    if (!(Number.isInteger(fl.d) && fl.d >= 1)) throw usageError('needs the dimension d (an integer ≥ 1)', { field: '--d', value: fl.d });
    flNodes = fl.nodes ?? diffusionNodes(d.model.p + d.model.k);
    rhs = fluctuationRhs(d as Derivation, params, flNodes);
  }
  const integrator = req.integrator ?? 'odex';
  // the generated Jacobian where the plain right-hand side is integrated and the model's IR is at hand
  let jacobian: ((t: number, y: number[], J: Float64Array) => void) | undefined;
  if (integrator === 'implicit' && !rhs && 'module' in d) {
    const jac = jacobianOf(d as Derivation);
    jacobian = (t, y, J) => jac(t, y, params, J);
  }
  const z0 = ruled ? [...y0, 0, 0] : fl ? [...y0, ...(fl.start === 'random' ? randomStartCovariance(L, P) : new Array(n * n).fill(0))] : y0;
  const sol = integrateOde(d.compiled, L, z0, params, {
    integrator,
    jacobian,
    rhs,
    grid,
    rtol: req.rtol,
    atol: req.atol,
    P,
    aFixed: L.trained ? [] : req.init.a,
    events: req.events,
    maxSteps: req.maxSteps,
    onProgress: req.onProgress,
    timeLimit: req.timeLimit ?? DEFAULT_TIME_LIMIT_S,
  });
  if (sol.status === 'too-slow') sol.message += ` with ${d.plan.label}`;
  const etaBar = params[L.etaBar];
  // τ and steps of a solution point (t its independent variable): one is t, the other rides in z
  const clockOf = (t: number, z: number[]) => (inSteps ? { tau: z[n], steps: t } : { tau: t, steps: z[n] });
  const traj: Trajectory = {
    tau: sol.y.map((z, i) => clockOf(sol.tau[i], z).tau),
    ...(rules ? ruleColumns(rules, sol.y.map((z, i) => clockOf(sol.tau[i], z)), sol.y, n) : {}),
    M: [],
    Q: [],
    a: [],
    risk: [],
    status: sol.status,
    message: sol.message,
    // under a rule an event also carries the clock there: steps, samples and the batch in force
    events: sol.events.map((e) => {
      if (!rules) return { name: e.name, tau: e.tau };
      const c = clockOf(e.tau, e.y);
      return { name: e.name, ...c, samples: e.y[n + 1], nb: rules.at(c.tau, c.steps, e.y).nb };
    }),
    meta: {},
  };
  if (rules) traj.alpha = (traj.samples as number[]).map((s) => s / (req.d as number));
  else if (etaBar > 0) traj.alpha = sol.tau.map((t) => t / etaBar);
  for (const y of sol.y) {
    const o = overlapsOf(y, L, req.init.a);
    traj.M.push(o.M);
    traj.Q.push(o.Q);
    traj.a.push(o.a);
    traj.risk.push(d.compiled.risk(y, params));
  }
  let flMeta: Record<string, unknown> | undefined;
  if (fl) {
    const result = fluctuationResult(d as Derivation, params, sol.y, traj.tau, { ...fl, nodes: flNodes });
    traj.std = result.std;
    flMeta = result.meta;
    if (result.warnings.length) traj.meta.warnings = [...((traj.meta.warnings as string[] | undefined) ?? []), ...result.warnings];
  }
  if (rules && traj.gamma && traj.nb && traj.steps)
    for (const w of largeStepWarningsOf(traj.gamma, traj.nb, req.d as number)) traj.meta.warnings = [...((traj.meta.warnings as string[] | undefined) ?? []), w];
  const discardInfo = discard?.info;
  if (discard && discardInfo) {
    const accuracyAt = discard.accuracyAt;
    const acc = maxOf(sol.y.map((y) => accuracyAt(y)));
    discardInfo.accuracy = acc;
    if (acc > 1e-3) discardInfo.warning = `the weighted moments are accurate to about ${acc.toExponential(1)} along the run (${discardInfo.nodes} nodes per field${params[L.delta] > 0 ? '' : '; without label noise the indicator is a jump in the fields'}); raise --discard-nodes`;
  }
  // the quadrature's accuracy where the run went, not only at derive's generic state
  const along = req.measureAccuracy !== false && !req.discard && sol.y.length ? accuracyAlong(d, sol.y, params) : undefined;
  const alongWarning =
    along && along.worst > QUADRATURE_WARN
      ? `the moments are accurate to about ${along.worst.toExponential(1)} relative along the run (worst at τ = ${Number(traj.tau[along.at].toPrecision(6))}, against ${along.against}), above ${QUADRATURE_WARN.toExponential(0)}: ${along.remedy}`
      : undefined;
  // ε ≥ 0: values within the integration error below zero are that error and are reported as 0;
  // anything further below is kept, and named in a warning
  const scale = maxOf(sol.y.map((y) => maxAbsOf(y)), 1);
  const riskTol = psdTolerance(y0.length, scale, req.rtol, req.atol);
  const negative = traj.risk.findIndex((r) => r < -riskTol);
  const growth = normGrowth(traj, params[L.etaBar]);
  traj.risk = traj.risk.map((r) => (r < 0 && r >= -riskTol ? 0 : r));
  traj.meta = {
    ...(flMeta ? { fluctuations: flMeta } : {}),
    name: d.model.name,
    source: d.model.spec.file,
    specHash: d.model.spec.hash,
    convention: 'canonical',
    fileConvention: d.model.convention,
    timeUnit: 'tau = gamma * steps',
    alphaUnit: rules ? 'alpha = samples / d' : 'alpha = samples / d = tau / eta_bar',
    kind: 'ode',
    ...(discardInfo ? { discard: discardInfo } : {}),
    ...(along ? { accuracy: { method: `along the run, against ${along.against}`, worst: along.worst, tau: traj.tau[along.at] } } : {}),
    ...(rules ? { rules: describeRules(rules.rules), ruleSpec: rules.rules, d: req.d, ...rules.meta() } : {}),
    backend: d.plan.backend,
    expectations: d.plan.label,
    loss: d.model.loss,
    dynamics: d.model.dynamics,
    p: d.model.p,
    k: d.model.k,
    params: Object.fromEntries(L.paramNames.map((n, i) => [n, params[i]] as const).filter(([n]) => !(rules && n === 'eta_bar'))),
    init: req.initSource,
    P,
    integrator: { method: INTEGRATOR_METHODS[integrator] + (integrator === 'implicit' ? (jacobian ? ' (generated)' : ' (forward differences)') : ''), rtol: req.rtol, atol: req.atol, ...sol.stats },
    risk: `population risk (MSE, includes Δ/2); values in [−${riskTol.toExponential(1)}, 0) are integration error and reported as 0`,
    status: sol.status,
    ...(negative >= 0 || growth || traj.meta.warnings || discardInfo?.warning || alongWarning
      ? {
          warnings: [
            ...((traj.meta.warnings as string[] | undefined) ?? []),
            ...(discardInfo?.warning ? [discardInfo.warning as string] : []),
            ...(alongWarning ? [alongWarning] : []),
            ...(negative >= 0 ? [`the risk is ${traj.risk[negative].toExponential(3)} < 0 at τ = ${traj.tau[negative]}, beyond the integration error ${riskTol.toExponential(1)}: the expectations are not accurate enough here`] : []),
            ...(growth ? [growth] : []),
          ],
        }
      : {}),
  };
  return traj;
}

export interface MapRequest {
  gamma: number;
  d: number;
  nb: number;
  steps: number;
  /** the resolved parameter vector (eta_bar = γd/n_b) */
  params: number[];
  P: number[][];
  start: Overlaps;
  initSource: string;
  /** stop at the first step where escape(y) ≥ 0 */
  escape?: (y: number[]) => number;
  /** learning-rate and batch-size rules, evaluated before every step (`gamma`: the constant rate, MCLR's first step; `nb`: the constant batch) */
  rules?: Rules;
  /** called as the steps are taken (done, total) */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The finite-step map iterated from `start` (THEORY §2.3), as a trajectory with one entry per step:
 * τ, steps, samples, γ and n_b from the clock (constant, or from the rules before every step), the
 * population risk at each step, and the escape step if any.
 */
export function runMap(der: OdeModule, req: MapRequest): Trajectory {
  const { gamma, d, nb, steps, params, P, start } = req;
  const L = der.layout;
  const y0 = stateOf(start, L);
  // every step is kept: the trajectory must fit in memory
  requireMemory(trajectoryBytes(steps + 1, y0.length + 6), 'steps', steps, `the map's trajectory of ${steps + 1} states of ${y0.length} numbers`);
  let rate: ((t: number, tau: number, steps: number, y: number[]) => { gamma: number; nb: number }) | undefined;
  let rules: OverlapRules | undefined;
  if (!isConstant(req.rules)) {
    rules = new OverlapRules(req.rules as Rules, ruleContext(der, L, params, P, start.a, d, gamma > 0 ? gamma : undefined, nb));
    rules.start(y0);
    const stepper = new RuleStepper(rules);
    rate = (t, tau, s, y) => stepper.next(t, tau, s, y);
  }
  const r = iterateMap(der.compiled, L, y0, params, { gamma, d, nb, steps, P, aFixed: start.a, dynamics: der.model.dynamics, escape: req.escape, rate, onProgress: req.onProgress });
  const traj: Trajectory = { tau: r.tau, steps: r.steps, samples: r.samples, gamma: r.gamma, nb: r.nb, M: [], Q: [], a: [], risk: [], status: r.status, message: r.message, meta: {} };
  const pr = params.slice();
  for (const y of r.y) {
    const ov = overlapsOf(y, L, start.a);
    traj.M.push(ov.M);
    traj.Q.push(ov.Q);
    traj.a.push(ov.a);
    if (!L.trained) ov.a.forEach((v, j) => (pr[L.aParam + j] = v));
    traj.risk.push(der.compiled.risk(y, pr));
  }
  if (r.escapeStep !== undefined) traj.events = [{ name: 'escape', tau: r.tau[r.steps.indexOf(r.escapeStep)] }];
  traj.meta = {
    name: der.model.name,
    kind: 'finite-step map',
    convention: 'canonical',
    timeUnit: 'steps (τ = Σ γ_t)',
    d,
    ...(rules ? { rules: describeRules(rules.rules), ruleSpec: rules.rules, ...rules.meta() } : { nb, gamma, eta_bar: (gamma * d) / nb }),
    dynamics: der.model.dynamics,
    loss: der.model.loss,
    expectations: der.plan.label,
    init: req.initSource,
    params: Object.fromEntries(L.paramNames.map((n, i) => [n, params[i]])),
    ...(r.escapeStep !== undefined ? { escapeStep: r.escapeStep } : {}),
  };
  return traj;
}

/**
 * Adds the clock's columns (steps = τ/γ, samples = n_b·steps, γ, n_b) to an ODE trajectory at
 * dimension d and batch n_b (γ = η̄ n_b/d), records d, n_b and γ in its meta, and returns the warning
 * when γ is not small. A trajectory integrated under a rule has its columns already.
 */
export function countSteps(traj: Trajectory, d: number, nb: number): string | undefined {
  if (traj.meta.rules) return undefined;
  const eta = (traj.meta.params as Record<string, number>).eta_bar;
  const clock = constantClock((eta * nb) / d, nb);
  Object.assign(traj, constantColumns(traj.tau, clock));
  traj.meta = { ...traj.meta, d, nb, gamma: clock.gamma };
  const w = largeStepWarning(clock.gamma, nb, d);
  if (w) traj.meta = { ...traj.meta, warnings: [...((traj.meta.warnings as string[] | undefined) ?? []), w] };
  return w ?? undefined;
}

/** What the rules read from a derivation and a run. */
export function ruleContext(der: OdeModule, L: OdeModule['layout'], params: number[], P: number[][], aFixed: number[], d: number, gamma?: number, nb?: number): RuleContext {
  return { gm: der.compiled, L, d, P, aFixed, params: params.slice(), loss: der.model.loss, gamma, nb };
}

/** steps, samples (integrated beside the overlaps), γ and n_b at the saved states of a ruled ODE. */
function ruleColumns(rules: OverlapRules, clock: { tau: number; steps: number }[], ys: number[][], n: number): Pick<Trajectory, 'steps' | 'samples' | 'gamma' | 'nb'> {
  const at = ys.map((z, i) => rules.at(clock[i].tau, clock[i].steps, z));
  return { steps: clock.map((c) => c.steps), samples: ys.map((z) => z[n + 1]), gamma: at.map((r) => r.gamma), nb: at.map((r) => r.nb) };
}

/**
 * Discarded small-loss samples in the ODE (THEORY §4.7, §4.8): the right-hand side from the weighted
 * moments of a tensor Gauss–Hermite rule over the fields, with the binomial kept count, and the rule's
 * accuracy at a state against one of the other parity.
 */
function discardDynamics(d: OdeModule, params: number[], P: number[][], aFixed: number[], y0: number[], o: { q: number; nodes?: number }, nb?: number) {
  const L = d.layout;
  const { q } = o;
  if (!(q >= 0) || !Number.isFinite(q)) throw usageError('must be a finite number ≥ 0', { field: '--discard', value: q });
  // fields of the quadrature: p + k
  const nodes = o.nodes ?? Math.min(100, 2 * Math.floor(Math.pow(3e4, 1 / (L.p + L.k)) / 2));
  if (!Number.isInteger(nodes) || nodes < 2 || nodes > 190) throw usageError('must be an integer between 2 and 190 (the accuracy statement compares with 5 more)', { field: '--discard-nodes', value: nodes });
  const model = (d as Derivation).model as Model;
  if (!('student' in model)) throw usageError('discarding samples needs the full derivation (not only its generated module)', { field: '--discard' });
  const pr = params.slice();
  const eta = params[L.etaBar];
  const omegaAt = (y: ArrayLike<number>) => {
    const ov = overlapsOf(y, L, aFixed);
    return { omega: omegaOf(ov.M, ov.Q, P), a: ov.a };
  };
  const moms = (y: ArrayLike<number>) => {
    const { omega, a } = omegaAt(y);
    return discardMoments(model, L, omega, a, params[L.delta], q, nodes);
  };
  const rhs = (t: number, y: number[], dy: Float64Array) => {
    const { mom, kept } = moms(y);
    if (!(kept > 0)) return void dy.fill(0);
    // drift × P(K > 0); variance prefactor d·E[1{K > 0}/K] (→ d/(n_b P) = η̄/(γP) for large n_b), K ~ Bin(n_b, P)
    if (nb === undefined) pr[L.etaBar] = eta / kept;
    else {
      const { updates, invKept } = keptCount(nb, kept);
      for (let i = 0; i < L.mom.risk; i++) mom[i] *= updates;
      // the variance term is linear in the moments' V: undo the drift factor there, apply n_b·E[1/K]
      pr[L.etaBar] = (eta * nb * invKept) / updates;
    }
    d.compiled.rhsFromMoments(t, y, pr, mom, dy);
  };
  const accuracyAt = (y: ArrayLike<number>) => {
    const { omega, a } = omegaAt(y);
    return discardAccuracy(model, L, omega, a, params[L.delta], q, nodes);
  };
  const info: Record<string, unknown> = {
    q,
    nodes,
    nb: nb ?? 'large (1/n_kept = 1/(n_b P))',
    keptAtStart: moms(y0).kept,
    method: `tensor Gauss–Hermite, ${nodes} nodes per field, label noise integrated in closed form; accuracy: largest difference, relative to its block, to the ${nodes + 5}-node rule (other parity) over the saved states`,
  };
  return { rhs, accuracyAt, info };
}

/** The large-step warning at the first saved time where a rule's γ_t or n_b makes the step not small (once). */
function largeStepWarningsOf(gamma: number[], nb: number[], d: number): string[] {
  for (let i = 0; i < gamma.length; i++) {
    const w = largeStepWarning(gamma[i], nb[i], d);
    if (w) return [w];
  }
  return [];
}

/**
 * The one sentence for a learning rate far too large, whichever way the run ends: the student's
 * norms Q_jj grow tenfold (the variance term η̄ (a/p)² V outgrows the drift), said with where and when.
 */
function normGrowth(traj: Trajectory, etaBar: number): string | undefined {
  const n = traj.Q.length;
  if (n < 2) return undefined;
  const p = traj.Q[0].length;
  for (let j = 0; j < p; j++) {
    const q0 = traj.Q[0][j][j];
    const q1 = traj.Q[n - 1][j][j];
    if (q0 > 0 && q1 > 10 * q0)
      return `the student's norm Q_${j + 1}${j + 1} grew from ${Number(q0.toPrecision(4))} to ${Number(q1.toPrecision(4))} by τ = ${Number(traj.tau[n - 1].toPrecision(6))}: the variance term outgrows the drift at η̄ = ${etaBar}; lower eta_bar`;
  }
  return undefined;
}
