/**
 * Gradient descent against gradient flow on the depth-2 scalar linear network (THEORY §4.4,
 * arXiv 2501.09137). Both use the generated gradient and Hessian. Measured quantities sit beside
 * the closed forms, which hold when L = ½ m2 (aᵀb − Φ)² + c (ε = aᵀb − Φ, U = ‖a+b‖², V = ‖a−b‖²):
 *   flow:    aaᵀ − bbᵀ conserved, final sharpness λ_GF = m2 √(4Φ² + U0 V0);
 *   descent: imbalance contracted by (1 − η²m2²ε_t²) per step, final sharpness
 *            λ_GD = m2 √(4Φ² + U0 V0 Π_t (1 − η²m2²ε_t²)²) < λ_GF, local rate |1 − η λ_∞|;
 *   stability: convergence needs η λ_∞ < 2, so no minimum is stable for η > 1/(m2|Φ|); between
 *   2/λ_GF and 1/(m2|Φ|) descent can still converge (edge of stability), to λ_∞ < 2/η.
 */
import { Solver } from '../numeric/odex.ts';
import { symmetricEigenvalues } from '../linalg.ts';
import { Rng } from '../random/rng.ts';
import type { ParamDerivation } from '../paramdyn/derive.ts';

export interface GdgfRequest {
  etas: number[];
  a0: number[];
  b0: number[];
  params: number[];
  /** stop when |ε| (or ‖∇L‖ for a general loss) falls below this */
  tol: number;
  maxSteps: number;
  /** largest flow time */
  tauMax: number;
}

export interface RunReport {
  method: 'flow' | 'descent';
  eta: number | null;
  status: 'converged' | 'diverged' | 'not-converged';
  regime: string;
  finalLoss: number;
  /** descent steps, or flow time τ, to the tolerance */
  steps: number | null;
  tau: number | null;
  rateMeasured: number | null;
  ratePredicted: number | null;
  sharpness: number | null;
  sharpnessFormula: number | null;
  /** λ_∞ = ‖a‖² + ‖b‖² at the end */
  lambdaInf: number;
  parameterNorm: number;
  /** ‖D_T − D_0‖/‖D_0‖, D = aaᵀ − bbᵀ */
  imbalanceDrift: number;
  /** ‖D_T‖/‖D_0‖, and the predicted Π(1 − η²m2²ε_t²) (descent) or 1 (flow) */
  imbalanceRatio: number;
  imbalanceRatioPredicted: number | null;
  /** subsampled (step or τ, loss, ε, λ) for plots */
  trace: { t: number; loss: number; eps: number; lambda: number }[];
}

export interface GdgfReport {
  h: number;
  m2: number | null;
  phi: number | null;
  a0: number[];
  b0: number[];
  lambdaGF: number | null;
  stabilityLimit: number | null;
  edgeOfStability: [number, number] | null;
  runs: RunReport[];
  convention: string;
}

export function defaultInit(h: number, seed: number): { a0: number[]; b0: number[] } {
  const rng = new Rng(seed, 0x6d6);
  return { a0: Array.from({ length: h }, () => rng.normal()), b0: Array.from({ length: h }, () => rng.normal()) };
}

const norm2 = (x: number[]) => x.reduce((s, v) => s + v * v, 0);
const dotp = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0);

function imbalance(a: number[], b: number[]): number[] {
  const h = a.length;
  const D: number[] = [];
  for (let i = 0; i < h; i++) for (let j = 0; j < h; j++) D.push(a[i] * a[j] - b[i] * b[j]);
  return D;
}

function frob(D: number[]): number {
  return Math.sqrt(norm2(D));
}

