/**
 * The orthant probability of four Gaussian fields, P₄, by Plackett's integral: kernel source and its
 * 48-point Gauss–Legendre rule, shared by the ReLU closed forms (families/relu.ts) and the exact kinked
 * evaluator (gaussian/stein.ts).
 */
import { gaussLegendre } from '../quadrature.ts';
import type { Const } from '../ir/ir.ts';

/** P₄ by Plackett's integral, kernel source shared with the ReLU closed forms (relu.ts). */
export const PLACKETT_SOURCE = `
// P₄ for a 4×4 correlation matrix R by Plackett's identity ∂P/∂ρ_ij = φ₂(0, 0; ρ_ij) P(u_k > 0, u_l > 0 | u_i = u_j = 0),
// integrated along R_t = I + t(R − I), t = 1 − s², with 48-point Gauss–Legendre in s
function steinPlackett(R: f64[]): f64 {
  let total = 0.0;
  for (let q = 0; q < 48; q++) {
    let s = STEIN_GL_S[q];
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
    total += STEIN_GL_W[q] * 2.0 * s * deriv;
  }
  return 0.0625 + total;
}
`;

/** The Gauss–Legendre nodes and weights on s ∈ [0, 1] that P₄ integrates with (48 points). */
export function steinConstants(): Const[] {
  const gl = gaussLegendre(48);
  return [
    { name: 'STEIN_GL_S', type: 'f64', values: Array.from(gl.x, (x) => 0.5 * (x + 1)), doc: 'Gauss–Legendre nodes on [0, 1] (48)' },
    { name: 'STEIN_GL_W', type: 'f64', values: Array.from(gl.w, (w) => 0.5 * w), doc: 'Gauss–Legendre weights on [0, 1]' },
  ];
}
