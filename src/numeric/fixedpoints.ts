/**
 * Fixed points of the overlap ODE and their linear stability (THEORY §2.11): from a start, the ODE is
 * integrated and its slowest saved state polished by Newton with the generated Jacobian; from the
 * start's symmetrisation (all M_jr equal, Q_jj equal, Q_jl equal, a_j equal — an invariant subspace
 * of a committee with equal teacher weights), the same, which finds the symmetric saddle a committee
 * plateaus at. Each fixed point is reported with its risk, every eigenvalue of the Jacobian, its type,
 * and for a saddle the leading unstable eigenvalue λ₊ and eigenvector (which overlaps move first), for
 * a stable point the slowest rate (the overlaps approach it like e^{−|λ|τ}).
 */
import type { Derivation } from '../pipeline.ts';
import { jacobianOf } from '../pipeline.ts';
import { runIntegration } from './run.ts';
import { stateOf, overlapsOf, omegaOf, type Overlaps } from './trajectory.ts';
import { pseudoInverse, realEigenvalues, luSolve, symmetricEigenvalues } from '../linalg.ts';
import { maxAbsOf, minOf } from '../extrema.ts';
import { failure } from '../errors.ts';
import { qIndex } from '../ode/layout.ts';

export interface Eigenvalue {
  re: number;
  im: number;
}

export interface FixedPoint {
  /** what seeded Newton: the end of the run from the start, its slowest saved state (a plateau), or the slowest state of the run from the start's symmetrisation */
  origin: 'end' | 'slowest' | 'symmetric';
  state: Overlaps;
  y: number[];
  risk: number;
  /** max |dy/dτ| at the point */
  residual: number;
  /** all eigenvalues of ∂(dy/dτ)/∂y (on the sphere under spherical and projected dynamics: without the Q_jj), by real part, largest first (rates per unit τ) */
  eigenvalues: Eigenvalue[];
  /** stable: every Re λ < 0; saddle: some > 0 and some < 0; unstable: none < 0; neutral directions (|Re λ| ≤ tol) counted apart */
  type: 'stable' | 'saddle' | 'unstable';
  unstable: number;
  neutral: number;
  /**
   * a saddle's (or unstable point's) largest eigenvalue and its eigenvector by state entry (unit norm);
   * `left`: the left eigenvector scaled so that left·vector = 1 (left·δy is the coordinate of δy along the vector)
   */
  leading?: {
    value: number;
    vector: Record<string, number>;
    left?: Record<string, number>;
    /** for a complex pair λ₊ = value ± i·imag: the imaginary part, and the eigenvector's imaginary part (v = vector + i·vectorImag, unit norm, its largest entry real and positive); the state spirals out of the plane (vector, vectorImag) like e^{value·τ} */
    imag?: number;
    vectorImag?: Record<string, number>;
  };
  /** a stable point's slowest rate min |Re λ|: the overlaps approach it like e^{−min|Re λ| τ} */
  slowest?: number;
  /**
   * a stable point's asymptotic risk rate: ε − ε* ~ e^{−rate·τ}, the slowest of |λ_j| over the modes that
   * change ε at first order (∇ε·v_j ≠ 0, possible on the boundary of Ω ⪰ 0) and 2 min|λ| (real eigenvalues only)
   */
  riskRate?: number;
  /**
   * a saddle's escape law (THEORY §2.11): from δ₀ along v₊ the state is `distance` away (max norm) after
   * τ = ln(δ* / δ₀)/λ₊, with δ* measured by integrating the ODE from δ₀ = 1e-6
   */
  escape?: { distance: number; deltaStar: number };
  /** the smallest eigenvalue of Ω = [[Q, M], [Mᵀ, P]] (≥ 0 for a state of weights) */
  omegaMin: number;
}

export interface FixedPointRequest {
  params: number[];
  start: Overlaps;
  /** how long the ODE runs from each start before Newton (τ) */
  tau: number;
  /** eigenvalues with |Re λ| below this are neutral (default 1e-9 of the largest |λ|) */
  tol?: number;
  /** called as each run from a start progresses */
  onProgress?: (tau: number, tauEnd: number) => void;
  /** seconds a run may be predicted to take (runIntegration's default: 600) */
  timeLimit?: number;
}

/**
 * The state entries that move: all of them, except under spherical and projected dynamics the norms
 * Q_jj = 1, which the dynamics keeps (its right-hand side off the sphere is not the model's): Newton and
 * the stability analysis work on the sphere.
 */
