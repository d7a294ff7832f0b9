/**
 * AdaDamp's batch size from the risk (THEORY §4.5): one formula for the ODE, the map and both
 * simulators, in a module that imports nothing, so the simulation worker carries it as it is.
 */

/** AdaDamp (THEORY §4.5): n_b = ⌈n_b0 (ε0 − ε*)/(ε − ε*)⌉ capped at n_max, the rate decayed by n_max/n_b above the cap. */
export function adadampBatch(nb0: number, nmax: number, eps0: number, epsStar: number, eps: number): { nb: number; decay: number; requested: number } {
  const gap = Math.max(eps - epsStar, 1e-12 * (eps0 - epsStar));
  const requested = Math.max(1, Math.ceil((nb0 * (eps0 - epsStar)) / gap - 1e-9));
  return requested > nmax ? { nb: nmax, decay: nmax / requested, requested } : { nb: requested, decay: 1, requested };
}
