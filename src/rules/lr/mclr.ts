/**
 * MCLR: γ_t = γ0/κ, κ the median over the parameters of |g_t,i − g_{t−1,i}|/|W_t,i − W_{t−1,i}|; the
 * first step at the given γ. On the overlaps κ = m_t/γ_{t−1}, m_t the Cauchy median of consecutive
 * noise (README, "Learning-rate rules"), so γ_t = γ0 γ_{t−1}/m_t: an O(1) factor every step, hence
 * no ODE limit; and the reduced simulator, rotation invariant, has no individual coordinates.
 */
import type { LrRuleDef } from '../types.ts';
import { GAMMA0, GAMMA_MAX, capped, capText } from './common.ts';

export const mclr: LrRuleDef = {
  name: 'mclr',
  summary: 'γ_t = γ0/κ, κ the median secant curvature (first step at gamma=…)',
  params: [GAMMA0, GAMMA_MAX],
  given: 'first-step',
  givenMissing: 'MCLR takes its first step at gamma=…',
  measures: ['secant'],
  noOde: 'MCLR has no ODE limit: its rate changes by an O(1) factor every step (γ_t = γ0 γ_{t−1}/m_t); use `hermode map` or `simulate`',
  refusesEngine: { reduced: 'MCLR reads individual coordinates of the weights, which the reduced simulator does not have (it is not rotation invariant): use --engine full' },
  rate: (v, probe, at) => capped(v, at.step === 1 ? (at.given ?? NaN) : (v.gamma0 as number) / probe.secant()),
  initial: (v, given) => capped(v, given ?? NaN),
  describe: (v) => `MCLR γ_t = ${v.gamma0}/κ (median secant curvature)${capText(v)}`,
};
