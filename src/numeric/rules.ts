/**
 * The rules at the level of the overlaps (THEORY §4.5–§4.7): γ_t and n_b(t) as functions of the
 * current state (τ, steps, Q, M, a), for the ODE (η̄(τ) = γ_t d/n_b(τ)) and the finite-step map.
 *
 * From the moments A, B, V (generated `moments`) and the squared mean gradient G = v_jᵀ Ω⁺ v_l:
 *   E⟨g_j, g_l⟩ = N_jl = c_j c_l [(d/n_b) V_jl + (1 − 1/n_b) G_jl],  c_j = a_j/p       (§4.7)
 *   LARS  γ_t = γ0·trust·√(tr Q)/√(Σ_j N_jj)                                             (§4.6)
 *   CBLR  κ_W = [Σ_jl c_j c_l J_jl N_jl − Σ_j c_j E[σ″_j e] N_jj] / Σ_j N_jj,  γ_t = γ0/κ_W
 *         (J_jl = E[σ′_jσ′_l]; the Gauss–Newton term is absent under correlation loss), the
 *         curvature of the population loss along a gradient dominated by its noise part;
 *         `gauss_newton=1`: the first term only, THEORY §4.6's leading order
 *   MCLR  (map only) γ_t = γ0 γ_{t−1}/m_t, m_t the median of |Δg_i|/|g_{t−1,i}| over the parameters
 *         when the coordinates of consecutive mini-batch gradients are Gaussian with the variances
 *         above: √2 when noise dominates (README, "Learning-rate rules")
 *   AdaDamp n_b = ⌈n_b0 (ε0 − ε*)/(ε − ε*)⌉ ≤ n_max, γ_t × n_max/n_b beyond the cap      (§4.5)
 *
 * J comes without new generated code: V is affine in the label-noise variance Δ with slope J, so
 * J = V(Δ = 1) − V(Δ = 0) at the same state. E[σ″_j e] follows from Stein's lemma:
 * E[∇_u(σ′_j e)] = Ω⁺ v_j, whose j-th entry is E[σ″_j e] + E[σ′_j ∂e/∂λ_j] = E[σ″_j e] − c_j J_jj (MSE).
 */
import type { GeneratedModel } from '../codegen/compile.ts';
import type { Layout } from '../ode/layout.ts';
import { overlapsOf, omegaOf } from '../ode/layout.ts';
import { solvePsd } from '../linalg.ts';
import { usageError, failure } from '../errors.ts';
import type { Rules } from '../rules/spec.ts';
import type { LrRuleDef, BatchPolicy, RateProbe, BatchAt, RuleValue } from '../rules/types.ts';
import { lrRuleNamed, batchRuleNamed } from '../rules/registry.ts';
import { residualWeight, lossNamed, type LossName } from '../loss/index.ts';


export interface RuleContext {
  gm: GeneratedModel;
  L: Layout;
  d: number;
  P: number[][];
  /** the second layer when it is not trained */
  aFixed: number[];
  /** the model's parameter vector (Delta, kappa, P, fixed a; eta_bar is overwritten) */
  params: number[];
  /** the loss (src/loss): its residual weight w enters the curvature */
  loss: LossName;
  /** the constant learning rate (constant rule; MCLR's first step) */
  gamma?: number;
  /** the constant batch size (constant batch rule) */
  nb?: number;
}

/** The moments of one state and what the rules derive from them. */
export interface GradientStats {
  A: number[][];
  B: number[][];
  V: number[][];
  S: number[];
  G: number[][];
  c: number[];
  trQ: number;
  risk: number;
  /** Ω⁺ v_j (row j): E[∇_u(σ′_j e)] by Stein's lemma */
  Pv: number[][];
  /** the generated moments vector (A, B, V, S, ε) */
  mom: Float64Array;
}

/** Rates at one state. */
export interface RateAt {
  gamma: number;
  nb: number;
  etaBar: number;
  /** AdaDamp: the batch the rule asked for (above n_max the rate is decayed instead) */
  nbRequested?: number;
  /** the moments at this state when the rule computed them (so the right-hand side need not) */
  mom?: Float64Array;
}

