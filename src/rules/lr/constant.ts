/** The constant learning rate: γ_t = γ, given by gamma=… or eta_bar=… (η̄ = γ d/n_b). */
import type { LrRuleDef } from '../types.ts';

export const constant: LrRuleDef = {
  name: 'constant',
  summary: 'γ_t = γ (gamma=… or eta_bar=…)',
  params: [],
  given: 'needed',
  givenMissing: 'a constant learning rate needs gamma=… or eta_bar=…',
  measures: [],
  rate: (_v, _probe, at) => at.given ?? NaN,
  initial: (_v, given) => given ?? NaN,
  describe: () => 'constant γ',
};
