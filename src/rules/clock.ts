/**
 * The bookkeeping of THEORY §2.3 in one place: each SGD step advances τ by γ_t and uses n_b(t)
 * samples, i.e. d(steps)/dτ = 1/γ_t and d(samples)/dτ = n_b(t)/γ_t. With constant γ and n_b this is
 * steps = τ/γ and samples = n_b·steps (`constantClock`); under a rule the map and the simulators
 * advance a `StepClock` once per step, and the ODE integrates the two equations beside the overlaps
 * (`clockRates`). Every trajectory carries the four columns this produces: steps, samples, gamma, nb.
 */

/** Constant γ and n_b. */
export interface ConstantClock {
  gamma: number;
  nb: number;
  stepsAt(tau: number): number;
  tauAt(steps: number): number;
  samplesAt(steps: number): number;
}

export function constantClock(gamma: number, nb: number): ConstantClock {
  return { gamma, nb, stepsAt: (tau) => tau / gamma, tauAt: (steps) => steps * gamma, samplesAt: (steps) => steps * nb };
}

/** d(steps)/dτ and d(samples)/dτ at rate γ and batch n_b. */
export function clockRates(gamma: number, nb: number): [number, number] {
  return [1 / gamma, nb / gamma];
}

/** Per-step accumulation under a rule (finite-step map, simulators). */
export class StepClock {
  tau = 0;
  steps = 0;
  samples = 0;
  /** the rate and batch of the last step taken (NaN before the first) */
  gamma = NaN;
  nb = NaN;
  advance(gamma: number, nb: number): void {
    this.tau += gamma;
    this.steps += 1;
    this.samples += nb;
    this.gamma = gamma;
    this.nb = nb;
  }
}

/** The time columns of a trajectory under constant γ and n_b, at times τ. */
export function constantColumns(tau: number[], c: ConstantClock): { steps: number[]; samples: number[]; gamma: number[]; nb: number[] } {
  const steps = tau.map((t) => c.stepsAt(t));
  return { steps, samples: steps.map((s) => c.samplesAt(s)), gamma: tau.map(() => c.gamma), nb: tau.map(() => c.nb) };
}
