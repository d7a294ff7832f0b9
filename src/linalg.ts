/**
 * Small dense linear algebra for overlap and covariance matrices (n ≲ 20), shared by every stage:
 * the symmetric eigen-decomposition (cyclic Jacobi) and what it gives — eigenvalues, the symmetric
 * square root used by quadrature, the pseudo-inverse used by the finite-step map — and a Cholesky
 * factor tolerant of zero pivots (positive semi-definite input).
 */
import { maxAbsOf } from './extrema.ts';
import { failure } from './errors.ts';

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

/** choleskyPsd on flat row-major n×n arrays, into L (no allocation: the simulators call it every step). */
export function choleskyPsdInto(C: ArrayLike<number>, n: number, L: Float64Array, zeroPivot = 1e-300): Float64Array {
  L.fill(0, 0, n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = C[i * n + j];
      for (let m = 0; m < j; m++) s -= L[i * n + m] * L[j * n + m];
      if (i === j) L[i * n + i] = Math.sqrt(Math.max(s, 0));
      else L[i * n + j] = L[j * n + j] > zeroPivot ? s / L[j * n + j] : 0;
    }
  return L;
}

/**
 * Whether the symmetric C + shift·I (n×n, row-major) is positive definite, by a Cholesky factorisation that stops at the
 * first non-positive pivot: for shift > 0, true exactly when the smallest eigenvalue of C exceeds −shift
 * (up to round-off). n² work and no eigen-decomposition; `work` (n² entries) is reused when given.
 */
