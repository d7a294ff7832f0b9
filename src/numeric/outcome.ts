/**
 * Integrate, map and simulate end with one vocabulary (`Status` of numeric/trajectory.ts); here it
 * becomes one message and exit code 1 when a run did not complete, so every command says the same
 * thing about the same failure.
 */
import type { Status } from './trajectory.ts';
import { failure, usageError, type ErrorWhere } from '../errors.ts';
import { numberValue } from './setup.ts';
import { DEFAULT_TIME_LIMIT_S, TIME_LIMIT_OVERRIDE } from '../limits.ts';

const HINT: Partial<Record<Status, string>> = {
  'blow-up': 'the learning rate is above this model’s stability limit (the variance term outgrows the drift); lower eta_bar or gamma',
  nan: 'the expectations are not defined at this state; check the activation and the start',
  'max-steps': 'the right-hand side is stiff or rough there; loosen --rtol, raise --max-steps or shorten --tau',
  'too-slow': 'a faster expectation backend (hermode backends FILE lists those that apply), fewer quadrature nodes, a smaller width or a shorter --tau makes it feasible; ' + TIME_LIMIT_OVERRIDE,
};

/** Throws a failure naming what stopped, where and why, unless the run completed (or stopped at its event). */
export function requireCompleted(run: { status: Status; message?: string; meta?: Record<string, unknown> }, what: string, where: ErrorWhere = {}): void {
  if (run.status === 'completed' || run.status === 'event') return;
  const hint = HINT[run.status];
  const params = run.meta?.params ? ` (params ${JSON.stringify(run.meta.params)})` : '';
  throw failure(`${what} stopped: ${run.message ?? run.status}${hint ? ` — ${hint}` : ''}${params}`, where);
}

/** --time-limit S / --no-time-limit as seconds (Infinity for none). */
export function timeLimitOf(o: { timeLimit?: string | false }): number {
  if (o.timeLimit === false) return Infinity;
  const s = numberValue(o.timeLimit ?? String(DEFAULT_TIME_LIMIT_S), '--time-limit');
  if (!(s > 0)) throw usageError('must be a number of seconds > 0 (or --no-time-limit)', { field: '--time-limit', value: o.timeLimit });
  return s;
}
