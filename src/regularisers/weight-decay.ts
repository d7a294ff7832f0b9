/**
 * Weight decay: the penalty (λ/2)‖W‖_F² on the first layer, w_j ← w_j(1 − γλ) + γ(…) (THEORY §2.9).
 * On the sphere (spherical or projected dynamics) the norm is fixed and the shrink undone, so there
 * it is refused.
 */
import type { Regulariser } from './types.ts';

export const weightDecay: Regulariser = {
  field: 'weight_decay',
  title: 'weight decay',
  param: { name: 'lambda', tex: '\\lambda_{\\mathrm{wd}}', codeName: 'wdLambda' },
  refuses: (m) => (m.dynamics !== 'plain' ? `weight decay shrinks the weights, which ${m.dynamics} dynamics hold on the sphere: use dynamics: plain` : undefined),
};
