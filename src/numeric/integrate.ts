/**
 * The numeric stage: integrates a generated right-hand side with odex (Gragg–Bulirsch–Stoer) and
 * reads the solution on a requested grid from its dense output. Events (e.g. an escape time) are
 * located by bisection on the dense output between accepted steps. Failure is a value: the result
 * carries a status (`completed`, `event`, `blow-up`, `not-positive-definite`, `nan`, `max-steps`,
 * `too-slow`) and the trajectory up to the failure. A run whose pace says it would take longer than
 * its time limit stops early (`too-slow`) and says what one evaluation of the right-hand side costs.
 */
import { Solver, Outcome } from './odex.ts';
import { LinearlyImplicitSolver, type JacobianFn } from './implicit.ts';
import type { GeneratedModel } from '../codegen/compile.ts';
import { qIndex, type Layout } from '../ode/layout.ts';
import { positiveDefiniteShifted, symmetricEigenvalues } from '../linalg.ts';
import { overlapsOf, omegaOf, type Status } from './trajectory.ts';
import { durationText } from '../limits.ts';

export interface EventSpec {
  name: string;
  /** event when g(y) crosses zero from below */
  g: (y: ArrayLike<number>) => number;
  terminal?: boolean;
}

export interface IntegrateOptions {
  grid: number[];
  rtol?: number;
  atol?: number;
  maxSteps?: number;
  /** called after every accepted step with the time reached (for progress reports) */
  onProgress?: (tau: number, tauEnd: number) => void;
  events?: EventSpec[];
  /** |y_i| above this is a blow-up */
  blowUp?: number;
  /** P (k×k) and fixed a, for the positive-semi-definiteness check of Ω */
  P: number[][];
  aFixed: number[];
  /**
   * a right-hand side over an extended state (the overlaps first, then e.g. steps and samples under a
   * state-dependent rule); only the first `L.stateNames.length` entries are checked for blow-up and Ω ⪰ 0
   */
  rhs?: (t: number, y: number[], dydt: Float64Array) => void;
  /**
   * wall-clock limit in seconds (default none): the run is refused at once when 100 evaluations of the
   * right-hand side would exceed it, and stopped with status `too-slow` as soon as its pace (after
   * `TIME_PROBE_S` seconds) predicts a total beyond it — the elapsed time plus the fewest steps that can
   * reach the end (each at most 50× the last) at the last step's cost
   */
  timeLimit?: number;
  /** the clock (ms) the limit is measured with (tests replace it) */
  now?: () => number;
  /**
   * odex (explicit extrapolation, the default) or `implicit`: the linearly implicit Euler extrapolated
   * (THEORY §2.12), with `jacobian` (∂f/∂y of the right-hand side in use) or forward differences of it
   */
  integrator?: 'odex' | 'implicit';
  jacobian?: JacobianFn;
}

/** Seconds of a run after which its pace is trusted to predict its total time. */
export const TIME_PROBE_S = 5;
/** The largest factor by which odex lengthens its step (1/stepSizeFac1, its default 0.02). */
const MAX_STEP_GROWTH = 50;
/** The fewest right-hand-side evaluations any integration takes (odex's first step alone takes ~20). */
const MIN_EVALUATIONS = 100;

export interface Solution {
  tau: number[];
  y: number[][];
  status: Status;
  message?: string;
  events: { name: string; tau: number; y: number[] }[];
  stats: { steps: number; accepted: number; rejected: number; evaluations: number; wallMs: number; jacobians?: number };
}

/** ∂f/∂y by forward differences (n evaluations of f), for the implicit integrator where no Jacobian is given. */
function differenceJacobian(f: (t: number, y: number[]) => ArrayLike<number>, n: number): JacobianFn {
  return (t, y, J) => {
    const f0 = Float64Array.from(f(t, y));
    const z = y.slice();
    for (let j = 0; j < n; j++) {
      const h = 1.5e-8 * Math.max(Math.abs(y[j]), 1e-3);
      z[j] = y[j] + h;
      const fj = f(t, z);
      for (let i = 0; i < n; i++) J[i * n + j] = (fj[i] - f0[i]) / h;
      z[j] = y[j];
    }
  };
}

