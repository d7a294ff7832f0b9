/**
 * What a learning-rate or batch-size rule is (THEORY §4.5–§4.7): one file in `rules/lr/` or
 * `rules/batch/` implementing one of the two interfaces below, and a line in `rules/index.ts`. The
 * rule is a formula over measurements; the overlap level (the ODE and the finite-step map, from
 * the generated moments) and the simulators (from the weights) each supply the measurements through
 * one probe interface, so a rule is written once for all four. Its parameters are declared once: the
 * same list validates `--set`, the derivation file's `rules:` block, and writes `--help`.
 *
 * Nothing here imports more than errors and the expression layer: the simulation worker carries the
 * rules as they are.
 */

/** How a parameter's value is checked. */
export type ParamNeed = 'positive' | 'nonneg' | 'int1' | 'int0' | 'flag';

export interface RuleParam {
  /** the name in `--set` and in the file's `rules:` block */
  name: string;
  /** the key in the rule's value */
  key: string;
  need: ParamNeed;
  /** the value when neither the command line nor the file gives one; absent and not optional: required */
  default?: number;
  /** may be absent (the rule then does without it) */
  optional?: boolean;
  /** one line for `--help` */
  doc: string;
}

/** A rule as data: its kind and its parameters' values (plain, so worker threads receive it). */
export interface RuleValue {
  readonly kind: string;
  readonly [param: string]: number | string | boolean | undefined;
}

/**
 * The measurements a rule may read. The ODE and the map take them from the overlaps (E‖g‖² from
 * the moments, the curvature from the Hessian's expectation, the secant from the Cauchy median of
 * consecutive noise); the simulators from the weights (the mini-batch gradient, finite differences
 * on fresh samples, the coordinates of consecutive iterates).
 */
export interface RateProbe {
  /** ‖W‖_F² and ‖g_W‖_F² of the gradient the step takes (the overlaps: tr Q and E‖g_W‖² at n_b) */
  norms(): { w2: number; g2: number };
  /** the curvature of the population loss along the gradient; `gaussNewton`: its Gauss–Newton part only */
  curvature(nb: number, gaussNewton: boolean): number;
  /** the median secant curvature |Δg_i|/|ΔW_i| against the previous iterate (NaN at the first step) */
  secant(): number;
}

/** The names of the probe's measurements (an engine allocates what the rules of a run read). */
export type Measure = 'norms' | 'curvature' | 'secant' | 'exact-risk' | 'sampled-loss';

/** Where a rate is asked for: the step (1-based; undefined in the ODE), its batch, the given γ, the last rate. */
export interface RateQuery {
  step?: number;
  /** the time τ = Σ γ and the steps taken before this one (a schedule in τ or steps reads them) */
  tau?: number;
  steps?: number;
  /** the step's batch size */
  nb?: number;
  given?: number;
  last?: number;
}

export interface LrRuleDef {
  name: string;
  /** one line for `--help` and tables */
  summary: string;
  params: RuleParam[];
  /**
   * gamma=… / eta_bar=…: 'needed' (the rate is that number), 'first-step' (the rule's first step is
   * taken at it), 'refused' (the rule sets the rate itself: the number would be ignored)
   */
  given: 'needed' | 'first-step' | 'refused';
  /** the refusal when gamma=… is needed and absent */
  givenMissing?: string;
  /** the measurements the rule reads */
  measures: Measure[];
  /** why the rule has no ODE limit (its rate jumps by O(1) factors from step to step) */
  noOde?: string;
  /** engines that cannot supply a measurement, and why */
  refusesEngine?: Partial<Record<'full' | 'reduced', string>>;
  /** a refusal that depends on the model (e.g. a curvature part the loss lacks); thrown as a usage error */
  check?(v: RuleValue, model: { residualWeight: number; lossTitle: string }): void;
  /** a text parameter: its option, its field in the file's `rules.lr` block, its key in the value */
  text?: { option: string; field: string; key: string; doc: string };
  /** the value completed for a run at (d, p, k): compiled sources */
  prepare?(v: RuleValue, scope: { d: number; p: number; k: number }): RuleValue;
  /** γ_t; a value that is not finite and > 0 means the rule is undefined here */
  rate(v: RuleValue, probe: RateProbe, at: RateQuery): number;
  /** the rate when the rule is undefined at the first step of a simulation (later: the last rate) */
  initial(v: RuleValue, given: number | undefined): number;
  /** why the rate is undefined, for the ODE's failure (the probe's readings at hand) */
  undefinedWhy?(v: RuleValue, probe: RateProbe, nb: number): string;
  describe(v: RuleValue): string;
}

/** A batch size and the decay of the rate it imposes (AdaDamp above its cap). */
export interface BatchAt {
  nb: number;
  decay: number;
  /** the batch the rule asked for before a cap */
  requested?: number;
}

/** The run's view of the loss a batch rule reads. */
export interface LossProbe {
  /** the exact risk of the current overlaps (nEst = 0) or ½ mean e² over nEst fresh samples */
  loss(nEst: number): number;
}

/** A batch rule running: the state it carries through a run (AdaDamp's ε0 and held batch). */
export interface BatchPolicy {
  /**
   * n_b at (τ, steps). `step` (1-based) in the map and the simulators, where the rule may hold its
   * batch between recomputations; undefined in the ODE (recomputed at every evaluation).
   */
  at(tau: number, steps: number, step: number | undefined, probe: LossProbe): BatchAt;
  /** the risk at the start, when the overlaps are known (the ODE, the map); a rule may refuse it */
  start?(eps0: number): void;
  /** checks that can be made before a simulation of `steps` steps runs */
  checkRun?(steps: number): void;
  /** figures for the run's header (AdaDamp: ε0, ε*) */
  meta?(): Record<string, number>;
}

export interface BatchContext {
  /** the constant batch (--nb) */
  nb?: number;
  /** the label-noise variance Δ */
  delta: number;
}

export interface BatchRuleDef {
  name: string;
  summary: string;
  params: RuleParam[];
  /** a text parameter: its option, its field in the file's `rules.batch` block, its key in the value */
  text?: { option: string; field: string; key: string; doc: string };
  /** cross-parameter checks after each parameter is valid (thrown as usage errors naming `fieldOf(name)`) */
  check?(v: RuleValue, fieldOf: (name: string) => string): void;
  /** the measurements the rule reads */
  measures(v: RuleValue): Measure[];
  /** the batch the run starts from (for γ = η̄ n_b/d and expressions in nb) */
  startBatch?(v: RuleValue): number;
  /** the value completed for a run at (d, p, k): compiled sources, defaults that depend on the model */
  prepare?(v: RuleValue, scope: { d: number; p: number; k: number; delta: number }): RuleValue;
  /** the running rule from a prepared value */
  create(v: RuleValue, ctx: BatchContext): BatchPolicy;
  describe(v: RuleValue): string;
}
