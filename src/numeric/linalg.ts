/** Linear algebra of the numeric stage: the shared routines of src/linalg.ts, and a strict Cholesky. */
export { symmetricEigenvalues, pseudoInverse } from '../linalg.ts';

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
