/**
 * The points where an activation is not smooth — jumps of f (step, sign), of f′ (kinks: ReLU at 0,
 * hard-tanh at ±1, relu(z − b)) and of f″ (ELU, z·relu(z)) — found from values, whatever way the
 * function was written. On a grid of step 1/64 over [−24, 24] a jump shows as one difference far
 * larger than its neighbours'; it is then located by bisection (to ~1e-13 for f and f′, ~2e-5 for
 * f″, whose values come from central differences of f′) and kept only if the jump persists at that
 * scale (a steep but smooth function's differences shrink with the interval; a jump's do not).
 */
import type { Activation } from './activation.ts';
import { maxAbsOf } from '../extrema.ts';

const H = 1 / 64;
const RANGE = 24;

/** Jump locations of v on the grid, refined by bisection; `tol` is the final bracket width. */
function jumps(v: (x: number) => number, tol: number, floor: number): number[] {
  const n = Math.round((2 * RANGE) / H);
  // shifted off the round numbers where breakpoints usually sit (a breakpoint on a grid point splits its jump in two)
  const xs = Array.from({ length: n + 1 }, (_, i) => -RANGE + (i + 0.3183) * H);
  const vs = xs.map(v);
  if (!vs.every(Number.isFinite)) return [];
  const scale = maxAbsOf(vs, 1);
  const d = vs.slice(1).map((x, i) => Math.abs(x - vs[i]));
  const out: number[] = [];
  for (let i = 1; i + 1 < d.length; i++) {
    const around = Math.max(d[i - 1], d[i + 1]);
    if (!(d[i] > 8 * around + floor * scale)) continue;
    // bisection: keep the half whose ends differ most (the jump stays inside)
    let a = xs[i];
    let b = xs[i + 1];
    const va = vs[i];
    const vb = vs[i + 1];
    while (b - a > tol) {
      const m = 0.5 * (a + b);
      const vm = v(m);
      if (Math.abs(vm - va) < Math.abs(vb - vm)) a = m;
      else b = m;
    }
    const J = Math.abs(v(b) - v(a));
    if (J > 0.25 * d[i]) out.push(0.5 * (a + b));
  }
  return out;
}

/** x on the grid of `unit` when within `tol` of it (breakpoints usually sit at round numbers). */
const snap = (x: number, unit: number, tol: number) => (Math.abs(x - Math.round(x / unit) * unit) < tol ? Math.round(x / unit) * unit : x);

/** A point where f (order 0), f′ (1) or f″ (2) jumps. */
export interface Breakpoint {
  at: number;
  order: 0 | 1 | 2;
}

const cache = new WeakMap<Activation, Breakpoint[]>();

/** The breakpoints of an activation, sorted, the lowest order at each point (empty for a smooth one); found once per activation. */
export function breakpoints(act: Activation): Breakpoint[] {
  let hit = cache.get(act);
  if (!hit) cache.set(act, (hit = findBreakpoints(act)));
  return hit;
}

function findBreakpoints(act: Activation): Breakpoint[] {
  const f = act.f;
  const df = act.df;
  const eps = 1e-6;
  const d2 = (x: number) => (df(x + eps) - df(x - eps)) / (2 * eps);
  // noise floors relative to the function's scale: f and f′ to round-off, f″ (central differences) to ~1e-5
  const found: Breakpoint[] = [
    ...jumps(f, 1e-13, 1e-10).map((x) => ({ at: snap(x, 1e-6, 1e-8), order: 0 as const })),
    ...jumps(df, 1e-13, 1e-9).map((x) => ({ at: snap(x, 1e-6, 1e-8), order: 1 as const })),
    ...jumps(d2, 2e-5, 1e-5).map((x) => ({ at: snap(x, 1e-4, 3e-5), order: 2 as const })),
  ].sort((a, b) => a.at - b.at || a.order - b.order);
  const out: Breakpoint[] = [];
  for (const b of found) if (!out.length || b.at - out[out.length - 1].at > 1e-4) out.push(b);
  return out;
}