/** Moments, G = v_jᵀ Ω⁺ v_l and tr Q at a state. */
export function gradientStats(ctx: RuleContext, y: ArrayLike<number>, params = ctx.params): GradientStats {
  const { L, gm } = ctx;
  const { p, k } = L;
  const mom = new Float64Array(L.mom.size);
  gm.moments(y, params, mom);
  const ov = overlapsOf(y, L, ctx.aFixed);
  const A = Array.from({ length: p }, (_, j) => Array.from({ length: k }, (_, r) => mom[L.mom.A + j * k + r]));
  const B = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => mom[L.mom.B + j * p + l]));
  const V = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => mom[L.mom.V + j * p + l]));
  const S = Array.from({ length: p }, (_, j) => mom[L.mom.S + j]);
  const { G, Pv } = squaredMeanGradient(A, B, omegaOf(ov.M, ov.Q, ctx.P));
  const c = ov.a.map((a) => a / p);
  return { A, B, V, S, G, c, trQ: ov.Q.reduce((s, r, j) => s + r[j], 0), risk: mom[L.mom.risk], Pv, mom };
}

/** The squared mean gradient G_jl = v_jᵀ Ω⁺ v_l, v_j = (B_j·, A_j·) (THEORY §2.2), and Ω⁺ v_j. */
export function squaredMeanGradient(A: number[][], B: number[][], omega: number[][]): { G: number[][]; Pv: number[][] } {
  const v = B.map((row, j) => [...row, ...A[j]]);
  const Pv = solvePsd(omega, v);
  return { G: v.map((vj) => Pv.map((pvl) => vj.reduce((s, x, i) => s + x * pvl[i], 0))), Pv };
}

/** N_jl = E⟨g_j, g_l⟩ of the mini-batch gradient of W at batch n_b and dimension d (THEORY §4.7). */
export function gradientGram(s: GradientStats, d: number, nb: number): number[][] {
  return s.V.map((row, j) => row.map((vjl, l) => s.c[j] * s.c[l] * ((d / nb) * vjl + (1 - 1 / nb) * s.G[j][l])));
}

/** E‖g_W‖² = Σ_j N_jj. */
export function gradientNorm2(s: GradientStats, d: number, nb: number): number {
  return s.V.reduce((acc, row, j) => acc + s.c[j] * s.c[j] * ((d / nb) * row[j] + (1 - 1 / nb) * s.G[j][j]), 0);
}

/** J_jl = E[σ′(λ_j)σ′(λ_l)] = ∂V_jl/∂Δ (V is affine in Δ). */
export function derivativeGram(ctx: RuleContext, y: ArrayLike<number>): number[][] {
  const { L } = ctx;
  const p = L.p;
  const at = (delta: number) => {
    const pr = ctx.params.slice();
    pr[L.delta] = delta;
    const mom = new Float64Array(L.mom.size);
    ctx.gm.moments(y, pr, mom);
    return mom;
  };
  const one = at(1);
  const zero = at(0);
  return Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => one[L.mom.V + j * p + l] - zero[L.mom.V + j * p + l]));
}

/** CBLR's curvature κ_W of the population loss along the mini-batch gradient (THEORY §4.6, README). */
export function cblrCurvature(ctx: RuleContext, y: ArrayLike<number>, s: GradientStats, nb: number, J = derivativeGram(ctx, y), gaussNewtonOnly = false): number {
  const N = gradientGram(s, ctx.d, nb);
  const Pv = s.Pv;
  const p = s.c.length;
  // e = y − w f (src/loss): ∂e/∂λ_j = −w c_j σ′_j, and the Gauss–Newton part of the Hessian carries w
  const w = residualWeight(ctx);
  let num = 0;
  let den = 0;
  for (let j = 0; j < p; j++) {
    den += N[j][j];
    // E[σ″_j e] = (Ω⁺v_j)_j − E[σ′_j ∂e/∂λ_j],  ∂e/∂λ_j = −w c_j σ′_j
    const h = Pv[j][j] + w * s.c[j] * J[j][j];
    if (!gaussNewtonOnly) num -= s.c[j] * h * N[j][j];
    if (w !== 0) for (let l = 0; l < p; l++) num += w * s.c[j] * s.c[l] * J[j][l] * N[j][l];
  }
  return num / den;
}

