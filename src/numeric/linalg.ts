/** Small dense linear algebra for overlap matrices (n ≤ ~20): eigenvalues, Cholesky. */

/** Eigenvalues of a symmetric matrix (cyclic Jacobi), ascending. */
export function symmetricEigenvalues(C: number[][]): number[] {
  const n = C.length;
  const A = C.map((r) => r.slice());
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += A[i][j] ** 2;
    if (off < 1e-30 * (1 + A.reduce((s, r, i) => s + r[i] ** 2, 0))) break;
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
      }
  }
  return A.map((r, i) => r[i]).sort((a, b) => a - b);
}

/** Lower Cholesky factor of a symmetric positive semi-definite matrix (zero pivots allowed). */
export function cholesky(C: number[][], tol = 1e-12): number[][] {
  const n = C.length;
  const L = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = C[i][j];
      for (let m = 0; m < j; m++) s -= L[i][m] * L[j][m];
      if (i === j) {
        if (s < -tol * Math.max(1, Math.abs(C[i][i]))) throw new RangeError(`matrix is not positive semi-definite (pivot ${i + 1} = ${s.toExponential(3)})`);
        L[i][i] = Math.sqrt(Math.max(s, 0));
      } else L[i][j] = L[j][j] > 0 ? s / L[j][j] : 0;
    }
  }
  return L;
}