export function runGdgf(der: ParamDerivation, req: GdgfRequest): GdgfReport {
  const h = der.h;
  const q = der.quadratic;
  const m = der.compiled;
  const n = 2 * h;
  const U0 = norm2(req.a0.map((x, i) => x + req.b0[i]));
  const V0 = norm2(req.a0.map((x, i) => x - req.b0[i]));
  const lambdaGF = q ? q.m2 * Math.sqrt(4 * q.phi * q.phi + U0 * V0) : null;
  const stabilityLimit = q && q.phi !== 0 ? 1 / (q.m2 * Math.abs(q.phi)) : null;
  const D0 = imbalance(req.a0, req.b0);
  const nD0 = frob(D0) || 1;
  const H = new Float64Array(n * n);
  const sharpnessAt = (th: number[]) => {
    m.hessian(th, req.params, H);
    const rows = Array.from({ length: n }, (_, i) => Array.from(H.slice(i * n, i * n + n)));
    const ev = symmetricEigenvalues(rows);
    return ev[ev.length - 1];
  };
  const epsOf = (th: number[]) => (q ? dotp(th.slice(0, h), th.slice(h)) - q.phi : NaN);
  const lamOf = (th: number[]) => norm2(th);
  const g = new Float64Array(n);
  const small = (th: number[]) => {
    if (q) return Math.abs(epsOf(th)) < req.tol * Math.max(1, Math.abs(q.phi));
    m.grad(th, req.params, g);
    return Math.sqrt(norm2([...g])) < req.tol;
  };
  const runs: RunReport[] = [];

  // ---- gradient flow (odex, tight tolerances so the conservation law is visible to 1e-10) ----
  {
    const solver = new Solver(n);
    solver.relativeTolerance = 1e-13;
    solver.absoluteTolerance = 1e-15;
    solver.maxSteps = 1e6;
    const dy = new Float64Array(n);
    const trace: RunReport['trace'] = [];
    let tau: number | null = null;
    let last = [...req.a0, ...req.b0];
    solver.solve(
      (t, y) => {
        m.rhs(t, y, req.params, dy);
        return dy;
      },
      0,
      last.slice(),
      req.tauMax,
      (_nr, _xold, x, y) => {
        last = y.slice();
        trace.push({ t: x, loss: m.loss(y, req.params), eps: epsOf(y), lambda: lamOf(y) });
        if (small(y)) {
          tau = x;
          return false;
        }
      },
    );
    const a = last.slice(0, h);
    const b = last.slice(h);
    const D = imbalance(a, b);
    const sharp = sharpnessAt(last);
    runs.push({
      method: 'flow',
      eta: null,
      status: tau !== null ? 'converged' : 'not-converged',
      regime: 'gradient flow',
      finalLoss: m.loss(last, req.params),
      steps: null,
      tau,
      rateMeasured: null,
      ratePredicted: null,
      sharpness: sharp,
      sharpnessFormula: lambdaGF,
      lambdaInf: lamOf(last),
      parameterNorm: Math.sqrt(lamOf(last)),
      imbalanceDrift: frob(D.map((v, i) => v - D0[i])) / nD0,
      imbalanceRatio: frob(D) / nD0,
      imbalanceRatioPredicted: 1,
      trace: subsample(trace, 400),
    });
  }

  // ---- gradient descent for each η ----
  for (const eta of req.etas) {
    let th = [...req.a0, ...req.b0];
    let prod = 1;
    const ratios: number[] = [];
    const trace: RunReport['trace'] = [];
    let status: RunReport['status'] = 'not-converged';
    let steps: number | null = null;
    let prevEps = epsOf(th);
    trace.push({ t: 0, loss: m.loss(th, req.params), eps: prevEps, lambda: lamOf(th) });
    for (let t = 1; t <= req.maxSteps; t++) {
      if (q) prod *= 1 - eta * eta * q.m2 * q.m2 * prevEps * prevEps;
      m.grad(th, req.params, g);
      th = th.map((v, i) => v - eta * g[i]);
      if (!th.every(Number.isFinite) || lamOf(th) > 1e16) {
        status = 'diverged';
        steps = t;
        break;
      }
      const e = epsOf(th);
      if (q && Math.abs(prevEps) > 1e-11 && Math.abs(prevEps) < 1e-5) ratios.push(Math.abs(e / prevEps));
      prevEps = e;
      if (t <= 2000 || t % Math.ceil(t / 2000) === 0) trace.push({ t, loss: m.loss(th, req.params), eps: e, lambda: lamOf(th) });
      if (small(th)) {
        status = 'converged';
        steps = t;
        break;
      }
    }
    const a = th.slice(0, h);
    const b = th.slice(h);
    const finite = th.every(Number.isFinite);
    const D = finite ? imbalance(a, b) : D0.map(() => NaN);
    const lambdaInf = lamOf(th);
    const sharp = finite ? sharpnessAt(th) : null;
    ratios.sort((x, y) => x - y);
    // stable: η < 2/λ_GF; edge of stability: 2/λ_GF < η < 1/(m2|Φ|); above: no minimum is stable
    let regime = 'stable';
    if (stabilityLimit !== null && eta > stabilityLimit) regime = 'no stable minimum';
    else if (lambdaGF !== null && eta > 2 / lambdaGF) regime = 'edge of stability';
    runs.push({
      method: 'descent',
      eta,
      status,
      regime,
      finalLoss: finite ? m.loss(th, req.params) : NaN,
      steps,
      tau: steps !== null ? steps * eta : null,
      rateMeasured: ratios.length ? ratios[Math.floor(ratios.length / 2)] : null,
      ratePredicted: status === 'converged' && sharp !== null ? Math.abs(1 - eta * sharp) : null,
      sharpness: sharp,
      sharpnessFormula: q && status === 'converged' ? q.m2 * Math.sqrt(4 * q.phi * q.phi + U0 * V0 * prod * prod) : null,
      lambdaInf,
      parameterNorm: Math.sqrt(lambdaInf),
      imbalanceDrift: frob(D.map((v, i) => v - D0[i])) / nD0,
      imbalanceRatio: frob(D) / nD0,
      imbalanceRatioPredicted: q ? Math.abs(prod) : null,
      trace,
    });
  }
  const eos: [number, number] | null = lambdaGF !== null && stabilityLimit !== null && 2 / lambdaGF < stabilityLimit ? [2 / lambdaGF, stabilityLimit] : null;
  return {
    h,
    m2: q?.m2 ?? null,
    phi: q?.phi ?? null,
    a0: req.a0,
    b0: req.b0,
    lambdaGF,
    stabilityLimit,
    edgeOfStability: eos,
    runs,
    convention: 'parameter space: flow time τ (dθ/dτ = −∇L), descent steps t (τ ≈ η t)',
  };
}

function subsample<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.round((i * (xs.length - 1)) / (max - 1))]);
  return out;
}
