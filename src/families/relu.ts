/**
 * ReLU, θ = step: everything is E[Π_{i∈S} θ(u_i) · u_a u_b], evaluated by two Stein steps,
 *   E[Π_S θ u_a u_b] = C_ab P_S(C) + Σ_{j∈S, j≠b} C_aj φ_j Σ_{i∈S∖j} C^{(j)}_{bi} φ^{(j)}_i P_{S∖{i,j}}(C^{(j,i)}),
 * with conditional covariances C^{(j)} given u_j = 0, φ_j = 1/√(2π C_jj) and orthant probabilities
 * P_S: elementary up to |S| = 3, and P_4 by Plackett's identity integrated from the identity along
 * R_t = I + t(R − I) with t = 1 − s² and Gauss–Legendre in s, 16 to 96 points by R's conditioning (the kernel the exact kinked
 * evaluator uses too, gaussian/stein.ts). Coincident fields (correlation
 * ±1, e.g. j = l or x = λ_j) are merged before the Stein steps: θ(u)² = θ(u), and θ(u)θ(−u) = 0.
 * Scaled members s·ReLU(z) are positively homogeneous: the scale is a factor.
 */
import { PLACKETT_SOURCE, steinConstants } from './plackett.ts';
import { PROBE, factorial, type ClosedFamily } from './family.ts';
import { Poly } from '../symbolic/poly.ts';
import { Coef } from '../symbolic/coef.ts';

/** s·ReLU(z): s = f(1), and f(z) = s·max(z, 0) on the probe grid. */
function recognise(f: (x: number) => number): { s: number } | undefined {
  const s = f(1);
  const fits = s !== 0 && Number.isFinite(s) && PROBE.every((z) => Math.abs(f(z) - s * Math.max(z, 0)) <= 1e-12 * Math.abs(s) * (1 + Math.abs(z)));
  return fits ? { s } : undefined;
}

/** s·ReLU: c_0 = s/√(2π), c_1 = s/2, even k ≥ 2: s(−1)^{k/2−1}(k−3)!!/(k!√(2π)), odd k ≥ 3: 0. */
export function reluCoefficients(s: number, order: number): number[] {
  const c = new Array(order + 1).fill(0);
  const r2pi = Math.sqrt(2 * Math.PI);
  c[0] = s / r2pi;
  if (order >= 1) c[1] = s / 2;
  for (let k = 2; k <= order; k += 2) {
    let dfact = 1;
    for (let i = k - 3; i > 1; i -= 2) dfact *= i;
    c[k] = (s * (-1) ** (k / 2 - 1) * dfact) / (factorial(k) * r2pi);
  }
  return c;
}

/**
 * The ReLU closed forms, kernel source. θ = step; fields that coincide (correlation ±1) are merged
 * before the Stein steps; P₄ is steinPlackett with the Gauss–Legendre rules STEIN_GL_S/W.
 */
