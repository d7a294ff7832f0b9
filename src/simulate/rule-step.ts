/**
 * What the simulators measure for the rules (src/rules/runtime.ts keeps the rules' state): the
 * median of the secant ratios, and one fresh sample's contribution to the curvature along the
 * gradient, by central differences.
 */
import type { RateProbe, LossProbe } from '../rules/types.ts';

/** What an engine measures for the rules, on request. */
export type RuleProbe = RateProbe & LossProbe;

/** The median of the first n entries of `v` (reordered in place). */
export function medianInPlace(v: Float64Array, n: number): number {
  const a = v.subarray(0, n).sort();
  return n % 2 ? a[(n - 1) / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
}

/**
 * One fresh sample's contribution to CBLR's curvature: [h(W + δu) − h(W − δu)]/(2δ) with
 * h = uᵀ∇ℓ = −e Σ_j (a_j/p) σ′(λ_j) s_j, given the sample's fields λ, label y and s_j = u_j·z.
 */
export function curvatureSample(
  lam: Float64Array,
  s: Float64Array,
  y: number,
  a: ArrayLike<number>,
  w: number,
  sigma: (x: number) => number,
  dsigma: (x: number) => number,
  delta: number,
  gaussNewtonOnly = false,
): number {
  const p = lam.length;
  if (gaussNewtonOnly) {
    // (uᵀ∇f)² = (Σ_j (a_j/p) σ′(λ_j) s_j)²: the loss's Hessian without the −e∇²f part
    let g = 0;
    for (let j = 0; j < p; j++) g += (a[j] * dsigma(lam[j]) * s[j]) / p;
    return g * g;
  }
  let hd = 0;
  for (const sgn of [1, -1]) {
    let f = 0;
    if (w !== 0) for (let j = 0; j < p; j++) f += a[j] * sigma(lam[j] + sgn * delta * s[j]);
    const e = y - (w * f) / p;
    let h = 0;
    for (let j = 0; j < p; j++) h -= (e * a[j] * dsigma(lam[j] + sgn * delta * s[j]) * s[j]) / p;
    hd += sgn * h;
  }
  return hd / (2 * delta);
}
