/**
 * Closed forms (THEORY §3.3) as self-contained TypeScript emitted into generated files, with the
 * LaTeX that documents them. Arguments are covariance entries c_ij (i ≤ j), upper triangle row-major.
 *
 * erf, g(x) = erf(x/√2): I2, J2, I3, I4 of Saad & Solla; scaled members A·erf(bz) reuse them with
 * c_ij → s_i s_j c_ij (s = √2 b) and a constant factor.
 *
 * ReLU, θ = step: everything is E[Π_{i∈S} θ(u_i) · u_a u_b], evaluated by two Stein steps,
 *   E[Π_S θ u_a u_b] = C_ab P_S(C) + Σ_{j∈S, j≠b} C_aj φ_j Σ_{i∈S∖j} C^{(j)}_{bi} φ^{(j)}_i P_{S∖{i,j}}(C^{(j,i)}),
 * with conditional covariances C^{(j)} given u_j = 0, φ_j = 1/√(2π C_jj) and orthant probabilities
 * P_S: elementary up to |S| = 3, and P_4 by Plackett's identity integrated from the identity along
 * R_t = I + t(R − I) with t = 1 − s² and 48-point Gauss–Legendre in s. Coincident fields (correlation
 * ±1, e.g. j = l or x = λ_j) are merged before the Stein steps: θ(u)² = θ(u), and θ(u)θ(−u) = 0.
 */
import { gaussLegendre } from './quadrature.ts';
import { fmt17 } from '../symbolic/coef.ts';

export const ERF_HELPERS = `function erfI2(c11: number, c12: number, c22: number): number {
  const x = c12 / Math.sqrt((1 + c11) * (1 + c22));
  return 0.63661977236758134 * Math.asin(x > 1 ? 1 : x < -1 ? -1 : x);
}

function erfJ2(c11: number, c12: number, c22: number): number {
  return 0.63661977236758134 / Math.sqrt((1 + c11) * (1 + c22) - c12 * c12);
}

function erfI3(c11: number, c12: number, c13: number, c22: number, c23: number, c33: number): number {
  const lambda3 = (1 + c11) * (1 + c33) - c13 * c13;
  return (0.63661977236758134 * (c23 * (1 + c11) - c12 * c13)) / ((1 + c11) * Math.sqrt(lambda3));
}

function erfI4(c11: number, c12: number, c13: number, c14: number, c22: number, c23: number, c24: number, c33: number, c34: number, c44: number): number {
  const l4 = (1 + c11) * (1 + c22) - c12 * c12;
  const l0 = l4 * c34 - c23 * c24 * (1 + c11) - c13 * c14 * (1 + c22) + c12 * c13 * c24 + c12 * c14 * c23;
  const l1 = l4 * (1 + c33) - c23 * c23 * (1 + c11) - c13 * c13 * (1 + c22) + 2 * c12 * c13 * c23;
  const l2 = l4 * (1 + c44) - c24 * c24 * (1 + c11) - c14 * c14 * (1 + c22) + 2 * c12 * c14 * c24;
  const x = l0 / Math.sqrt(l1 * l2);
  return (0.40528473456935109 / Math.sqrt(l4)) * Math.asin(x > 1 ? 1 : x < -1 ? -1 : x);
}`;

export const ERF_TEX = [
  String.raw`I_2(C) = \frac{2}{\pi}\arcsin\frac{C_{12}}{\sqrt{(1+C_{11})(1+C_{22})}}`,
  String.raw`J_2(C) = \frac{2}{\pi}\,\frac{1}{\sqrt{(1+C_{11})(1+C_{22})-C_{12}^2}}`,
  String.raw`I_3(C) = \frac{2}{\pi}\,\frac{C_{23}(1+C_{11})-C_{12}C_{13}}{(1+C_{11})\sqrt{\Lambda_3}},\quad \Lambda_3=(1+C_{11})(1+C_{33})-C_{13}^2`,
  String.raw`I_4(C) = \frac{4}{\pi^2\sqrt{\Lambda_4}}\arcsin\frac{\Lambda_0}{\sqrt{\Lambda_1\Lambda_2}}`,
  String.raw`\Lambda_4=(1+C_{11})(1+C_{22})-C_{12}^2,\quad \Lambda_0=\Lambda_4C_{34}-C_{23}C_{24}(1+C_{11})-C_{13}C_{14}(1+C_{22})+C_{12}C_{13}C_{24}+C_{12}C_{14}C_{23}`,
  String.raw`\Lambda_1=\Lambda_4(1+C_{33})-C_{23}^2(1+C_{11})-C_{13}^2(1+C_{22})+2C_{12}C_{13}C_{23},\quad \Lambda_2=\Lambda_4(1+C_{44})-C_{24}^2(1+C_{11})-C_{14}^2(1+C_{22})+2C_{12}C_{14}C_{24}`,
];

