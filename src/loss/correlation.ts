/**
 * The correlation loss, −y·f (arXiv 2406.02157): the residual is the label itself (w = 0), so the
 * student's output never enters the gradient. It is unbounded below in the second layer, which
 * therefore cannot be trained with it.
 */
import type { Loss } from './types.ts';

export const correlation = {
  name: 'correlation',
  title: 'correlation',
  studentWeight: 0,
  tex: '-y f',
  refuses: (m: { trainSecondLayer: boolean }): ReturnType<Loss['refuses']> => (m.trainSecondLayer ? { field: 'student.second_layer.train', value: true, message: 'the correlation loss is unbounded in the second layer: it cannot be trained (set train: false)' } : undefined),
} as const satisfies Loss;
