/**
 * One-dimensional quadrature rules (THEORY §3.4), shared by every stage from the Hermite coefficients on.
 * - Gauss–Hermite for the standard normal weight: Σ w_i f(x_i) ≈ E[f(x)], x ~ N(0,1); exact for
 *   polynomials of degree ≤ 2n − 1. Nodes by Newton's method on the orthonormal Hermite recurrence.
 * - Gauss–Legendre on [−1, 1], and composite Gauss–Legendre for E[f(x)] with panels split at 0, which
 *   stays accurate for kinks at the origin (ReLU, |x|) and for functions with complex poles (tanh), where
 *   Gauss–Hermite converges slowly.
 */
import { internal } from './errors.ts';

export interface Rule {
  x: Float64Array;
  w: Float64Array;
}

const cacheGH = new Map<number, Rule>();

/**
 * The largest Gauss–Hermite order computed here: the Newton iteration's initial guesses lose the
 * roots beyond (at 200 nodes every root converges to the largest, the weights summing to 1e-161);
 * up to this order the weights sum to 1 and the moments are exact to round-off (tested).
 */
export const MAX_GAUSS_HERMITE = 195;

/** n-point Gauss–Hermite rule for the standard normal density (weights sum to 1). */
export function gaussHermite(n: number): Rule {
  const hit = cacheGH.get(n);
  if (hit) return hit;
  if (!Number.isInteger(n) || n < 1 || n > MAX_GAUSS_HERMITE) throw internal(`Gauss–Hermite order ${n} out of range 1..${MAX_GAUSS_HERMITE}`);
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  const PIM4 = 0.7511255444649425; // π^{-1/4}
  const m = (n + 1) >> 1;
  const zs = new Float64Array(m); // physicists' nodes, for the initial guesses
  let z = 0;
  for (let i = 0; i < m; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** -0.16667;
    else if (i === 1) z -= (1.14 * n ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * zs[0];
    else if (i === 3) z = 1.91 * z - 0.91 * zs[1];
    else z = 2 * z - zs[i - 2];
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = PIM4;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) <= 1e-15 * Math.max(1, Math.abs(z))) break;
    }
    zs[i] = z;
    // physicists' node z (weight e^{-z²}) → standard normal node √2 z, weight / √π
    x[i] = Math.SQRT2 * z;
    x[n - 1 - i] = -Math.SQRT2 * z;
    w[i] = w[n - 1 - i] = 2 / (pp * pp) / Math.sqrt(Math.PI);
  }
  if (n % 2 === 1) x[m - 1] = 0;
  // order ascending
  const idx = [...x.keys()].sort((a, b) => x[a] - x[b]);
  const rule = { x: Float64Array.from(idx, (i) => x[i]), w: Float64Array.from(idx, (i) => w[i]) };
  cacheGH.set(n, rule);
  return rule;
}

const cacheGL = new Map<number, Rule>();

/** n-point Gauss–Legendre rule on [−1, 1]. */
export function gaussLegendre(n: number): Rule {
  const hit = cacheGL.get(n);
  if (hit) return hit;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j + 1) * z * p2 - j * p3) / (j + 1);
      }
      pp = (n * (z * p1 - p2)) / (z * z - 1);
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) < 1e-16) break;
    }
    x[n - 1 - i] = z;
    w[n - 1 - i] = 2 / ((1 - z * z) * pp * pp);
  }
  const rule = { x, w };
  cacheGL.set(n, rule);
  return rule;
}

/**
 * E[f(x)], x ~ N(0, 1), by composite Gauss–Legendre with `nodes` points on each of the panels of
 * width `width` covering [−L, L] (L = 14 standard deviations; the tail beyond is below 1e-43).
 * Panels meet at 0, so a kink at the origin costs no accuracy.
 */
/**
 * Tensor Gauss–Hermite over n correlated Gaussian fields: every node x of the n-fold product rule
 * (nodes^n of them) is visited with its weight w = Π w_i (nodes of weight below 1e-300 skipped) and the
 * fields u = S·x, S a square root of their covariance (S·Sᵀ = Ω: Cholesky or symmetric); `u` is one
 * array reused between visits.
 */
export function forEachTensorNode(S: ArrayLike<number>[], nodes: number, visit: (u: number[], w: number) => void): void {
  const n = S.length;
  const gh = gaussHermite(nodes);
  const idx = new Array(n).fill(0);
  const u = new Array(n).fill(0);
  for (;;) {
    let w = 1;
    for (let i = 0; i < n; i++) w *= gh.w[idx[i]];
    if (w > 1e-300) {
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let m = 0; m < n; m++) v += S[i][m] * gh.x[idx[m]];
        u[i] = v;
      }
      visit(u, w);
    }
    let i = 0;
    while (i < n && ++idx[i] === nodes) idx[i++] = 0;
    if (i === n) return;
  }
}

export function normalExpectation(f: (x: number) => number, nodes = 20, width = 0.5, L = 14): number {
  const gl = gaussLegendre(nodes);
  const panels = Math.round(L / width);
  const h = width / 2;
  const norm = 1 / Math.sqrt(2 * Math.PI);
  let s = 0;
  for (let p = -panels; p < panels; p++) {
    const mid = (p + 0.5) * width;
    for (let i = 0; i < nodes; i++) {
      const x = mid + h * gl.x[i];
      s += gl.w[i] * h * norm * Math.exp(-0.5 * x * x) * f(x);
    }
  }
  return s;
}
