/**
 * The losses hermode knows, one file each (src/loss/*.ts implementing `Loss` of types.ts): a new loss
 * with a residual linear in f is a file and a line here.
 */
import type { Loss } from './types.ts';
import { usageError } from '../errors.ts';
import { mse } from './mse.ts';
import { correlation } from './correlation.ts';

export type { Loss };

export const LOSSES = [mse, correlation] as const;

export type LossName = (typeof LOSSES)[number]['name'];

/** The names, for validation (the derivation schema, `sweep --loss`). */
export const LOSS_NAMES = LOSSES.map((l) => l.name) as [LossName, ...LossName[]];

/** The loss of this name (validated names only reach here). */
export function lossNamed(name: string): Loss {
  const l = LOSSES.find((x) => x.name === name);
  if (!l) throw usageError(`unknown loss; expected one of ${LOSS_NAMES.join(', ')}`, { field: 'loss', value: name });
  return l;
}

/** w in e = y − w·f for a model's loss. */
export const residualWeight = (m: { loss: string }): number => lossNamed(m.loss).studentWeight;

/** The residual e = y − w·f in LaTeX: (y - f), y, or (y - w f). */
export function residualTex(loss: Loss): string {
  const w = loss.studentWeight;
  return w === 1 ? '(y - f)' : w === 0 ? 'y' : `(y - ${w}\\,f)`;
}
