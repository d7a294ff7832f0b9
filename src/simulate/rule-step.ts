/**
 * Learning-rate and batch-size rules inside the simulators, computed from the simulation itself each
 * step (THEORY §4.5, §4.6): the engine supplies the measurements (gradient norm, curvature along the
 * gradient, secant median, loss estimate); this module turns them into γ_t and n_b and keeps the
 * clock. Plain data in, and nothing imported but AdaDamp's formula: it runs in worker threads beside
 * the kernels.
 *
 *   LARS   γ_t = γ0·trust·‖W‖_F/‖g_W‖_F of the mini-batch gradient
 *   CBLR   γ_t = γ0/κ, κ = uᵀ(∇L′(W + δu) − ∇L′(W − δu))/(2δ) (or, Gauss–Newton only, the mean of
 *          (uᵀ∇f)²), u = g/‖g‖, L′ the loss of n_b fresh
 *          samples (an independent batch: the curvature of the population loss along the gradient;
 *          on the gradient's own batch it would be O(d/n_b)); κ ≤ 0 keeps the previous rate (at the
 *          first step: the given γ, else γ0)
 *   MCLR   γ_t = γ0/κ, κ the median over the parameters of |g_t,i − g_{t−1,i}|/|W_t,i − W_{t−1,i}|;
 *          the first step at the given γ
 *   AdaDamp n_b = ⌈n_b0 (ε0 − ε*)/(ε − ε*)⌉ ≤ n_max (rate × n_max/n_b beyond), ε the exact risk of the
 *          current overlaps or ½ mean e² over n_est fresh samples, recomputed every `dwell` steps
 *   schedule n_b = ⌈expression(τ, steps)⌉
 */
import { adadampBatch } from '../rules/adadamp.ts';

export interface KernelRules {
  lr: { kind: 'constant' | 'lars' | 'cblr' | 'mclr'; gamma0: number; trust: number; gammaMax?: number; gaussNewton?: boolean };
  batch: { kind: 'constant' | 'adadamp' | 'schedule'; nb0: number; nmax: number; epsStar: number; dwell: number; nEst: number };
  /** source of x ↦ raw n_b for x = [τ, steps] (schedule) */
  scheduleSrc?: string;
  /** source of (M, Q, a) ↦ population risk, the derivation's generated code (AdaDamp, exact loss) */
  riskSrc?: string;
  /** finite-difference step δ of CBLR */
  fdStep: number;
}

/** What an engine measures for the rules, on request. */
export interface RuleProbe {
  /** ‖W‖_F² and ‖g_W‖_F² of the current mini-batch gradient (LARS) */
  norms(): { w2: number; g2: number };
  /** curvature along the gradient on n_b fresh samples (CBLR) */
  curvature(nb: number): number;
  /** median secant curvature against the previous iterate (MCLR; NaN at the first step) */
  secant(): number;
  /** the loss the batch rule reads: exact risk of the overlaps, or from n fresh samples */
  loss(nEst: number): number;
}

const fnCache = new Map<string, unknown>();

/** Compiles a function source once per thread (activations, targets, schedules, the generated risk). */
export function compileFn<T>(src: string): T {
  let f = fnCache.get(src);
  if (!f) fnCache.set(src, (f = new Function(`return (${src});`)()));
  return f as T;
}

/** The per-seed state of the rules: the clock, AdaDamp's ε0 and held batch, the last rate. */
export class RuleRuntime {
  readonly r: KernelRules;
  readonly gamma: number;
  readonly nb: number;
  tau = 0;
  samples = 0;
  lastGamma: number;
  lastNb: number;
  private eps0 = NaN;
  private held: { nb: number; decay: number } = { nb: 0, decay: 1 };
  private readonly schedule?: (x: Float64Array) => number;
  private readonly sx = new Float64Array(2);

  constructor(r: KernelRules, gamma: number, nb: number) {
    this.r = r;
    this.gamma = gamma;
    this.nb = nb;
    this.lastGamma = gamma;
    this.lastNb = nb;
    if (r.scheduleSrc) this.schedule = compileFn<(x: Float64Array) => number>(r.scheduleSrc);
  }

  /** The risk function of the overlaps (exact AdaDamp). */
  static riskFunction(r: KernelRules): ((M: number[][], Q: number[][], a: ArrayLike<number>, P: number[][]) => number) | undefined {
    return r.riskSrc ? compileFn(r.riskSrc) : undefined;
  }

