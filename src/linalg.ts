/**
 * Small dense linear algebra for overlap and covariance matrices (n ≲ 20), shared by every stage:
 * the symmetric eigen-decomposition (cyclic Jacobi) and what it gives — eigenvalues, the symmetric
 * square root used by quadrature, the pseudo-inverse used by the finite-step map — and a Cholesky
 * factor tolerant of zero pivots (positive semi-definite input).
 */
import { maxAbsOf } from './extrema.ts';

/** The n×n identity. */
export function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

/** A = V diag(values) Vᵀ; `vectors[i][m]` is component i of eigenvector m. */
export function symmetricEigen(C: number[][]): { values: number[]; vectors: number[][] } {
  const n = C.length;
  const A = C.map((r) => r.slice());
  const V = identity(n);
  const scale = 1 + A.reduce((s, r, i) => s + r[i] * r[i], 0);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += A[i][j] ** 2;
    if (off < 1e-32 * scale) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(A[p][q]) < 1e-300) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < n; r++) {
          const arp = A[r][p];
          const arq = A[r][q];
          A[r][p] = c * arp - s * arq;
          A[r][q] = s * arp + c * arq;
        }
        for (let r = 0; r < n; r++) {
          const apr = A[p][r];
          const aqr = A[q][r];
          A[p][r] = c * apr - s * aqr;
          A[q][r] = s * apr + c * aqr;
        }
        for (let r = 0; r < n; r++) {
          const vrp = V[r][p];
          const vrq = V[r][q];
          V[r][p] = c * vrp - s * vrq;
          V[r][q] = s * vrp + c * vrq;
        }
      }
  }
  return { values: A.map((r, i) => r[i]), vectors: V };
}

/** Eigenvalues of a symmetric matrix, ascending. */
export function symmetricEigenvalues(C: number[][]): number[] {
  return symmetricEigen(C).values.sort((a, b) => a - b);
}

/** L = V diag(√max(λ, 0)) with L Lᵀ = C (negative eigenvalues clipped: singular C is allowed). */
export function symmetricSqrt(C: number[][]): number[][] {
  const { values, vectors } = symmetricEigen(C);
  return vectors.map((row) => row.map((v, m) => v * Math.sqrt(Math.max(values[m], 0))));
}

/** Moore–Penrose pseudo-inverse of a symmetric positive semi-definite matrix. */
export function pseudoInverse(C: number[][], rcond = 1e-12): number[][] {
  const { values, vectors: V } = symmetricEigen(C);
  const top = maxAbsOf(values);
  const inv = values.map((l) => (l > rcond * top ? 1 / l : 0));
  const n = C.length;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => V[i].reduce((s, v, m) => s + v * inv[m] * V[j][m], 0)));
}

/** Lower Cholesky factor of a positive semi-definite matrix; zero pivots give zero columns. */
export function choleskyPsd(C: number[][], zeroPivot = 1e-300): number[][] {
  const n = C.length;
  const L = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = C[i][j];
      for (let m = 0; m < j; m++) s -= L[i][m] * L[j][m];
      if (i === j) L[i][i] = Math.sqrt(Math.max(s, 0));
      else L[i][j] = L[j][j] > zeroPivot ? s / L[j][j] : 0;
    }
  return L;
}

/**
 * C⁺ b for each right-hand side b of a symmetric positive semi-definite C: by Cholesky when C is
 * well conditioned (every pivot² above 10⁻¹⁰ of the largest diagonal entry), else by the
 * pseudo-inverse — the same numbers either way, the first without an eigendecomposition.
 */
export function solvePsd(C: number[][], bs: number[][]): number[][] {
  const n = C.length;
  const top = maxAbsOf(C.map((r, i) => r[i]));
  const L = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = C[i][j];
      for (let m = 0; m < j; m++) s -= L[i][m] * L[j][m];
      if (i === j) {
        if (!(s > 1e-10 * top)) {
          const P = pseudoInverse(C);
          return bs.map((b) => P.map((row) => row.reduce((acc, x, c) => acc + x * b[c], 0)));
        }
        L[i][i] = Math.sqrt(s);
      } else L[i][j] = s / L[j][j];
    }
  return bs.map((b) => {
    const z = new Array(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = b[i];
      for (let m = 0; m < i; m++) s -= L[i][m] * z[m];
      z[i] = s / L[i][i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = z[i];
      for (let m = i + 1; m < n; m++) s -= L[m][i] * z[m];
      z[i] = s / L[i][i];
    }
    return z;
  });
}