/**
 * MCLR's median secant ratio m: the median over parameters of |g_t,i − g_{t−1,i}|/|g_{t−1,i}| when,
 * in row j, the coordinates are g_{t−1} = μ + s_prev ξ, g_t = μ + s_now ξ′ (ξ, ξ′ independent
 * standard normals, μ ~ N(0, m2) across coordinates): the ratio is a Cauchy variable of location
 * −s_prev²/(s_prev² + m2) and scale √((s_now² + s_prev²)(s_prev² + m2) − s_prev⁴)/(s_prev² + m2);
 * the median pools the rows. Pure noise with equal scales gives √2.
 */
export function mclrMedian(rows: { sPrev2: number; sNow2: number; m2: number }[]): number {
  const cauchy = rows.map(({ sPrev2, sNow2, m2 }) => {
    const vy = sPrev2 + m2;
    return { loc: -sPrev2 / vy, scale: Math.sqrt(Math.max((sNow2 + sPrev2) * vy - sPrev2 * sPrev2, 0)) / vy };
  });
  const F = (m: number) => cauchy.reduce((acc, { loc, scale }) => acc + (Math.atan((m - loc) / scale) + Math.atan((m + loc) / scale)) / Math.PI, 0) / cauchy.length;
  let lo = 0;
  let hi = 1;
  while (F(hi) < 0.5) hi *= 2;
  for (let it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (F(mid) < 0.5) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * The measurements of the rules (src/rules/types.ts) taken from the overlaps at one state: ‖W‖² =
 * tr Q and E‖g_W‖² at the step's batch, the curvature along the gradient, and — in the map, which
 * carries the previous step — the secant curvature m_t/γ_{t−1}.
 */
class OverlapProbe implements RateProbe {
  constructor(
    private readonly ctx: RuleContext,
    private readonly y: ArrayLike<number>,
    private readonly nb: number,
    private stats?: GradientStats,
    private readonly secantOf?: (s: GradientStats) => number,
  ) {}
  get gradient(): GradientStats {
    return (this.stats ??= gradientStats(this.ctx, this.y));
  }
  norms(): { w2: number; g2: number } {
    return { w2: this.gradient.trQ, g2: gradientNorm2(this.gradient, this.ctx.d, this.nb) };
  }
  curvature(nb: number, gaussNewton: boolean): number {
    return cblrCurvature(this.ctx, this.y, this.gradient, nb, undefined, gaussNewton);
  }
  secant(): number {
    return this.secantOf ? this.secantOf(this.gradient) : NaN;
  }
}

/**
 * The rules evaluated on overlaps. `at(τ, steps, y)` gives γ_t, n_b and η̄ = γ_t d/n_b at a state;
 * `start(y0)` gives the batch rule the starting risk (AdaDamp's ε0, checked against ε*).
 */
export class OverlapRules {
  readonly rules: Rules;
  readonly ctx: RuleContext;
  readonly lrDef: LrRuleDef;
  /** the learning-rate rule's value prepared for this run (a schedule's compiled source) */
  private readonly lr: RuleValue;
  private readonly policy: BatchPolicy;

  constructor(rules: Rules, ctx: RuleContext) {
    this.rules = rules;
    this.ctx = ctx;
    this.lrDef = lrRuleNamed(rules.lr.kind);
    this.lr = this.lrDef.prepare?.(rules.lr, { d: ctx.d, p: ctx.L.p, k: ctx.L.k }) ?? rules.lr;
    const batchDef = batchRuleNamed(rules.batch.kind);
    const delta = ctx.params[ctx.L.delta];
    this.policy = batchDef.create(batchDef.prepare?.(rules.batch, { d: ctx.d, p: ctx.L.p, k: ctx.L.k, delta }) ?? rules.batch, { nb: ctx.nb, delta });
    if (this.lrDef.given !== 'refused' && !(ctx.gamma !== undefined && ctx.gamma > 0)) throw usageError(this.lrDef.givenMissing ?? `the ${this.lrDef.name} rule needs gamma=…`, { field: '--set gamma' });
    this.lrDef.check?.(rules.lr, { residualWeight: residualWeight(ctx), lossTitle: lossNamed(ctx.loss).title });
  }

  /** The starting risk ε0 (the risk at y0), which a batch rule may read and check. */
  start(y0: ArrayLike<number>): void {
    this.policy.start?.(this.ctx.gm.risk(y0, this.ctx.params.slice()));
  }

  /** The batch rule's figures for a run's header (AdaDamp: ε0, ε*). */
  meta(): Record<string, number> {
    return this.policy.meta?.() ?? {};
  }

  /** Checks the batch rule over a run of `steps` steps from the start, before it runs. */
  checkRun(steps: number): void {
    this.policy.checkRun?.(steps);
  }

  /** n_b and the rate decay at a state; `step` (1-based) in the map, where the rule may hold its batch; `risk` when already known. */
  batchAt(tau: number, steps: number, y: ArrayLike<number>, risk?: number, step?: number): BatchAt {
    return this.policy.at(tau, steps, step, { loss: () => risk ?? this.ctx.gm.risk(y, this.ctx.params) });
  }

  /** γ_t, n_b and η̄ at (τ, steps, y) in the ODE; `batch`: a batch decided before instead of recomputing it. */
  at(tau: number, steps: number, y: ArrayLike<number>, batch?: BatchAt): RateAt {
    if (this.lrDef.noOde) throw usageError(this.lrDef.noOde, { field: '--lr-rule', value: this.lrDef.name });
    return this.rateAt(tau, steps, y, { batch });
  }

  /**
   * The rate at a state: in the ODE (`step` undefined) or at a step of the map (`step` 1-based, and
   * the secant from the previous step). A rule that reads the gradient computes the moments once:
   * the batch rule and the right-hand side reuse them.
   */
  rateAt(tau: number, steps: number, y: ArrayLike<number>, o: { batch?: BatchAt; step?: number; stats?: GradientStats; secantOf?: (s: GradientStats) => number } = {}): RateAt {
    const lr = this.lr;
    const stats = o.stats ?? (this.lrDef.measures.length > 0 ? gradientStats(this.ctx, y) : undefined);
    const { nb, decay, requested } = o.batch ?? this.batchAt(tau, steps, y, stats?.risk, o.step);
    const probe = new OverlapProbe(this.ctx, y, nb, stats, o.secantOf);
    let gamma = this.lrDef.rate(lr, probe, { step: o.step, nb, given: this.ctx.gamma, tau, steps });
    if (!(gamma > 0) || !Number.isFinite(gamma)) {
      const why = this.lrDef.undefinedWhy?.(lr, probe, nb);
      throw failure(`the ${this.lrDef.name} learning rate is ${why ? 'undefined' : gamma} at τ = ${Number(tau.toPrecision(6))}${why ? `: ${why}` : ''}`);
    }
    gamma *= decay;
    return { gamma, nb, etaBar: (gamma * this.ctx.d) / nb, ...(requested !== undefined ? { nbRequested: requested } : {}), ...(stats ? { mom: stats.mom } : {}) };
  }
}

/**
 * The rules step by step, for the finite-step map: the batch rule may hold its batch between
 * recomputations (AdaDamp's dwell); a rule reading the secant gets m_t/γ_{t−1}, m_t the median of
 * |Δg_i|/|g_{t−1,i}| from the previous and the current gradient's per-coordinate noise variance
 * s²_j = c_j² V_jj/n_b (THEORY §4.6, `mclrMedian`); its first step is taken at the given γ.
 */
export class RuleStepper {
  private readonly ev: OverlapRules;
  private prev?: { gamma: number; sNow2: number[] };

  constructor(ev: OverlapRules) {
    this.ev = ev;
  }

  /** γ and n_b of step t (1-based) taken from state y at time τ after `steps` steps. */
  next(t: number, tau: number, steps: number, y: ArrayLike<number>): RateAt {
    const ev = this.ev;
    const batch = ev.batchAt(tau, steps, y, undefined, t);
    const noise = (s: GradientStats) => s.c.map((c, j) => (c * c * s.V[j][j]) / batch.nb);
    // the mean gradient lies in the span of W and W* — in a simulation's basis O(p + k) of the d
    // coordinates — so the median over the p·d parameters sees the noise alone (m2 = 0)
    const prev = this.prev;
    const secantOf = (s: GradientStats) => (prev ? mclrMedian(noise(s).map((sn, j) => ({ sPrev2: prev.sNow2[j], sNow2: sn, m2: 0 }))) / prev.gamma : NaN);
    const reads = ev.lrDef.measures.includes('secant');
    const stats = reads ? gradientStats(ev.ctx, y) : undefined;
    const r = ev.rateAt(tau, steps, y, { batch, step: t, stats, secantOf });
    if (stats) this.prev = { gamma: r.gamma, sNow2: noise(stats) };
    return r;
  }
}