const SOURCE = `
function reluI2(c11: f64, c12: f64, c22: f64): f64 {
  let r = c12 / sqrt(c11 * c22);
  let rho = r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
  let det = c11 * c22 - c12 * c12;
  return (sqrt(det > 0.0 ? det : 0.0) + c12 * (3.1415926535897931 - acos(rho))) / 6.2831853071795862;
}
function reluJ2(c11: f64, c12: f64, c22: f64): f64 {
  let r = c12 / sqrt(c11 * c22);
  return 0.25 + asin(r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r) / 6.2831853071795862;
}
function reluI3(c11: f64, c12: f64, c13: f64, c22: f64, c23: f64, c33: f64): f64 {
  let r = c13 / sqrt(c11 * c33);
  let det = c11 * c33 - c13 * c13;
  return c12 * sqrt(det > 0.0 ? det : 0.0) / (6.2831853071795862 * c11) + c23 * (0.25 + asin(r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r) / 6.2831853071795862);
}
// E[θ(u1)θ(u2)θ(u3)θ(u4) u3 u4]
function reluI4(c11: f64, c12: f64, c13: f64, c14: f64, c22: f64, c23: f64, c24: f64, c33: f64, c34: f64, c44: f64): f64 {
  let C: f64[16];
  C[0] = c11; C[1] = c12; C[2] = c13; C[3] = c14;
  C[4] = c12; C[5] = c22; C[6] = c23; C[7] = c24;
  C[8] = c13; C[9] = c23; C[10] = c33; C[11] = c34;
  C[12] = c14; C[13] = c24; C[14] = c34; C[15] = c44;
  let S: int = 15;
  for (let i = 0; i < 4; i++) {
    if ((S & (1 << i)) == 0) continue;
    for (let j = i + 1; j < 4; j++) {
      if ((S & (1 << j)) == 0) continue;
      let rho = C[i * 4 + j] / sqrt(C[i * 4 + i] * C[j * 4 + j]);
      if (rho > 1.0 - 1e-12) {
        S = S & ~(1 << j);
      } else if (rho < -1.0 + 1e-12) {
        return 0.0;
      }
    }
  }
  // the expectation is continuous in C; a relative ridge of 1e-9 keeps the conditional covariances of
  // rank-deficient configurations (all fields in a lower-dimensional span) well defined, at O(1e-9) cost
  for (let i = 0; i < 4; i++) C[i * 5] = C[i * 5] * (1.0 + 1e-9);
  return reluStein(C, S, 2, 3);
}
// E[Π_{i∈S} θ(u_i) u_a u_b] for a 4×4 covariance C (S a bit mask of distinct, non-collinear fields)
function reluStein(C: f64[], S: int, a: int, b: int): f64 {
  let C1: f64[16];
  let C2: f64[16];
  let total = C[a * 4 + b] * reluOrthant(C, S);
  for (let j = 0; j < 4; j++) {
    if ((S & (1 << j)) == 0 || j == b) continue;
    let caj = C[a * 4 + j];
    if (caj == 0.0) continue;
    reluCondition(C, j, C1);
    let inner = 0.0;
    for (let i = 0; i < 4; i++) {
      if ((S & (1 << i)) == 0 || i == j) continue;
      let cbi = C1[b * 4 + i];
      let vi = C1[i * 4 + i];
      if (cbi == 0.0 || !(vi > 1e-300)) continue;
      reluCondition(C1, i, C2);
      inner += cbi / sqrt(6.2831853071795862 * vi) * reluOrthant(C2, S & ~(1 << i) & ~(1 << j));
    }
    total += caj / sqrt(6.2831853071795862 * C[j * 4 + j]) * inner;
  }
  return total;
}
// out = the covariance of u given u_j = 0
function reluCondition(C: f64[], j: int, out: f64[]): void {
  let vj = C[j * 4 + j];
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) out[r * 4 + c] = C[r * 4 + c] - C[r * 4 + j] * C[j * 4 + c] / vj;
  }
}
function reluCorr(C: f64[], i: int, j: int): f64 {
  let vi = C[i * 4 + i];
  let vj = C[j * 4 + j];
  if (!(vi > 1e-300) || !(vj > 1e-300)) return 0.0;
  let r = C[i * 4 + j] / sqrt(vi * vj);
  return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}
// P(u_i > 0 for i ∈ S)
function reluOrthant(C: f64[], S: int): f64 {
  let idx: int[4];
  let m: int = 0;
  for (let i = 0; i < 4; i++) {
    if ((S & (1 << i)) != 0) {
      idx[m] = i;
      m += 1;
    }
  }
  if (m == 0) return 1.0;
  if (m == 1) return 0.5;
  if (m == 2) return 0.25 + asin(reluCorr(C, idx[0], idx[1])) / 6.2831853071795862;
  if (m == 3) return 0.125 + (asin(reluCorr(C, idx[0], idx[1])) + asin(reluCorr(C, idx[0], idx[2])) + asin(reluCorr(C, idx[1], idx[2]))) / 12.566370614359172;
  return reluOrthant4(C);
}
// P_4 of a 4×4 covariance by Plackett's integral (steinPlackett, shared with the exact kinked evaluator)
function reluOrthant4(C: f64[]): f64 {
  let R: f64[16];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) R[i * 4 + j] = i == j ? 1.0 : reluCorr(C, i, j);
  }
  return steinPlackett(R);
}
${PLACKETT_SOURCE}`;

const TEX = [
  String.raw`\mathbb{E}[\mathrm{ReLU}(u_1)\mathrm{ReLU}(u_2)] = \frac{\sqrt{C_{11}C_{22}-C_{12}^2}+C_{12}\,(\pi-\arccos\rho_{12})}{2\pi}`,
  String.raw`\mathbb{E}[\theta(u_1)\theta(u_2)] = \frac14+\frac{\arcsin\rho_{12}}{2\pi}`,
  String.raw`\mathbb{E}[\theta(u_1)\,u_2\,\mathrm{ReLU}(u_3)] = \frac{C_{12}\sqrt{C_{11}C_{33}-C_{13}^2}}{2\pi C_{11}}+C_{23}\Big(\frac14+\frac{\arcsin\rho_{13}}{2\pi}\Big)`,
  String.raw`\mathbb{E}\Big[\prod_{i\in S}\theta(u_i)\,u_a u_b\Big] = C_{ab}P_S(C)+\sum_{j\in S\setminus b}C_{aj}\varphi_j\sum_{i\in S\setminus j}C^{(j)}_{bi}\varphi^{(j)}_i\,P_{S\setminus\{i,j\}}\big(C^{(j,i)}\big),\quad \varphi_j=\frac{1}{\sqrt{2\pi C_{jj}}}`,
  String.raw`P_4(R)=\frac1{16}+\int_0^1\sum_{i<j}R_{ij}\,\frac{P_2\big(R_t\,|\,u_i=u_j=0\big)}{2\pi\sqrt{1-t^2R_{ij}^2}}\,dt,\quad R_t=I+t(R-I)`,
];

export const reluFamily: ClosedFamily = {
  name: 'relu',
  recognise,
  scale: (m) => ({ A: m.s, s: 1 }),
  scaling: 'homogeneous',
  hermite: (m, order) => reluCoefficients(m.s, order),
  // σ′ = s θ(z): E[σ′²] = s²/2
  derivativeSquare: (m) => (m.s * m.s) / 2,
  rescale: (m, r) => ({ s: m.s * r }),
  pieces: (m) => ({ minus: Poly.zero(1), plus: Poly.variable(1, 0).scale(Coef.fromNumber(m.s)), continuous: true }),
  source: SOURCE,
  constants: steinConstants,
  tex: TEX,
  description: 'Closed forms for ReLU with θ = ReLU′ the step function; four distinct fields need the orthant probability P₄ (Plackett).',
};
