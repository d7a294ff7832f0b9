/**
 * Saving times as values: the grid a trajectory is saved on, validated when it is built, and the
 * default grid's size chosen so that the saved times are round numbers.
 */
import { usageError } from '../errors.ts';
import { boundedCount, POINTS_BOUND } from '../limits.ts';

/**
 * The default number of saved points over [0, span]: about 60 intervals of a round length
 * (1, 2, 2.5 or 5 × 10ⁿ, integer when `integer`), so saved times read 0, 0.2, 0.4, … rather than
 * 0.1667, 0.3333; 61 points when no round length divides the span.
 */
export function roundGridPoints(span: number, integer = false, intervals = 60): number {
  if (!(span > 0) || !Number.isFinite(span)) return intervals + 1;
  const step = roundStepAtLeast(span / intervals, integer);
  const n = span / step;
  return Math.abs(n - Math.round(n)) <= 1e-9 * n && Math.round(n) >= 2 ? Math.round(n) + 1 : intervals + 1;
}

/** The round lengths 1, 2, 2.5, 5 × 10ⁿ from the smallest ≥ x upward (integers only when `integer`). */
export function* roundSteps(x: number, integer = false): Generator<number> {
  for (let e = Math.floor(Math.log10(x)) - 1; ; e++)
    for (const m of [1, 2, 2.5, 5]) {
      const s = Number((m * 10 ** e).toPrecision(12));
      if (s >= x * (1 - 1e-12) && (!integer || (s >= 1 && Number.isInteger(s)))) yield s;
    }
}

/** The smallest round length (roundSteps) ≥ x. */
export function roundStepAtLeast(x: number, integer = false): number {
  return roundSteps(x, integer).next().value as number;
}

/**
 * The times a trajectory is saved at, validated when built (as diffrax's SaveAt): `points` ≥ 2 times
 * from 0 to `tauEnd` inclusive, evenly spaced, or 0 followed by points − 1 times log-spaced from
 * tauEnd·10⁻⁴ to tauEnd (with points = 2 that is just 0 and tauEnd).
 */
export function timeGrid(tauEnd: number, points: number, log: boolean): number[] {
  if (!(tauEnd > 0) || !Number.isFinite(tauEnd)) throw usageError('must be a finite number > 0', { field: 'tau', value: tauEnd });
  boundedCount(points, 'points', 2, POINTS_BOUND);
  if (!log) return Array.from({ length: points }, (_, i) => (i === points - 1 ? tauEnd : (tauEnd * i) / (points - 1)));
  if (points === 2) return [0, tauEnd];
  const lo = Math.log(tauEnd * 1e-4);
  const hi = Math.log(tauEnd);
  return [0, ...Array.from({ length: points - 1 }, (_, i) => (i === points - 2 ? tauEnd : Math.exp(lo + ((hi - lo) * i) / (points - 2))))];
}

