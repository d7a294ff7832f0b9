/**
 * LARS (THEORY §4.6): γ_t = γ0·trust·‖W‖_F/‖g_W‖_F. On the overlaps ‖W‖² = tr Q and ‖g_W‖² is
 * E‖g_W‖² = Σ_j N_jj at the step's batch (§4.7); in a simulation, the mini-batch gradient's.
 */
import type { LrRuleDef } from '../types.ts';
import { GAMMA0, GAMMA_MAX, capped, capText } from './common.ts';

export const lars: LrRuleDef = {
  name: 'lars',
  summary: 'γ_t = γ0·trust·‖W‖/‖g_W‖',
  params: [GAMMA0, { name: 'trust', key: 'trust', need: 'positive', default: 1, doc: 'the trust coefficient (multiplies γ0)' }, GAMMA_MAX],
  given: 'refused',
  measures: ['norms'],
  rate(v, probe) {
    const { w2, g2 } = probe.norms();
    return capped(v, ((v.gamma0 as number) * (v.trust as number) * Math.sqrt(w2)) / Math.sqrt(g2));
  },
  initial: (v, given) => capped(v, given !== undefined && given > 0 ? given : (v.gamma0 as number)),
  describe: (v) => `LARS γ_t = ${v.gamma0}${v.trust !== 1 ? `·${v.trust}` : ''}·‖W‖/‖g_W‖${capText(v)}`,
};