export function positiveDefiniteShifted(C: ArrayLike<number>, n: number, shift: number, work?: Float64Array): boolean {
  const L = work && work.length >= n * n ? work : new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = C[j * n + j] + shift;
    for (let k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
    if (!(d > 0)) return false;
    const r = Math.sqrt(d);
    L[j * n + j] = r;
    for (let i = j + 1; i < n; i++) {
      let s = C[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / r;
    }
  }
  return true;
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

/** A 1-based copy of A reduced to upper Hessenberg form by stabilised elimination (EISPACK's elmhes). */
function hessenberg(A0: number[][]): number[][] {
  const n = A0.length;
  const a: number[][] = Array.from({ length: n + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i && j ? A0[i - 1][j - 1] : 0)));
  for (let m = 2; m < n; m++) {
    let x = 0;
    let i = m;
    for (let j = m; j <= n; j++)
      if (Math.abs(a[j][m - 1]) > Math.abs(x)) {
        x = a[j][m - 1];
        i = j;
      }
    if (i !== m) {
      for (let j = m - 1; j <= n; j++) [a[i][j], a[m][j]] = [a[m][j], a[i][j]];
      for (let j = 1; j <= n; j++) [a[j][i], a[j][m]] = [a[j][m], a[j][i]];
    }
    if (x !== 0)
      for (i = m + 1; i <= n; i++) {
        let y = a[i][m - 1];
        if (y !== 0) {
          y /= x;
          a[i][m - 1] = y;
          for (let j = m; j <= n; j++) a[i][j] -= y * a[m][j];
          for (let j = 1; j <= n; j++) a[j][m] += y * a[j][i];
        }
      }
  }
  for (let i = 3; i <= n; i++) for (let j = 1; j < i - 1; j++) a[i][j] = 0;
  return a;
}

/**
 * The eigenvalues of a real square matrix (re, im; complex ones in conjugate pairs): reduction to upper
 * Hessenberg form by stabilised elimination, then the Francis double-shift QR iteration (EISPACK's
 * elmhes and hqr). A failure when an eigenvalue does not converge in 60 iterations.
 */
export function realEigenvalues(A0: number[][]): { re: number[]; im: number[] } {
  const n = A0.length;
  const a = hessenberg(A0);
  const wr = new Array(n + 1).fill(0);
  const wi = new Array(n + 1).fill(0);
  let anorm = 0;
  for (let i = 1; i <= n; i++) for (let j = Math.max(i - 1, 1); j <= n; j++) anorm += Math.abs(a[i][j]);
  let nn = n;
  let t = 0;
  const sign = (x: number, y: number) => (y >= 0 ? Math.abs(x) : -Math.abs(x));
  while (nn >= 1) {
    let its = 0;
    let l: number;
    do {
      for (l = nn; l >= 2; l--) {
        let s = Math.abs(a[l - 1][l - 1]) + Math.abs(a[l][l]);
        if (s === 0) s = anorm;
        if (Math.abs(a[l][l - 1]) + s === s) {
          a[l][l - 1] = 0;
          break;
        }
      }
      let x = a[nn][nn];
      if (l === nn) {
        wr[nn] = x + t;
        wi[nn--] = 0;
      } else {
        let y = a[nn - 1][nn - 1];
        let w = a[nn][nn - 1] * a[nn - 1][nn];
        if (l === nn - 1) {
          const p = 0.5 * (y - x);
          const q = p * p + w;
          let z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            z = p + sign(z, p);
            wr[nn - 1] = wr[nn] = x + z;
            if (z) wr[nn] = x - w / z;
            wi[nn - 1] = wi[nn] = 0;
          } else {
            wr[nn - 1] = wr[nn] = x + p;
            wi[nn - 1] = -(wi[nn] = z);
          }
          nn -= 2;
        } else {
          if (its === 60) throw failure('the eigenvalues of the Jacobian did not converge (60 QR iterations)');
          if (its === 10 || its === 20 || its === 40) {
            t += x;
            for (let i = 1; i <= nn; i++) a[i][i] -= x;
            const s = Math.abs(a[nn][nn - 1]) + Math.abs(a[nn - 1][nn - 2]);
            y = x = 0.75 * s;
            w = -0.4375 * s * s;
          }
          ++its;
          let m: number;
          let p = 0;
          let q = 0;
          let r = 0;
          let z: number;
          for (m = nn - 2; m >= l; m--) {
            z = a[m][m];
            r = x - z;
            const s0 = y - z;
            p = (r * s0 - w) / a[m + 1][m] + a[m][m + 1];
            q = a[m + 1][m + 1] - z - r - s0;
            r = a[m + 2][m + 1];
            const s = Math.abs(p) + Math.abs(q) + Math.abs(r);
            p /= s;
            q /= s;
            r /= s;
            if (m === l) break;
            const u = Math.abs(a[m][m - 1]) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(a[m - 1][m - 1]) + Math.abs(z) + Math.abs(a[m + 1][m + 1]));
            if (u + v === v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i][i - 2] = 0;
            if (i !== m + 2) a[i][i - 3] = 0;
          }
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = a[k][k - 1];
              q = a[k + 1][k - 1];
              r = 0;
              if (k !== nn - 1) r = a[k + 2][k - 1];
              if ((x = Math.abs(p) + Math.abs(q) + Math.abs(r)) !== 0) {
                p /= x;
                q /= x;
                r /= x;
              }
            }
            const s = sign(Math.sqrt(p * p + q * q + r * r), p);
            if (s !== 0) {
              if (k === m) {
                if (l !== m) a[k][k - 1] = -a[k][k - 1];
              } else a[k][k - 1] = -s * x;
              p += s;
              x = p / s;
              y = q / s;
              z = r / s;
              q /= p;
              r /= p;
              for (let j = k; j <= nn; j++) {
                p = a[k][j] + q * a[k + 1][j];
                if (k !== nn - 1) {
                  p += r * a[k + 2][j];
                  a[k + 2][j] -= p * z;
                }
                a[k + 1][j] -= p * y;
                a[k][j] -= p * x;
              }
              const mmin = nn < k + 3 ? nn : k + 3;
              for (let i = l; i <= mmin; i++) {
                p = x * a[i][k] + y * a[i][k + 1];
                if (k !== nn - 1) {
                  p += z * a[i][k + 2];
                  a[i][k + 2] -= p * r;
                }
                a[i][k + 1] -= p * q;
                a[i][k] -= p;
              }
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return { re: wr.slice(1), im: wi.slice(1) };
}

/** x with A x = b by LU with partial pivoting (A square; a zero pivot is replaced by a tiny one). */
export function luSolve(A0: number[][], b0: number[]): number[] {
  const n = A0.length;
  const A = A0.map((r) => r.slice());
  const b = b0.slice();
  const scale = maxAbsOf(A.flat(), 1e-300);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(A[i][c]) > Math.abs(A[piv][c])) piv = i;
    [A[c], A[piv]] = [A[piv], A[c]];
    [b[c], b[piv]] = [b[piv], b[c]];
    if (Math.abs(A[c][c]) < 1e-14 * scale) A[c][c] = 1e-14 * scale;
    for (let i = c + 1; i < n; i++) {
      const f = A[i][c] / A[c][c];
      if (f === 0) continue;
      for (let j = c; j < n; j++) A[i][j] -= f * A[c][j];
      b[i] -= f * b[c];
    }
  }
  const x = new Array(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= A[i][j] * x[j];
    x[i] = s / A[i][i];
  }
  return x;
}
