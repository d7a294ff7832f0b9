/**
 * A stiff integrator for the overlap ODE: extrapolation of the linearly implicit Euler method
 * (Deuflhard; THEORY §2.12). One step of size H evaluates the Jacobian J once at its start and, for
 * each n_j of the sequence 1, 2, 3, …, takes n_j substeps h = H/n_j of
 *   (I − hJ) Δ = h (f(t_i, y_i) + h ∂f/∂t),  y_{i+1} = y_i + Δ,
 * which is L-stable and whose error has an expansion in powers of h; the Aitken–Neville tableau
 *   T_{j,k} = T_{j,k−1} + (T_{j,k−1} − T_{j−1,k−1}) / (n_j/n_{j−k+1} − 1)
 * raises the order by one per column. The step is accepted at the first column j ≥ 6 whose estimate
 * |T_{j,j} − T_{j,j−1}| is within the tolerances, and the next H follows from it. Explicit methods
 * (odex) are held to steps of about 1/|λ_max| by stability long after the solution has stopped
 * changing; this one takes steps the accuracy allows, which near a stable fixed point grow without
 * bound. Any matrix close to J keeps the method convergent (its increment is smooth in h for any fixed
 * matrix), so a finite-difference Jacobian serves where the generated one is not at hand.
 *
 * Output follows odex's interface (an output function after each accepted step with a dense-output
 * function), where dense(i, t) recomputes the step from its start to t — exact to the tolerances, not
 * an interpolant — so saving grids and events work unchanged.
 */
import { Outcome } from './odex.ts';

/** The right-hand side, the output function and the result, as odex's (types/odex.d.ts), so integrateOde drives either. */
export type Derivative = (x: number, y: number[]) => ArrayLike<number>;
export type OutputFunction = (nr: number, xold: number, x: number, y: number[], dense?: (component: number, x: number) => number) => boolean | void;
export interface SolveResult {
  y: number[];
  outcome: 0 | 1 | 2;
  nStep: number;
  xEnd: number;
  nAccept: number;
  nReject: number;
  nEval: number;
}

export type JacobianFn = (t: number, y: number[], J: Float64Array) => void;

const SEQUENCE = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/** the most a step lengthens the next one */
const GROWTH = 10;
/** the first row of the tableau a step may be accepted at (order 6; lower orders took 2–4× more steps on the committee runs measured) */
const FIRST_ACCEPT = 6;

/** LU decomposition with partial pivoting of the n×n row-major A, in place; the pivots in piv. */
function luFactor(A: Float64Array, n: number, piv: Int32Array): boolean {
  for (let k = 0; k < n; k++) {
    let p = k;
    let big = Math.abs(A[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(A[i * n + k]);
      if (v > big) {
        big = v;
        p = i;
      }
    }
    if (!(big > 0)) return false;
    piv[k] = p;
    if (p !== k)
      for (let j = 0; j < n; j++) {
        const t = A[k * n + j];
        A[k * n + j] = A[p * n + j];
        A[p * n + j] = t;
      }
    const d = A[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const m = (A[i * n + k] /= d);
      if (m !== 0) for (let j = k + 1; j < n; j++) A[i * n + j] -= m * A[k * n + j];
    }
  }
  return true;
}

function luSolveInPlace(A: Float64Array, n: number, piv: Int32Array, b: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const p = piv[k];
    if (p !== k) {
      const t = b[k];
      b[k] = b[p];
      b[p] = t;
    }
    for (let i = k + 1; i < n; i++) b[i] -= A[i * n + k] * b[k];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= A[i * n + j] * b[j];
    b[i] = s / A[i * n + i];
  }
}

export class LinearlyImplicitSolver {
  maxSteps = 200000;
  relativeTolerance = 1e-9;
  absoluteTolerance = 1e-11;
  /** the first step (default: from the size of y and f) */
  initialStepSize = 0;
  /** most columns of the tableau (order), at most SEQUENCE.length */
  maxColumns = 8;
  /** Jacobian evaluations of the last solve */
  jacobians = 0;

  constructor(readonly n: number) {}

