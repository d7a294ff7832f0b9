/**
 * Finite-d online SGD exactly as THEORY §2.1 — the "full" simulator. Inputs z ~ N(0, I_d) fresh at
 * every use; teacher W* with W*W*ᵀ = P in the first k coordinates (by rotation invariance any
 * orthonormal teacher is equivalent) or random Gaussian rows; student f = (1/p) Σ a_j σ(w_j·z);
 * mini-batch n_b; MSE or correlation loss; fixed or trained second layer (rate κγ); label noise Δ;
 * plain, projected or spherical updates.
 *
 * The kernel imports only the RNG: activations arrive as JavaScript source and are compiled here, so
 * it runs unchanged in worker threads. Float64Array storage, no allocation inside the step loop; for
 * n_b = 1 with plain updates the forward pass, error and update touch each input twice (one pass
 * computing all p + k fields, one pass applying the p row updates).
 */
import { usageError } from '../errors.ts';
import { Rng } from '../random/rng.ts';
import { escapeChecker } from './escape-check.ts';
import { choleskyPsd } from '../linalg.ts';

export interface KernelConfig {
  p: number;
  k: number;
  d: number;
  nb: number;
  gamma: number;
  /** second-layer rate ratio κ (γ_a = κγ); ignored when the second layer is fixed */
  kappa: number;
  trainA: boolean;
  Delta: number;
  loss: 'mse' | 'correlation';
  dynamics: 'plain' | 'spherical' | 'projected';
  /** total steps and the (sorted, unique) steps at which to record overlaps; step 0 is the start */
  steps: number;
  record: number[];
  P: number[][];
  teacher: 'orthonormal' | 'random';
  /** exact initial overlaps, or null for the random start w_j = g_j/√d */
  init: { M: number[][]; Q: number[][]; a: number[] } | null;
  a0: number[];
  /** JavaScript sources evaluating to functions: σ(x), σ′(x), target(ν: Float64Array) */
  sigmaSrc: string;
  dsigmaSrc: string;
  targetSrc: string;
  /**
   * escape detection, checked after every step: the first step at which |M_jr| (the entry given, or
   * the largest over all entries) reaches the threshold; with `stop` the seed ends there.
   */
  escape?: { threshold: number; entry: [number, number] | null; stop: boolean };
}

export interface SeedResult {
  seed: number;
  M: number[][][];
  Q: number[][][];
  a: number[][];
  /** teacher overlaps actually used (random teachers have P ≈ I) */
  P: number[][];
  /** true when the weights became non-finite: recording stopped there */
  diverged: boolean;
  divergedAt?: number;
  /** first step at which the escape criterion held (undefined: not within the run) */
  escapeStep?: number;
}

const compiled = new Map<string, unknown>();

/** Compiles a function source once per thread. */
export function compileFn<T>(src: string): T {
  let f = compiled.get(src);
  if (!f) compiled.set(src, (f = new Function(`return (${src});`)()));
  return f as T;
}

/**
 * Student and teacher weights with exactly the given overlaps: W* = [L_P | 0], W = [X | R | 0] with
 * X L_Pᵀ = M and R Rᵀ = Q − X Xᵀ (a Schur complement, positive semi-definite when Ω is).
 */
export function weightsWithOverlaps(M: number[][], Q: number[][], P: number[][], d: number, zeroPivot = 1e-14): { W: Float64Array; LP: number[][] } {
  const p = Q.length;
  const k = P.length;
  if (d < p + k) throw usageError(`must be at least p + k = ${p + k}`, { field: 'd', value: d });
  const LP = choleskyPsd(P, zeroPivot);
  const X = M.map((m) => {
    const x = new Array(k).fill(0);
    for (let r = 0; r < k; r++) {
      let s = m[r];
      for (let t = 0; t < r; t++) s -= LP[r][t] * x[t];
      x[r] = LP[r][r] > 1e-14 ? s / LP[r][r] : 0;
    }
    return x;
  });
  const S = Q.map((row, j) => row.map((q, l) => q - X[j].reduce((s, x, t) => s + x * X[l][t], 0)));
  const R = choleskyPsd(S, zeroPivot);
  const W = new Float64Array(p * d);
  for (let j = 0; j < p; j++) {
    for (let r = 0; r < k; r++) W[j * d + r] = X[j][r];
    for (let l = 0; l < p; l++) W[j * d + k + l] = R[j][l];
  }
  return { W, LP };
}