export function freeCoordinates(d: Derivation): number[] {
  const L = d.layout;
  const all = L.stateNames.map((_, i) => i);
  if (d.model.dynamics === 'plain') return all;
  const fixed = new Set(Array.from({ length: L.p }, (_, j) => L.Q + qIndex(L.p, j, j)));
  return all.filter((i) => !fixed.has(i));
}

/** Newton on dy/dτ = 0 with least-squares steps (J⁺: neutral directions, fixed norms) and backtracking. */
export function newtonFixedPoint(d: Derivation, y0: number[], params: number[], jac = jacobianOf(d)): { y: number[]; residual: number; iterations: number } {
  const N = y0.length;
  const free = freeCoordinates(d);
  const F = (y: number[]) => {
    const out = new Float64Array(N);
    d.compiled.rhs(0, y, params, out);
    return free.map((i) => out[i]);
  };
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  let y = y0.slice();
  let f = F(y);
  const J = new Float64Array(N * N);
  for (let it = 0; it < 60; it++) {
    const r = norm(f);
    if (r < 1e-13 * (1 + maxAbsOf(y))) return { y, residual: maxAbsOf(f), iterations: it };
    jac(0, y, params, J);
    const Jm = free.map((i) => free.map((j) => J[i * N + j]));
    // least squares: Δ = −(JᵀJ)⁺ Jᵀ f
    const JtJ = Jm[0].map((_, a) => Jm[0].map((_, b) => Jm.reduce((s, row) => s + row[a] * row[b], 0)));
    const Jtf = Jm[0].map((_, a) => Jm.reduce((s, row, i) => s + row[a] * f[i], 0));
    const Pinv = pseudoInverse(JtJ, 1e-14);
    const step = Pinv.map((row) => -row.reduce((s, x, b) => s + x * Jtf[b], 0));
    let alpha = 1;
    const move = (a: number) => {
      const z = y.slice();
      free.forEach((i, q) => (z[i] += a * step[q]));
      return z;
    };
    let next = move(alpha);
    let fn = F(next);
    while (!(norm(fn) < (1 - 1e-4 * alpha) * r) && alpha > 1e-6) {
      alpha /= 2;
      next = move(alpha);
      fn = F(next);
    }
    if (alpha <= 1e-6) return { y, residual: maxAbsOf(f), iterations: it };
    y = next;
    f = fn;
  }
  return { y, residual: maxAbsOf(f), iterations: 60 };
}

/** The start with its entries averaged over the committee's symmetry (students exchangeable, teachers exchangeable). */
export function symmetrised(o: Overlaps): Overlaps {
  const p = o.Q.length;
  const k = o.M[0]?.length ?? 0;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
  const m = mean(o.M.flat());
  const qd = mean(o.Q.map((r, j) => r[j]));
  const qo = mean(o.Q.flatMap((r, j) => r.filter((_, l) => l !== j)));
  const a = mean(o.a);
  return { ...o, M: Array.from({ length: p }, () => new Array(k).fill(m)), Q: Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => (j === l ? qd : qo))), a: o.a.map(() => a) };
}

/** A unit eigenvector of the real eigenvalue λ of A (n×n) by inverse iteration, shifted off λ by a hair so the solve is regular. */
function eigenvectorOf(A0: number[][], lambda: number): number[] {
  return complexEigenvectorOf(A0, lambda, 0).re;
}

/**
 * A unit eigenvector v = re + i·im of the eigenvalue λ = α + iβ of the real matrix A by inverse iteration
 * in real arithmetic: (A − λI)(x + iy) = b + ic is the 2n×2n system [[A − αI, βI], [−βI, A − αI]]·[x; y] = [b; c].
 * The phase makes the largest entry real and positive; for β = 0 the imaginary part is zero.
 */
