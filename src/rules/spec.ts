/**
 * Learning-rate and batch-size rules (THEORY §4.5–§4.7) as data: what the command line (`--lr-rule`,
 * `--batch-rule`, `--batch-schedule`, rule parameters by `--set`) or a derivation file's `rules:` block
 * asks for, validated once. The overlap-level evaluator (src/rules/overlap.ts) and the simulators
 * (src/simulate/rule-step.ts) read this value; neither parses options.
 *
 *   learning rate γ_t:  constant | lars (γ0·trust·‖W‖/‖g_W‖) | cblr (γ0/κ_W, κ_W the curvature along
 *                       the gradient) | mclr (γ0/κ, κ the median per-parameter secant curvature)
 *   batch size n_b(t):  constant | adadamp (⌈n_b0 (ε0 − ε*)/(ε − ε*)⌉, capped at n_max, the rate decayed
 *                       by n_max/n_b beyond) | schedule (an expression in tau or steps)
 *
 * The second layer, when trained, moves at γ_a = κ·γ_t (κ = `kappa`, the derivation's ratio).
 */
import { usageError } from '../errors.ts';
import { Expr } from '../symbolic/expr.ts';

export const LR_RULES = ['constant', 'lars', 'cblr', 'mclr'] as const;
export const BATCH_RULES = ['constant', 'adadamp', 'schedule'] as const;
export type LrKind = (typeof LR_RULES)[number];
export type BatchKind = (typeof BATCH_RULES)[number];

export interface LrRule {
  kind: LrKind;
  /** the rule's base rate η0 (lars, cblr, mclr) */
  gamma0: number;
  /** LARS trust coefficient (multiplies γ0) */
  trust: number;
  /** an upper bound on γ_t (optional; a curvature estimate near zero otherwise gives an unbounded rate) */
  gammaMax?: number;
  /** CBLR: the Gauss–Newton curvature only (THEORY §4.6's leading order, without −E[σ″e]) */
  gaussNewton?: boolean;
}

export interface BatchRule {
  kind: BatchKind;
  /** adadamp: starting batch, cap, floor of the loss (undefined: Δ/2), updates between recomputations, loss estimate (0: exact risk of the overlaps; else fresh samples) */
  nb0: number;
  nmax: number;
  epsStar?: number;
  dwell: number;
  nEst: number;
  /** schedule: n_b as an expression in tau, steps (and d, p, k) */
  schedule?: string;
}

export interface Rules {
  lr: LrRule;
  batch: BatchRule;
}

/** Parameter names the rules take by `--set` (removed from the model's parameters). */
export const RULE_PARAMS = ['gamma0', 'trust', 'gamma_max', 'gauss_newton', 'nb0', 'nmax', 'eps_star', 'dwell', 'n_est'] as const;

export const CONSTANT_RULES: Rules = { lr: { kind: 'constant', gamma0: NaN, trust: 1 }, batch: { kind: 'constant', nb0: NaN, nmax: NaN, dwell: 1, nEst: 0 } };

export function isConstant(r: Rules | undefined): boolean {
  return !r || (r.lr.kind === 'constant' && r.batch.kind === 'constant');
}

/** The `rules:` block of a derivation file (validated by the schema; names as in the file). */
export interface RulesBlock {
  lr?: { rule: LrKind; gamma0?: number; trust?: number; gamma_max?: number; gauss_newton?: number };
  batch?: { rule: BatchKind; nb0?: number; nmax?: number; eps_star?: number; dwell?: number; n_est?: number; nb?: string };
}

export interface RuleOptions {
  lrRule?: string;
  batchRule?: string;
  batchSchedule?: string;
}

/**
 * The rules of a run: the command line over the derivation file's block over constant. Rule
 * parameters are taken out of `sets` (what remains are model parameters). Every failure is a usage
 * error naming the option and value.
 */
