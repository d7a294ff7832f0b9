/**
 * The rules inside the simulators (THEORY §4.5, §4.6), per seed: the engine supplies the
 * measurements through `RateProbe` and `LossProbe` (gradient norms, the curvature along the gradient
 * on fresh samples, the secant median, the loss); this module keeps the clock, the batch rule's
 * state, and the last rate. Where a rule is undefined at a step (a curvature ≤ 0, a zero gradient)
 * the simulation keeps the last rate (at the first step: the rule's initial rate).
 */
import type { RuleValue, RateProbe, LossProbe, BatchPolicy, BatchAt, LrRuleDef, Measure } from './types.ts';
import { lrRuleNamed, batchRuleNamed, CONSTANT } from './registry.ts';
import { compileSource } from '../ir/js.ts';

/** The rules as the kernels read them: plain values, so worker threads receive them. */
export interface KernelRules {
  lr: RuleValue;
  /** prepared for the run (src/rules/types.ts, `prepare`): a schedule carries its compiled source */
  batch: RuleValue;
  /** source of (M, Q, a, P) ↦ population risk, the derivation's generated code (a rule reading the exact risk) */
  riskSrc?: string;
  /** finite-difference step δ of a curvature measurement */
  fdStep: number;
}

/** Constant rules: the configuration's γ and n_b every step. */
export const CONSTANT_KERNEL_RULES: KernelRules = { lr: { kind: CONSTANT }, batch: { kind: CONSTANT }, fdStep: 1e-4 };

/** Whether both rules are constant (the engines' fast paths). */
export const constantKernelRules = (r: KernelRules): boolean => r.lr.kind === CONSTANT && r.batch.kind === CONSTANT;

/** The population risk of the overlaps, compiled from `riskSrc` (a rule reading the exact risk), or undefined. */
export function riskFunction(r: KernelRules): ((M: number[][], Q: number[][], a: ArrayLike<number>, P: number[][]) => number) | undefined {
  return r.riskSrc ? compileSource(r.riskSrc) : undefined;
}

/** The per-seed state of the rules: the clock, the batch rule's state, the last rate. */
export class RuleRuntime {
  readonly r: KernelRules;
  readonly gamma: number;
  readonly nb: number;
  readonly lrDef: LrRuleDef;
  /** whether the batch changes along the run */
  readonly batchVaries: boolean;
  tau = 0;
  samples = 0;
  lastGamma: number;
  lastNb: number;
  private readonly policy: BatchPolicy;
  private readonly measures: Set<Measure>;

  constructor(r: KernelRules, gamma: number, nb: number, delta: number) {
    this.r = r;
    this.gamma = gamma;
    this.nb = nb;
    this.lastGamma = gamma;
    this.lastNb = nb;
    this.lrDef = lrRuleNamed(r.lr.kind);
    this.batchVaries = r.batch.kind !== CONSTANT;
    const batchDef = batchRuleNamed(r.batch.kind);
    this.policy = batchDef.create(r.batch, { nb, delta });
    this.measures = new Set([...this.lrDef.measures, ...batchDef.measures(r.batch)]);
  }

  /** Whether the rules read a measurement (an engine allocates and keeps what it needs only then). */
  reads(m: Measure): boolean {
    return this.measures.has(m);
  }

  /** n_b of step `step` (1-based) and the rate decay the batch rule imposes. */
  batch(step: number, probe: LossProbe): BatchAt {
    return this.policy.at(this.tau, step - 1, step, probe);
  }

  /** γ of the step, after the gradient of its batch is known. */
  rate(step: number, nb: number, decay: number, probe: RateProbe): number {
    const given = this.gamma > 0 ? this.gamma : undefined;
    let g = this.lrDef.rate(this.r.lr, probe, { step, nb, given, last: this.lastGamma, tau: this.tau, steps: step - 1 });
    if (!(g > 0 && Number.isFinite(g))) g = step === 1 ? this.lrDef.initial(this.r.lr, given) : this.lastGamma;
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
