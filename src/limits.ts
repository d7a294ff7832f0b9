/**
 * Sizes a user types, bounded where they enter (timeGrid, stepGrid, the simulators, the seed lists):
 * each refusal is one line naming the size, what it would cost and the limit. The memory limit is
 * what this process may hold — half of V8's heap limit (about 2 GB on a 64-bit machine with ≥ 16 GB),
 * the other half left for the work the trajectory comes from and its JSON text.
 */
import { getHeapStatistics } from 'node:v8';
import { usageError } from './errors.ts';

/** Saved points of one trajectory (a grid of τ or of steps). */
export const MAX_POINTS = 1_000_000;
/** Seeds of one simulation run (more: split them over Slurm tasks or seed ranges). */
export const MAX_SEEDS = 100_000;
/** The input dimension of a simulation. */
export const MAX_D = 1e9;
/** Worker threads of one run. */
export const MAX_WORKERS = 256;
/** An upper bound of a size, with what it bounds (the refusal says both). */
export interface Bound {
  max: number;
  why: string;
}
export const POINTS_BOUND: Bound = { max: MAX_POINTS, why: 'saved points of one trajectory' };
export const SEEDS_BOUND: Bound = { max: MAX_SEEDS, why: 'seeds of one run: split larger batches into seed ranges or Slurm tasks' };
export const D_BOUND: Bound = { max: MAX_D, why: 'the input dimension of a simulation' };
export const WORKERS_BOUND: Bound = { max: MAX_WORKERS, why: 'worker threads' };

/** The refusal of a size above its bound. */
export const beyondBound = (b: Bound): string => `at most ${b.max.toLocaleString('en-US')} (${b.why})`;

/** Wall-clock seconds an integration may be predicted to take before it is stopped (--time-limit). */
export const DEFAULT_TIME_LIMIT_S = 600;
/** How a run refused for its time is let through, in every such message. */
export const TIME_LIMIT_OVERRIDE = '--time-limit S or --no-time-limit lets it run';

/** Bytes this process may spend on one result (half of V8's heap limit). */
export function memoryBudget(): number {
  return getHeapStatistics().heap_size_limit / 2;
}

/**
 * Bytes a saved trajectory of `points` states with `entries` numbers each takes in memory (nested
 * arrays of doubles: ~40 bytes a number with array overhead, measured on integrate at 10⁶ points).
 */
export function trajectoryBytes(points: number, entries: number): number {
  return points * (entries + 8) * 40;
}

export function bytesText(b: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let u = 0;
  while (b >= 1000 && u < units.length - 1) (b /= 1000), u++;
  return `${Number(b.toPrecision(2))} ${units[u]}`;
}

/** Refuses an integer count below `min` or above its bound, naming the field and the value. */
export function boundedCount(value: number, field: string, min: number, bound: Bound): number {
  if (!Number.isInteger(value) || value < min) throw usageError(`must be an integer ≥ ${min}`, { field, value });
  if (value > bound.max) throw usageError(beyondBound(bound), { field, value });
  return value;
}

/** Refuses a request whose estimated memory exceeds what this process can hold. */
export function requireMemory(bytes: number, field: string, value: unknown, what: string): void {
  const budget = memoryBudget();
  if (bytes > budget) throw usageError(`${what} needs about ${bytesText(bytes)}, more than this process can hold (${bytesText(budget)})`, { field, value });
}

/** A duration for a person: seconds below two minutes, then minutes, hours, days (two digits). */
export function durationText(s: number): string {
  const two = (x: number) => Number(x.toPrecision(2));
  return s >= 172800 ? `${two(s / 86400)} days` : s >= 7200 ? `${two(s / 3600)} h` : s >= 120 ? `${two(s / 60)} min` : `${two(s)} s`;
}
