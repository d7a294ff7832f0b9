/**
 * The rules of the `lattice` backend (THEORY §3.6), for wide committees with smooth activations that
 * have no closed forms:
 *
 * - pair integrals E[f(u1) h(u2)] by the trapezoidal rule in Cholesky coordinates. For an integrand
 *   analytic in a strip |Im z| < a around the real line, the trapezoidal rule with step h on the
 *   Gaussian weight errs by about exp(−2πa/h), so it beats Gauss–Hermite (whose error for tanh falls
 *   like exp(−c√N)) by orders at equal cost; `trapezoidStep` finds the step at unit variance, and the
 *   generated code divides it by the largest standard deviation of the pair;
 * - the four-field variance term E[σ′(λ_j)σ′(λ_l)e²] by one randomly shifted rank-1 lattice over all
 *   p + k fields (Box–Muller pairs of coordinates), its generating vector built component by
 *   component (`latticeRule`).
 */

import { internal } from '../errors.ts';
import { Rng } from '../random/rng.ts';

export interface LatticeRule {
  /** number of points (a power of two) */
  points: number;
  /** generating vector z (odd integers below N), one per coordinate */
  z: number[];
  /** the random shift Δ ∈ [0, 1)^s: point i is frac(i z / N + Δ) */
  shift: number[];
}

/**
 * A rank-1 lattice with N = 2^m points in s dimensions (s even: Box–Muller pairs), generating vector by
 * the component-by-component construction over `candidates` random odd candidates per coordinate,
 * minimising the shift-averaged worst-case error in the weighted Korobov space of smoothness 2 with
 * product weights γ_j = j^(−3/2): e² = −1 + (1/N) Σ_i Π_j (1 + γ_j 2π² B₂({i z_j / N})).
 * `shiftSeed` draws the random shift; the vector depends on N and s only.
 */
export function latticeRule(N: number, s: number, shiftSeed = 1, candidates = 32): LatticeRule {
  if (!Number.isInteger(Math.log2(N))) throw internal('lattice points must be a power of two');
  const sh = new Rng(shiftSeed, 0x5ee7);
  return { points: N, z: generatingVector(N, s, candidates), shift: Array.from({ length: s }, () => sh.uniform()) };
}

/** Generating vectors by (N, s, candidates): derive builds several rules that differ only in their shift. */
const VECTORS = new Map<string, number[]>();

function generatingVector(N: number, s: number, candidates: number): number[] {
  const key = `${N}:${s}:${candidates}`;
  const known = VECTORS.get(key);
  if (known) return known;
  const rand = new Rng(N, 0x1a771ce);
  const B2 = (x: number) => x * x - x + 1 / 6;
  const prod = new Float64Array(N).fill(1);
  const z: number[] = [];
  for (let j = 0; j < s; j++) {
    const gamma = 2 * Math.PI * Math.PI * Math.pow(j + 1, -1.5);
    let best = 1;
    let bestErr = Infinity;
    const tries = j === 0 ? [1] : Array.from({ length: Math.min(candidates, N / 2) }, () => 2 * Math.floor(rand.uniform() * (N / 2)) + 1);
    for (const c of tries) {
      let e = 0;
      for (let i = 0; i < N; i++) e += prod[i] * (1 + gamma * B2(((i * c) % N) / N));
      if (e < bestErr) {
        bestErr = e;
        best = c;
      }
    }
    z.push(best);
    for (let i = 0; i < N; i++) prod[i] *= 1 + gamma * B2(((i * best) % N) / N);
  }
  VECTORS.set(key, z);
  return z;
}

/** Points of `rule` mapped to standard normals by Box–Muller, as the generated code computes them. */
export function latticeNormals(rule: LatticeRule, i: number): number[] {
  const u = rule.z.map((z, j) => {
    const t = (i * z) / rule.points + rule.shift[j];
    return t - Math.floor(t);
  });
  const out: number[] = [];
  for (let j = 0; j + 1 < u.length; j += 2) {
    const r = Math.sqrt(-2 * Math.log(Math.max(u[j], 1e-300)));
    out.push(r * Math.cos(2 * Math.PI * u[j + 1]), r * Math.sin(2 * Math.PI * u[j + 1]));
  }
  return out;
}

/** Half-width of the trapezoidal grid in standard deviations: e^{−Z²/2} ≈ 10⁻¹⁵ beyond it. */
export const TRAPEZOID_HALF_WIDTH = 8.3;

/**
 * The trapezoidal step at unit variance for the given functions: the largest h = 0.8·0.85^i at which
 * E[f(z)], E[f(z)²] and E[f(0.83z + 0.29)] (z ~ N(0, 1)) agree with the rules at 0.85h and 0.7h to `tol`
 * relative (absolute below 10⁻³), for every f. Undefined
 * when none down to h = 0.05 does (a function that is not smooth enough for the rule).
 */
export function trapezoidStep(fns: ((x: number) => number)[], tol = 1e-12): number | undefined {
  // E[f(z)], E[f(z)²] and E[f(0.83z + 0.29)]: the shifted one puts a kink at 0 between the nodes,
  // where the trapezoidal rule converges only as h² (E[|z|²] alone would hide the kink of |z|)
  const probes = fns.flatMap((f) => [f, (x: number) => f(x) ** 2, (x: number) => f(0.83 * x + 0.29)]);
  const rule = (f: (x: number) => number, h: number) => {
    let acc = 0;
    const n = Math.ceil(TRAPEZOID_HALF_WIDTH / h);
    for (let i = -n; i <= n; i++) {
      const x = i * h;
      acc += f(x) * Math.exp(-0.5 * x * x);
    }
    return (acc * h) / Math.sqrt(2 * Math.PI);
  };
  for (let h = 0.8; h >= 0.05; h *= 0.85) {
    // two finer rules must agree: one could meet the coarse rule by accident (aliasing)
    const ok = probes.every((f) => {
      const a = rule(f, h);
      return [0.85, 0.7].every((r) => {
        const b = rule(f, h * r);
        return Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-3);
      });
    });
    if (ok) return h;
  }
  return undefined;
}
