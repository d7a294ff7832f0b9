/**
 * erf, f(x) = erf(x/√2): the closed forms of Saad & Solla; scaled members A·erf(b z) reuse them with
 * c_ij → s_i s_j c_ij (s = √2 b) and a constant factor.
 */
import { compileExpr } from '../ir/js.ts';
import { PROBE, factorial, type ClosedFamily } from './family.ts';

/** erf in double precision (the same algorithm as the generated helper). */
export function erfNum(x: number): number {
  return erfImpl(x);
}

const erfImpl = compileExpr({ k: 'call', fn: 'erf', args: [{ k: 'var', name: 'x' }] }, ['x']);

/** A·erf(b z): f(1)/f(1/2) = erf(b)/erf(b/2) decreases from 2 (b → 0) to 1 (b → ∞), so b is found by bisection. */
function recognise(f: (x: number) => number): { A: number; b: number } | undefined {
  const f1 = f(1);
  const fh = f(0.5);
  if (fh === 0 || !Number.isFinite(f1) || !Number.isFinite(fh)) return undefined;
  const r = f1 / fh;
  if (!(r > 1 && r < 2)) return undefined;
  let lo = Math.log(1e-4);
  let hi = Math.log(1e4);
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    const b = Math.exp(mid);
    const rm = erfNum(b) / erfNum(b / 2);
    if (rm > r) lo = mid;
    else hi = mid;
  }
  const b = Math.exp(0.5 * (lo + hi));
  const A = f1 / erfNum(b);
  return PROBE.every((z) => Math.abs(f(z) - A * erfNum(b * z)) <= 1e-11 * Math.abs(A)) ? { A, b } : undefined;
}

/**
 * A·erf(bz): c_k = 0 for even k; for k = 2m+1, since f′ = (2Ab/√π) e^{−b²z²} and
 * E[e^{−a z²} He_{2m}(z)] = (−1)^m (2m−1)!! (2a)^m / (1+2a)^{m+1/2},
 * c_k = (2Ab/√π) (−1)^m (2m−1)!! (2b²)^m / ((1+2b²)^{m+1/2} k!).
 */
export function erfCoefficients(A: number, b: number, order: number): number[] {
  const c = new Array(order + 1).fill(0);
  const a2 = 2 * b * b;
  for (let k = 1; k <= order; k += 2) {
    const m = (k - 1) / 2;
    let dfact = 1;
    for (let i = 2 * m - 1; i > 1; i -= 2) dfact *= i;
    c[k] = (((2 * A * b) / Math.sqrt(Math.PI)) * (-1) ** m * dfact * a2 ** m) / ((1 + a2) ** (m + 0.5) * factorial(k));
  }
  return c;
}

/** The erf closed forms (Saad & Solla), kernel source: c_ij are the covariance entries. */
const SOURCE = `
function erfI2(c11: f64, c12: f64, c22: f64): f64 {
  let x = c12 / sqrt((1.0 + c11) * (1.0 + c22));
  return 0.63661977236758134 * asin(x > 1.0 ? 1.0 : x < -1.0 ? -1.0 : x);
}
function erfJ2(c11: f64, c12: f64, c22: f64): f64 {
  return 0.63661977236758134 / sqrt((1.0 + c11) * (1.0 + c22) - c12 * c12);
}
function erfI3(c11: f64, c12: f64, c13: f64, c22: f64, c23: f64, c33: f64): f64 {
  let lambda3 = (1.0 + c11) * (1.0 + c33) - c13 * c13;
  return 0.63661977236758134 * (c23 * (1.0 + c11) - c12 * c13) / ((1.0 + c11) * sqrt(lambda3));
}
function erfI4(c11: f64, c12: f64, c13: f64, c14: f64, c22: f64, c23: f64, c24: f64, c33: f64, c34: f64, c44: f64): f64 {
  let l4 = (1.0 + c11) * (1.0 + c22) - c12 * c12;
  let l0 = l4 * c34 - c23 * c24 * (1.0 + c11) - c13 * c14 * (1.0 + c22) + c12 * c13 * c24 + c12 * c14 * c23;
  let l1 = l4 * (1.0 + c33) - c23 * c23 * (1.0 + c11) - c13 * c13 * (1.0 + c22) + 2.0 * c12 * c13 * c23;
  let l2 = l4 * (1.0 + c44) - c24 * c24 * (1.0 + c11) - c14 * c14 * (1.0 + c22) + 2.0 * c12 * c14 * c24;
  let x = l0 / sqrt(l1 * l2);
  return 0.40528473456935109 / sqrt(l4) * asin(x > 1.0 ? 1.0 : x < -1.0 ? -1.0 : x);
}
`;

const TEX = [
  String.raw`I_2(C) = \frac{2}{\pi}\arcsin\frac{C_{12}}{\sqrt{(1+C_{11})(1+C_{22})}}`,
  String.raw`J_2(C) = \frac{2}{\pi}\,\frac{1}{\sqrt{(1+C_{11})(1+C_{22})-C_{12}^2}}`,
  String.raw`I_3(C) = \frac{2}{\pi}\,\frac{C_{23}(1+C_{11})-C_{12}C_{13}}{(1+C_{11})\sqrt{\Lambda_3}},\quad \Lambda_3=(1+C_{11})(1+C_{33})-C_{13}^2`,
  String.raw`I_4(C) = \frac{4}{\pi^2\sqrt{\Lambda_4}}\arcsin\frac{\Lambda_0}{\sqrt{\Lambda_1\Lambda_2}}`,
  String.raw`\Lambda_4=(1+C_{11})(1+C_{22})-C_{12}^2,\qquad \Lambda_0=\Lambda_4C_{34}-C_{23}C_{24}(1+C_{11})-C_{13}C_{14}(1+C_{22})+C_{12}C_{13}C_{24}+C_{12}C_{14}C_{23}`,
  String.raw`\Lambda_1=\Lambda_4(1+C_{33})-C_{23}^2(1+C_{11})-C_{13}^2(1+C_{22})+2C_{12}C_{13}C_{23}`,
  String.raw`\Lambda_2=\Lambda_4(1+C_{44})-C_{24}^2(1+C_{11})-C_{14}^2(1+C_{22})+2C_{12}C_{14}C_{24}`,
];


const snap = (x: number) => (Math.abs(x - Math.round(x)) < 1e-12 * Math.max(1, Math.abs(x)) ? Math.round(x) : x);

export const erfFamily: ClosedFamily = {
  name: 'erf',
  recognise,
  scale: (m) => ({ A: snap(m.A), s: snap(Math.SQRT2 * m.b) }),
  scaling: 'covariance',
  hermite: (m, order) => erfCoefficients(m.A, m.b, order),
  // E[σ′²] = (2Ab/√π)² E[e^{−2b²z²}] = 4A²b²/(π √(1 + 4b²))
  derivativeSquare: (m) => (m.A * m.A * 4 * m.b * m.b) / Math.PI / Math.sqrt(1 + 4 * m.b * m.b),
  rescale: (m, r) => ({ A: m.A, b: m.b * r }),
  source: SOURCE,
  tex: TEX,
  description: 'Closed forms for g(x) = erf(x/√2) (Saad & Solla); scaled members A·erf(bx) use C_ij → s_i s_j C_ij, s = √2 b.',
};
