/** The closed-form families hermode knows; `auto` uses one when student and committee teacher share it. */
import { internal } from '../errors.ts';
import type { ClosedFamily, FamilyParams } from './family.ts';
import { erfFamily } from './erf.ts';
import { reluFamily } from './relu.ts';

export type { ClosedFamily, FamilyParams } from './family.ts';

export const CLOSED_FAMILIES: readonly ClosedFamily[] = [erfFamily, reluFamily];

export function closedFamily(name: string): ClosedFamily {
  const f = CLOSED_FAMILIES.find((x) => x.name === name);
  if (!f) throw internal(`no closed-form family ${name}`);
  return f;
}

/** The family f belongs to and its parameters there, if any. */
export function recogniseFamily(f: (x: number) => number): { family: ClosedFamily; params: FamilyParams } | undefined {
  for (const family of CLOSED_FAMILIES) {
    const params = family.recognise(f);
    if (params) return { family, params };
  }
  return undefined;
}
