/**
 * When a run has escaped the equator (THEORY §4.1): |M_jr| — one entry, or the largest — at or above
 * a threshold. The criterion as typed (`--threshold`, `--entry`) and as an event function on the
 * state vector, for the integrator's events and the studies of escape.
 */
import { usageError } from '../errors.ts';
import type { OdeModule } from '../pipeline.ts';

export interface EscapeCriterion {
  threshold: number;
  /** [j, r] (0-based) or null for max_jr |M_jr| */
  entry: [number, number] | null;
}

/** The escape function on a state vector: ≥ 0 once escaped. */
export function escapeFunction(der: OdeModule, c: EscapeCriterion): (y: ArrayLike<number>) => number {
  const { p, k } = der.model;
  const L = der.layout;
  return (y) => {
    if (c.entry) return Math.abs(y[L.M + c.entry[0] * k + c.entry[1]]) - c.threshold;
    let m = 0;
    for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) m = Math.max(m, Math.abs(y[L.M + j * k + r]));
    return m - c.threshold;
  };
}

/** An escape criterion: |M| ≥ threshold on the largest entry (`max`, the default) or on one entry `M_j_r` (1-based). */
export function escapeCriterion(threshold: number, entry: string | undefined, p: number, k: number): EscapeCriterion {
  const t = threshold;
  if (!(t > 0)) throw usageError('must be > 0', { field: 'threshold', value: threshold });
  if (!entry || entry === 'max') return { threshold: t, entry: null };
  const m = /^M_?(\d+)_?(\d+)$/.exec(entry);
  if (!m) throw usageError('expected max or M_j_r (1-based)', { field: 'entry', value: entry });
  const j = Number(m[1]) - 1;
  const r = Number(m[2]) - 1;
  if (j < 0 || j >= p || r < 0 || r >= k) throw usageError(`out of range for p = ${p}, k = ${k}`, { field: 'entry', value: entry });
  return { threshold: t, entry: [j, r] as [number, number] };
}