export function integrateOde(gm: GeneratedModel, L: Layout, y0: number[], params: number[], opts: IntegrateOptions): Solution {
  const n = y0.length;
  const nChecked = L.stateNames.length;
  const grid = opts.grid;
  const tEnd = grid[grid.length - 1];
  const implicit = opts.integrator === 'implicit';
  const solver = implicit ? new LinearlyImplicitSolver(n) : new Solver(n);
  if (!implicit) (solver as InstanceType<typeof Solver>).denseOutput = true;
  solver.relativeTolerance = opts.rtol ?? 1e-9;
  solver.absoluteTolerance = opts.atol ?? 1e-11;
  solver.maxSteps = opts.maxSteps ?? 200000;
  const blowUp = opts.blowUp ?? 1e6;
  const dy = new Float64Array(n);
  let evaluations = 0;
  const f = opts.rhs
    ? (t: number, y: number[]) => {
        evaluations++;
        (opts.rhs as NonNullable<IntegrateOptions['rhs']>)(t, y, dy);
        return dy;
      }
    : (t: number, y: number[]) => {
        evaluations++;
        gm.rhs(t, y, params, dy);
        return dy;
      };
  const out: Solution = { tau: [], y: [], status: 'completed', events: [], stats: { steps: 0, accepted: 0, rejected: 0, evaluations: 0, wallMs: 0 } };
  let gi = 0;
  const evPrev = (opts.events ?? []).map((e) => e.g(y0));
  let stop = false;
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const limitMs = (opts.timeLimit ?? Infinity) * 1000;
  const tooSlow = (predictedMs: number, reached: number): Solution => {
    const elapsed = now() - t0;
    out.status = 'too-slow';
    out.message = `at this pace the integration to τ = ${fmtT(tEnd)} would take about ${durationText(predictedMs / 1000)}, beyond the time limit of ${durationText(limitMs / 1000)} (τ = ${fmtT(reached)} after ${durationText(elapsed / 1000)}; one evaluation of the right-hand side costs ${fmtMs(elapsed / Math.max(1, evaluations))}, ${evaluations} so far)`;
    out.stats = { steps: 0, accepted: 0, rejected: 0, evaluations, wallMs: elapsed };
    return out;
  };
  if (Number.isFinite(limitMs)) {
    // one evaluation at the start (of the plain right-hand side: a rule's own state is not touched) —
    // a run that cannot finish even its first steps in time is refused now
    gm.rhs(grid[0], y0.slice(0, gm.stateNames.length), params, new Float64Array(gm.stateNames.length));
    evaluations++;
    const perEval = now() - t0;
    if (perEval * MIN_EVALUATIONS > limitMs) return tooSlow(perEval * MIN_EVALUATIONS, grid[0]);
  }
  const probeMs = Math.min(TIME_PROBE_S * 1000, limitMs / 10);
  const { p, k } = L;
  const nO = p + k;
  const omegaFlat = new Float64Array(nO * nO);
  for (let r = 0; r < k; r++) for (let t = 0; t < k; t++) omegaFlat[(p + r) * nO + p + t] = opts.P[r][t];
  const psdWork = new Float64Array(nO * nO);
  const check = (t: number, y: ArrayLike<number>): boolean => {
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(y[i])) {
        out.status = 'nan';
        out.message = `the state became NaN at τ = ${fmtT(t)}`;
        return false;
      }
      if (i >= nChecked) continue;
      if (!Number.isFinite(y[i]) || Math.abs(y[i]) > blowUp) {
        out.status = 'blow-up';
        out.message = `the overlaps blew up at τ = ${fmtT(t)} (|${L.stateNames[i]}| = ${Math.abs(y[i]).toExponential(3)} > ${blowUp.toExponential(0)})`;
        return false;
      }
    }
    // Ω = [[Q, M], [Mᵀ, P]] from y into a reused buffer (this runs at every step, before V8 optimises it)
    let scale = 1;
    for (let j = 0; j < p; j++) {
      for (let l = 0; l < p; l++) omegaFlat[j * nO + l] = y[L.Q + qIndex(p, j, l)];
      for (let r = 0; r < k; r++) omegaFlat[j * nO + p + r] = omegaFlat[(p + r) * nO + j] = y[L.M + j * k + r];
      scale = Math.max(scale, Math.abs(omegaFlat[j * nO + j]));
    }
    for (let r = 0; r < k; r++) scale = Math.max(scale, Math.abs(omegaFlat[(p + r) * nO + p + r]));
    // Ω becomes singular at perfect learning (M = Q = P), where the integrator's own error can push an
    // eigenvalue below zero: only a negative part beyond what the tolerances allow is a failure (tested
    // by a Cholesky factorisation of Ω + tol·I at every step; the eigenvalues only for the message)
    const tol = psdTolerance(nO, scale, opts.rtol ?? 1e-9, opts.atol ?? 1e-11);
    if (!positiveDefiniteShifted(omegaFlat, nO, tol, psdWork)) {
      const o = overlapsOf(y, L, opts.aFixed);
      const ev = symmetricEigenvalues(omegaOf(o.M, o.Q, opts.P));
      out.status = 'not-positive-definite';
      out.message = `Ω = [[Q, M], [Mᵀ, P]] lost positive semi-definiteness at τ = ${fmtT(t)} (smallest eigenvalue ${ev[0].toExponential(3)})`;
      return false;
    }
    return true;
  };
  let slow = false;
  let lastMs = t0;
  const output: Parameters<InstanceType<typeof Solver>['solve']>[4] = (nr, xold, x, y, dense) => {
    if (!check(x, y)) return false;
    const at = now();
    const elapsed = at - t0;
    const stepMs = at - lastMs;
    lastMs = at;
    if (elapsed > probeMs && x < tEnd && x > xold) {
      // the least the rest can take: steps of the last one's cost, each up to MAX_STEP_GROWTH× longer
      // than the one before (odex starts with a small step and lengthens it, so the pace since the
      // start would overstate the rest by orders of magnitude — a first step of 1e-4 is not a pace)
      const h = x - xold;
      const predicted = elapsed + (Math.log1p(((tEnd - x) * (MAX_STEP_GROWTH - 1)) / h) / Math.log(MAX_STEP_GROWTH)) * stepMs;
      if (predicted > limitMs) {
        slow = true;
        tooSlow(predicted, x);
        return false;
      }
    }
    opts.onProgress?.(x, tEnd);
    const interp = (t: number) => Array.from({ length: n }, (_, i) => (t === x ? y[i] : (dense as (c: number, x: number) => number)(i, t)));
    // events: sign change of g from below between xold and x
    if (opts.events && nr > 1) {
      for (let e = 0; e < opts.events.length; e++) {
        const ev = opts.events[e];
        const gNew = ev.g(y);
        if (evPrev[e] < 0 && gNew >= 0) {
          let lo = xold;
          let hi = x;
          for (let it = 0; it < 80 && hi - lo > 1e-13 * Math.max(1, Math.abs(hi)); it++) {
            const mid = 0.5 * (lo + hi);
            if (ev.g(interp(mid)) < 0) lo = mid;
            else hi = mid;
          }
          out.events.push({ name: ev.name, tau: hi, y: interp(hi) });
          if (ev.terminal) stop = true;
        }
        evPrev[e] = gNew;
      }
    }
    const limit = stop ? out.events[out.events.length - 1].tau : x;
    while (gi < grid.length && grid[gi] <= limit + 1e-12 * Math.max(1, Math.abs(limit))) {
      const t = grid[gi];
      out.tau.push(t);
      out.y.push(nr === 1 ? y.slice() : interp(Math.min(t, x)));
      gi++;
    }
    if (stop) {
      out.status = 'event';
      return false;
    }
  };
  const res = implicit
    ? (solver as LinearlyImplicitSolver).solve(f, opts.jacobian ?? differenceJacobian(f, n), grid[0], y0.slice(), tEnd, output)
    : (solver as InstanceType<typeof Solver>).solve(f, grid[0], y0.slice(), tEnd, output);
  out.stats = { steps: res.nStep, accepted: res.nAccept, rejected: res.nReject, evaluations: res.nEval, wallMs: now() - t0, ...(implicit ? { jacobians: (solver as LinearlyImplicitSolver).jacobians } : {}) };
  if (slow) return out;
  if (res.outcome === Outcome.MaxStepsExceeded && out.status === 'completed') {
    out.status = 'max-steps';
    out.message = `${implicit ? 'the implicit integrator' : 'odex'} took more than ${solver.maxSteps} steps and stopped at τ = ${fmtT(out.tau[out.tau.length - 1] ?? grid[0])} of ${fmtT(tEnd)}`;
  }
  return out;
}