  /** n_b of step `step` (1-based) and the rate decay AdaDamp imposes above n_max. */
  batch(step: number, probe: RuleProbe): { nb: number; decay: number } {
    const b = this.r.batch;
    if (b.kind === 'constant') return { nb: this.nb, decay: 1 };
    if (b.kind === 'schedule') {
      this.sx[0] = this.tau;
      this.sx[1] = step - 1;
      const v = (this.schedule as (x: Float64Array) => number)(this.sx);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`--batch-schedule evaluates to ${v} at tau = ${this.tau}, steps = ${step - 1}: a batch size must be finite and > 0`);
      return { nb: Math.max(1, Math.ceil(v - 1e-9)), decay: 1 };
    }
    if (step === 1 || (step - 1) % b.dwell === 0) {
      const eps = probe.loss(b.nEst);
      if (step === 1) this.eps0 = eps;
      this.held = adadampBatch(b.nb0, b.nmax, this.eps0, b.epsStar, eps);
    }
    return this.held;
  }

  /** γ of the step, after the gradient of its batch is known. */
  rate(step: number, nb: number, decay: number, probe: RuleProbe): number {
    const lr = this.r.lr;
    let g: number;
    if (lr.kind === 'constant') g = this.gamma;
    else if (lr.kind === 'lars') {
      const { w2, g2 } = probe.norms();
      g = g2 > 0 ? (lr.gamma0 * lr.trust * Math.sqrt(w2)) / Math.sqrt(g2) : step === 1 ? (this.gamma > 0 ? this.gamma : lr.gamma0) : this.lastGamma;
    } else if (lr.kind === 'cblr') {
      const kappa = probe.curvature(nb);
      g = kappa > 0 && Number.isFinite(kappa) ? lr.gamma0 / kappa : step === 1 ? (this.gamma > 0 ? this.gamma : lr.gamma0) : this.lastGamma;
    } else {
      const kappa = step === 1 ? NaN : probe.secant();
      g = step === 1 ? this.gamma : kappa > 0 && Number.isFinite(kappa) ? lr.gamma0 / kappa : this.lastGamma;
    }
    if (lr.gammaMax !== undefined && lr.kind !== 'constant') g = Math.min(g, lr.gammaMax);
    return g * decay;
  }

  /** Advances the clock by one step taken at rate γ with n_b samples. */
  advance(gamma: number, nb: number): void {
    this.tau += gamma;
    this.samples += nb;
    this.lastGamma = gamma;
    this.lastNb = nb;
  }
}

/** The median of the first n entries of `v` (reordered in place). */
export function medianInPlace(v: Float64Array, n: number): number {
  const a = v.subarray(0, n).sort();
  return n % 2 ? a[(n - 1) / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
}

/**
 * One fresh sample's contribution to CBLR's curvature: [h(W + δu) − h(W − δu)]/(2δ) with
 * h = uᵀ∇ℓ = −e Σ_j (a_j/p) σ′(λ_j) s_j, given the sample's fields λ, label y and s_j = u_j·z.
 */
export function curvatureSample(
  lam: Float64Array,
  s: Float64Array,
  y: number,
  a: ArrayLike<number>,
  w: number,
  sigma: (x: number) => number,
  dsigma: (x: number) => number,
  delta: number,
  gaussNewtonOnly = false,
): number {
  const p = lam.length;
  if (gaussNewtonOnly) {
    // (uᵀ∇f)² = (Σ_j (a_j/p) σ′(λ_j) s_j)²: the loss's Hessian without the −e∇²f part
    let g = 0;
    for (let j = 0; j < p; j++) g += (a[j] * dsigma(lam[j]) * s[j]) / p;
    return g * g;
  }
  let hd = 0;
  for (const sgn of [1, -1]) {
    let f = 0;
    if (w !== 0) for (let j = 0; j < p; j++) f += a[j] * sigma(lam[j] + sgn * delta * s[j]);
    const e = y - (w * f) / p;
    let h = 0;
    for (let j = 0; j < p; j++) h -= (e * a[j] * dsigma(lam[j] + sgn * delta * s[j]) * s[j]) / p;
    hd += sgn * h;
  }
  return hd / (2 * delta);
}
