/** Mean-squared error, ½(y − f)²: the residual is y − f (w = 1). */
import type { Loss } from './types.ts';

export const mse = {
  name: 'mse',
  title: 'mean-squared error',
  studentWeight: 1,
  tex: '\\tfrac12 (y - f)^2',
  refuses: (): ReturnType<Loss['refuses']> => undefined,
} as const satisfies Loss;