/**
 * How far below zero the smallest eigenvalue of Ω may go before it is a real loss of positive
 * semi-definiteness rather than integration error: each entry of the state carries an error of order
 * rtol·|y| + atol, the eigenvalues of an n×n perturbation with such entries move by at most n times
 * that, and a factor 10 covers the accumulation over steps.
 */
export function psdTolerance(n: number, scale: number, rtol: number, atol: number): number {
  return 10 * n * (rtol * scale + atol);
}

function fmtT(t: number): string {
  return Number(t.toPrecision(6)).toString();
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toPrecision(2))} s` : ms >= 1 ? `${Number(ms.toPrecision(2))} ms` : `${Number((ms * 1000).toPrecision(2))} µs`;
}

/** Classic fixed-step RK4 of the same right-hand side (reference for tests and benchmarks). */
export function rk4(gm: GeneratedModel, y0: number[], params: number[], tEnd: number, dt: number): number[] {
  const n = y0.length;
  let y = Float64Array.from(y0);
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const tmp = new Float64Array(n);
  const steps = Math.round(tEnd / dt);
  const h = tEnd / steps;
  for (let s = 0; s < steps; s++) {
    const t = s * h;
    gm.rhs(t, y, params, k1);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k1[i];
    gm.rhs(t + 0.5 * h, tmp, params, k2);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k2[i];
    gm.rhs(t + 0.5 * h, tmp, params, k3);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + h * k3[i];
    gm.rhs(t + h, tmp, params, k4);
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) next[i] = y[i] + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    y = next;
  }
  return [...y];
}

/** Fixed-step Euler (what the classic simulators' ODE codes use), for benchmarks. */
export function euler(gm: GeneratedModel, y0: number[], params: number[], tEnd: number, dt: number): number[] {
  const n = y0.length;
  const y = Float64Array.from(y0);
  const d = new Float64Array(n);
  const steps = Math.round(tEnd / dt);
  const h = tEnd / steps;
  for (let s = 0; s < steps; s++) {
    gm.rhs(s * h, y, params, d);
    for (let i = 0; i < n; i++) y[i] += h * d[i];
  }
  return [...y];
}