function glSource(): string {
  // nodes and weights of Gauss–Legendre on s ∈ [0, 1], 48 points
  const gl = gaussLegendre(48);
  const s = Array.from(gl.x, (x) => fmt17(0.5 * (x + 1)));
  const w = Array.from(gl.w, (w) => fmt17(0.5 * w));
  return `const RELU_GL_S = [${s.join(', ')}];\nconst RELU_GL_W = [${w.join(', ')}];`;
}

export function reluHelpers(): string {
  return `${glSource()}
const RELU_C0 = new Float64Array(16);
const RELU_C1 = new Float64Array(16);
const RELU_C2 = new Float64Array(16);
const RELU_R = new Float64Array(16);
const RELU_IDX = new Int32Array(4);

function reluI2(c11: number, c12: number, c22: number): number {
  const r = c12 / Math.sqrt(c11 * c22);
  const rho = r > 1 ? 1 : r < -1 ? -1 : r;
  const det = c11 * c22 - c12 * c12;
  return (Math.sqrt(det > 0 ? det : 0) + c12 * (Math.PI - Math.acos(rho))) / (2 * Math.PI);
}

function reluJ2(c11: number, c12: number, c22: number): number {
  const r = c12 / Math.sqrt(c11 * c22);
  return 0.25 + Math.asin(r > 1 ? 1 : r < -1 ? -1 : r) / (2 * Math.PI);
}

function reluI3(c11: number, c12: number, c13: number, c22: number, c23: number, c33: number): number {
  const r = c13 / Math.sqrt(c11 * c33);
  const det = c11 * c33 - c13 * c13;
  return (c12 * Math.sqrt(det > 0 ? det : 0)) / (2 * Math.PI * c11) + c23 * (0.25 + Math.asin(r > 1 ? 1 : r < -1 ? -1 : r) / (2 * Math.PI));
}

/** E[θ(u1)θ(u2)θ(u3)θ(u4) u3 u4] */
function reluI4(c11: number, c12: number, c13: number, c14: number, c22: number, c23: number, c24: number, c33: number, c34: number, c44: number): number {
  const C = RELU_C0;
  C[0] = c11; C[1] = C[4] = c12; C[2] = C[8] = c13; C[3] = C[12] = c14;
  C[5] = c22; C[6] = C[9] = c23; C[7] = C[13] = c24;
  C[10] = c33; C[11] = C[14] = c34; C[15] = c44;
  let S = 15;
  for (let i = 0; i < 4; i++) {
    if (!(S & (1 << i))) continue;
    for (let j = i + 1; j < 4; j++) {
      if (!(S & (1 << j))) continue;
      const rho = C[i * 4 + j] / Math.sqrt(C[i * 4 + i] * C[j * 4 + j]);
      if (rho > 1 - 1e-12) S &= ~(1 << j);
      else if (rho < -1 + 1e-12) return 0;
    }
  }
  // The expectation is continuous in C; a relative ridge of 1e-9 keeps the conditional covariances of
  // rank-deficient configurations (all fields in a lower-dimensional span) well defined, at O(1e-9) cost.
  for (let i = 0; i < 4; i++) C[i * 5] *= 1 + 1e-9;
  return reluStein(C, S, 2, 3);
}

/** E[Π_{i∈S} θ(u_i) u_a u_b] for a 4×4 covariance C (S a bit mask of distinct, non-collinear fields). */
function reluStein(C: Float64Array, S: number, a: number, b: number): number {
  let out = C[a * 4 + b] * reluOrthant(C, S);
  for (let j = 0; j < 4; j++) {
    if (!(S & (1 << j)) || j === b) continue;
    const caj = C[a * 4 + j];
    if (caj === 0) continue;
    reluCondition(C, j, RELU_C1);
    let inner = 0;
    for (let i = 0; i < 4; i++) {
      if (!(S & (1 << i)) || i === j) continue;
      const cbi = RELU_C1[b * 4 + i];
      const vi = RELU_C1[i * 4 + i];
      if (cbi === 0 || !(vi > 1e-300)) continue;
      reluCondition(RELU_C1, i, RELU_C2);
      inner += (cbi / Math.sqrt(2 * Math.PI * vi)) * reluOrthant(RELU_C2, S & ~(1 << i) & ~(1 << j));
    }
    out += (caj / Math.sqrt(2 * Math.PI * C[j * 4 + j])) * inner;
  }
  return out;
}

/** out = covariance of u given u_j = 0. */
function reluCondition(C: Float64Array, j: number, out: Float64Array): void {
  const vj = C[j * 4 + j];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) out[r * 4 + c] = C[r * 4 + c] - (C[r * 4 + j] * C[j * 4 + c]) / vj;
}

function reluCorr(C: Float64Array, i: number, j: number): number {
  const vi = C[i * 4 + i];
  const vj = C[j * 4 + j];
  if (!(vi > 1e-300) || !(vj > 1e-300)) return 0;
  const r = C[i * 4 + j] / Math.sqrt(vi * vj);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/** P(u_i > 0 for i ∈ S). */
function reluOrthant(C: Float64Array, S: number): number {
  let m = 0;
  for (let i = 0; i < 4; i++) if (S & (1 << i)) RELU_IDX[m++] = i;
  if (m === 0) return 1;
  if (m === 1) return 0.5;
  if (m === 2) return 0.25 + Math.asin(reluCorr(C, RELU_IDX[0], RELU_IDX[1])) / (2 * Math.PI);
  if (m === 3) {
    const i = RELU_IDX[0], j = RELU_IDX[1], k = RELU_IDX[2];
    return 0.125 + (Math.asin(reluCorr(C, i, j)) + Math.asin(reluCorr(C, i, k)) + Math.asin(reluCorr(C, j, k))) / (4 * Math.PI);
  }
  return reluOrthant4(C);
}

/**
 * P_4 by Plackett: ∂P/∂ρ_ij = φ₂(0,0;ρ_ij) · P(u_k > 0, u_l > 0 | u_i = u_j = 0), integrated along
 * R_t = I + t(R − I), t = 1 − s², with 48-point Gauss–Legendre in s.
 */
function reluOrthant4(C: Float64Array): number {
  const R = RELU_R;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) R[i * 4 + j] = i === j ? 1 : reluCorr(C, i, j);
  let total = 0;
  for (let q = 0; q < 48; q++) {
    const s = RELU_GL_S[q];
    const t = 1 - s * s;
    let deriv = 0;
    for (let i = 0; i < 4; i++) {
      for (let j = i + 1; j < 4; j++) {
        const rij = R[i * 4 + j];
        if (rij === 0) continue;
        let k = -1, l = -1;
        for (let x = 0; x < 4; x++) if (x !== i && x !== j) { if (k < 0) k = x; else l = x; }
        const r = t * rij;
        const den = 1 - r * r;
        // conditional covariance of (u_k, u_l) given u_i = u_j = 0 under R_t
        const rki = t * R[k * 4 + i], rkj = t * R[k * 4 + j], rli = t * R[l * 4 + i], rlj = t * R[l * 4 + j];
        const rkl = t * R[k * 4 + l];
        const ckk = 1 - (rki * rki - 2 * r * rki * rkj + rkj * rkj) / den;
        const cll = 1 - (rli * rli - 2 * r * rli * rlj + rlj * rlj) / den;
        const ckl = rkl - (rki * rli - r * (rki * rlj + rkj * rli) + rkj * rlj) / den;
        let rc = ckk > 1e-300 && cll > 1e-300 ? ckl / Math.sqrt(ckk * cll) : 0;
        rc = rc > 1 ? 1 : rc < -1 ? -1 : rc;
        deriv += (rij / (2 * Math.PI * Math.sqrt(den))) * (0.25 + Math.asin(rc) / (2 * Math.PI));
      }
    }
    total += RELU_GL_W[q] * 2 * s * deriv;
  }
  return 0.0625 + total;
}`;
}

