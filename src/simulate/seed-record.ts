/**
 * What both simulators (full and reduced) record of one seed, and when: the overlaps at the recording
 * steps with the clock (τ, samples) and the rate and batch of the step taken from each row, the escape
 * step and clock, divergence, progress, and the stop at an escape. The kernels keep only their own
 * dynamics; the bookkeeping that makes their results comparable row for row lives here once.
 */
import type { RuleRuntime } from '../rules/runtime.ts';
import { escapeChecker } from './escape-check.ts';

export interface SeedResult {
  seed: number;
  M: number[][][];
  Q: number[][][];
  a: number[][];
  /** teacher overlaps actually used (random teachers have P ≈ I) */
  P: number[][];
  /** true when the weights became non-finite: recording stopped there */
  diverged: boolean;
  divergedAt?: number;
  /** first step at which the escape criterion held (undefined: not within the run) */
  escapeStep?: number;
  /** τ and samples at the escape step (the seed's own clock) */
  escapeClock?: { tau: number; samples: number };
  /** at each recorded step: τ = Σ γ_t, samples = Σ n_b, and the γ, n_b of the step taken from there (the last row: of the step that led to it) */
  tau: number[];
  samples: number[];
  gamma: number[];
  nb: number[];
  /** with `measureGradient`: ‖g_W‖², ‖g_a‖² of the step taken from each recorded row (NaN at the last) */
  g2?: number[];
  ga2?: number[];
}

export interface RecordPlan {
  p: number;
  k: number;
  steps: number;
  /** the recording steps, increasing (0 = the start) */
  record: number[];
  escape?: { threshold: number; entry: [number, number] | null; stop: boolean };
  measureGradient?: boolean;
}

export class SeedRecorder {
  readonly res: SeedResult;
  private ri = 0;
  private lastProgress = 0;
  private readonly escaped: () => boolean;

  constructor(
    private readonly plan: RecordPlan,
    seed: number,
    P: number[][],
    private readonly rt: RuleRuntime,
    /** M and Q of the current weights, and |M_jr| alone (cheaper, for the escape test) */
    private readonly overlaps: () => { M: number[][]; Q: number[][] },
    mAbs: (j: number, r: number) => number,
    private readonly a: Float64Array,
    private readonly onProgress: ((step: number) => void) | undefined,
    private readonly progressEvery: number,
  ) {
    this.res = { seed, M: [], Q: [], a: [], P, diverged: false, tau: [], samples: [], gamma: [], nb: [], ...(plan.measureGradient ? { g2: [], ga2: [] } : {}) };
    this.escaped = escapeChecker(plan.p, plan.k, plan.escape, mAbs);
    if (plan.record[0] === 0) {
      this.observe();
      this.ri = 1;
    }
  }

  /** one recorded row of the current state; false when the weights are no longer finite */
  private observe(): boolean {
    const { M, Q } = this.overlaps();
    const res = this.res;
    res.M.push(M);
    res.Q.push(Q);
    res.a.push(Array.from(this.a));
    res.tau.push(this.rt.tau);
    res.samples.push(this.rt.samples);
    res.gamma.push(this.rt.lastGamma);
    res.nb.push(this.rt.lastNb);
    res.g2?.push(NaN);
    res.ga2?.push(NaN);
    return Number.isFinite(Q.reduce((s, r, j) => s + r[j], 0));
  }

  /** the step about to be taken starts from a recorded row (its gradient norms belong to that row) */
  fromRecordedRow(step: number): boolean {
    return this.ri > 0 && this.plan.record[this.ri - 1] === step - 1;
  }

  /** ‖g_W‖², ‖g_a‖² of the step taken from the last recorded row (with measureGradient) */
  gradientNorms(g2: number, ga2: number): void {
    const res = this.res;
    if (res.g2 && res.ga2) {
      res.g2[this.ri - 1] = g2;
      res.ga2[this.ri - 1] = ga2;
    }
  }

  /** after step `step` (its rate and batch already advanced in the runtime): false when the seed ends here */
  afterStep(step: number): boolean {
    const res = this.res;
    const record = this.plan.record;
    // a recorded row carries the rate and batch of the step taken from it (as the ODE's and the map's)
    if (this.fromRecordedRow(step) && res.gamma.length === this.ri) {
      res.gamma[this.ri - 1] = this.rt.lastGamma;
      res.nb[this.ri - 1] = this.rt.lastNb;
    }
    const esc = this.plan.escape;
    if (esc && res.escapeStep === undefined && this.escaped()) {
      res.escapeStep = step;
      res.escapeClock = { tau: this.rt.tau, samples: this.rt.samples };
      if (esc.stop) {
        // a seed stopped at its escape still reports every recording step, holding its last state
        while (this.ri < record.length) {
          this.observe();
          this.ri++;
        }
        return false;
      }
    }
    if (this.ri < record.length && record[this.ri] === step) {
      this.ri++;
      if (!this.observe()) {
        res.diverged = true;
        res.divergedAt = step;
        return false;
      }
    }
    if (this.onProgress && step - this.lastProgress >= this.progressEvery) {
      this.onProgress(step);
      this.lastProgress = step;
    }
    return true;
  }

  /** the result; under a batch rule the last row's batch is the one the rule gives at the final state (its γ stays the last step's) */
  finish(batchAtEnd?: () => number): SeedResult {
    const res = this.res;
    const last = res.M.length - 1;
    if (batchAtEnd && !res.diverged && last >= 0 && this.plan.record[last] === this.plan.steps && this.rt.batchVaries) res.nb[last] = batchAtEnd();
    this.onProgress?.(this.plan.steps);
    return res;
  }
}
