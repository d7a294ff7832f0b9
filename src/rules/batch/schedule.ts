/**
 * A batch schedule: n_b = ⌈expression⌉ in tau and steps (and d, p, k), refused where it is not a
 * finite number ≥ 1. The expression is compiled once per run to one JavaScript source of
 * x = [τ, steps] that the ODE, the map and the simulators' worker threads all evaluate.
 */
import { usageError } from '../../errors.ts';
import { Expr } from '../../symbolic/expr.ts';
import { functionSource, compileSource } from '../../ir/js.ts';
import { idx, num } from '../../ir/ir.ts';
import type { BatchRuleDef } from '../types.ts';

/** Variables a batch schedule may use. */
export const SCHEDULE_VARS = ['tau', 'steps', 'd', 'p', 'k'] as const;

const where = (text: string) => ({ field: '--batch-schedule', value: text });

export const schedule: BatchRuleDef = {
  name: 'schedule',
  summary: 'n_b = ⌈expression in tau, steps, d, p, k⌉ (--batch-schedule)',
  params: [],
  text: { option: '--batch-schedule', field: 'nb', key: 'schedule', doc: 'n_b as an expression in tau or steps' },
  check(v, fieldOf) {
    Expr.parse(v.schedule as string, SCHEDULE_VARS, { field: fieldOf('nb'), value: v.schedule as string });
  },
  measures: () => [],
  prepare(v, { d, p, k }) {
    const e = Expr.parse(v.schedule as string, SCHEDULE_VARS, where(v.schedule as string));
    // tau, steps from x = [τ, steps]; d, p, k are numbers of this run
    return { ...v, src: functionSource({ name: 'x', type: 'f64[]' }, e.toIr({ tau: idx('x', 0), steps: idx('x', 1), d: num(d), p: num(p), k: num(k) })) };
  },
  create(v) {
    const text = v.schedule as string;
    const f = compileSource<(x: Float64Array) => number>(v.src as string);
    const x = new Float64Array(2);
    const at = (tau: number, steps: number) => {
      x[0] = tau;
      x[1] = steps;
      const n = f(x);
      if (!Number.isFinite(n) || n <= 0) throw usageError(`evaluates to ${n} at tau = ${tau}, steps = ${steps}: a batch size must be finite and > 0`, where(text));
      return { nb: Math.max(1, Math.ceil(n - 1e-9)), decay: 1 };
    };
    return {
      at: (tau, steps) => at(tau, steps),
      // at the start; over the whole run when the schedule depends on the steps alone
      checkRun(steps) {
        at(0, 0);
        if (!/\btau\b/.test(text)) for (let t = 0; t < steps; t++) at(0, t);
      },
    };
  },
  describe: (v) => `n_b = ⌈${v.schedule}⌉`,
};