export function complexEigenvectorOf(A0: number[][], alpha: number, beta: number): { re: number[]; im: number[] } {
  const n = A0.length;
  const a = alpha * (1 + 1e-10) + 1e-14;
  const b = beta * (1 + 1e-10);
  if (beta === 0) {
    const A = A0.map((row, i) => row.map((x, j) => x - (i === j ? a : 0)));
    let v = new Array(n).fill(1 / Math.sqrt(n));
    for (let it = 0; it < 4; it++) {
      const w = luSolve(A, v);
      const nv = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
      v = w.map((x) => x / nv);
    }
    return { re: v, im: new Array(n).fill(0) };
  }
  const B = Array.from({ length: 2 * n }, (_, r) =>
    Array.from({ length: 2 * n }, (_, c) => {
      const [i, j] = [r % n, c % n];
      const diag = r < n === c < n;
      if (diag) return A0[i][j] - (i === j ? a : 0);
      return i === j ? (r < n ? b : -b) : 0;
    }),
  );
  let x = Array.from({ length: 2 * n }, (_, i) => (i < n ? 1 : 0.5) / Math.sqrt(1.25 * n));
  for (let it = 0; it < 5; it++) {
    const w = luSolve(B, x);
    const nv = Math.sqrt(w.reduce((s, t) => s + t * t, 0));
    x = w.map((t) => t / nv);
  }
  let re = x.slice(0, n);
  let im = x.slice(n);
  // the phase: multiply by e^{−iφ} with φ the argument of the largest entry
  const big = re.reduce((k, _, i) => (Math.hypot(re[i], im[i]) > Math.hypot(re[k], im[k]) ? i : k), 0);
  const r0 = Math.hypot(re[big], im[big]);
  const [c, s] = [re[big] / r0, -im[big] / r0];
  [re, im] = [re.map((u, i) => u * c - im[i] * s), re.map((u, i) => u * s + im[i] * c)];
  im[big] = 0;
  return { re, im };
}

/**
 * The rate at which the risk approaches its value at a stable point (THEORY §2.11): ε − ε* ≈ ∇ε·δy +
 * ½ δyᵀ∇²ε δy, so a mode j enters at first order (rate |λ_j|) when ∇ε·v_j ≠ 0 and otherwise at second
 * order (2|λ_j| at the least, 2 min|λ| over all); the slowest of these. ∇ε by central differences of the
 * generated risk; a complex pair enters at first order when ∇ε is not orthogonal to both the real and the
 * imaginary part of its eigenvector (the risk then oscillates inside an envelope e^{−|Re λ| τ}).
 */
function riskRate(d: Derivation, y: number[], params: number[], Jm: number[][], free: number[], eigenvalues: Eigenvalue[], slowest: number): number | undefined {
  const g = free.map((i) => {
    const h = 1e-6 * Math.max(1, Math.abs(y[i]));
    const [yp, ym] = [y.slice(), y.slice()];
    yp[i] += h;
    ym[i] -= h;
    return (d.compiled.risk(yp, params) - d.compiled.risk(ym, params)) / (2 * h);
  });
  const gNorm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
  let rate = 2 * slowest;
  if (gNorm > 1e-10)
    for (const e of eigenvalues) {
      const v = complexEigenvectorOf(Jm, e.re, e.im);
      const along = Math.hypot(g.reduce((s, x, i) => s + x * v.re[i], 0), g.reduce((s, x, i) => s + x * v.im[i], 0));
      if (along > 1e-6 * gNorm) rate = Math.min(rate, -e.re);
    }
  return rate;
}

/** Linear stability of a state. */
export function stability(d: Derivation, y: number[], params: number[], tol?: number, jac = jacobianOf(d)): Pick<FixedPoint, 'eigenvalues' | 'type' | 'unstable' | 'neutral' | 'leading' | 'slowest' | 'riskRate'> {
  const N = y.length;
  const free = freeCoordinates(d);
  const J = new Float64Array(N * N);
  jac(0, y, params, J);
  const Jm = free.map((i) => free.map((j) => J[i * N + j]));
  const { re, im } = realEigenvalues(Jm);
  const eigenvalues = re.map((x, i) => ({ re: x, im: im[i] })).sort((a, b) => b.re - a.re || b.im - a.im);
  const scale = maxAbsOf(eigenvalues.map((e) => Math.hypot(e.re, e.im)), 1e-300);
  const t = tol ?? 1e-9 * scale;
  const unstable = eigenvalues.filter((e) => e.re > t).length;
  const neutral = eigenvalues.filter((e) => Math.abs(e.re) <= t).length;
  const stableCount = eigenvalues.length - unstable - neutral;
  const type = unstable === 0 ? 'stable' : stableCount > 0 ? 'saddle' : 'unstable';
  const out: ReturnType<typeof stability> = { eigenvalues, type, unstable, neutral };
  if (unstable) {
    const named = (x: number[]) => Object.fromEntries(free.map((i, q) => [d.layout.stateNames[i], x[q]]));
    const { re: lead, im: leadIm } = eigenvalues[0];
    if (leadIm === 0) {
      let v = eigenvectorOf(Jm, lead);
      const big = v.reduce((b, x, i) => (Math.abs(x) > Math.abs(v[b]) ? i : b), 0);
      if (v[big] < 0) v = v.map((x) => -x);
      // the left eigenvector, scaled so that w·v₊ = 1: w·δy is the coordinate of δy along v₊ (linear theory)
      const u = eigenvectorOf(Jm.map((_, i) => Jm.map((row) => row[i])), lead);
      const uv = u.reduce((s, x, i) => s + x * v[i], 0);
      out.leading = { value: lead, vector: named(v), ...(Math.abs(uv) > 1e-12 ? { left: named(u.map((x) => x / uv)) } : {}) };
    } else {
      const v = complexEigenvectorOf(Jm, lead, leadIm);
      out.leading = { value: lead, imag: leadIm, vector: named(v.re), vectorImag: named(v.im) };
    }
  }
  if (type === 'stable') {
    out.slowest = minOf(eigenvalues.filter((e) => e.re < -t).map((e) => -e.re));
    const rate = riskRate(d, y, params, Jm, free, eigenvalues, out.slowest);
    if (rate !== undefined) out.riskRate = rate;
  }
  return out;
}

