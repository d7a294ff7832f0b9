/** The regularisers (src/regularisers/types.ts): a file each and a line here. */
import type { Regulariser } from './types.ts';
import { weightDecay } from './weight-decay.ts';

export const REGULARISERS: readonly Regulariser[] = [weightDecay];

export type { Regulariser };

/** λ: the regularisers' total shrink rate per unit γ, from the parameters (indices by name, as a layout's `regParams`). */
export function shrinkRate(regParams: Record<string, number>, params: ArrayLike<number>): number {
  let lambda = 0;
  for (const r of REGULARISERS) if (r.param.name in regParams) lambda += params[regParams[r.param.name]];
  return lambda;
}
