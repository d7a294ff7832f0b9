/**
 * CBLR (THEORY §4.6): γ_t = γ0/κ_W, κ_W the curvature of the population loss along the gradient
 * (on the overlaps, from the moments and J = E[σ′σ′]; in a simulation, by central differences of
 * the gradient of fresh samples). `gauss_newton=1` keeps the Gauss–Newton part only, §4.6's leading
 * order; a loss whose residual does not depend on the network (w = 0) has none.
 */
import { usageError } from '../../errors.ts';
import type { LrRuleDef } from '../types.ts';
import { GAMMA0, GAMMA_MAX, capped, capText } from './common.ts';

export const cblr: LrRuleDef = {
  name: 'cblr',
  summary: 'γ_t = γ0/κ_W, κ_W the curvature along the gradient',
  params: [GAMMA0, GAMMA_MAX, { name: 'gauss_newton', key: 'gaussNewton', need: 'flag', default: 0, doc: '1: the Gauss–Newton curvature only' }],
  given: 'refused',
  measures: ['curvature'],
  check(v, model) {
    if (v.gaussNewton && model.residualWeight === 0)
      throw usageError(`the ${model.lossTitle} loss has no Gauss–Newton curvature (its Hessian is −y∇²f): CBLR needs gauss_newton=0`, { field: '--set gauss_newton', value: 1 });
  },
  rate: (v, probe, at) => capped(v, (v.gamma0 as number) / probe.curvature(at.nb ?? NaN, v.gaussNewton === true)),
  initial: (v, given) => capped(v, given !== undefined && given > 0 ? given : (v.gamma0 as number)),
  undefinedWhy: (v, probe, nb) => `the curvature along the gradient is ${probe.curvature(nb, v.gaussNewton === true).toExponential(3)} ≤ 0; the rule γ0/κ is undefined there`,
  describe: (v) => `CBLR γ_t = ${v.gamma0}/κ_W (${v.gaussNewton ? 'Gauss–Newton ' : ''}curvature along the gradient)${capText(v)}`,
};