/** The distance of leaving a saddle in the escape law, and the law's δ* measured from δ₀ = 1e-6 along v₊. */
export const ESCAPE_DISTANCE = 0.1;

export function escapeLaw(d: Derivation, fp: FixedPoint, params: number[], delta0 = 1e-6): { distance: number; deltaStar: number } | undefined {
  const lead = fp.leading;
  if (!lead) return undefined;
  const L = d.layout;
  const v = L.stateNames.map((n) => lead.vector[n] ?? 0);
  const y0 = fp.y.map((x, i) => x + delta0 * v[i]);
  const start = { ...overlapsOf(y0, L, fp.state.a), P: fp.state.P };
  const sets = Object.fromEntries(L.paramNames.map((name, i) => [name, params[i]]));
  const far = (y: ArrayLike<number>) => maxAbsOf(Array.from(y, (x, i) => x - fp.y[i])) - ESCAPE_DISTANCE;
  const horizon = (Math.log(ESCAPE_DISTANCE / delta0) / lead.value) * 4;
  const t = runIntegration(d, { tauEnd: horizon, points: 3, init: start, sets, measureAccuracy: false, events: [{ name: 'escape', g: far, terminal: true }] });
  const hit = t.events?.find((e) => e.name === 'escape');
  if (!hit) return undefined;
  return { distance: ESCAPE_DISTANCE, deltaStar: delta0 * Math.exp(lead.value * hit.tau) };
}

/** The fixed points reached from the start and from its symmetrisation (duplicates merged). */
export function findFixedPoints(d: Derivation, req: FixedPointRequest, jac = jacobianOf(d)): FixedPoint[] {
  const L = d.layout;
  const out: FixedPoint[] = [];
  const starts: [boolean, Overlaps][] = [[false, req.start], [true, symmetrised(req.start)]];
  for (const [sym, start] of starts) {
    // the ODE from the start; its end and the saved state where it moves least (a plateau) seed Newton
    const sets = Object.fromEntries(L.paramNames.map((name, i) => [name, req.params[i]]));
    const traj = runIntegration(d, { tauEnd: req.tau, points: 201, init: start, sets, measureAccuracy: false, timeLimit: req.timeLimit, onProgress: req.onProgress });
    if (traj.status !== 'completed') throw failure(`the run from the ${sym ? 'symmetrised ' : ''}start stopped (${traj.status}${traj.message ? `: ${traj.message}` : ''}) before τ = ${req.tau}`);
    const f = new Float64Array(L.stateNames.length);
    const states = traj.tau.map((_, i) => stateOf({ M: traj.M[i], Q: traj.Q[i], a: traj.a[i] }, L));
    const speeds = states.map((y) => (d.compiled.rhs(0, y, req.params, f), maxAbsOf(f)));
    const slowest = speeds.indexOf(minOf(speeds));
    const seeds: [FixedPoint['origin'], number[]][] = sym ? [['symmetric', states[slowest]]] : [['end', states[states.length - 1]], ['slowest', states[slowest]]];
    for (const [origin, y0] of seeds) {
      const { y, residual } = newtonFixedPoint(d, y0, req.params, jac);
      if (!(residual < 1e-9)) continue;
      if (out.some((fp) => maxAbsOf(fp.y.map((x, i) => x - y[i])) < 1e-7)) continue;
      const state = { ...overlapsOf(y, L, start.a), P: start.P };
      const omega = omegaOf(state.M, state.Q, state.P);
      const fp: FixedPoint = { origin, state, y, risk: d.compiled.risk(y, req.params), residual, ...stability(d, y, req.params, req.tol, jac), omegaMin: minOf(symmetricEigenvalues(omega)) };
      if (fp.type === 'saddle') fp.escape = escapeLaw(d, fp, req.params);
      out.push(fp);
    }
  }
  if (!out.length) throw failure(`no fixed point found: Newton did not converge from the state where the ODE moved least within τ = ${req.tau} (integrate longer with --tau, or start elsewhere with --init)`);
  return out;
}