export const RELU_TEX = [
  String.raw`\mathbb{E}[\mathrm{ReLU}(u_1)\mathrm{ReLU}(u_2)] = \frac{\sqrt{C_{11}C_{22}-C_{12}^2}+C_{12}\,(\pi-\arccos\rho_{12})}{2\pi}`,
  String.raw`\mathbb{E}[\theta(u_1)\theta(u_2)] = \frac14+\frac{\arcsin\rho_{12}}{2\pi}`,
  String.raw`\mathbb{E}[\theta(u_1)\,u_2\,\mathrm{ReLU}(u_3)] = \frac{C_{12}\sqrt{C_{11}C_{33}-C_{13}^2}}{2\pi C_{11}}+C_{23}\Big(\frac14+\frac{\arcsin\rho_{13}}{2\pi}\Big)`,
  String.raw`\mathbb{E}\Big[\prod_{i\in S}\theta(u_i)\,u_a u_b\Big] = C_{ab}P_S(C)+\sum_{j\in S\setminus b}C_{aj}\varphi_j\sum_{i\in S\setminus j}C^{(j)}_{bi}\varphi^{(j)}_i\,P_{S\setminus\{i,j\}}\big(C^{(j,i)}\big),\quad \varphi_j=\frac{1}{\sqrt{2\pi C_{jj}}}`,
  String.raw`P_4(R)=\frac1{16}+\int_0^1\sum_{i<j}R_{ij}\,\frac{P_2\big(R_t\,|\,u_i=u_j=0\big)}{2\pi\sqrt{1-t^2R_{ij}^2}}\,dt,\quad R_t=I+t(R-I)`,
];
