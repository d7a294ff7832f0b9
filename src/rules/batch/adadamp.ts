/**
 * AdaDamp (THEORY §4.5): n_b = ⌈n_b0 (ε0 − ε*)/(ε − ε*)⌉ capped at n_max, the rate decayed by
 * n_max/n_b beyond; ε the exact risk of the current overlaps (n_est = 0) or ½ mean e² over n_est
 * fresh samples, recomputed every `dwell` steps (the ODE: continuously); ε0 the risk at the start,
 * ε* (default Δ/2) below it. One formula for the ODE, the map and both simulators.
 */
import { usageError } from '../../errors.ts';
import type { BatchRuleDef, RuleValue } from '../types.ts';

/** n_b = ⌈n_b0 (ε0 − ε*)/(ε − ε*)⌉ capped at n_max, the rate decayed by n_max/n_b above the cap. */
export function adadampBatch(nb0: number, nmax: number, eps0: number, epsStar: number, eps: number): { nb: number; decay: number; requested: number } {
  const gap = Math.max(eps - epsStar, 1e-12 * (eps0 - epsStar));
  const requested = Math.max(1, Math.ceil((nb0 * (eps0 - epsStar)) / gap - 1e-9));
  return requested > nmax ? { nb: nmax, decay: nmax / requested, requested } : { nb: requested, decay: 1, requested };
}

const num = (v: RuleValue, key: string): number => v[key] as number;

export const adadamp: BatchRuleDef = {
  name: 'adadamp',
  summary: 'n_b = ⌈n_b0 (ε0 − ε*)/(ε − ε*)⌉ ≤ n_max',
  params: [
    { name: 'nb0', key: 'nb0', need: 'int1', doc: 'the starting batch n_b0' },
    { name: 'nmax', key: 'nmax', need: 'int1', doc: 'the cap n_max (the rate decays by n_max/n_b beyond)' },
    { name: 'eps_star', key: 'epsStar', need: 'nonneg', optional: true, doc: 'the floor of the loss ε* (default Δ/2)' },
    { name: 'dwell', key: 'dwell', need: 'int1', default: 1, doc: 'steps between recomputations' },
    { name: 'n_est', key: 'nEst', need: 'int0', default: 0, doc: 'fresh samples for ε (0: the exact risk of the overlaps)' },
  ],
  check(v, fieldOf) {
    if (num(v, 'nmax') < num(v, 'nb0')) throw usageError(`must be ≥ nb0 = ${v.nb0}`, { field: fieldOf('nmax'), value: v.nmax as number });
  },
  measures: (v) => [num(v, 'nEst') === 0 ? 'exact-risk' : 'sampled-loss'],
  startBatch: (v) => num(v, 'nb0'),
  create(v, ctx) {
    const nb0 = num(v, 'nb0');
    const nmax = num(v, 'nmax');
    const dwell = num(v, 'dwell');
    const nEst = num(v, 'nEst');
    const given = typeof v.epsStar === 'number';
    const epsStar = given ? (v.epsStar as number) : ctx.delta / 2;
    let eps0 = NaN;
    let held = { nb: 0, decay: 1, requested: 0 };
    return {
      start(e0) {
        eps0 = e0;
        if (!(epsStar < eps0))
          throw usageError(`must lie below the starting risk ε0 = ${Number(eps0.toPrecision(6))}${given ? '' : ' (the default ε* is Δ/2)'}`, {
            field: given ? '--set eps_star' : '--set Delta',
            value: given ? epsStar : ctx.delta,
          });
      },
      at(_tau, _steps, step, probe) {
        if (step !== undefined && step > 1 && (step - 1) % dwell !== 0) return held;
        const eps = probe.loss(nEst);
        if (Number.isNaN(eps0)) eps0 = eps;
        held = adadampBatch(nb0, nmax, eps0, epsStar, eps);
        return held;
      },
      meta: () => ({ eps0, epsStar }),
    };
  },
  describe: (v) =>
    `AdaDamp n_b = ⌈${v.nb0}(ε0 − ε*)/(ε − ε*)⌉ ≤ ${v.nmax}, ε* = ${v.epsStar ?? 'Δ/2'}${num(v, 'dwell') > 1 ? `, dwell ${v.dwell}` : ''}${v.nEst ? `, ε from ${v.nEst} fresh samples` : ''}`,
};
