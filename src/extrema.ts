/**
 * The largest and smallest entry of an array of any length. `Math.max(...xs)` passes every entry as
 * an argument and overflows the call stack past ~10⁵ entries (a trajectory saved at 2·10⁴ points was
 * enough); these loop instead. An empty array gives the bound passed (−∞ / +∞ by default), as
 * `Math.max(...[], bound)` does.
 */

/** max(bound, x₀, x₁, …); NaN entries make the result NaN, as Math.max does. */
export function maxOf(xs: ArrayLike<number>, bound = -Infinity): number {
  let m = bound;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x > m || Number.isNaN(x)) m = x;
    if (Number.isNaN(m)) return NaN;
  }
  return m;
}

/** min(bound, x₀, x₁, …); NaN entries make the result NaN, as Math.min does. */
export function minOf(xs: ArrayLike<number>, bound = Infinity): number {
  let m = bound;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x < m || Number.isNaN(x)) m = x;
    if (Number.isNaN(m)) return NaN;
  }
  return m;
}

/** max(bound, |x₀|, |x₁|, …). */
export function maxAbsOf(xs: ArrayLike<number>, bound = 0): number {
  let m = bound;
  for (let i = 0; i < xs.length; i++) {
    const x = Math.abs(xs[i]);
    if (x > m || Number.isNaN(x)) m = x;
    if (Number.isNaN(m)) return NaN;
  }
  return m;
}

/** max_i |a_i − b_i| over the common length (0 for empty arrays). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = Math.abs(a[i] - b[i]);
    if (x > m || Number.isNaN(x)) m = x;
    if (Number.isNaN(m)) return NaN;
  }
  return m;
}
