/**
 * The orthant probability of four Gaussian fields, P₄, by Plackett's integral: kernel source and its
 * Gauss–Legendre rules (one panel, or panels graded toward a near singularity), shared by the ReLU closed forms (families/relu.ts) and the exact kinked
 * evaluator (gaussian/stein.ts).
 */
import { gaussLegendre } from '../quadrature.ts';
import type { Const } from '../ir/ir.ts';

/** P₄ by Plackett's integral, kernel source shared with the ReLU closed forms (relu.ts). */
export const PLACKETT_SOURCE = `
// P₄ for a 4×4 correlation matrix R by Plackett's identity ∂P/∂ρ_ij = φ₂(0, 0; ρ_ij) P(u_k > 0, u_l > 0 | u_i = u_j = 0),
// integrated along R_t = I + t(R − I), t = 1 − s², by Gauss–Legendre in s. The integrand's singularities in s
// lie at distance √δ from s = 0, δ = min(1/max|ρ| − 1, λ/(1 − λ)) with λ ≤ λ_min(R) the bound
// det R/(1 + 3 max|ρ|)³: for δ > 0.06 one 16-node rule on [0, 1]; closer, 24-node rules on panels graded
// geometrically toward 0 (ratio 0.3, down to 2√δ) — exponential convergence however close (THEORY §3.3)
function steinPlackett(R: f64[]): f64 {
  let rmax = 0.0;
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) {
      let a = R[i * 4 + j] < 0.0 ? -R[i * 4 + j] : R[i * 4 + j];
      if (a > rmax) rmax = a;
    }
  }
  let A: f64[16];
  for (let i = 0; i < 16; i++) A[i] = R[i];
  let det = 1.0;
  for (let c = 0; c < 4; c++) {
    let piv = A[c * 5];
    det = det * piv;
    if (!(piv > 1e-300)) break;
    for (let i = c + 1; i < 4; i++) {
      let f = A[i * 4 + c] / piv;
      for (let j = c; j < 4; j++) A[i * 4 + j] -= f * A[c * 4 + j];
    }
  }
  let g = 1.0 + 3.0 * rmax;
  let lam = det > 0.0 ? det / (g * g * g) : 0.0;
  let delta = lam < 1.0 ? lam / (1.0 - lam) : 1.0;
  if (rmax > 0.0 && 1.0 / rmax - 1.0 < delta) delta = 1.0 / rmax - 1.0;
  if (delta > 0.06) return 0.0625 + steinPlackettPanel(R, 0.0, 1.0, 0, 16);
  let y2 = 2.0 * sqrt(delta > 0.0 ? delta : 0.0);
  let total = 0.0;
  let top = 1.0;
  for (let p = 0; p < 80; p++) {
    if (top <= y2) break;
    total += steinPlackettPanel(R, 0.3 * top, top, 16, 24);
    top = 0.3 * top;
  }
  return 0.0625 + total + steinPlackettPanel(R, 0.0, top, 16, 24);
}
// ∫ over s ∈ [lo, hi] of 2s Σ_{i<j} ρ_ij φ₂(0, 0; tρ_ij) P₂(conditional) by the n-node rule at offset off of STEIN_GL_S/W
function steinPlackettPanel(R: f64[], lo: f64, hi: f64, off: int, n: int): f64 {
  let total = 0.0;
  let h = hi - lo;
  for (let q = 0; q < n; q++) {
    let s = lo + h * STEIN_GL_S[off + q];
    let t = 1.0 - s * s;
    let deriv = 0.0;
    for (let i = 0; i < 4; i++) {
      for (let j = i + 1; j < 4; j++) {
        let rij = R[i * 4 + j];
        if (rij == 0.0) continue;
        let k: int = -1;
        let l: int = -1;
        for (let x = 0; x < 4; x++) {
          if (x != i && x != j) {
            if (k < 0) {
              k = x;
            } else {
              l = x;
            }
          }
        }
        let r = t * rij;
        let den = 1.0 - r * r;
        let rki = t * R[k * 4 + i];
        let rkj = t * R[k * 4 + j];
        let rli = t * R[l * 4 + i];
        let rlj = t * R[l * 4 + j];
        let rkl = t * R[k * 4 + l];
        let ckk = 1.0 - (rki * rki - 2.0 * r * rki * rkj + rkj * rkj) / den;
        let cll = 1.0 - (rli * rli - 2.0 * r * rli * rlj + rlj * rlj) / den;
        let ckl = rkl - (rki * rli - r * (rki * rlj + rkj * rli) + rkj * rlj) / den;
        let rc = ckk > 1e-300 && cll > 1e-300 ? ckl / sqrt(ckk * cll) : 0.0;
        rc = rc > 1.0 ? 1.0 : rc < -1.0 ? -1.0 : rc;
        deriv += rij / (6.2831853071795862 * sqrt(den)) * (0.25 + asin(rc) / 6.2831853071795862);
      }
    }
    total += h * STEIN_GL_W[off + q] * 2.0 * s * deriv;
  }
  return total;
}
`;

/** The rules P₄ integrates with (node counts; concatenated in this order in STEIN_GL_S and STEIN_GL_W). */
export const PLACKETT_RULES = [16, 24];

/** The Gauss–Legendre nodes and weights on [0, 1] that P₄ integrates with (16 and 24 points, concatenated). */
export function steinConstants(): Const[] {
  const S: number[] = [];
  const W: number[] = [];
  for (const n of PLACKETT_RULES) {
    const gl = gaussLegendre(n);
    for (let i = 0; i < n; i++) {
      S.push(0.5 * (gl.x[i] + 1));
      W.push(0.5 * gl.w[i]);
    }
  }
  return [
    { name: 'STEIN_GL_S', type: 'f64', values: S, doc: 'Gauss–Legendre nodes on [0, 1]: rules of 16 and 24 points, concatenated' },
    { name: 'STEIN_GL_W', type: 'f64', values: W, doc: 'their weights' },
  ];
}