  solve(f: Derivative, jac: JacobianFn, x0: number, y0: number[], xEnd: number, solOut?: OutputFunction): SolveResult {
    const n = this.n;
    const K = Math.min(this.maxColumns, SEQUENCE.length);
    const rtol = this.relativeTolerance;
    const atol = this.absoluteTolerance;
    let nEval = 0;
    const fe = (t: number, y: ArrayLike<number>, into: Float64Array) => {
      nEval++;
      const v = f(t, Array.from(y));
      for (let i = 0; i < n; i++) into[i] = v[i];
    };
    const J = new Float64Array(n * n);
    const W = new Float64Array(n * n);
    const piv = new Int32Array(n);
    const f0 = new Float64Array(n);
    const ft = new Float64Array(n);
    const fi = new Float64Array(n);
    const yi = new Float64Array(n);
    this.jacobians = 0;

    /** the linearly implicit Euler with n_j substeps over H from (x, y) (J, f0 = f(x, y), ft = ∂f/∂t given), into out */
    const column = (x: number, y: ArrayLike<number>, H: number, nj: number, out: Float64Array): boolean => {
      const h = H / nj;
      for (let i = 0; i < n * n; i++) W[i] = -h * J[i];
      for (let i = 0; i < n; i++) W[i * n + i] += 1;
      if (!luFactor(W, n, piv)) return false;
      for (let i = 0; i < n; i++) yi[i] = y[i];
      for (let s = 0; s < nj; s++) {
        if (s === 0) fi.set(f0);
        else fe(x + s * h, yi, fi);
        for (let i = 0; i < n; i++) fi[i] = h * (fi[i] + h * ft[i]);
        luSolveInPlace(W, n, piv, fi);
        for (let i = 0; i < n; i++) yi[i] += fi[i];
      }
      for (let i = 0; i < n; i++) if (!Number.isFinite(yi[i])) return false;
      out.set(yi);
      return true;
    };
    const errorOf = (y: ArrayLike<number>, a: Float64Array, b: Float64Array) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const sc = atol + rtol * Math.max(Math.abs(y[i]), Math.abs(a[i]));
        s += ((a[i] - b[i]) / sc) ** 2;
      }
      return Math.sqrt(s / n);
    };
    /**
     * One step of H from (x, y) with up to kmax rows of the tableau, accepted at the first row ≥ kAccept
     * whose estimate |T_{j,j} − T_{j,j−1}| is within the tolerances: the result, the estimate, the rows used.
     */
    const step = (x: number, y: ArrayLike<number>, H: number, kmax: number, kAccept: number): { y: Float64Array; err: number; k: number } | null => {
      let prev: Float64Array[] = [];
      let err = Infinity;
      for (let j = 0; j < kmax; j++) {
        const row = [new Float64Array(n)];
        if (!column(x, y, H, SEQUENCE[j], row[0])) return null;
        for (let k = 1; k <= j; k++) {
          const r = SEQUENCE[j] / SEQUENCE[j - k] - 1;
          const a = row[k - 1];
          const b = prev[k - 1];
          const c = new Float64Array(n);
          for (let i = 0; i < n; i++) c[i] = a[i] + (a[i] - b[i]) / r;
          row.push(c);
        }
        if (j > 0) {
          err = errorOf(y, row[j], row[j - 1]);
          if (j + 1 >= kAccept && err <= 1) return { y: row[j], err, k: j + 1 };
        }
        prev = row;
      }
      return { y: prev[kmax - 1], err, k: kmax };
    };
    let x = x0;
    let y = y0.slice();
    fe(x, y, f0);
    let H = this.initialStepSize;
    if (!(H > 0)) {
      let ny = 0;
      let nf = 0;
      for (let i = 0; i < n; i++) {
        const sc = atol + rtol * Math.abs(y[i]);
        ny += (y[i] / sc) ** 2;
        nf += (f0[i] / sc) ** 2;
      }
      H = nf > 0 ? 0.01 * Math.sqrt(ny / nf) : 1e-3;
      H = Math.min(Math.max(H, 1e-8 * Math.max(1, Math.abs(xEnd - x0))), xEnd - x0);
    }
    let nStep = 0;
    let nAccept = 0;
    let nReject = 0;
    let nr = 1;
    if (solOut && solOut(nr++, x, x, y.slice()) === false) return { y, outcome: Outcome.EarlyReturn, nStep, xEnd: x, nAccept, nReject, nEval };
    while (x < xEnd) {
      if (nStep >= this.maxSteps) return { y, outcome: Outcome.MaxStepsExceeded, nStep, xEnd: x, nAccept, nReject, nEval };
      nStep++;
      const last = x + H >= xEnd - 1e-14 * Math.max(1, Math.abs(xEnd));
      if (last) H = xEnd - x;
      // the Jacobian and ∂f/∂t at the start of the step (∂f/∂t by a forward difference; zero for an autonomous f)
      jac(x, y, J);
      this.jacobians++;
      const dt = 1e-7 * Math.max(1, Math.abs(x));
      fe(x + dt, y, ft);
      for (let i = 0; i < n; i++) ft[i] = (ft[i] - f0[i]) / dt;
      const r = step(x, y, H, K, Math.min(FIRST_ACCEPT, K));
      if (!r || !(r.err <= 1)) {
        nReject++;
        const fac = r && Number.isFinite(r.err) ? Math.max(0.1, 0.9 * (1 / r.err) ** (1 / r.k)) : 0.1;
        H *= Math.min(fac, 0.9);
        if (!(H > 1e-14 * Math.max(1, Math.abs(x)))) return { y, outcome: Outcome.MaxStepsExceeded, nStep, xEnd: x, nAccept, nReject, nEval };
        continue;
      }
      nAccept++;
      const xold = x;
      const yold = y;
      const Jold = Float64Array.from(J);
      const f0old = Float64Array.from(f0);
      const ftold = Float64Array.from(ft);
      const kUsed = r.k;
      x = last ? xEnd : x + H;
      y = Array.from(r.y);
      fe(x, y, f0);
      // dense output: the same step, from the start of this one to t, with as many columns as it took
      let cacheT = NaN;
      let cacheY: Float64Array | null = null;
      const dense = (c: number, t: number): number => {
        if (t !== cacheT) {
          const saveJ = Float64Array.from(J);
          const saveF0 = Float64Array.from(f0);
          const saveFt = Float64Array.from(ft);
          J.set(Jold);
          f0.set(f0old);
          ft.set(ftold);
          const s = t === xold ? null : step(xold, yold, t - xold, kUsed, kUsed);
          cacheY = s ? s.y : Float64Array.from(yold);
          cacheT = t;
          J.set(saveJ);
          f0.set(saveF0);
          ft.set(saveFt);
        }
        return (cacheY as Float64Array)[c];
      };
      if (solOut && solOut(nr++, xold, x, y.slice(), dense) === false) return { y, outcome: Outcome.EarlyReturn, nStep, xEnd: x, nAccept, nReject, nEval };
      const grow = r.err > 0 ? 0.9 * (1 / r.err) ** (1 / kUsed) : 10;
      H *= Math.min(GROWTH, Math.max(0.2, grow));
    }
    return { y, outcome: Outcome.Converged, nStep, xEnd: x, nAccept, nReject, nEval };
  }
}