export function runSeed(cfg: KernelConfig, seed: number, onProgress?: (step: number) => void): SeedResult {
  const { p, k, d, nb, gamma } = cfg;
  const sigma = compileFn<(x: number) => number>(cfg.sigmaSrc);
  const dsigma = compileFn<(x: number) => number>(cfg.dsigmaSrc);
  const target = compileFn<(nu: Float64Array) => number>(cfg.targetSrc);
  const rng = new Rng(seed, 1);
  const normalised = cfg.dynamics !== 'plain';
  const mse = cfg.loss === 'mse';
  const sqrtDelta = Math.sqrt(cfg.Delta);
  const gammaA = cfg.trainA ? cfg.kappa * gamma : 0;

  // ---- weights ----
  let W: Float64Array;
  let LP: number[][];
  let Wt: Float64Array | null = null; // random teacher rows (k × d)
  let P = cfg.P;
  const a = Float64Array.from(cfg.init ? cfg.init.a : cfg.a0);
  if (cfg.init) ({ W, LP } = weightsWithOverlaps(cfg.init.M, cfg.init.Q, cfg.P, d));
  else {
    W = new Float64Array(p * d);
    const s = 1 / Math.sqrt(d);
    rng.fillNormal(W);
    for (let i = 0; i < W.length; i++) W[i] *= s;
    if (normalised) normaliseRows(W, p, d);
    LP = choleskyPsd(cfg.P, 1e-14);
    if (cfg.teacher === 'random') {
      Wt = new Float64Array(k * d);
      rng.fillNormal(Wt);
      for (let i = 0; i < Wt.length; i++) Wt[i] *= s;
      P = Array.from({ length: k }, (_, r) => Array.from({ length: k }, (_, t) => dot(Wt as Float64Array, r * d, Wt as Float64Array, t * d, d)));
    }
  }
  const LPf = Float64Array.from(LP.flat());

  // ---- buffers (allocated once) ----
  const chunk = Math.min(nb, Math.max(1, Math.floor(65536 / d)), 256);
  const Z = new Float64Array(chunk * d);
  const lam = new Float64Array(p);
  const sig = new Float64Array(p);
  const nu = new Float64Array(k);
  const C = new Float64Array(chunk * p);
  const dW = new Float64Array(nb > 1 || normalised ? p * d : 0);
  const da = new Float64Array(p);
  const res: SeedResult = { seed, M: [], Q: [], a: [], P, diverged: false };
  const record = cfg.record;
  let ri = 0;

  const observe = () => {
    const M = Array.from({ length: p }, (_, j) =>
      Array.from({ length: k }, (_, r) => {
        if (Wt) return dot(W, j * d, Wt, r * d, d);
        let s = 0;
        for (let t = 0; t <= r; t++) s += W[j * d + t] * LPf[r * k + t];
        return s;
      }),
    );
    const Q = Array.from({ length: p }, (_, j) => new Array(p).fill(0));
    for (let j = 0; j < p; j++)
      for (let l = j; l < p; l++) {
        const v = dot(W, j * d, W, l * d, d);
        Q[j][l] = Q[l][j] = v;
      }
    res.M.push(M);
    res.Q.push(Q);
    res.a.push(Array.from(a));
    return Number.isFinite(Q.reduce((s, r, j) => s + r[j], 0));
  };

  const esc = cfg.escape;
  /** |M_jr| at the current weights (cheap for the coordinate teacher: O(k) per entry) */
  const mEntry = (j: number, r: number) => {
    if (Wt) return Math.abs(dot(W, j * d, Wt, r * d, d));
    let s = 0;
    for (let t = 0; t <= r; t++) s += W[j * d + t] * LPf[r * k + t];
    return Math.abs(s);
  };
  const escaped = escapeChecker(p, k, esc, mEntry);
  /** a seed stopped at its escape still reports every recording step, holding its last state */
  const observeFinal = () => {
    while (ri < record.length) {
      observe();
      ri++;
    }
  };
  if (record[0] === 0) {
    observe();
    ri = 1;
  }
  /** ν = W* z for the input stored at Z[zo..zo+d) */
  const teacherFields = (zo: number) => {
    if (Wt) for (let r = 0; r < k; r++) nu[r] = dot(Wt, r * d, Z, zo, d);
    else
      for (let r = 0; r < k; r++) {
        let s = 0;
        for (let t = 0; t <= r; t++) s += LPf[r * k + t] * Z[zo + t];
        nu[r] = s;
      }
  };
  const fast = nb === 1 && !normalised;
  const cA = 1 / (p * nb);
  let lastProgress = 0;
  for (let step = 1; step <= cfg.steps; step++) {
    if (fast) {
      // one sample: fields in one pass, then the p row updates in one pass
      rng.fillNormal(Z, d);
      for (let j = 0; j < p; j++) lam[j] = 0;
      teacherFields(0);
      if (p === 1) lam[0] = dot(W, 0, Z, 0, d);
      else if (p === 2) {
        let s0 = 0;
        let s1 = 0;
        for (let i = 0; i < d; i++) {
          const zi = Z[i];
          s0 += W[i] * zi;
          s1 += W[d + i] * zi;
        }
        lam[0] = s0;
        lam[1] = s1;
      } else for (let j = 0; j < p; j++) lam[j] = dot(W, j * d, Z, 0, d);
      const y = target(nu) + (sqrtDelta > 0 ? sqrtDelta * rng.normal() : 0);
      let f = 0;
      if (mse || gammaA)
        for (let j = 0; j < p; j++) {
          sig[j] = sigma(lam[j]);
          f += a[j] * sig[j];
        }
      f /= p;
      const e = mse ? y - f : y;
      for (let j = 0; j < p; j++) {
        const cj = (gamma * a[j] * dsigma(lam[j]) * e) / p;
        if (gammaA) da[j] = gammaA * cA * sig[j] * e;
        if (cj !== 0) {
          const off = j * d;
          for (let i = 0; i < d; i++) W[off + i] += cj * Z[i];
        }
      }
      if (gammaA) for (let j = 0; j < p; j++) a[j] += da[j];
    } else {
      dW.fill(0);
      da.fill(0);
      for (let done = 0; done < nb; ) {
        const m = Math.min(chunk, nb - done);
        rng.fillNormal(Z, m * d);
        for (let mu = 0; mu < m; mu++) {
          const zo = mu * d;
          teacherFields(zo);
          for (let j = 0; j < p; j++) lam[j] = dot(W, j * d, Z, zo, d);
          const y = target(nu) + (sqrtDelta > 0 ? sqrtDelta * rng.normal() : 0);
          let f = 0;
          if (mse || gammaA)
            for (let j = 0; j < p; j++) {
              sig[j] = sigma(lam[j]);
              f += a[j] * sig[j];
            }
          f /= p;
          const e = mse ? y - f : y;
          for (let j = 0; j < p; j++) {
            C[mu * p + j] = gamma * a[j] * dsigma(lam[j]) * e * cA;
            if (gammaA) da[j] += gammaA * cA * sig[j] * e;
          }
        }
        for (let j = 0; j < p; j++) {
          const off = j * d;
          for (let mu = 0; mu < m; mu++) {
            const c = C[mu * p + j];
            if (c === 0) continue;
            const zo = mu * d;
            for (let i = 0; i < d; i++) dW[off + i] += c * Z[zo + i];
          }
        }
        done += m;
      }
      for (let j = 0; j < p; j++) {
        const off = j * d;
        if (cfg.dynamics === 'spherical') {
          // tangent step: remove the radial part of Δw_j
          const r = dot(W, off, dW, off, d) / dot(W, off, W, off, d);
          for (let i = 0; i < d; i++) dW[off + i] -= r * W[off + i];
        }
        for (let i = 0; i < d; i++) W[off + i] += dW[off + i];
      }
      if (normalised) normaliseRows(W, p, d);
      if (gammaA) for (let j = 0; j < p; j++) a[j] += da[j];
    }
    if (esc && res.escapeStep === undefined && escaped()) {
      res.escapeStep = step;
      if (esc.stop) {
        observeFinal();
        break;
      }
    }
    if (ri < record.length && record[ri] === step) {
      ri++;
      if (!observe()) {
        res.diverged = true;
        res.divergedAt = step;
        break;
      }
    }
    if (onProgress && step - lastProgress >= 2000) {
      onProgress(step);
      lastProgress = step;
    }
  }
  onProgress?.(cfg.steps);
  return res;
}

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    s0 += a[ao + i] * b[bo + i];
    s1 += a[ao + i + 1] * b[bo + i + 1];
  }
  if (i < n) s0 += a[ao + i] * b[bo + i];
  return s0 + s1;
}

function normaliseRows(W: Float64Array, p: number, d: number): void {
  for (let j = 0; j < p; j++) {
    const off = j * d;
    const n = Math.sqrt(dot(W, off, W, off, d));
    if (n > 0) for (let i = 0; i < d; i++) W[off + i] /= n;
  }
}
