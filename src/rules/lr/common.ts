/** Parameters several learning-rate rules share: the base rate γ0 and the cap γ_max. */
import type { RuleParam, RuleValue } from '../types.ts';

export const GAMMA0: RuleParam = { name: 'gamma0', key: 'gamma0', need: 'positive', doc: 'the base rate γ0' };
export const GAMMA_MAX: RuleParam = { name: 'gamma_max', key: 'gammaMax', need: 'positive', optional: true, doc: 'an upper bound on γ_t' };

/** γ capped at γ_max when the rule has one. */
export function capped(v: RuleValue, gamma: number): number {
  return typeof v.gammaMax === 'number' ? Math.min(gamma, v.gammaMax) : gamma;
}

/** ' ≤ γ_max' for descriptions. */
export const capText = (v: RuleValue): string => (typeof v.gammaMax === 'number' ? ` ≤ ${v.gammaMax}` : '');