export function resolveRules(o: RuleOptions, sets: Record<string, string>, block?: RulesBlock, where: { file?: string } = {}): Rules {
  const taken: Record<string, string> = {};
  for (const name of RULE_PARAMS)
    if (sets[name] !== undefined) {
      taken[name] = sets[name];
      delete sets[name];
    }
  if (o.batchSchedule !== undefined && o.batchRule !== undefined && o.batchRule !== 'schedule')
    throw usageError(`--batch-schedule needs --batch-rule schedule (or no --batch-rule)`, { field: '--batch-rule', value: o.batchRule });
  const lrKind = (o.lrRule ?? block?.lr?.rule ?? 'constant') as string;
  if (!(LR_RULES as readonly string[]).includes(lrKind)) throw usageError(`unknown learning-rate rule; expected one of ${LR_RULES.join(', ')}`, { field: '--lr-rule', value: lrKind });
  const batchKind = (o.batchRule ?? (o.batchSchedule !== undefined ? 'schedule' : undefined) ?? block?.batch?.rule ?? 'constant') as string;
  if (!(BATCH_RULES as readonly string[]).includes(batchKind)) throw usageError(`unknown batch-size rule; expected one of ${BATCH_RULES.join(', ')}`, { field: '--batch-rule', value: batchKind });
  const fromFile = (name: string): number | undefined => {
    const b = { ...(block?.lr ?? {}), ...(block?.batch ?? {}) } as Record<string, unknown>;
    return typeof b[name] === 'number' ? (b[name] as number) : undefined;
  };
  const param = (name: string, need: 'positive' | 'nonneg' | 'int1' | 'int0', dflt?: number): number => {
    const text = taken[name];
    let v: number;
    let field = `--set ${name}`;
    if (text !== undefined) v = Number(text);
    else if (fromFile(name) !== undefined) {
      v = fromFile(name) as number;
      field = `rules.${name}`;
    } else if (dflt !== undefined) return dflt;
    else throw usageError(`the ${lrKind !== 'constant' && (name === 'gamma0' || name === 'trust') ? `${lrKind} learning-rate` : `${batchKind} batch-size`} rule needs it`, { ...where, field });
    const ok =
      Number.isFinite(v) &&
      (need === 'positive' ? v > 0 : need === 'nonneg' ? v >= 0 : need === 'int1' ? Number.isInteger(v) && v >= 1 : Number.isInteger(v) && v >= 0);
    if (!ok) throw usageError(need === 'positive' ? 'must be a finite number > 0' : need === 'nonneg' ? 'must be ≥ 0' : `must be an integer ≥ ${need === 'int1' ? 1 : 0}`, { ...where, field, value: text ?? v });
    return v;
  };
  const unused = (names: string[], kind: string) => {
    for (const n of names) if (taken[n] !== undefined) throw usageError(`is a parameter of another rule; the ${kind} rule does not take it`, { field: `--set ${n}`, value: taken[n] });
  };
  const lr: LrRule = { kind: lrKind as LrKind, gamma0: NaN, trust: 1 };
  if (lrKind === 'constant') unused(['gamma0', 'trust', 'gamma_max', 'gauss_newton'], 'constant learning-rate');
  else {
    lr.gamma0 = param('gamma0', 'positive');
    if (taken.gamma_max !== undefined || fromFile('gamma_max') !== undefined) lr.gammaMax = param('gamma_max', 'positive');
    lr.trust = lrKind === 'lars' ? param('trust', 'positive', 1) : 1;
    if (lrKind !== 'lars') unused(['trust'], `${lrKind}`);
    if (lrKind === 'cblr') {
      const gn = param('gauss_newton', 'int0', 0);
      if (gn > 1) throw usageError('must be 0 (the full curvature) or 1 (Gauss–Newton only)', { ...where, field: '--set gauss_newton', value: gn });
      if (gn === 1) lr.gaussNewton = true;
    } else unused(['gauss_newton'], `${lrKind}`);
  }
  const batch: BatchRule = { kind: batchKind as BatchKind, nb0: NaN, nmax: NaN, dwell: 1, nEst: 0 };
  if (batchKind === 'adadamp') {
    batch.nb0 = param('nb0', 'int1');
    batch.nmax = param('nmax', 'int1');
    if (batch.nmax < batch.nb0) throw usageError(`must be ≥ nb0 = ${batch.nb0}`, { ...where, field: taken.nmax !== undefined ? '--set nmax' : 'rules.nmax', value: batch.nmax });
    if (taken.eps_star !== undefined || fromFile('eps_star') !== undefined) batch.epsStar = param('eps_star', 'nonneg');
    batch.dwell = param('dwell', 'int1', 1);
    batch.nEst = param('n_est', 'int0', 0);
  } else {
    unused(['nb0', 'nmax', 'eps_star', 'dwell', 'n_est'], `${batchKind} batch-size`);
    if (batchKind === 'schedule') {
      const text = o.batchSchedule ?? block?.batch?.nb;
      if (text === undefined) throw usageError('the schedule batch-size rule needs --batch-schedule "expression in tau or steps"', { ...where, field: '--batch-schedule' });
      Expr.parse(text, SCHEDULE_VARS, { field: o.batchSchedule !== undefined ? '--batch-schedule' : 'rules.batch.nb', value: text });
      batch.schedule = text;
    }
  }
  return { lr, batch };
}

/** Variables a batch schedule may use. */
export const SCHEDULE_VARS = ['tau', 'steps', 'd', 'p', 'k'] as const;

/** A compiled schedule n_b(τ, steps): the integer ⌈expression⌉, refused (exit 2) where it is not a finite number ≥ 1. */
export function scheduleFunction(text: string, scope: { d: number; p: number; k: number }): (tau: number, steps: number) => number {
  const f = Expr.parse(text, SCHEDULE_VARS, { field: '--batch-schedule', value: text }).compile();
  return (tau, steps) => {
    const v = f(tau, steps, scope.d, scope.p, scope.k);
    if (!Number.isFinite(v) || v <= 0) throw usageError(`evaluates to ${v} at tau = ${tau}, steps = ${steps}: a batch size must be finite and > 0`, { field: '--batch-schedule', value: text });
    return Math.max(1, Math.ceil(v - 1e-9));
  };
}

/** One line naming the rules, for tables and report headers. */
export function describeRules(r: Rules): string {
  const lr =
    r.lr.kind === 'constant'
      ? 'constant γ'
      : r.lr.kind === 'lars'
        ? `LARS γ_t = ${r.lr.gamma0}${r.lr.trust !== 1 ? `·${r.lr.trust}` : ''}·‖W‖/‖g_W‖`
        : r.lr.kind === 'cblr'
          ? `CBLR γ_t = ${r.lr.gamma0}/κ_W (${r.lr.gaussNewton ? 'Gauss–Newton ' : ''}curvature along the gradient)`
          : `MCLR γ_t = ${r.lr.gamma0}/κ (median secant curvature)`;
  const cap = r.lr.gammaMax !== undefined ? ` ≤ ${r.lr.gammaMax}` : '';
  const b = r.batch;
  const nb =
    b.kind === 'constant'
      ? 'constant n_b'
      : b.kind === 'adadamp'
        ? `AdaDamp n_b = ⌈${b.nb0}(ε0 − ε*)/(ε − ε*)⌉ ≤ ${b.nmax}, ε* = ${b.epsStar ?? 'Δ/2'}${b.dwell > 1 ? `, dwell ${b.dwell}` : ''}${b.nEst ? `, ε from ${b.nEst} fresh samples` : ''}`
        : `n_b = ⌈${b.schedule}⌉`;
  return `${lr}${cap}; ${nb}`;
}
