/**
 * Exact Gaussian expectations of polynomials times indicators with thresholds (THEORY §3.10):
 * for u ~ N(0, C) in n slots, kinked slots K with thresholds t_b, E[u^α Π_{b∈R} θ(u_b − t_b)].
 * Stein's lemma with a mean, E^B[u_a G] = μ^B_a E^B[G] + Σ_b C^B_ab E^B[∂_b G], and
 * ∂_b θ(u_b − t_b) = δ(u_b − t_b), under which u_b^k = t_b^k, give
 *
 *   E^B[u^α θ_R] = μ^B_a E^B[u^{α−e_a} θ_R] + Σ_{b∉B} C^B_ab (α − e_a)_b E^B[u^{α−e_a−e_b} θ_R]
 *                + Σ_{b∈R} C^B_ab φ^B_b t_b^{(α−e_a)_b} E^{B∪b}[u^{α−e_a}|_{u_b=t_b} θ_{R∖b}],
 *   E^B[θ_R] = P^B_R,
 *
 * where B is the set of slots conditioned on u_b = t_b, μ^B and C^B the conditional mean and
 * covariance (both independent of the order of conditioning), φ^B_b the density of u_b at t_b and
 * P^B_R = P(u_i > t_i, i ∈ R | u_B = t_B) a multivariate normal orthant with a shifted corner: Φ for
 * one field, the bivariate normal by Drezner–Wesolowsky's integral (Genz's form), three and four by
 * Plackett's identity ∂P/∂ρ_ij = φ₂(h_i, h_j; ρ_ij) P(others | X_i = h_i, X_j = h_j) from the
 * independent corner. At t = 0 this is gaussian/stein.ts, which the centred activations keep.
 *
 * Singular covariances take the limits of stein.ts: a field whose conditional variance vanishes is
 * deterministic, u_b = μ^B_b; its density is 0, and its indicator is the constant θ(μ^B_b − t_b),
 * unless μ^B_b = t_b (a field coincident with one conditioned at the same threshold), where the
 * ε-limit along C + εI makes it a centred field correlated with the other such fields through D.
 */
import { Coef } from '../symbolic/coef.ts';
import type { Poly } from '../symbolic/poly.ts';
import { parseKernel } from '../ir/parse.ts';
import { instantiate } from '../ir/js.ts';
import { gaussLegendre } from '../quadrature.ts';
import type { Const } from '../ir/ir.ts';
import { ONE, STEIN_SOURCE, SymbolTable, addScaled, steinConstants, type IndicatorTerm, type Sparse } from './stein.ts';

export type ShiftedSymbol =
  /** C^B_ij (i ≤ j, both outside B) */
  | { kind: 'c'; B: number; i: number; j: number }
  /** μ^B_i, the mean of u_i given u_B = t_B (B ≠ 0) */
  | { kind: 'm'; B: number; i: number }
  /** t_b, the threshold of kinked slot b */
  | { kind: 't'; b: number }
  /** φ^B_b, the density of u_b at t_b given u_B = t_B */
  | { kind: 'phi'; B: number; b: number }
  /** P^B_R, |R| ≥ 1 */
  | { kind: 'P'; B: number; R: number };

export interface ShiftedExpansion {
  n: number;
  /** kinked slots (a mask): each has a threshold argument */
  kinked: number;
  /** the expectation as a polynomial in `symbols` */
  poly: Poly;
  symbols: ShiftedSymbol[];
}

const symbolKey = (s: ShiftedSymbol): string =>
  s.kind === 'c' ? `c${s.B}:${s.i}:${s.j}` : s.kind === 'm' ? `m${s.B}:${s.i}` : s.kind === 't' ? `t${s.b}` : s.kind === 'phi' ? `f${s.B}:${s.b}` : `P${s.B}:${s.R}`;

/** The symbolic reduction; expansions of one slot count share their memo. */
export class ShiftedEngine {
  readonly n: number;
  private readonly table = new SymbolTable<ShiftedSymbol>(symbolKey);
  private readonly memo = new Map<string, Sparse>();

