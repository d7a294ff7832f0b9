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
/** Bounds of the sizes typed on the command line, for integerValue. */
export const SEEDS_BOUND = { max: MAX_SEEDS, why: 'seeds of one run: split larger batches into seed ranges or Slurm tasks' };
export const D_BOUND = { max: MAX_D, why: 'the input dimension of a simulation' };
export const WORKERS_BOUND = { max: MAX_WORKERS, why: 'worker threads' };

/** Wall-clock seconds an integration may be predicted to take before it is stopped (--time-limit). */
export const DEFAULT_TIME_LIMIT_S = 600;

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

/** Refuses an integer count outside [min, max] with the field, its value and the bound. */
export function boundedCount(value: number, field: string, min: number, max: number, why: string): number {
  if (!Number.isInteger(value) || value < min) throw usageError(`must be an integer ≥ ${min}`, { field, value });
  if (value > max) throw usageError(`at most ${max.toLocaleString('en-US')} (${why})`, { field, value });
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