/** One fixed point followed along a parameter: its state, type and largest Re λ at each value it exists at. */
export interface Branch {
  /** what seeded it at the first value */
  origin: FixedPoint['origin'];
  points: { value: number; y: number[]; risk: number; type: FixedPoint['type']; maxRe: number; unstable: number }[];
  /** where its largest Re λ changes sign (located by bisection), or where it stops existing */
  changes: { at: number; what: string }[];
}

/**
 * The fixed points of the first value followed over `values` of parameter `index` by natural
 * continuation (Newton from the previous value's point); a branch whose Newton fails has ended —
 * between the last value it had and this one a fixed point disappears (a bifurcation).
 */
/**
 * Where the largest Re λ of a branch changes sign between two of its points: bisection on the
 * parameter, the fixed point followed by Newton from the nearer known point at each midpoint (the
 * largest Re λ is not linear in the parameter — another eigenvalue often takes over — so interpolating
 * it would not do); to 1e-8 relative.
 */
function stabilityChange(d: Derivation, req: FixedPointRequest, jac: ReturnType<typeof jacobianOf>, at: (v: number) => number[], lo: { value: number; y: number[]; maxRe: number }, hi: { value: number; y: number[]; maxRe: number }): number {
  let [a, ya, fa] = [lo.value, lo.y, lo.maxRe];
  let b = hi.value;
  for (let it = 0; it < 60 && Math.abs(b - a) > 1e-8 * Math.max(1, Math.abs(a)); it++) {
    const m = 0.5 * (a + b);
    const r = newtonFixedPoint(d, ya, at(m), jac);
    if (!(r.residual < 1e-9)) break;
    const fm = stability(d, r.y, at(m), req.tol, jac).eigenvalues[0].re;
    if (Math.sign(fm) === Math.sign(fa)) [a, ya, fa] = [m, r.y, fm];
    else b = m;
  }
  return 0.5 * (a + b);
}

export function sweepFixedPoints(d: Derivation, req: FixedPointRequest, index: number, values: number[]): Branch[] {
  const jac = jacobianOf(d);
  const at = (v: number) => req.params.map((x, i) => (i === index ? v : x));
  const first = findFixedPoints(d, { ...req, params: at(values[0]) }, jac);
  const branches: Branch[] = first.map((f) => ({ origin: f.origin, points: [{ value: values[0], y: f.y, risk: f.risk, type: f.type, maxRe: f.eigenvalues[0].re, unstable: f.unstable }], changes: [] }));
  const open = new Set(branches.map((_, i) => i));
  for (const v of values.slice(1)) {
    const params = at(v);
    for (const b of [...open].map((i) => branches[i])) {
      const prev = b.points[b.points.length - 1];
      // adaptive continuation from the previous value: steps halved where Newton fails or jumps away
      // (onto another branch), lengthened where it succeeds; a branch that cannot be continued ends
      let cur = prev.value;
      let y = prev.y;
      let h = v - cur;
      while (cur !== v && Math.abs(h) > 1e-7 * (1 + Math.abs(cur))) {
        const next = Math.abs(v - cur) < Math.abs(h) ? v : cur + h;
        const r = newtonFixedPoint(d, y, at(next), jac);
        if (r.residual < 1e-9 && maxAbsOf(r.y.map((x, i) => x - y[i])) <= 0.2 * (1 + maxAbsOf(y))) {
          [cur, y] = [next, r.y];
          h *= 1.5;
        } else h /= 2;
      }
      if (cur !== v) {
        const last = stability(d, y, at(cur), req.tol, jac).eigenvalues[0].re;
        b.changes.push({ at: cur, what: `the branch ends at about ${cur.toPrecision(5)} (its largest Re λ is ${last.toExponential(1)} there: a fixed point meets another and both vanish)` });
        open.delete(branches.indexOf(b));
        continue;
      }
      const st = stability(d, y, params, req.tol, jac);
      const point = { value: v, y, risk: d.compiled.risk(y, params), type: st.type, maxRe: st.eigenvalues[0].re, unstable: st.unstable };
      if (Math.sign(point.maxRe) !== Math.sign(prev.maxRe)) {
        const c = stabilityChange(d, req, jac, at, prev, point);
        b.changes.push({ at: c, what: `${prev.type} → ${point.type}: the largest Re λ crosses 0 at ${c.toPrecision(6)}` });
      }
      b.points.push(point);
    }
  }
  return branches;
}
