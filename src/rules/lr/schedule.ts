/**
 * A learning-rate schedule: η̄ = expression in tau and steps (and d, p, k), so γ_t = η̄ n_b/d at the
 * step's batch. Refused where it is not a finite number > 0. Like the batch schedule, the expression
 * is compiled once per run to one JavaScript source of x = [τ, steps] that the ODE, the map and the
 * simulators' worker threads all evaluate; τ is the time reached (Σ γ), steps those taken before.
 */
import { usageError } from '../../errors.ts';
import { Expr } from '../../symbolic/expr.ts';
import { functionSource, compileSource } from '../../ir/js.ts';
import { idx, num } from '../../ir/ir.ts';
import type { LrRuleDef, RuleValue } from '../types.ts';
import { SCHEDULE_VARS } from '../batch/schedule.ts';

const where = (text: string) => ({ field: '--lr-schedule', value: text });

/** The compiled schedule of a prepared value (compiled once per value). */
const compiled = new WeakMap<RuleValue, (x: Float64Array) => number>();
const x = new Float64Array(2);

export const schedule: LrRuleDef = {
  name: 'schedule',
  summary: 'η̄ = expression in tau, steps, d, p, k (--lr-schedule); γ_t = η̄ n_b/d',
  params: [],
  given: 'refused',
  text: { option: '--lr-schedule', field: 'eta_bar', key: 'schedule', doc: 'η̄ as an expression in tau or steps' },
  measures: [],
  check(v) {
    Expr.parse(v.schedule as string, SCHEDULE_VARS, where(v.schedule as string));
  },
  prepare(v, { d, p, k }) {
    const e = Expr.parse(v.schedule as string, SCHEDULE_VARS, where(v.schedule as string));
    return { ...v, d, src: functionSource({ name: 'x', type: 'f64[]' }, e.toIr({ tau: idx('x', 0), steps: idx('x', 1), d: num(d), p: num(p), k: num(k) })) };
  },
  rate(v, _probe, at) {
    let f = compiled.get(v);
    if (!f) compiled.set(v, (f = compileSource<(x: Float64Array) => number>(v.src as string)));
    x[0] = at.tau ?? 0;
    x[1] = at.steps ?? 0;
    const etaBar = f(x);
    if (!Number.isFinite(etaBar) || etaBar <= 0) throw usageError(`evaluates to ${etaBar} at tau = ${x[0]}, steps = ${x[1]}: η̄ must be finite and > 0`, where(v.schedule as string));
    return (etaBar * (at.nb as number)) / (v.d as number);
  },
  initial: () => NaN,
  describe: (v) => `η̄ = ${v.schedule}`,
};