  constructor(n: number) {
    this.n = n;
  }

  /** E[Σ_S poly_S(u) Π_{b∈S} θ(u_b − t_b)] for u ~ N(0, C). */
  expectation(terms: IndicatorTerm[]): ShiftedExpansion {
    const { total, kinked } = SymbolTable.sum(terms, (S, exps) => this.moment(0, S, exps));
    const rank = { P: 0, phi: 1, m: 2, t: 3, c: 4 } as const;
    const level = (s: ShiftedSymbol) => (s.kind === 't' ? 0 : s.B);
    const { poly, symbols } = this.table.toPoly(total, (a, b) => rank[a.kind] - rank[b.kind] || level(a) - level(b) || symbolKey(a).localeCompare(symbolKey(b)));
    return { n: this.n, kinked, poly, symbols };
  }

  private moment(B: number, R: number, alpha: number[]): Sparse {
    const key = `${B}|${R}|${alpha.join(',')}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    const out: Sparse = new Map();
    const a = alpha.findIndex((x) => x > 0);
    if (a < 0) addScaled(out, ONE, R ? [this.table.id({ kind: 'P', B, R })] : [], Coef.one);
    else {
      const rest = alpha.slice();
      rest[a] -= 1;
      if (B) addScaled(out, this.moment(B, R, rest), [this.table.id({ kind: 'm', B, i: a })], Coef.one);
      for (let b = 0; b < this.n; b++) {
        if (B & (1 << b) || rest[b] === 0) continue;
        const next = rest.slice();
        next[b] -= 1;
        addScaled(out, this.moment(B, R, next), [this.cov(B, a, b)], Coef.int(rest[b]));
      }
      for (let b = 0; b < this.n; b++) {
        if (!(R & (1 << b))) continue;
        const next = rest.slice();
        const power = next[b];
        next[b] = 0;
        const t = this.table.id({ kind: 't', b });
        addScaled(out, this.moment(B | (1 << b), R & ~(1 << b), next), [this.cov(B, a, b), this.table.id({ kind: 'phi', B, b }), ...new Array(power).fill(t)], Coef.one);
      }
    }
    this.memo.set(key, out);
    return out;
  }

  private cov(B: number, i: number, j: number): number {
    return this.table.id({ kind: 'c', B, i: Math.min(i, j), j: Math.max(i, j) });
  }
}

/** Gauss–Legendre rules the bivariate normal uses (6, 12 and 20 nodes on [−1, 1], concatenated). */
const BVN_RULES = [6, 12, 20];

/** The constants of SHIFTED_SOURCE (with the Plackett rules of stein.ts). */
export function shiftedConstants(): Const[] {
  const X: number[] = [];
  const W: number[] = [];
  for (const n of BVN_RULES) {
    const gl = gaussLegendre(n);
    X.push(...gl.x);
    W.push(...gl.w);
  }
  return [
    ...steinConstants(),
    { name: 'SH_GL_X', type: 'f64', values: X, doc: 'Gauss–Legendre nodes on [−1, 1]: rules of 6, 12 and 20 points, concatenated' },
    { name: 'SH_GL_W', type: 'f64', values: W, doc: 'their weights' },
  ];
}

/** Kernel source: the symbols' values at a covariance and thresholds (with STEIN_SOURCE's conditioning and ridge). */
export const SHIFTED_SOURCE = `
// Φ(−h) = P(X > h) for a standard X
function shUpper(h: f64): f64 {
  return 0.5 * erfc(h * 0.7071067811865476);
}
// P(X > h, Y > k) for standard X, Y of correlation r: Drezner–Wesolowsky's integral over asin r by a
// 6-, 12- or 20-node Gauss–Legendre rule for |r| < 0.925, and nearer ±1 Genz's expansion of the
// integrand about r = ±1 with its leading term in closed form (double precision throughout)
function shBvn(h: f64, k: f64, r: f64): f64 {
  if (h > 38.0 || k > 38.0) return 0.0;
  if (h < -38.0) return shUpper(k);
  if (k < -38.0) return shUpper(h);
  let ar = r < 0.0 ? -r : r;
  let off: int = 18;
  let ng: int = 20;
  if (ar < 0.3) {
    off = 0;
    ng = 6;
  } else if (ar < 0.75) {
    off = 6;
    ng = 12;
  }
  let hk = h * k;
  let bvn = 0.0;
  if (ar < 0.925) {
    let hs = 0.5 * (h * h + k * k);
    let asr = 0.5 * asin(r);
    for (let i = 0; i < ng; i++) {
      let sn = sin(asr * (1.0 + SH_GL_X[off + i]));
      bvn += SH_GL_W[off + i] * exp((sn * hk - hs) / (1.0 - sn * sn));
    }
    bvn = bvn * asr / 6.2831853071795862 + shUpper(h) * shUpper(k);
    return bvn < 0.0 ? 0.0 : bvn > 1.0 ? 1.0 : bvn;
  }
  let kk = k;
  if (r < 0.0) {
    kk = -k;
    hk = -hk;
  }
  if (ar < 1.0) {
    let asq = (1.0 - r) * (1.0 + r);
    let a = sqrt(asq);
    let bs = (h - kk) * (h - kk);
    let c = (4.0 - hk) / 8.0;
    let d = (12.0 - hk) / 80.0;
    let e0 = -0.5 * (bs / asq + hk);
    if (e0 > -100.0) bvn = a * exp(e0) * (1.0 - c * (bs - asq) * (1.0 - d * bs) / 3.0 + c * d * asq * asq);
    if (hk > -100.0) {
      let b = sqrt(bs);
      bvn -= exp(-0.5 * hk) * 2.5066282746310002 * shUpper(b / a) * b * (1.0 - c * bs * (1.0 - d * bs) / 3.0);
    }
    let ha = 0.5 * a;
    let sum = 0.0;
    for (let i = 0; i < ng; i++) {
      let x = ha * (1.0 + SH_GL_X[off + i]);
      let xs = x * x;
      let e1 = -0.5 * (bs / xs + hk);
      if (e1 > -100.0) {
        let rs = sqrt(1.0 - xs);
        let sp = 1.0 + c * xs * (1.0 + 5.0 * d * xs);
        let ep = exp(-0.5 * hk * xs / ((1.0 + rs) * (1.0 + rs))) / rs;
        sum += SH_GL_W[off + i] * exp(e1) * (sp - ep);
      }
    }
    bvn = (ha * sum - bvn) / 6.2831853071795862;
  }
  if (r > 0.0) {
    bvn += shUpper(h > kk ? h : kk);
  } else if (h >= kk) {
    bvn = -bvn;
  } else {
    let L = h < 0.0 ? shUpper(-kk) - shUpper(-h) : shUpper(h) - shUpper(kk);
    bvn = L - bvn;
  }
  return bvn < 0.0 ? 0.0 : bvn > 1.0 ? 1.0 : bvn;
}
// P(X_i > h_i, i < m) for m ≤ 4 standard fields of correlation R (4×4, row-major): thresholds far below
// dropped, collinear pairs merged (ρ = 1: the larger threshold; ρ = −1: the slab between, as a difference)
function shOrthant(h: f64[], R: f64[], m: int): f64 {
  for (let i = 0; i < m; i++) {
    if (h[i] > 38.0) return 0.0;
  }
  for (let i = 0; i < m; i++) {
    let drop: int = -1;
    if (h[i] < -38.0) drop = i;
    for (let j = i + 1; j < m; j++) {
      if (drop < 0 && R[i * 4 + j] > 1.0 - 1e-12) drop = h[i] > h[j] ? j : i;
    }
    if (drop >= 0) return shOrthantWithout(h, R, m, drop, -1, 0.0);
    for (let j = i + 1; j < m; j++) {
      if (R[i * 4 + j] < -1.0 + 1e-12) {
        if (h[i] >= -h[j]) return 0.0;
        return shOrthantWithout(h, R, m, j, -1, 0.0) - shOrthantWithout(h, R, m, j, i, -h[j]);
      }
    }
  }
  if (m == 0) return 1.0;
  if (m == 1) return shUpper(h[0]);
  if (m == 2) return shBvn(h[0], h[1], R[1]);
  return shPlackett(h, R, m);
}
// shOrthant without field drop (and with field at's threshold set to hat when at ≥ 0)
function shOrthantWithout(h: f64[], R: f64[], m: int, drop: int, at: int, hat: f64): f64 {
  let h2: f64[4];
  let R2: f64[16];
  let q: int = 0;
  for (let i = 0; i < m; i++) {
    if (i != drop) {
      h2[q] = i == at ? hat : h[i];
      let p: int = 0;
      for (let j = 0; j < m; j++) {
        if (j != drop) {
          R2[q * 4 + p] = R[i * 4 + j];
          p += 1;
        }
      }
      q += 1;
    }
  }
  return shOrthant(h2, R2, m - 1);
}
// three or four fields by Plackett's identity along R_t = I + t(R − I), t = 1 − s², from the independent
// corner Π Φ(−h_i), with the panels of steinPlackett (δ from the bound det R/(1 + (m − 1) max|ρ|)^(m−1))
function shPlackett(h: f64[], R: f64[], m: int): f64 {
  let rmax = 0.0;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      let a = R[i * 4 + j] < 0.0 ? -R[i * 4 + j] : R[i * 4 + j];
      if (a > rmax) rmax = a;
    }
  }
  let A: f64[16];
  for (let i = 0; i < 16; i++) A[i] = R[i];
  let det = 1.0;
  for (let c = 0; c < m; c++) {
    let piv = A[c * 5];
    det = det * piv;
    if (!(piv > 1e-300)) break;
    for (let i = c + 1; i < m; i++) {
      let f = A[i * 4 + c] / piv;
      for (let j = c; j < m; j++) A[i * 4 + j] -= f * A[c * 4 + j];
    }
  }
  let g = 1.0 + (m - 1) * rmax;
  let lam = det > 0.0 ? (m == 3 ? det / (g * g) : det / (g * g * g)) : 0.0;
  let delta = lam < 1.0 ? lam / (1.0 - lam) : 1.0;
  if (rmax > 0.0 && 1.0 / rmax - 1.0 < delta) delta = 1.0 / rmax - 1.0;
  let corner = 1.0;
  for (let i = 0; i < m; i++) corner = corner * shUpper(h[i]);
  if (delta > 0.06) return corner + shPlackettPanel(h, R, m, 0.0, 0.5, 16, 24) + shPlackettPanel(h, R, m, 0.5, 1.0, 16, 24);
  let y2 = 2.0 * sqrt(delta > 0.0 ? delta : 0.0);
  let total = 0.0;
  let top = 1.0;
  for (let p = 0; p < 80; p++) {
    if (top <= y2) break;
    total += shPlackettPanel(h, R, m, 0.3 * top, top, 16, 24);
    top = 0.3 * top;
  }
  let P = corner + total + shPlackettPanel(h, R, m, 0.0, top, 16, 24);
  return P < 0.0 ? 0.0 : P > 1.0 ? 1.0 : P;
}
// ∫ over s ∈ [lo, hi] of 2s Σ_{i<j} ρ_ij φ₂(h_i, h_j; tρ_ij) P(others | X_i = h_i, X_j = h_j) under R_t
function shPlackettPanel(h: f64[], R: f64[], m: int, lo: f64, hi: f64, off: int, n: int): f64 {
  let total = 0.0;
  let w = hi - lo;
  for (let q = 0; q < n; q++) {
    let s = lo + w * STEIN_GL_S[off + q];
    let t = 1.0 - s * s;
    let deriv = 0.0;
    for (let i = 0; i < m; i++) {
      for (let j = i + 1; j < m; j++) {
        let rij = R[i * 4 + j];
        if (rij == 0.0) continue;
        let k: int = -1;
        let l: int = -1;
        for (let x = 0; x < m; x++) {
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
        let hi2 = h[i];
        let hj2 = h[j];
        let dens = exp(-0.5 * (hi2 * hi2 - 2.0 * r * hi2 * hj2 + hj2 * hj2) / den) / (6.2831853071795862 * sqrt(den));
        if (dens == 0.0) continue;
        let rki = t * R[k * 4 + i];
        let rkj = t * R[k * 4 + j];
        let ckk = 1.0 - (rki * rki - 2.0 * r * rki * rkj + rkj * rkj) / den;
        let muk = ((rki - r * rkj) * hi2 + (rkj - r * rki) * hj2) / den;
        let cond = 0.0;
        if (m == 3) {
          cond = ckk > 1e-300 ? shUpper((h[k] - muk) / sqrt(ckk)) : (muk > h[k] ? 1.0 : 0.0);
        } else {
          let rli = t * R[l * 4 + i];
          let rlj = t * R[l * 4 + j];
          let rkl = t * R[k * 4 + l];
          let cll = 1.0 - (rli * rli - 2.0 * r * rli * rlj + rlj * rlj) / den;
          let ckl = rkl - (rki * rli - r * (rki * rlj + rkj * rli) + rkj * rlj) / den;
          let mul = ((rli - r * rlj) * hi2 + (rlj - r * rli) * hj2) / den;
          let hk2 = ckk > 1e-300 ? (h[k] - muk) / sqrt(ckk) : (muk > h[k] ? -100.0 : 100.0);
          let hl2 = cll > 1e-300 ? (h[l] - mul) / sqrt(cll) : (mul > h[l] ? -100.0 : 100.0);
          let rc = ckk > 1e-300 && cll > 1e-300 ? ckl / sqrt(ckk * cll) : 0.0;
          rc = rc > 1.0 ? 1.0 : rc < -1.0 ? -1.0 : rc;
          cond = shBvn(hk2, hl2, rc);
        }
        deriv += rij * dens * cond;
      }
    }
    total += w * STEIN_GL_W[off + q] * 2.0 * s * deriv;
  }
  return total;
}
// outMu = the mean of u given u_j = tj, from the mean mu and covariance C before conditioning on j
function shCondMean(C: f64[], mu: f64[], n: int, j: int, tj: f64, outMu: f64[]): void {
  let vj = C[j * n + j];
  let mj = mu[j];
  for (let r = 0; r < n; r++) outMu[r] = vj > 0.0 ? mu[r] + C[r * n + j] * (tj - mj) / vj : mu[r];
  outMu[j] = tj;
}
// the density of u_b at t given the conditioning (mean mu, covariance C); 0 for a degenerate field
function shPhi(C: f64[], mu: f64[], C0: f64[], n: int, b: int, t: f64): f64 {
  let v = steinVar(C, C0, n, b);
  if (!(v > 0.0)) return 0.0;
  let z = t - mu[b];
  return exp(-0.5 * z * z / v) / sqrt(6.2831853071795862 * v);
}
// P(u_i > T_i for i ∈ S) given the conditioning: regular fields by shOrthant, degenerate ones as the
// constant θ(μ_i − T_i), or — at μ_i = T_i — as centred fields correlated through D (steinOrthant)
function shProb(C: f64[], D: f64[], mu: f64[], T: f64[], C0: f64[], n: int, S: int): f64 {
  let idx: int[4];
  let h: f64[4];
  let m: int = 0;
  let ties: int = 0;
  for (let i = 0; i < n; i++) {
    if ((S & (1 << i)) != 0) {
      let v = steinVar(C, C0, n, i);
      if (v > 0.0) {
        idx[m] = i;
        h[m] = (T[i] - mu[i]) / sqrt(v);
        m += 1;
      } else {
        let z = (mu[i] - T[i]) / sqrt(C0[i * n + i] + 1e-300);
        if (z < -1e-7) return 0.0;
        if (!(z > 1e-7)) ties = ties | (1 << i);
      }
    }
  }
  let R: f64[16];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let r = i == j ? 1.0 : C[idx[i] * n + idx[j]] / sqrt(C[idx[i] * n + idx[i]] * C[idx[j] * n + idx[j]]);
      R[i * 4 + j] = r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
    }
  }
  let p = shOrthant(h, R, m);
  return ties == 0 ? p : p * steinOrthant(C, D, C0, n, ties);
}
${STEIN_SOURCE}
`;

interface ShiftedKernels {
  shBvn(h: number, k: number, r: number): number;
  shOrthant(h: Float64Array, R: Float64Array, m: number): number;
  steinRegularize(C: ArrayLike<number>, n: number, K: number, out: Float64Array): void;
  steinCondition(C: ArrayLike<number>, D: ArrayLike<number>, n: number, j: number, outC: Float64Array, outD: Float64Array): void;
  shCondMean(C: ArrayLike<number>, mu: ArrayLike<number>, n: number, j: number, tj: number, outMu: Float64Array): void;
  shPhi(C: ArrayLike<number>, mu: ArrayLike<number>, C0: ArrayLike<number>, n: number, b: number, t: number): number;
  shProb(C: ArrayLike<number>, D: ArrayLike<number>, mu: ArrayLike<number>, T: ArrayLike<number>, C0: ArrayLike<number>, n: number, S: number): number;
}
let kernels: ShiftedKernels | undefined;

/** The kernels of SHIFTED_SOURCE instantiated in process (the code the generated files print). */
export function shiftedKernels(): ShiftedKernels {
  if (kernels) return kernels;
  const names = ['shBvn', 'shOrthant', 'steinRegularize', 'steinCondition', 'shCondMean', 'shPhi', 'shProb'];
  const fns = parseKernel(SHIFTED_SOURCE).map((f) => ({ ...f, exported: names.includes(f.name) }));
  return (kernels = instantiate<ShiftedKernels>({ header: [], prefix: 'sh', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: shiftedConstants(), functions: fns }));
}

/** P(X_i > h_i) for m ≤ 4 standard fields of correlation R (m×m, row-major), in process. */
export function shiftedOrthant(h: number[], R: ArrayLike<number>): number {
  const m = h.length;
  const H = new Float64Array(4);
  const R4 = new Float64Array(16);
  for (let i = 0; i < m; i++) {
    H[i] = h[i];
    for (let j = 0; j < m; j++) R4[i * 4 + j] = R[i * m + j];
  }
  return shiftedKernels().shOrthant(H, R4, m);
}

/** E[F] of an expansion at covariance C (n×n) and thresholds t (per slot; only kinked slots are read), in process. */
export function evaluateShifted(exp: ShiftedExpansion, C: ArrayLike<number>, t: ArrayLike<number>): number {
  const n = exp.n;
  const K = shiftedKernels();
  const C0 = new Float64Array(n * n);
  K.steinRegularize(C, n, exp.kinked, C0);
  const D0 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) D0[i * n + i] = 1;
  const T = Float64Array.from({ length: n }, (_, i) => t[i] ?? 0);
  const cond = new Map<number, [Float64Array, Float64Array, Float64Array]>([[0, [C0, D0, new Float64Array(n)]]]);
  const at = (B: number): [Float64Array, Float64Array, Float64Array] => {
    const hit = cond.get(B);
    if (hit) return hit;
    const top = 31 - Math.clz32(B);
    const [from, dfrom, mfrom] = at(B & ~(1 << top));
    const out: [Float64Array, Float64Array, Float64Array] = [new Float64Array(n * n), new Float64Array(n * n), new Float64Array(n)];
    K.shCondMean(from, mfrom, n, top, T[top], out[2]);
    K.steinCondition(from, dfrom, n, top, out[0], out[1]);
    cond.set(B, out);
    return out;
  };
  const values = exp.symbols.map((s) => {
    if (s.kind === 't') return T[s.b];
    const [CB, DB, MB] = at(s.B);
    if (s.kind === 'c') return CB[s.i * n + s.j];
    if (s.kind === 'm') return MB[s.i];
    if (s.kind === 'phi') return K.shPhi(CB, MB, C0, n, s.b, T[s.b]);
    return K.shProb(CB, DB, MB, T, C0, n, s.R);
  });
  return exp.poly.evaluate(values);
}
