/** The constant batch size n_b (--nb). */
import { usageError } from '../../errors.ts';
import type { BatchRuleDef } from '../types.ts';

export const constant: BatchRuleDef = {
  name: 'constant',
  summary: 'n_b (--nb)',
  params: [],
  measures: () => [],
  create(_v, ctx) {
    const nb = ctx.nb;
    if (!(nb !== undefined && nb >= 1)) throw usageError('a constant batch size needs --nb', { field: '--nb' });
    return { at: () => ({ nb, decay: 1 }) };
  },
  describe: () => 'constant n_b',
};
